// The schema guard (processors/schema_guard.h): a column the rules read that
// is dropped or renamed by ALTER TABLE dead-letters the row and disables
// every rule reading the table, persistently, with one rule_disabled alert
// per rule. Also the engine's handling of a change with an unknown action.
// Retyped columns: schema_guard_types_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/processors/schema_guard_helpers.h"

namespace walguard::rule_test::schema_guard {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

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
}  // namespace walguard::rule_test::schema_guard
