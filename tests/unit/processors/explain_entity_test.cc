// ExplainEntity (inspect's view of an entity) and the entities a step
// reports as evaluated: read-only, and in agreement with what the engine fires.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "processors/engine.h"
#include "processors/rule_registry.h"
#include "tests/support/memory_kv.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

const std::string E1 = EventId(1);
const std::string T1 = TierId(1);

EntityVerdicts Explain(MemoryKv* kv, EntityKind kind, const std::string& id, Micros now) {
  Thresholds thresholds;
  std::vector<OutMessage> out;
  ApplyContext ctx;
  ctx.kv = kv;
  ctx.thresholds = &thresholds;
  ctx.now = now;
  ctx.out = &out;
  EntityVerdicts verdicts;
  EXPECT_TRUE(ExplainEntity(&ctx, kind, id, &verdicts).ok());
  EXPECT_TRUE(out.empty()) << "ExplainEntity must not emit";
  return verdicts;
}

bool Holds(const EntityVerdicts& v, std::string_view type) {
  for (const auto& [rule, holds] : v.rules) {
    if (rule->type == type) return holds;
  }
  ADD_FAILURE() << "no verdict for " << type;
  return false;
}

Transaction Tx(Lsn lsn, Micros at, std::vector<Change> changes) {
  Transaction txn;
  txn.xid = 900;
  txn.begin_lsn = lsn - 0x10;
  txn.end_lsn = lsn;
  txn.commit_time = at;
  txn.changes = std::move(changes);
  return txn;
}

TEST(ExplainEntity, TierFiguresAndVerdictsFollowTheRows) {
  MemoryKv kv;
  Engine engine{Thresholds()};
  ASSERT_TRUE(engine.Load(&kv).ok());
  std::vector<OutMessage> out;
  TouchedEntities touched;
  ASSERT_TRUE(engine
                  .ApplyTransaction(Tx(0x1000, At(0),
                                       {Insert("ticket_tiers", TierRow(T1, E1, 100, 5, 0)),
                                        Insert("ticket_holds", HoldRow(HoldId(1), T1, 5, "active", At(10)))}),
                                    &kv, At(0), &out, &touched)
                  .ok());
  EXPECT_TRUE(touched.count({EntityKind::kTier, T1}));
  EXPECT_TRUE(out.empty());

  EntityVerdicts v = Explain(&kv, EntityKind::kTier, T1, At(0));
  EXPECT_EQ(v.figures,
            R"({"quantity":100,"reserved":5,"issued":0,"available":95,"active_holds":1,"active_hold_quantity":5,)"
            R"("unexpired_hold_quantity":5,"stuck_holds":0,"counting_tickets":0})");
  EXPECT_FALSE(Holds(v, "tier_reserved_drift"));
  EXPECT_EQ(v.rules.size(), 6u);  // every tier rule, in registry order
  EXPECT_EQ(std::string_view(v.rules.front().first->type), "stuck_holds");

  // The breaking commit: reserved drifts from the holds; the verdict turns
  // true exactly where the engine fires.
  out.clear();
  touched.clear();
  ASSERT_TRUE(engine
                  .ApplyTransaction(Tx(0x2000, At(1),
                                       {Update("ticket_tiers", {Col("id", T1), Col("reserved_quantity", int64_t{9})})}),
                                    &kv, At(1), &out, &touched)
                  .ok());
  EXPECT_TRUE(touched.count({EntityKind::kTier, T1}));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().key, "tier_reserved_drift:tier:" + T1);
  v = Explain(&kv, EntityKind::kTier, T1, At(1));
  EXPECT_TRUE(Holds(v, "tier_reserved_drift"));
  EXPECT_NE(v.figures.find(R"("reserved":9)"), std::string::npos);
}

TEST(ExplainEntity, ReadsNothingIntoTheStateAndAKindWithoutRulesIsEmpty) {
  MemoryKv kv;
  const EntityVerdicts v = Explain(&kv, EntityKind::kLedgerTransaction, LedgerTxnId(1), At(0));
  EXPECT_EQ(v.figures, R"({"entries":0,"debit":0,"credit":0})");
  EXPECT_FALSE(Holds(v, "ledger_imbalance"));
  EXPECT_TRUE(kv.data().empty());
  const EntityVerdicts none = Explain(&kv, EntityKind::kProviderWebhooks, "stripe", At(0));
  EXPECT_TRUE(none.rules.empty());
  EXPECT_EQ(none.figures, "{}");
}

TEST(EngineTouched, AClockTickReportsTheEntitiesItsTimersEvaluated) {
  MemoryKv kv;
  Engine engine{Thresholds()};
  ASSERT_TRUE(engine.Load(&kv).ok());
  std::vector<OutMessage> out;
  ASSERT_TRUE(engine
                  .ApplyTransaction(Tx(0x1000, At(0),
                                       {Insert("ticket_tiers", TierRow(T1, E1, 100, 5, 0)),
                                        Insert("ticket_holds", HoldRow(HoldId(1), T1, 5, "active", At(10)))}),
                                    &kv, At(0), &out)
                  .ok());
  TouchedEntities touched;
  ASSERT_TRUE(engine.AdvanceClock(At(16), 0x1000, &kv, At(16), &out, &touched).ok());
  EXPECT_TRUE(touched.count({EntityKind::kTier, T1}));
  EXPECT_TRUE(Holds(Explain(&kv, EntityKind::kTier, T1, At(16)), "stuck_holds"));
}

}  // namespace
}  // namespace walguard::rule_test
