// Reserve Connect rows that existed before walguard started (the initial
// snapshot, docs/reference.md section 5) count, are judged together once every table
// has been read, and keep their deadlines across a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Summaries(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.Summary());
  return out;
}

Change Pay(int n, std::string_view status, std::string_view method, Micros created_at,
           std::optional<Micros> succeeded_at = std::nullopt) {
  return InsertIn("reserve", "payments",
                  PaymentRow(PaymentId(n), IntentId(n), "stripe", method, status, "80.00", created_at, succeeded_at));
}
Change Res(int n, const std::string& unit, int from, int to) {
  return InsertIn("reserve", "reservations",
                  ReservationRow(ReservationId(n), IntentId(n), unit, Day(from), Day(to), "confirmed"));
}

TEST(ReserveSnapshot, RowsThatExistedBeforeCountAndAreJudgedTogether) {
  RuleHarness h;
  const std::string u1 = UnitId(1);
  std::vector<OutMessage> out;
  h.engine().BeginSnapshot(At(30));
  // Table by table, payments first: payment 1's reservation and the calendar
  // row that makes room for two on day 1 come later and must be seen.
  const std::vector<Change> rows = {
      Pay(1, "succeeded", "card", At(-10), At(0)),
      Pay(2, "processing", "card", At(-61)),
      Pay(3, "pending", "pix", At(10)),
      Res(1, u1, 0, 3),
      Res(2, u1, 1, 2),
      InsertIn("reserve", "ledger_entries",
               LedgerRow(LedgerEntryId(1), LedgerTxnId(1), "cash", "debit", "80.00", At(0))),
      InsertIn("reserve", "ledger_entries",
               LedgerRow(LedgerEntryId(2), LedgerTxnId(1), "revenue", "credit", "80.00", At(0))),
      InsertIn("reserve", "ledger_entries",
               LedgerRow(LedgerEntryId(3), LedgerTxnId(2), "cash", "debit", "5.00", At(0))),
      InsertIn("reserve", "availability_calendar", CalendarRow(u1, Day(1), 2, 2)),
      InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(1), "openpix", "processing", At(20))),
  };
  for (const Change& row : rows) ASSERT_TRUE(h.engine().ApplySnapshotRow(row, &h.kv(), &out).ok());
  EXPECT_TRUE(out.empty());
  const Lsn consistent_point = 0x16B0000;
  ASSERT_TRUE(h.engine().FinishSnapshot(consistent_point, &h.kv(), RuleHarness::DetectedAt(At(30)), &out).ok());
  std::vector<Message> got = h.Accept(std::move(out), At(30), consistent_point);
  const std::string stuck = Fingerprint("stuck_payment", PaymentId(2));
  const std::string ledger = Fingerprint("ledger_imbalance", LedgerTxnId(2));
  EXPECT_THAT(Summaries(got),
              UnorderedElementsAre("firing " + stuck, "firing " + ledger,
                                   "firing " + Fingerprint("webhook_failures", "openpix"),
                                   "command poll_payment_status {payment_id=" + PaymentId(2) + "} <- " + stuck));

  // Deadlines set by snapshot rows survive a restart and fire on the clock;
  // so does the repeat of stuck_payment's poll (fired at 30:00, due every 5 min).
  h.Reload();
  EXPECT_THAT(Summaries(h.Run(Clock(At(40)))),
              ElementsAre("command poll_payment_status {payment_id=" + PaymentId(2) + "} <- " + stuck));
  const std::string pix = Fingerprint("pix_pending", PaymentId(3));
  EXPECT_THAT(
      Summaries(h.Run(Clock(At(40, 1)))),
      UnorderedElementsAre("firing " + pix, "command poll_payment_status {payment_id=" + PaymentId(3) + "} <- " + pix));
  // Occupancy from the snapshot counts: a third stay on day 1 exceeds the allotment of 2.
  const std::string overbooking = Fingerprint("overbooking", u1);
  EXPECT_THAT(Summaries(h.Run(Txn(At(41), {Res(3, u1, 1, 2)}))),
              UnorderedElementsAre(
                  "firing " + overbooking, "firing " + Fingerprint("calendar_drift", u1 + "/" + Day(1)),
                  "command block_unit_availability {from_date=" + Day(1) + ",unit_id=" + u1 + "} <- " + overbooking,
                  "command recalculate_availability {date=" + Day(1) + ",unit_id=" + u1 + "} <- " +
                      Fingerprint("calendar_drift", u1 + "/" + Day(1))));
  EXPECT_THAT(h.violations(), IsEmpty());
}

// Alert state, windows and deadlines live in the KV store, not in the Engine:
// a restart between any two steps changes nothing.
TEST(ReserveRestart, EveryStepAfterARestartEmitsWhatAnUninterruptedRunDoes) {
  std::vector<Step> steps = {
      Txn(At(0),
          {Pay(1, "succeeded", "card", At(0), At(0)), Pay(2, "processing", "card", At(0)), Res(5, UnitId(1), 0, 5)}),
      Txn(At(1), {InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(1), "stripe", "processing", At(1)))}),
      Clock(At(5, 30)),
      Txn(At(6, 30), {Res(6, UnitId(1), 4, 6)}),  // the webhook's deadline passed at 6:00
      Txn(At(7), {UpdateIn("reserve", "processed_webhooks", {Col("id", WebhookId(1)), Col("status", "completed")})}),
      Clock(At(61)),
      Txn(At(62), {Res(1, UnitId(2), 0, 1), DeleteIn("reserve", "reservations", Id(ReservationId(6)))}),
  };
  RuleHarness plain, restarted;
  std::vector<std::vector<std::string>> expected;
  size_t total = 0;
  for (const Step& s : steps) {
    std::vector<std::string> a;
    for (const Message& m : plain.Run(s)) a.push_back(m.payload);
    restarted.Reload();
    std::vector<std::string> b;
    for (const Message& m : restarted.Run(s)) b.push_back(m.payload);
    EXPECT_EQ(a, b) << "at " << FormatTimestamp(s.at);
    total += a.size();
  }
  // payment_without_reservation fires (+command) and resolves, overbooking
  // fires (+command) and resolves, webhook_failures fires and resolves,
  // stuck_payment fires (+command).
  EXPECT_EQ(total, 10u);
  EXPECT_THAT(plain.violations(), IsEmpty());
  EXPECT_THAT(restarted.violations(), IsEmpty());
}

}  // namespace
}  // namespace walguard::rule_test
