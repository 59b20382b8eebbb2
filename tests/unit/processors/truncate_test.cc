// TRUNCATE of a monitored table resets what depends on it: alerts whose
// condition is gone resolve, timers of the truncated rows never fire, and
// aggregates are back to what the remaining tables say (alerts that the
// remaining rows now justify fire). Holds, reservations and calendar rows
// are covered in ticketing_rules_test.cc and reserve_rules_test.cc; these are
// the other tables.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using namespace cases;  // NOLINT(build/namespaces)

const std::string E1 = EventId(1);
const std::string T1 = TierId(1);
const std::string O1 = OrderId(1);
const std::string O2 = OrderId(2);
const std::string O3 = OrderId(3);
const std::string B1 = IntentId(1);
const std::string X1 = LedgerTxnId(1);

Change Ticket(int n, const std::string& order) {
  return Insert("tickets", TicketRow(TicketId(n), order, T1, "issued"));
}
Change Payment(int n, std::string_view provider, std::string_view method, std::string_view status, Micros created,
               std::optional<Micros> succeeded = std::nullopt, int intent = 1) {
  return InsertIn("reserve", "payments",
                  PaymentRow(PaymentId(n), IntentId(intent), provider, method, status, "120.00", created, succeeded));
}
Change Webhook(int n, std::string_view provider, std::string_view status, Micros received) {
  return InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(n), provider, status, received));
}
Change Entry(int n, std::string_view direction, std::string amount) {
  return InsertIn("reserve", "ledger_entries", LedgerRow(LedgerEntryId(n), X1, "cash", direction, amount, kT0));
}

RuleCase Tickets() {
  return {"Truncate_TicketsCountsBackToZero",
          {
              // A paid order with one item and two tickets: over-issued.
              {Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 100, 0, 2)),
                           Insert("orders", OrderRow(O1, E1, "paid", 5000, At(-10), At(-10))),
                           Insert("order_items", ItemRow(ItemId(1), O1, T1, 1, 5000)), Ticket(1, O1), Ticket(2, O1)}),
               {Fires("order_overissued", O1, {{"counting_tickets", "2"}})}},
              // No tickets left: the order is paid without tickets and the tier's issued count drifts.
              {Txn(At(1), {Truncate("tickets")}),
               {Resolves("order_overissued", O1), Fires("paid_without_tickets", O1, {{"counting_tickets", "0"}}),
                Command("ensure_tickets", "paid_without_tickets", O1, {{"order_id", O1}}),
                Fires("tier_issued_drift", T1, {{"issued_quantity", "2"}, {"counting_tickets", "0"}}),
                Command("reconcile_issued_quantity", "tier_issued_drift", T1, {{"tier_id", T1}})}},
              // Counting starts again from zero.
              {Txn(At(2), {Ticket(3, O1), Update("ticket_tiers", {Col("id", T1), Col("issued_quantity", 1)})}),
               {Resolves("paid_without_tickets", O1), Resolves("tier_issued_drift", T1)}},
          }};
}

RuleCase Orders() {
  return {"Truncate_OrdersResolvesAndClearsTheirTimers",
          {
              {Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 100, 0, 1)),
                           Insert("orders", OrderRow(O1, E1, "pending", 5000, At(-40))),
                           // Paid just now without tickets: paid_without_tickets is due at 2 minutes.
                           Insert("orders", OrderRow(O2, E1, "paid", 5000, At(0), At(0))),
                           Insert("orders", OrderRow(O3, E1, "paid", 9999, At(0), At(0))),
                           Insert("order_items", ItemRow(ItemId(3), O3, T1, 1, 5000)), Ticket(1, O3)}),
               {Fires("stale_pending_orders", E1, {{"stale_pending_orders", "1"}}),
                Command("expire_pending_orders", "stale_pending_orders", E1, {{"event_id", E1}}),
                Fires("revenue_mismatch", O3, {{"total_cents", "9999"}})}},
              // TRUNCATE orders CASCADE: one T per table.
              {Txn(At(1), {Truncate("orders"), Truncate("order_items"), Truncate("tickets")}),
               {Resolves("stale_pending_orders", E1), Resolves("revenue_mismatch", O3),
                Fires("tier_issued_drift", T1, {{"counting_tickets", "0"}}),
                Command("reconcile_issued_quantity", "tier_issued_drift", T1, {{"tier_id", T1}})}},
              // O2's deadline passes: it is gone, so nothing fires.
              {Clock(At(5)), {}},
              {Clock(At(60)), {}},
          }};
}

RuleCase Payments() {
  Thresholds t;
  t.payment_rate_min_settled = 2;
  const std::string P2 = PaymentId(2);
  const std::string P3 = PaymentId(3);
  return {
      "Truncate_PaymentsResolvesAndClearsTheirTimers",
      {
          {Txn(At(0), {InsertIn("reserve", "reservations",
                                ReservationRow(ReservationId(1), B1, UnitId(1), Day(0), Day(2), "confirmed")),
                       Payment(1, "stripe", "card", "succeeded", At(-1), At(0)),
                       Payment(2, "stripe", "card", "succeeded", At(-1), At(0)),
                       Payment(3, "stripe", "card", "processing", At(-61), std::nullopt, 3),
                       // Due at 30 minutes after creation: a timer.
                       Payment(4, "openpix", "pix", "pending", At(-20), std::nullopt, 4),
                       Payment(5, "mercadopago", "card", "failed", At(-1), std::nullopt, 5),
                       Payment(6, "mercadopago", "card", "failed", At(-1), std::nullopt, 6)}),
           {Fires("double_charge", B1, {{"succeeded_payments", "2"}}),
            Command("refund_duplicate_charge", "double_charge", B1, {{"booking_intent_id", B1}, {"payment_id", P2}}),
            Fires("stuck_payment", P3), Command("poll_payment_status", "stuck_payment", P3, {{"payment_id", P3}}),
            Fires("failed_payment_rate", "mercadopago", {{"failed", "2"}, {"settled", "2"}})}},
          {Txn(At(1), {TruncateIn("reserve", "payments")}),
           {Resolves("double_charge", B1), Resolves("stuck_payment", P3),
            Resolves("failed_payment_rate", "mercadopago")}},
          // Past the pix deadline and the rate window: nothing is left to fire or to leave the window.
          {Clock(At(15)), {}},
          {Clock(At(120)), {}},
          // The window starts again from zero: one failure of two is 50 %.
          {Txn(At(121), {Payment(7, "mercadopago", "card", "failed", At(121), std::nullopt, 7),
                         Payment(8, "mercadopago", "card", "succeeded", At(121), At(121), 1)}),
           {Fires("failed_payment_rate", "mercadopago", {{"failed", "1"}, {"settled", "2"}})}},
      },
      t};
}

RuleCase LedgerEntries() {
  return {"Truncate_LedgerEntriesResolvesTheImbalance",
          {
              {Txn(At(0), {Entry(1, "debit", "100.00"), Entry(2, "credit", "90.00")}),
               {Fires("ledger_imbalance", X1, {{"difference", "10.00"}})}},
              {Txn(At(1), {TruncateIn("reserve", "ledger_entries")}), {Resolves("ledger_imbalance", X1)}},
              // Old entries no longer count towards the transaction.
              {Txn(At(2), {Entry(3, "debit", "5.00"), Entry(4, "credit", "5.00")}), {}},
          }};
}

RuleCase Webhooks() {
  return {"Truncate_WebhooksResolvesAndClearsTheirTimers",
          {
              {Txn(At(0), {Webhook(1, "stripe", "processing", At(-6)), Webhook(2, "openpix", "processing", At(0))}),
               {Fires("webhook_failures", "stripe", {{"processing_stuck", "1"}})}},
              {Txn(At(1), {TruncateIn("reserve", "processed_webhooks")}), {Resolves("webhook_failures", "stripe")}},
              // openpix's webhook would have been stuck from 5 minutes on.
              {Clock(At(10)), {}},
          }};
}

RuleCase Unmonitored() {
  return {"Truncate_OfAnUnmonitoredTableIsIgnored",
          {
              {Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 100, 40, 0))}),
               {Fires("high_reserved", T1), Fires("tier_reserved_drift", T1),
                Command("reconcile_event_tickets", "tier_reserved_drift", T1, {{"event_id", E1}})}},
              {Txn(At(1), {TruncateIn("public", "audit_log"), TruncateIn("ticketing", "events")}), {}},
          }};
}

class TruncateTest : public testing::TestWithParam<RuleCase> {};

TEST_P(TruncateTest, ResetsWhatDependsOnTheTable) {
  RunCase(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, TruncateTest,
                         testing::Values(Tickets(), Orders(), Payments(), LedgerEntries(), Webhooks(), Unmonitored()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

}  // namespace
}  // namespace walguard::rule_test
