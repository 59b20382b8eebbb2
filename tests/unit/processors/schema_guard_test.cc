// The schema guard (processors/schema_guard.h): a column the rules read that
// is dropped, renamed or retyped by ALTER TABLE dead-letters the row and
// disables every rule reading the table, persistently, with one
// rule_disabled alert per rule; compatible changes disable nothing. Also the
// engine's handling of a change with an unknown action.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "processors/schema_guard.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

const std::string E1 = EventId(1);
const std::string T1 = TierId(1);
const std::string O1 = OrderId(1);

// The type each column has in the contract's DDL (sql/*.sql), as the live
// stream reports it.
TypeFamily ContractType(std::string_view name) {
  static const std::map<std::string_view, TypeFamily> kTypes = {
      {"id", TypeFamily::kUuid},
      {"event_id", TypeFamily::kUuid},
      {"tier_id", TypeFamily::kUuid},
      {"order_id", TypeFamily::kUuid},
      {"user_id", TypeFamily::kUuid},
      {"booking_intent_id", TypeFamily::kUuid},
      {"unit_id", TypeFamily::kUuid},
      {"transaction_id", TypeFamily::kUuid},
      {"quantity", TypeFamily::kInteger},
      {"reserved_quantity", TypeFamily::kInteger},
      {"issued_quantity", TypeFamily::kInteger},
      {"price_cents", TypeFamily::kInteger},
      {"unit_price_cents", TypeFamily::kInteger},
      {"total_cents", TypeFamily::kInteger},
      {"allotment", TypeFamily::kInteger},
      {"bookings_count", TypeFamily::kInteger},
      {"amount", TypeFamily::kNumeric},
      {"check_in", TypeFamily::kDate},
      {"check_out", TypeFamily::kDate},
      {"date", TypeFamily::kDate},
  };
  if (auto it = kTypes.find(name); it != kTypes.end()) return it->second;
  return name.ends_with("_at") ? TypeFamily::kTimestampTz : TypeFamily::kText;
}

// The change as the live stream delivers it: every column typed.
Change Typed(Change c) {
  for (std::vector<Datum>* list : {&c.columns, &c.identity}) {
    for (Datum& d : *list) d.type = ContractType(d.name);
  }
  return c;
}

Change Without(Change c, std::string_view column) {
  std::erase_if(c.columns, [&](const Datum& d) { return d.name == column; });
  return c;
}

Change Renamed(Change c, std::string_view from, std::string to) {
  for (Datum& d : c.columns) {
    if (d.name == from) d.name = to;
  }
  return c;
}

Change Retyped(Change c, std::string_view column, TypeFamily type) {
  for (std::vector<Datum>* list : {&c.columns, &c.identity}) {
    for (Datum& d : *list) {
      if (d.name == column) d.type = type;
    }
  }
  return c;
}

Change Pay(int n, std::string_view method, std::string_view status, Micros created,
           std::optional<Micros> succeeded = std::nullopt) {
  return Typed(InsertIn("reserve", "payments",
                        PaymentRow(PaymentId(n), IntentId(n), "stripe", method, status, "120.00", created, succeeded)));
}
// Reservation n of `intent`, on a unit of its own.
Change Res(int n, int intent) {
  return Typed(InsertIn("reserve", "reservations",
                        ReservationRow(ReservationId(n), IntentId(intent), UnitId(n), Day(0), Day(2), "confirmed")));
}
Change Tier(int64_t quantity, int64_t reserved, int64_t issued) {
  return Typed(Insert("ticket_tiers", TierRow(T1, E1, quantity, reserved, issued)));
}

std::vector<std::string> Summaries(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.Summary());
  return out;
}

const Message* Find(const std::vector<Message>& messages, std::string_view summary) {
  for (const Message& m : messages) {
    if (m.Summary() == summary) return &m;
  }
  return nullptr;
}

std::vector<std::string> DisabledAlerts(std::initializer_list<std::string_view> rules) {
  std::vector<std::string> out;
  for (std::string_view r : rules) out.push_back("firing rule_disabled:rule:" + std::string(r));
  return out;
}

// The harness checks alerts against the contract's rule table, which does not
// list rule_disabled (walguard's own alert); every other violation counts.
std::vector<std::string> OtherViolations(const RuleHarness& h) {
  std::vector<std::string> out;
  for (const std::string& v : h.violations()) {
    if (v.find("unknown alert type") == std::string::npos || v.find("\"rule_disabled\"") == std::string::npos) {
      out.push_back(v);
    }
  }
  return out;
}

std::set<std::string> StoredDisabled(RuleHarness& h) {
  std::set<std::string> out;
  for (const auto& [key, value] : h.kv().data()) {
    if (key.starts_with("D")) out.insert(key.substr(1));
  }
  return out;
}

const std::vector<std::string_view> kPaymentRules = {
    "payment_without_reservation", "stuck_payment",  "pix_pending", "double_charge",
    "failed_payment_rate",         "webhook_silence"};

// The dropped-column scenario, step by step; returns every step's payloads.
std::vector<std::vector<std::string>> RunDroppedColumn(RuleHarness& h, bool check) {
  std::vector<std::vector<std::string>> payloads;
  auto run = [&](const Step& step) {
    std::vector<Message> got = h.Run(step);
    payloads.emplace_back();
    for (const Message& m : got) payloads.back().push_back(m.payload);
    return got;
  };
  // P1 stuck in processing, P3 succeeded without a reservation; P5's intent has one.
  std::vector<Message> before =
      run(Txn(At(0), {Res(1, 5), Pay(1, "card", "processing", At(-61)), Pay(3, "card", "succeeded", At(-10), At(-10)),
                      Pay(5, "card", "succeeded", At(-10), At(-10))}));
  // ALTER TABLE reserve.payments DROP COLUMN method; then a pix payment long pending.
  std::vector<Message> dropped = run(Txn(At(1), {Without(Pay(2, "pix", "pending", At(-40)), "method")}));
  // P3's reservation arrives: the rule would resolve, but it is disabled.
  std::vector<Message> gated = run(Txn(At(2), {Res(3, 3)}));
  // Rules on other tables go on.
  std::vector<Message> other =
      run(Txn(At(3), {Typed(InsertIn("reserve", "ledger_entries",
                                     LedgerRow(LedgerEntryId(1), LedgerTxnId(1), "cash", "debit", "10.00", At(3))))}));
  std::vector<Message> again = run(Txn(At(4), {Without(Pay(4, "pix", "pending", At(-40)), "method")}));
  h.Reload();  // a restart
  // P5 loses its reservation: would fire, but the rule stays disabled.
  std::vector<Message> after_restart =
      run(Txn(At(5), {Typed(DeleteIn("reserve", "reservations", Id(ReservationId(1))))}));
  std::vector<Message> later = run(Clock(At(300)));
  if (!check) return payloads;

  EXPECT_THAT(Summaries(before),
              ::testing::IsSupersetOf({"firing stuck_payment:payment:" + PaymentId(1),
                                       "firing payment_without_reservation:payment:" + PaymentId(3)}));
  std::vector<std::string> want = DisabledAlerts({"payment_without_reservation", "stuck_payment", "pix_pending",
                                                  "double_charge", "failed_payment_rate", "webhook_silence"});
  want.push_back("deadletter reserve.payments");
  EXPECT_THAT(Summaries(dropped), UnorderedElementsAreArray(want));
  const Message* dead = Find(dropped, "deadletter reserve.payments");
  const Message* alert = Find(dropped, "firing rule_disabled:rule:pix_pending");
  if (dead == nullptr || alert == nullptr || alert->json.Find("details") == nullptr) {
    ADD_FAILURE() << "no dead letter or rule_disabled alert";
    return payloads;
  }
  EXPECT_EQ(dead->json.Str("reason"), "column reserve.payments.method missing (dropped or renamed?)");
  EXPECT_EQ(alert->json.Str("severity"), "P1");
  EXPECT_EQ(alert->json.Find("entity")->Str("kind"), "rule");
  EXPECT_EQ(alert->json.Find("entity")->Str("id"), "pix_pending");
  const Json* details = alert->json.Find("details");
  EXPECT_EQ(details->Str("table"), "reserve.payments");
  EXPECT_EQ(details->Str("column"), "method");
  EXPECT_EQ(details->Str("problem"), "missing (dropped or renamed?)");
  EXPECT_EQ(details->Str("lsn"), dead->json.Str("lsn"));
  EXPECT_EQ(details->Str("action"), "fix the schema, then restart with walguard run --resnapshot");
  EXPECT_THAT(Summaries(gated), IsEmpty());
  EXPECT_THAT(Summaries(other), ElementsAre("firing ledger_imbalance:ledger_transaction:" + LedgerTxnId(1)));
  EXPECT_THAT(Summaries(again), ElementsAre("deadletter reserve.payments"));
  EXPECT_THAT(Summaries(after_restart), IsEmpty());
  EXPECT_THAT(Summaries(later), IsEmpty());
  // The open alerts stay as they were: no guessing either way.
  EXPECT_EQ(h.firing().count(Fingerprint("stuck_payment", PaymentId(1))), 1u);
  EXPECT_EQ(h.firing().count(Fingerprint("payment_without_reservation", PaymentId(3))), 1u);
  return payloads;
}

TEST(SchemaGuard, DroppedColumnDisablesEveryRuleOfTheTableAcrossRestarts) {
  RuleHarness h;
  std::vector<std::vector<std::string>> first = RunDroppedColumn(h, /*check=*/true);
  EXPECT_EQ(StoredDisabled(h), std::set<std::string>(kPaymentRules.begin(), kPaymentRules.end()));
  EXPECT_THAT(OtherViolations(h), IsEmpty());
  // Replaying the same WAL on fresh state gives the same messages, ids included.
  RuleHarness again;
  EXPECT_EQ(RunDroppedColumn(again, /*check=*/false), first);
}

TEST(SchemaGuard, RenamedColumnIsMissingAndOtherTablesKeepTheirRules) {
  RuleHarness h;
  h.Run(Txn(At(0), {Tier(100, 0, 0), Typed(Insert("orders", OrderRow(O1, E1, "paid", 0, At(0), At(0))))}));
  // ALTER TABLE ticketing.tickets RENAME COLUMN status TO state
  std::vector<Message> got = h.Run(
      Txn(At(1), {Renamed(Typed(Insert("tickets", TicketRow(TicketId(1), O1, T1, "issued"))), "status", "state")}));
  std::vector<std::string> want = DisabledAlerts({"tier_issued_drift", "paid_without_tickets", "order_overissued"});
  want.push_back("deadletter ticketing.tickets");
  EXPECT_THAT(Summaries(got), UnorderedElementsAreArray(want));
  EXPECT_EQ(Find(got, "deadletter ticketing.tickets")->json.Str("reason"),
            "column ticketing.tickets.status missing (dropped or renamed?)");
  // The order is paid without tickets, but paid_without_tickets is disabled;
  // high_reserved reads only ticket_tiers and still fires.
  got = h.Run(Txn(At(10), {Typed(Update("ticket_tiers", TierRow(T1, E1, 100, 40, 0)))}));
  EXPECT_THAT(Summaries(got), ::testing::Contains("firing high_reserved:tier:" + T1));
  EXPECT_THAT(Summaries(got), ::testing::Not(::testing::Contains("firing paid_without_tickets:order:" + O1)));
  EXPECT_THAT(OtherViolations(h), IsEmpty());
}

TEST(SchemaGuard, RenamedPrimaryKeyIsASchemaChangeNotJustAMissingKey) {
  RuleHarness h;
  std::vector<Message> got = h.Run(Txn(At(0), {Renamed(Pay(1, "card", "pending", At(0)), "id", "payment_id")}));
  ASSERT_NE(Find(got, "deadletter reserve.payments"), nullptr);
  EXPECT_EQ(Find(got, "deadletter reserve.payments")->json.Str("reason"),
            "column reserve.payments.id missing (dropped or renamed?)");
  EXPECT_EQ(StoredDisabled(h).size(), kPaymentRules.size());
}

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

TEST(SchemaGuard, AnUpdateMayOmitOnlyWhatCouldBeAnUnchangedToastedValue) {
  RuleHarness h;
  const std::string long_status(3000, 'x');  // stored out of line: an UPDATE may leave it out
  h.Run(Txn(At(0), {Tier(100, 0, 0), Typed(Insert("orders", OrderRow(O1, E1, "paid", 0, At(0), At(0)))),
                    Typed(Insert("tickets", TicketRow(TicketId(1), O1, T1, long_status)))}));
  // The long status is absent, the order moves: applied as a merge.
  std::vector<Message> got =
      h.Run(Txn(At(1), {Typed(Update("tickets", {Col("id", TicketId(1)), Col("order_id", O1), Col("tier_id", T1)}))}));
  EXPECT_THAT(Summaries(got), ::testing::Each(::testing::Not(::testing::StartsWith("deadletter"))));
  // Untyped partial updates (snapshot-era tests, hand-built changes) are not judged.
  got = h.Run(Txn(At(2), {Update("ticket_tiers", {Col("id", T1), Col("issued_quantity", int64_t{1})})}));
  EXPECT_THAT(Summaries(got), ElementsAre("resolved tier_issued_drift:tier:" + T1));
  EXPECT_THAT(StoredDisabled(h), IsEmpty());

  // reserved_quantity's stored value is short: it cannot be TOASTed, so it was dropped.
  got = h.Run(Txn(At(3), {Without(Typed(Update("ticket_tiers", TierRow(T1, E1, 100, 0, 1))), "reserved_quantity")}));
  std::vector<std::string> want = DisabledAlerts({"stuck_holds", "tier_reserved_drift", "tier_issued_drift",
                                                  "high_reserved", "false_sold_out", "negative_available"});
  want.push_back("deadletter ticketing.ticket_tiers");
  EXPECT_THAT(Summaries(got), UnorderedElementsAreArray(want));
  EXPECT_EQ(Find(got, "deadletter ticketing.ticket_tiers")->json.Str("reason"),
            "column ticketing.ticket_tiers.reserved_quantity missing (dropped or renamed?)");
  EXPECT_THAT(OtherViolations(h), IsEmpty());
}

TEST(SchemaGuard, AFixedLengthColumnMissingFromAnUpdateWasDropped) {
  RuleHarness h;
  h.Run(Txn(At(0), {Tier(100, 2, 0), Typed(Insert("ticket_holds", HoldRow(HoldId(1), T1, 2, "active", At(10))))}));
  std::vector<Message> got = h.Run(Txn(
      At(1), {Without(Typed(Update("ticket_holds", HoldRow(HoldId(1), T1, 2, "converted", At(10)))), "expires_at")}));
  ASSERT_NE(Find(got, "deadletter ticketing.ticket_holds"), nullptr);
  EXPECT_EQ(Find(got, "deadletter ticketing.ticket_holds")->json.Str("reason"),
            "column ticketing.ticket_holds.expires_at missing (dropped or renamed?)");
  // An update of a row walguard never saw proves nothing about the schema.
  RuleHarness fresh;
  got = fresh.Run(Txn(At(0), {Typed(Update("ticket_holds", {Col("id", HoldId(9)), Col("status", "expired")}))}));
  ASSERT_THAT(Summaries(got), ElementsAre("deadletter ticketing.ticket_holds"));
  EXPECT_THAT(got[0].json.Str("reason"), ::testing::HasSubstr("has not seen"));
  EXPECT_THAT(StoredDisabled(fresh), IsEmpty());
}

TEST(SchemaGuard, ChangesWithoutTypesAreNotJudged) {
  RuleHarness h;
  // A snapshot row (no types) missing a column: dead-lettered as before, nothing disabled.
  std::vector<Message> got =
      h.Run(Txn(At(0), {Without(Insert("order_items", ItemRow(ItemId(1), O1, T1, 2, 5000)), "quantity")}));
  ASSERT_THAT(Summaries(got), ElementsAre("deadletter ticketing.order_items"));
  EXPECT_THAT(StoredDisabled(h), IsEmpty());
  EXPECT_THAT(h.violations(), IsEmpty());
}

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

TEST(BadInput, AnUnknownActionIsDeadLetteredAndTheRestOfTheTransactionApplies) {
  RuleHarness h;
  Change odd = Typed(Insert("ticket_tiers", TierRow(TierId(2), E1, 1, 0, 0)));
  odd.action = static_cast<Action>('X');
  std::vector<Message> got = h.Run(Txn(At(0), {odd, Tier(10, 0, 12)}));
  const Message* dead = Find(got, "deadletter ticketing.ticket_tiers");
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->json.Str("reason"), "unknown action");
  EXPECT_EQ(dead->json.Str("action"), "X");
  EXPECT_THAT(Summaries(got), ::testing::Contains("firing negative_available:tier:" + T1));
  EXPECT_THAT(StoredDisabled(h), IsEmpty());
  EXPECT_THAT(h.violations(), IsEmpty());
}

}  // namespace
}  // namespace walguard::rule_test
