// The schema guard (processors/schema_guard.h) on retyped columns: a column
// the rules read whose type becomes one they cannot parse dead-letters the
// row and disables every rule reading the table; compatible changes disable
// nothing. Also the guard's maps against the contract's tables and rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/schema_guard_helpers.h"

namespace walguard::rule_test::schema_guard {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

struct TypeCase {
  std::string name;
  Change change;
  std::string reason;              // "" when the change must be applied as usual
  std::set<std::string> disabled;  // the rules it disables
};

void PrintTo(const TypeCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<TypeCase> TypeCases() {
  const Change item = Typed(Insert("order_items", ItemRow(ItemId(1), O1, T1, 2, 5000)));
  const Change pay = Pay(1, "card", "pending", At(0));
  const Change hold = Typed(Insert("ticket_holds", HoldRow(HoldId(1), T1, 2, "active", At(10))));
  return {
      {"QuantityBecameText",
       Retyped(item, "quantity", TypeFamily::kText),
       "column ticketing.order_items.quantity has type text, expected integer or numeric",
       {"order_overissued", "revenue_mismatch"}},
      {"AmountBecameFloat",
       Retyped(pay, "amount", TypeFamily::kFloat),
       "column reserve.payments.amount has type floating point, expected integer or numeric",
       {"payment_without_reservation", "stuck_payment", "pix_pending", "double_charge", "failed_payment_rate",
        "webhook_silence"}},
      {"ExpiryBecameText",
       Retyped(hold, "expires_at", TypeFamily::kText),
       "column ticketing.ticket_holds.expires_at has type text, expected timestamptz or timestamp",
       {"stuck_holds", "tier_reserved_drift", "false_sold_out"}},
      {"StatusBecameJson",
       Retyped(pay, "status", TypeFamily::kJson),
       "column reserve.payments.status has type json, expected text",
       {"payment_without_reservation", "stuck_payment", "pix_pending", "double_charge", "failed_payment_rate",
        "webhook_silence"}},
      {"CheckInBecameTimestamp",
       Retyped(Res(1, 1), "check_in", TypeFamily::kTimestampTz),
       "column reserve.reservations.check_in has type timestamptz, expected date",
       {"payment_without_reservation", "overbooking", "calendar_drift"}},
      {"KeyInIdentityBecameJson",
       Retyped(Typed(DeleteIn("reserve", "ledger_entries", Id(LedgerEntryId(1)))), "id", TypeFamily::kJson),
       "column reserve.ledger_entries.id has type json, expected integer, text or uuid",
       {"ledger_imbalance"}},
      // Compatible: the rules' parsing does not care.
      {"QuantityWidenedToBigint", Retyped(item, "quantity", TypeFamily::kInteger), "", {}},
      {"PriceBecameNumeric", Retyped(item, "unit_price_cents", TypeFamily::kNumeric), "", {}},
      {"AmountBecameInteger", Retyped(pay, "amount", TypeFamily::kInteger), "", {}},
      {"UuidKeyBecameText", Retyped(pay, "id", TypeFamily::kText), "", {}},
      {"TimestampWithoutTimeZone", Retyped(pay, "created_at", TypeFamily::kTimestamp), "", {}},
      // Domains and enums cannot be judged by their oid.
      {"StatusBecameAnEnum", Retyped(pay, "status", TypeFamily::kUserDefined), "", {}},
      // Columns walguard does not read may change freely.
      {"IgnoredColumnBecameJson", Retyped(pay, "currency", TypeFamily::kJson), "", {}},
  };
}

class SchemaGuardTypes : public testing::TestWithParam<TypeCase> {};

TEST_P(SchemaGuardTypes, IncompatibleTypesDisableCompatibleOnesDoNot) {
  const TypeCase& c = GetParam();
  RuleHarness h;
  std::vector<Message> got = h.Run(Txn(At(0), {c.change}));
  std::vector<std::string> dead;
  for (const Message& m : got) {
    if (m.topic == Topic::kDeadLetter) dead.push_back(m.json.Str("reason"));
  }
  if (c.reason.empty()) {
    EXPECT_THAT(dead, IsEmpty());
  } else {
    EXPECT_THAT(dead, ElementsAre(c.reason));
  }
  EXPECT_EQ(StoredDisabled(h), c.disabled);
  std::vector<std::string> want;
  for (const std::string& rule : c.disabled) want.push_back("firing rule_disabled:rule:" + rule);
  std::vector<std::string> alerts;
  for (const Message& m : got) {
    if (m.topic == Topic::kAlerts && m.json.Str("type") == "rule_disabled") alerts.push_back(m.Summary());
  }
  EXPECT_THAT(alerts, UnorderedElementsAreArray(want));
  EXPECT_THAT(OtherViolations(h), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Cases, SchemaGuardTypes, testing::ValuesIn(TypeCases()),
                         [](const testing::TestParamInfo<TypeCase>& info) { return info.param.name; });

// Every column has its expected types, every table but the context-only
// ones is read by a rule, and every contract rule is read from at least one
// table: a rule missing from the map could never be disabled.
TEST(SchemaGuard, TheMapsCoverEveryColumnAndEveryRule) {
  std::set<std::string> mapped;
  for (size_t t = 0; t < static_cast<size_t>(TableId::kCount); ++t) {
    const TableId table = static_cast<TableId>(t);
    EXPECT_EQ(ExpectedTypes(table).size(), Spec(table).columns.size()) << Spec(table).QualifiedName();
    for (TypeSet set : ExpectedTypes(table)) EXPECT_NE(set, 0) << Spec(table).QualifiedName();
    // A table read only for alert context (nothing but its key required) disables nothing.
    const bool context_only = Spec(table).required_columns <= Spec(table).key_columns.size();
    EXPECT_EQ(RulesReading(table).empty(), context_only) << Spec(table).QualifiedName();
    for (const AlertType* rule : RulesReading(table)) mapped.insert(rule->type);
  }
  std::set<std::string> contract;
  for (const auto* rules : {&TicketingRules(), &ReserveRules(), &CronRules()}) {
    for (const RuleInfo& r : *rules) contract.insert(std::string(r.type));
  }
  EXPECT_EQ(mapped, contract);
}

}  // namespace
}  // namespace walguard::rule_test::schema_guard
