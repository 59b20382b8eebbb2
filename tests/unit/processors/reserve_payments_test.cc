// The per-payment Reserve Connect rules (docs/reference.md section 3, runbook 002),
// table-driven like reserve_rules_test.cc: payment_without_reservation,
// stuck_payment, pix_pending and double_charge, on the WAL clock and from rows
// that are already overdue, plus their thresholds.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using namespace cases;  // NOLINT(build/namespaces)

std::string P(int n) {
  return PaymentId(n);
}
const std::string B1 = IntentId(1);
const std::string B2 = IntentId(2);

struct Pay {
  std::string status;
  Micros created_at = kT0;
  std::optional<Micros> succeeded_at = std::nullopt;
  std::string method = "card";
  std::string provider = "stripe";
  std::string intent;  // "" = IntentId(n)
  std::string amount = "150.00";
};

Change InsPay(int n, const Pay& p) {
  return InsertIn("reserve", "payments",
                  PaymentRow(P(n), p.intent.empty() ? IntentId(n) : p.intent, p.provider, p.method, p.status, p.amount,
                             p.created_at, p.succeeded_at));
}
Change SetPay(int n, Cols columns) {
  columns.insert(columns.begin(), Col("id", P(n)));
  return UpdateIn("reserve", "payments", std::move(columns));
}
Change SetPayStatus(int n, std::string_view status) {
  return SetPay(n, {Col("status", std::string(status))});
}
Change Succeed(int n, Micros at) {
  return SetPay(n, {Col("status", "succeeded"), Col("succeeded_at", PgTimestamp(at))});
}

// A reservation for the intent, on a unit of its own (no overbooking).
Change InsResFor(int n, const std::string& intent, std::string_view status = "host_commit_pending") {
  return InsertIn("reserve", "reservations",
                  ReservationRow(ReservationId(n), intent, UnitId(100 + n), Day(0), Day(2), status));
}
Change DelRes(int n) {
  return DeleteIn("reserve", "reservations", Id(ReservationId(n)));
}

Expect Finalize(int n) {
  return Command("finalize_reservation", "payment_without_reservation", P(n), {{"payment_id", P(n)}});
}
Expect Poll(const std::string& type, int n) {
  return Command("poll_payment_status", type, P(n), {{"payment_id", P(n)}});
}
Expect Refund(const std::string& intent, int n) {
  return Command("refund_duplicate_charge", "double_charge", intent,
                 {{"booking_intent_id", intent}, {"payment_id", P(n)}});
}

// ---------------------------------------------------------------------------

std::vector<RuleCase> WithoutReservationCases() {
  const std::string pwr = "payment_without_reservation";
  return {
      {"PaymentWithoutReservation_SucceededLongAgoFiresAtOnce",
       {
           {Txn(At(10), {InsPay(1, {.status = "succeeded", .created_at = At(-2), .succeeded_at = At(0)})}),
            {Fires(pwr, P(1), {{"status", "succeeded"}, {"booking_intent_id", B1}}), Finalize(1)}},
           {Txn(At(11), {SetPay(1, {Col("amount", "151.00")})}), {}},
           {Clock(At(20)), {}},
           {Txn(At(21), {InsResFor(1, B1)}), {Resolves(pwr, P(1))}},
           // The reservation goes away: the condition holds again, a new firing.
           {Txn(At(22), {DelRes(1)}), {Fires(pwr, P(1)), Finalize(1)}},
       }},
      {"PaymentWithoutReservation_FiresFiveMinutesAfterSucceededAt",
       {
           {Txn(At(0), {InsPay(1, {.status = "succeeded", .created_at = At(-1), .succeeded_at = At(0)})}), {}},
           {Clock(At(4, 59)), {}},
           {Clock(At(5, 1)), {Fires(pwr, P(1)), Finalize(1)}},
           {Clock(At(30)), {}},
           // Any reservation of the intent counts, whatever its status.
           {Txn(At(31), {InsResFor(1, B1, "cancelled")}), {Resolves(pwr, P(1))}},
       }},
      {"PaymentWithoutReservation_AReservationPreventsIt",
       {
           {Txn(At(0), {InsResFor(1, B1, "checked_out")}), {}},
           {Txn(At(10), {InsPay(1, {.status = "succeeded", .succeeded_at = At(0)})}), {}},
           // Finalized in the same source transaction as the payment.
           {Txn(At(11), {InsPay(2, {.status = "succeeded", .succeeded_at = At(0)}), InsResFor(2, B2)}), {}},
           {Clock(At(60)), {}},
       }},
      {"PaymentWithoutReservation_SucceededByUpdate",
       {
           {Txn(At(0), {InsPay(1, {.status = "processing"})}), {}},
           {Txn(At(10), {Succeed(1, At(10))}), {}},
           {Clock(At(14, 59)), {}},
           {Clock(At(15, 1)), {Fires(pwr, P(1)), Finalize(1)}},
           // No longer succeeded (refunded): resolved.
           {Txn(At(16), {SetPayStatus(1, "refunded")}), {Resolves(pwr, P(1))}},
       }},
  };
}

std::vector<RuleCase> StuckAndPixCases() {
  return {
      {"StuckPayment_ProcessingFiresByTheClock",
       {
           {Txn(At(0), {InsResFor(1, B1), InsPay(1, {.status = "processing"})}), {}},
           {Clock(At(60)), {}},  // not *more* than 60 minutes yet
           {Clock(At(60, 1)), {Fires("stuck_payment", P(1), {{"status", "processing"}}), Poll("stuck_payment", 1)}},
           // The poll repeats every 5 minutes while it fires (one per step: 5 intervals since 60:01).
           {Clock(At(90)), {Poll("stuck_payment", 1)}},
           // The 6th repeat was due at 90:01, before the fix at 91:00.
           {Txn(At(91), {Succeed(1, At(91))}), {Poll("stuck_payment", 1), Resolves("stuck_payment", P(1))}},
           {Clock(At(120)), {}},
       }},
      {"StuckPayment_RowAlreadyOverdue",
       {
           {Txn(At(0), {InsPay(2, {.status = "processing", .created_at = At(-61)})}),
            {Fires("stuck_payment", P(2)), Poll("stuck_payment", 2)}},
           {Txn(At(1), {SetPayStatus(2, "failed")}), {Resolves("stuck_payment", P(2))}},
           {Txn(At(2), {InsPay(3, {.status = "processing", .created_at = At(-90)})}),
            {Fires("stuck_payment", P(3)), Poll("stuck_payment", 3)}},
           // The row is gone: its alert resolves.
           {Txn(At(3), {DeleteIn("reserve", "payments", Id(P(3)))}), {Resolves("stuck_payment", P(3))}},
       }},
      {"StuckPayment_OnlyProcessingCounts",
       {
           {Txn(At(0), {InsPay(1, {.status = "pending", .created_at = At(-120)}),
                        InsPay(2, {.status = "failed", .created_at = At(-120)}),
                        InsPay(3, {.status = "canceled", .created_at = At(-120), .method = "pix"})}),
            {}},
           {Clock(At(240)), {}},
       }},
      {"PixPending_FiresByTheClock",
       {
           {Txn(At(0), {InsResFor(1, B1), InsPay(1, {.status = "pending", .method = "pix", .provider = "openpix"})}),
            {}},
           {Clock(At(30)), {}},
           {Clock(At(30, 1)), {Fires("pix_pending", P(1), {{"method", "pix"}}), Poll("pix_pending", 1)}},
           {Clock(At(45)), {Poll("pix_pending", 1)}},  // repeat 2 (due 40:01)
           {Txn(At(46), {Succeed(1, At(46))}), {Poll("pix_pending", 1), Resolves("pix_pending", P(1))}},  // 3 (45:01)
           {Clock(At(60)), {}},
       }},
      {"PixPending_RowAlreadyOverdueThenStuckInProcessing",
       {
           {Txn(At(0),
                {InsPay(2, {.status = "pending", .created_at = At(-45), .method = "pix", .provider = "mercadopago"})}),
            {Fires("pix_pending", P(2)), Poll("pix_pending", 2)}},
           {Txn(At(1), {SetPayStatus(2, "processing")}), {Resolves("pix_pending", P(2))}},
           {Clock(At(15)), {}},
           {Clock(At(15, 1)), {Fires("stuck_payment", P(2)), Poll("stuck_payment", 2)}},
       }},
      {"PixPending_CardPendingNeverFires",
       {
           {Txn(At(0), {InsPay(3, {.status = "pending", .created_at = At(-45)})}), {}},
           {Clock(At(120)), {}},
       }},
  };
}

std::vector<RuleCase> DoubleChargeCases() {
  return {
      {"DoubleCharge_SecondSucceededPaymentFires",
       {
           {Txn(At(0), {InsResFor(1, B1)}), {}},
           // Payment 2 succeeds first; payment 1 (smaller id) is the later, duplicate one.
           {Txn(At(1), {InsPay(2, {.status = "succeeded", .succeeded_at = At(1), .intent = B1})}), {}},
           {Txn(At(3), {InsPay(1, {.status = "succeeded", .succeeded_at = At(3), .intent = B1})}),
            {Fires("double_charge", B1,
                   {{"succeeded_payments", "2"}, {"total_charged", "300.00"}, {"duplicate_payment_id", P(1)}}),
             Refund(B1, 1)}},
           // More payments of the intent while it is firing: no repeat.
           {Txn(At(4), {InsPay(3, {.status = "failed", .intent = B1})}), {}},
           {Txn(At(5), {SetPayStatus(1, "refunded")}), {Resolves("double_charge", B1)}},
       }},
      {"DoubleCharge_PendingThenSucceededByUpdate",
       {
           {Txn(At(0), {InsResFor(1, B2), InsPay(4, {.status = "succeeded", .succeeded_at = At(0), .intent = B2}),
                        InsPay(5, {.status = "pending", .intent = B2, .amount = "150.10"})}),
            {}},
           {Txn(At(2), {Succeed(5, At(2))}),
            {Fires("double_charge", B2, {{"total_charged", "300.10"}}), Refund(B2, 5)}},
           // Refunding either one resolves it.
           {Txn(At(3), {SetPayStatus(4, "refunded")}), {Resolves("double_charge", B2)}},
       }},
  };
}

std::vector<RuleCase> ThresholdCases() {
  return {
      {"Thresholds_PaymentWithoutReservationAfter",
       {
           {Txn(At(0), {InsPay(1, {.status = "succeeded", .succeeded_at = At(0)})}), {}},
           {Clock(At(0, 59)), {}},
           {Clock(At(1, 1)), {Fires("payment_without_reservation", P(1)), Finalize(1)}},
       },
       With([](Thresholds* t) { t->payment_without_reservation_after = kMicrosPerMinute; })},
      {"Thresholds_StuckPaymentAfter",
       {
           {Txn(At(0), {InsPay(1, {.status = "processing"})}), {}},
           {Clock(At(10)), {}},
           {Clock(At(10, 1)), {Fires("stuck_payment", P(1)), Poll("stuck_payment", 1)}},
       },
       With([](Thresholds* t) { t->stuck_payment_after = 10 * kMicrosPerMinute; })},
      {"Thresholds_PixPendingAfter",
       {
           {Txn(At(0), {InsPay(1, {.status = "pending", .method = "pix"})}), {}},
           {Clock(At(5)), {}},
           {Clock(At(5, 1)), {Fires("pix_pending", P(1)), Poll("pix_pending", 1)}},
       },
       With([](Thresholds* t) { t->pix_pending_after = 5 * kMicrosPerMinute; })},
  };
}

std::vector<RuleCase> AllCases() {
  std::vector<RuleCase> all;
  for (auto group : {WithoutReservationCases(), StuckAndPixCases(), DoubleChargeCases(), ThresholdCases()}) {
    for (auto& c : group) all.push_back(std::move(c));
  }
  return all;
}

class ReservePaymentRulesTest : public testing::TestWithParam<RuleCase> {};

TEST_P(ReservePaymentRulesTest, EmitsExactlyTheExpectedTransitions) {
  RunCase(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, ReservePaymentRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

TEST(ReservePaymentRulesCoverage, EveryPaymentRuleFiresAndResolves) {
  std::set<std::string> fired, resolved;
  CoveredTypes(AllCases(), &fired, &resolved);
  for (const char* type : {"payment_without_reservation", "stuck_payment", "pix_pending", "double_charge"}) {
    EXPECT_TRUE(fired.count(type)) << type << " never fires in the cases";
    EXPECT_TRUE(resolved.count(type)) << type << " never resolves in the cases";
  }
}

// The refund of a duplicate charge waits for a human (docs/reference.md section 3).
TEST(ReservePaymentRules, DoubleChargeRefundRequiresApproval) {
  RuleHarness h;
  h.Run(Txn(At(0), {InsResFor(1, B1), InsPay(1, {.status = "succeeded", .succeeded_at = At(0), .intent = B1})}));
  std::vector<Message> got =
      h.Run(Txn(At(1), {InsPay(2, {.status = "succeeded", .succeeded_at = At(1), .intent = B1})}));
  const Message* command = nullptr;
  const Message* alert = nullptr;
  for (const Message& m : got) {
    if (m.topic == Topic::kCommands) command = &m;
    if (m.topic == Topic::kAlerts) alert = &m;
  }
  ASSERT_NE(command, nullptr);
  ASSERT_NE(alert, nullptr);
  EXPECT_EQ(command->json.Str("type"), "refund_duplicate_charge");
  EXPECT_EQ(command->json.Str("requires_approval"), "true") << command->payload;
  EXPECT_EQ(command->json.Str("dry_run"), "false") << command->payload;
  EXPECT_EQ(command->json.Str("caused_by"), alert->json.Str("alert_id"));
  EXPECT_EQ(command->key, "double_charge:booking_intent:" + B1);
  EXPECT_EQ(alert->json.Str("severity"), "P2");
  EXPECT_TRUE(h.violations().empty()) << h.violations().front();
}

}  // namespace
}  // namespace walguard::rule_test
