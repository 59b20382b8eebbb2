// high_reserved as a predicate: a pure function of the tier's facts and the
// thresholds, tested without an engine.
#include <gtest/gtest.h>

#include "processors/rule_registry.h"
#include "processors/ticketing_rules.h"

namespace walguard {
namespace {

TierFacts Tier(int64_t quantity, int64_t reserved) {
  TierFacts f;
  f.id = "tier-1";
  f.event_id = "event-1";
  f.exists = true;
  f.quantity = quantity;
  f.reserved = reserved;
  return f;
}

TEST(HighReserved, FiresAboveThePercentOfQuantity) {
  Thresholds t;
  t.high_reserved_percent = 30;
  EXPECT_FALSE(HighReserved(Tier(100, 30), t).firing);  // exactly 30 %: not above
  const Verdict v = HighReserved(Tier(100, 31), t);
  EXPECT_TRUE(v.firing);
  EXPECT_EQ(v.details, R"({"reserved_quantity":31,"quantity":100,"threshold_percent":30})");
  EXPECT_EQ(v.command_args, "");
  t.high_reserved_percent = 31;
  EXPECT_FALSE(HighReserved(Tier(100, 31), t).firing);
}

TEST(HighReserved, NeedsTheTierRow) {
  TierFacts f = Tier(0, 5);
  EXPECT_TRUE(HighReserved(f, Thresholds()).firing);
  f.exists = false;
  EXPECT_FALSE(HighReserved(f, Thresholds()).firing);
}

TEST(HighReserved, IsTheRegistryRowsPredicate) {
  const Rule* rule = RuleOfType("high_reserved");
  ASSERT_NE(rule, nullptr);
  const auto* predicate = std::get_if<Predicate<TierFacts>>(&rule->predicate);
  ASSERT_NE(predicate, nullptr);
  EXPECT_EQ(*predicate, &HighReserved);
}

}  // namespace
}  // namespace walguard
