// The per-provider Reserve Connect rules over sliding windows (contract
// section 3, runbook 002), table-driven like reserve_rules_test.cc:
// failed_payment_rate (created_at within 60 min) and webhook_failures
// (received_at within 15 min, or one 'processing' for more than 5 min). The
// windows slide on the WAL clock: clock ticks alone make rows leave them.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using namespace cases;  // NOLINT(build/namespaces)

const std::string kStripe = "stripe";

// `count` settled payments n = first.. of `provider`, created at `created_at`.
// Each has its own intent with a (past) reservation, so the payment rules
// stay quiet and only the provider's rate is in play.
std::vector<Change> Settled(int first, int count, std::string_view status, Micros created_at,
                            const std::string& provider = kStripe) {
  std::vector<Change> out;
  for (int n = first; n < first + count; ++n) {
    out.push_back(InsertIn("reserve", "reservations",
                           ReservationRow(ReservationId(n), IntentId(n), UnitId(n), Day(0), Day(1), "checked_out")));
    std::optional<Micros> succeeded_at;
    if (status == "succeeded") succeeded_at = created_at;
    out.push_back(
        InsertIn("reserve", "payments",
                 PaymentRow(PaymentId(n), IntentId(n), provider, "card", status, "99.90", created_at, succeeded_at)));
  }
  return out;
}
Change SetPay(int n, Cols columns) {
  columns.insert(columns.begin(), Col("id", PaymentId(n)));
  return UpdateIn("reserve", "payments", std::move(columns));
}

Change Hook(int n, std::string_view status, Micros received_at, const std::string& provider = kStripe) {
  return InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(n), provider, status, received_at));
}
std::vector<Change> Hooks(int first, int count, std::string_view status, Micros received_at,
                          const std::string& provider = kStripe) {
  std::vector<Change> out;
  for (int n = first; n < first + count; ++n) out.push_back(Hook(n, status, received_at + (n - first), provider));
  return out;
}
Change SetHookStatus(int n, std::string_view status) {
  return UpdateIn("reserve", "processed_webhooks", {Col("id", WebhookId(n)), Col("status", std::string(status))});
}

// ---------------------------------------------------------------------------
// failed_payment_rate

std::vector<RuleCase> FailedRateCases() {
  const std::string rate = "failed_payment_rate";
  return {
      {"FailedPaymentRate_EightyPercentDoesNotFire",
       {
           {Txn(At(0), Cat({Settled(1, 16, "succeeded", At(0)), Settled(17, 4, "failed", At(0))})), {}},
           {Clock(At(30)), {}},
       }},
      {"FailedPaymentRate_FiveOfTwentyFailedFires",
       {
           {Txn(At(0), Cat({Settled(1, 15, "succeeded", At(0)), Settled(16, 4, "failed", At(0))})), {}},
           {Txn(At(1), Settled(20, 1, "failed", At(1))),
            {Fires(rate, kStripe, {{"settled", "20"}, {"failed", "5"}, {"succeeded", "15"}})}},
           // 16 of 21: still below 80 %, no repeat.
           {Txn(At(2), Settled(21, 1, "succeeded", At(2))), {}},
           // A failed payment retried into success: 17 of 21 is 80.9 %.
           {Txn(At(3), {SetPay(16, {Col("status", "succeeded"), Col("succeeded_at", PgTimestamp(At(3)))})}),
            {Resolves(rate, kStripe)}},
       }},
      {"FailedPaymentRate_NineteenSettledNeverFire",
       {
           {Txn(At(0), Settled(1, 19, "failed", At(0))), {}},
           {Clock(At(30)), {}},
           // Pending payments are not settled.
           {Txn(At(31),
                {InsertIn("reserve", "payments",
                          PaymentRow(PaymentId(20), IntentId(20), kStripe, "card", "pending", "99.90", At(31)))}),
            {}},
           {Txn(At(32), {SetPay(20, {Col("status", "failed")})}),
            {Fires(rate, kStripe, {{"settled", "20"}, {"success_rate_percent", "0"}})}},
       }},
      {"FailedPaymentRate_PaymentsLeaveTheWindowOnTheClock",
       {
           {Txn(At(0), Settled(1, 10, "failed", At(0))), {}},
           {Txn(At(30), Settled(11, 20, "succeeded", At(30))), {Fires(rate, kStripe, {{"settled", "30"}})}},
           {Clock(At(59, 59)), {}},
           // The ten failures were created 60 minutes ago: 20 of 20 now.
           {Clock(At(60, 1)), {Resolves(rate, kStripe)}},
           {Clock(At(120)), {}},
       }},
      {"FailedPaymentRate_OldPaymentsAndOtherProvidersDoNotCount",
       {
           // Created more than an hour before they are written.
           {Txn(At(0), Settled(1, 25, "failed", At(-61))), {}},
           {Txn(At(1), Cat({Settled(26, 10, "succeeded", At(1)), Settled(36, 10, "failed", At(1), "mercadopago")})),
            {}},
           {Txn(At(2), Settled(46, 10, "failed", At(2), "mercadopago")),
            {Fires(rate, "mercadopago", {{"settled", "20"}})}},
       }},
  };
}

// ---------------------------------------------------------------------------
// webhook_failures

std::vector<RuleCase> WebhookCases() {
  const std::string hooks = "webhook_failures";
  return {
      {"WebhookFailures_FiveFailedInFifteenMinutesFire",
       {
           {Txn(At(4), {Hook(1, "failed", At(0)), Hook(2, "failed", At(1)), Hook(3, "failed", At(2)),
                        Hook(4, "failed", At(3)), Hook(9, "completed", At(3))}),
            {}},
           {Txn(At(5), {Hook(5, "failed", At(5))}),
            {Fires(hooks, kStripe, {{"failed_recent", "5"}, {"processing_stuck", "0"}})}},
           {Clock(At(14, 59)), {}},
           // The first failure (received at 0) leaves the window.
           {Clock(At(15, 1)), {Resolves(hooks, kStripe)}},
           {Txn(At(15, 30), {Hook(6, "failed", At(15, 30))}), {Fires(hooks, kStripe, {{"failed_recent", "5"}})}},
           // Reprocessed successfully: no longer failed.
           {Txn(At(15, 40), {SetHookStatus(6, "completed")}), {Resolves(hooks, kStripe)}},
       }},
      {"WebhookFailures_FourDoNotFire",
       {
           {Txn(At(0), Cat({Hooks(1, 4, "failed", At(0)),
                            {Hook(5, "failed", At(-16))},
                            Hooks(6, 4, "failed", At(0), "openpix")})),
            {}},
           {Clock(At(10)), {}},
       }},
      {"WebhookFailures_ProcessingStuckFiresByTheClock",
       {
           {Txn(At(0), {Hook(1, "processing", At(0))}), {}},
           {Clock(At(5)), {}},  // not *more* than 5 minutes yet
           {Clock(At(5, 1)), {Fires(hooks, kStripe, {{"processing_stuck", "1"}, {"failed_recent", "0"}})}},
           {Clock(At(20)), {}},
           {Txn(At(21), {SetHookStatus(1, "completed")}), {Resolves(hooks, kStripe)}},
       }},
      {"WebhookFailures_ProcessingAlreadyOldFiresAtOnce",
       {
           {Txn(At(0), {Hook(1, "processing", At(-10), "mercadopago")}),
            {Fires(hooks, "mercadopago", {{"processing_stuck", "1"}})}},
           {Txn(At(1), {SetHookStatus(1, "completed")}), {Resolves(hooks, "mercadopago")}},
       }},
  };
}

// ---------------------------------------------------------------------------
// Thresholds, one case per group

std::vector<RuleCase> ThresholdCases() {
  return {
      {"Thresholds_PaymentRate",
       {
           // 2 of 5 succeeded: 40 % < 50 %, with the minimum of 5 settled.
           {Txn(At(0), Cat({Settled(1, 2, "succeeded", At(0)), Settled(3, 2, "failed", At(0))})), {}},
           {Txn(At(1), Settled(5, 1, "failed", At(1))), {Fires("failed_payment_rate", kStripe, {{"settled", "5"}})}},
           {Clock(At(10, 1)), {Resolves("failed_payment_rate", kStripe)}},
       },
       With([](Thresholds* t) {
         t->payment_rate_min_settled = 5;
         t->payment_success_rate_percent = 50;
         t->payment_rate_window = 10 * kMicrosPerMinute;
       })},
      {"Thresholds_Webhooks",
       {
           {Txn(At(0), {Hook(1, "failed", At(0))}), {}},
           {Txn(At(1), {Hook(2, "failed", At(1))}), {Fires("webhook_failures", kStripe)}},
           {Clock(At(5, 1)), {Resolves("webhook_failures", kStripe)}},
           {Txn(At(6), {Hook(3, "processing", At(6))}), {}},
           {Clock(At(7, 1)), {Fires("webhook_failures", kStripe, {{"processing_stuck", "1"}})}},
       },
       With([](Thresholds* t) {
         t->webhook_failures_threshold = 2;
         t->webhook_window = 5 * kMicrosPerMinute;
         t->webhook_processing_after = kMicrosPerMinute;
       })},
  };
}

std::vector<RuleCase> AllCases() {
  std::vector<RuleCase> all;
  for (auto group : {FailedRateCases(), WebhookCases(), ThresholdCases()}) {
    for (auto& c : group) all.push_back(std::move(c));
  }
  return all;
}

class ReserveWindowRulesTest : public testing::TestWithParam<RuleCase> {};

TEST_P(ReserveWindowRulesTest, EmitsExactlyTheExpectedTransitions) {
  RunCase(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, ReserveWindowRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

TEST(ReserveWindowRulesCoverage, EveryProviderRuleFiresAndResolves) {
  std::set<std::string> fired, resolved;
  CoveredTypes(AllCases(), &fired, &resolved);
  for (const char* type : {"failed_payment_rate", "webhook_failures"}) {
    EXPECT_TRUE(fired.count(type)) << type << " never fires in the cases";
    EXPECT_TRUE(resolved.count(type)) << type << " never resolves in the cases";
  }
}

// The same steps twice give the same alert ids: they derive from the WAL
// (LSN and clock), never from the local clock or a counter.
TEST(ReserveWindowRules, FailedRateAlertIdsAreDeterministic) {
  auto run = [] {
    RuleHarness h;
    std::vector<std::string> ids;
    for (const Step& s : {Txn(At(0), Settled(1, 10, "failed", At(0))),
                          Txn(At(30), Settled(11, 20, "succeeded", At(30))), Clock(At(61))}) {
      for (const Message& m : h.Run(s)) ids.push_back(m.json.Str("state") + " " + m.json.Str("alert_id"));
    }
    return ids;
  };
  const std::vector<std::string> first = run();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].substr(0, 7), "firing ");
  EXPECT_EQ(first[1], "resolved " + first[0].substr(7));
  EXPECT_EQ(run(), first);
}

}  // namespace
}  // namespace walguard::rule_test
