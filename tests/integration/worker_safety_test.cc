// `walguard worker`'s safety checks end to end (CONTRACT.md section 7),
// beside worker_test.cc's incidents: refused and escalated when the dry run
// exceeds the alert, skipped when it resolved; requires_approval, a quiet
// window, expired; retried then dead-lettered; a missing function.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ticketing_scenarios.h"
#include "tests/integration/worker_fixture.h"
#include "tests/support/status_assert.h"
#include "worker/json_fields.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

TEST_F(WorkerTest, RefusedAndEscalatedWhenTheDryRunExceedsTheAlertSkippedWhenResolved) {
  ASSERT_OK(h_.Sql(kAllRulesIncident));  // order o5 pending for an hour
  const std::string event = "e1000000-0000-4000-8000-000000000001";
  // The alert accounts for no stale order; the function would expire one.
  PublishAlert("stale-1", "stale_pending_orders", "event", event, true, R"({"stale_pending_orders":0})");
  InsertStuckPayments(1);
  PublishAlert("alert-1", 1, true);
  PublishAlert("alert-1", 1, false);
  StartWorker("w1", Modes({"expire_pending_orders", "poll_payment_status"}, "apply"));
  ASSERT_TRUE(WaitAssigned("w1"));
  PublishCommand("expire-1", "expire_pending_orders", R"({"event_id":")" + event + R"("})", "stale-1",
                 "stale_pending_orders:event:" + event);
  Outcome refused = WaitOutcome("expire-1", {OutcomeStatus::kRefused, OutcomeStatus::kApplied});
  EXPECT_EQ(refused.status, OutcomeStatus::kRefused) << OutcomeJson(refused);
  EXPECT_NE(refused.reason.find("orders_affected 1 > 0"), std::string::npos) << refused.reason;
  EXPECT_EQ(Count("SELECT count(*) FROM ticketing.orders WHERE status = 'pending'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.applied"), 0);
  auto escalations = [&](const char* state) {
    int n = 0;
    for (const ConsumedMessage& m : Topic("walguard.alerts", seconds(1))) {
      JsonFields f;
      if (!JsonFields::Parse(m.payload, &f).ok() || f.Str("type") != "fix_did_not_resolve") continue;
      EXPECT_EQ(f.Str("caused_by"), "expire-1");
      EXPECT_EQ(f.Str("severity"), "P1");
      EXPECT_EQ(m.key, "fix_did_not_resolve:event:" + event);
      n += f.Str("state") == state;
    }
    return n;
  };
  const auto deadline = Clock::now() + seconds(20);
  while (escalations("firing") == 0 && Clock::now() < deadline) {
  }
  EXPECT_EQ(escalations("firing"), 1);
  PublishAlert("stale-1", "stale_pending_orders", "event", event, false, R"({"stale_pending_orders":0})");
  const auto resolved_deadline = Clock::now() + seconds(20);
  while (escalations("resolved") == 0 && Clock::now() < resolved_deadline) {
  }
  EXPECT_EQ(escalations("resolved"), 1);

  // A command whose alert already resolved is skipped, and changes nothing.
  PollCommand("poll-resolved", 1);
  Outcome skipped = WaitOutcome("poll-resolved", {OutcomeStatus::kSkipped, OutcomeStatus::kApplied});
  EXPECT_EQ(skipped.status, OutcomeStatus::kSkipped);
  EXPECT_EQ(skipped.reason, "the causing alert resolved");
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.provider_checks"), 0);
}

TEST_F(WorkerTest, RequiresApprovalWaitsInApplyModeAndAnUnapprovedCommandExpires) {
  InsertStuckPayments(2);
  PublishAlert("alert-1", 1, true);
  PublishAlert("alert-2", 2, true);
  StartWorker("w1", "[worker]\napproval_ttl_s = 12\n" + Modes({"poll_payment_status"}, "apply"));
  ASSERT_TRUE(WaitAssigned("w1"));
  PollCommand("needs-approval", 1, /*requires_approval=*/true);
  PollCommand("late-approval", 2, /*requires_approval=*/true);
  Outcome waiting = WaitOutcome("needs-approval", {OutcomeStatus::kAwaitingApproval});
  EXPECT_EQ(waiting.reason, "the command requires approval");
  WaitOutcome("late-approval", {OutcomeStatus::kAwaitingApproval});
  const auto late_since = Clock::now();
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.provider_checks"), 0) << "applied without an approval";
  // A restart loses no waiting command: the next worker rebuilds them from the outcomes topic.
  EXPECT_EQ(StopWorker("w1"), 0);
  StartWorker("w2", "[worker]\napproval_ttl_s = 12\n" + Modes({"poll_payment_status"}, "apply"));
  ASSERT_TRUE(WaitAssigned("w2"));
  EXPECT_NE(WorkerLog("w2").find("2 commands awaiting approval"), std::string::npos) << WorkerLog("w2");
  std::string out, err;
  ASSERT_OK(h_.RunCommand({"approve", "needs-approval", "--by", "bob", "--brokers", h_.brokers()}, &out, &err));
  Outcome approved = WaitOutcome("needs-approval", {OutcomeStatus::kApplied});
  EXPECT_EQ(approved.status, OutcomeStatus::kApplied);
  EXPECT_EQ(approved.worker, "w2");
  // Nobody approves late-approval: it expires by itself once approval_ttl_s has passed, and an approval
  // given after that applies nothing.
  Outcome expired = WaitOutcome("late-approval", {OutcomeStatus::kExpired, OutcomeStatus::kApplied});
  EXPECT_EQ(expired.status, OutcomeStatus::kExpired);
  EXPECT_GE(Clock::now() - late_since, seconds(11)) << "expired before approval_ttl_s";
  EXPECT_NE(expired.reason.find("no approval within approval_ttl_s 12"), std::string::npos) << expired.reason;
  ASSERT_OK(h_.RunCommand({"approve", "late-approval", "--by", "bob", "--brokers", h_.brokers()}, &out, &err));
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.provider_checks"), 1);
}

TEST_F(WorkerTest, InAQuietWindowApplyWaitsForApproval) {
  InsertStuckPayments(1);
  PublishAlert("alert-1", 1, true);
  StartWorker("w1", "[worker]\nquiet_windows = [\"* 00:00-23:59\"]\n" + Modes({"poll_payment_status"}, "apply"));
  ASSERT_TRUE(WaitAssigned("w1"));
  PollCommand("in-quiet-window", 1);
  Outcome waiting = WaitOutcome("in-quiet-window", {OutcomeStatus::kAwaitingApproval, OutcomeStatus::kApplied});
  EXPECT_EQ(waiting.status, OutcomeStatus::kAwaitingApproval);
  EXPECT_EQ(waiting.reason, "quiet window");
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.provider_checks"), 0);
}

TEST_F(WorkerTest, ATransientDatabaseErrorIsRetriedThenDeadLettered) {
  ASSERT_OK(h_.Sql(R"SQL(
CREATE FUNCTION public.always_conflicts(p uuid, dry_run boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$;
GRANT EXECUTE ON FUNCTION public.always_conflicts(uuid, boolean) TO walguard_worker;)SQL"));
  InsertStuckPayments(1);
  PublishAlert("alert-1", 1, true);
  StartWorker("w1", "[worker]\nmax_attempts = 3\nretry_backoff_ms = 50\n" + Modes({"poll_payment_status"}, "apply") +
                        "[worker.functions]\npoll_payment_status = \"SELECT public.always_conflicts($payment_id, "
                        "$dry_run)\"\n");
  ASSERT_TRUE(WaitAssigned("w1"));
  PollCommand("doomed", 1);
  Outcome failed = WaitOutcome("doomed", {OutcomeStatus::kFailed});
  EXPECT_EQ(failed.attempts, 3);
  EXPECT_NE(failed.reason.find("conflict"), std::string::npos) << failed.reason;
  bool dead_lettered = false;
  for (const ConsumedMessage& m : Topic("walguard.deadletter", seconds(2))) {
    dead_lettered |= m.payload.find("\"command_id\":\"doomed\"") != std::string::npos;
  }
  EXPECT_TRUE(dead_lettered);
  EXPECT_NE(WorkerLog("w1").find("attempt 2 of 3"), std::string::npos);
}

TEST_F(WorkerTest, AMissingFunctionStopsTheWorkerNamingIt) {
  ChildProcess* w =
      StartWorker("w1", "[worker.functions]\nensure_tickets = \"SELECT public.nope($order_id, $dry_run)\"\n");
  EXPECT_EQ(w->Wait(seconds(30)), 2);
  EXPECT_NE(WorkerLog("w1").find("ensure_tickets"), std::string::npos) << WorkerLog("w1");
}

}  // namespace
}  // namespace walguard::testing
