// `walguard worker` end to end (CONTRACT.md section 7): real Postgres with
// sql/runbook/install.sql, the embedded broker, real consumer groups.
//   - the ticketing and Reserve incidents, fixed by the worker in apply mode
//     while `walguard run` watches: the alerts resolve, a redelivered command
//     changes nothing; the double charge waits for `walguard approve`; a fix
//     that cannot resolve its alert escalates (fix_did_not_resolve);
//   - two workers in one group, one killed -9 before a fix or between the
//     fix and its offset: every fix once, none lost, per-key order kept;
//   - refused, skipped, requires_approval, a quiet window, expired, retried then dead-lettered;
//   - printed measurements: alert to applied fix, commands applied per second.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "tests/integration/reserve_scenarios.h"
#include "tests/integration/ticketing_scenarios.h"
#include "tests/integration/worker_fixture.h"
#include "tests/support/status_assert.h"
#include "worker/json_fields.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

bool Final(OutcomeStatus s) {
  return s == OutcomeStatus::kApplied || s == OutcomeStatus::kSkipped;
}

std::string Modes(const std::vector<std::string>& types, const char* mode) {
  std::string out = "[worker.modes]\n";
  for (const std::string& t : types) out += t + " = \"" + mode + "\"\n";
  return out;
}

// Milliseconds from each applied command's alert (detected_at) to its outcome (at).
std::vector<int64_t> AlertToFix(const std::vector<Published>& published, const std::vector<Outcome>& outcomes) {
  std::map<std::string, std::string> cause, detected;
  for (const Published& p : published) {
    if (!p.command_id.empty()) cause[p.command_id] = p.caused_by;
    if (!p.alert_id.empty() && p.state == "firing") detected.emplace(p.alert_id, p.detected_at);
  }
  std::vector<int64_t> ms;
  for (const Outcome& o : outcomes) {
    Micros t = 0;
    if (o.status != OutcomeStatus::kApplied || !ParseTimestamp(detected[cause[o.command_id]], &t)) continue;
    ms.push_back((o.at - t) / 1000);
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

void PrintLatency(const char* what, const std::vector<int64_t>& ms) {
  if (ms.empty()) return;
  std::printf("[measure] %s: alert to applied fix over %zu fixes: min %lld ms, median %lld ms, max %lld ms\n", what,
              ms.size(), static_cast<long long>(ms.front()), static_cast<long long>(ms[ms.size() / 2]),
              static_cast<long long>(ms.back()));
}

class WorkerTest : public WorkerFixture {};

TEST_F(WorkerTest, TicketingIncidentsAreFixedTheAlertsResolveAndARedeliveryChangesNothing) {
  ASSERT_OK(h_.Sql(kAllRulesIncident));
  StartWorker("w1", Modes({"cleanup_expired_ticket_holds", "reconcile_event_tickets", "reconcile_issued_quantity",
                           "expire_pending_orders", "ensure_tickets"},
                          "apply"));
  ASSERT_OK(h_.StartWalguard());
  const std::vector<std::string> fixed = {"stuck_holds",          "tier_reserved_drift", "tier_issued_drift",
                                          "false_sold_out",       "negative_available",  "stale_pending_orders",
                                          "paid_without_tickets", "high_reserved"};
  for (const std::string& type : fixed) {
    EXPECT_GE(h_.WaitFor(type, "resolved", 1, seconds(60)).size(), 1u) << type << " did not resolve";
  }
  // What walguard run cannot fix through a command still fires.
  EXPECT_EQ(h_.WaitFor("order_overissued", "resolved", 1, milliseconds(200)).size(), 0u);
  std::vector<Outcome> outcomes;
  // Every command walguard issued has its outcome; the fixes only these
  // commands make were applied (reconcile_event_tickets may leave the other
  // tier commands nothing to do: their alerts resolve first, and they are skipped).
  std::set<std::string> issued;
  for (const Published& p : h_.All(milliseconds(100))) {
    if (!p.command_id.empty()) issued.insert(p.command_id);
  }
  ASSERT_TRUE(WaitOutcomes([&](const std::vector<Outcome>& all) {
    outcomes = all;
    std::set<std::string> done, applied;
    for (const Outcome& o : all) {
      done.insert(o.command_id);
      if (o.status == OutcomeStatus::kApplied) applied.insert(o.type);
    }
    return std::includes(done.begin(), done.end(), issued.begin(), issued.end()) &&
           applied.count("reconcile_event_tickets") + applied.count("ensure_tickets") +
                   applied.count("expire_pending_orders") ==
               3;
  }));
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(Final(o.status)) << OutcomeJson(o);
    EXPECT_EQ(o.worker, "w1");
  }
  const int64_t applied = Count("SELECT count(*) FROM walguard_worker.applied");
  EXPECT_GE(applied, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.audit_log WHERE action = 'applied'"), applied);
  // The fixes hold: the invariants the alerts watch are true in the database.
  EXPECT_EQ(Count("SELECT count(*) FROM ticketing.ticket_holds WHERE status = 'active' AND expires_at < now()"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM ticketing.orders WHERE status = 'pending'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM ticketing.tickets WHERE order_id = '0a200000-0000-4000-8000-000000000002'"), 2);
  PrintLatency("ticketing, from walguard's first snapshot (includes the worker joining its group)",
               AlertToFix(h_.All(milliseconds(100)), outcomes));

  // The same command once more (a redelivery of one that was applied): skipped, nothing changes.
  Published again;
  for (const Published& p : h_.All(milliseconds(100))) {
    for (const Outcome& o : outcomes) {
      if (o.status == OutcomeStatus::kApplied && o.command_id == p.command_id) again = p;
    }
  }
  ASSERT_FALSE(again.command_id.empty());
  const int64_t audit = Count("SELECT count(*) FROM walguard_worker.audit_log");
  const size_t before = outcomes.size();
  PublishCommand(again.command_id, again.command_type, again.args, again.caused_by, again.key);
  ASSERT_TRUE(WaitOutcomes([&](const std::vector<Outcome>& all) {
    outcomes = all;
    return all.size() > before;
  }));
  EXPECT_EQ(outcomes.back().command_id, again.command_id);
  EXPECT_EQ(outcomes.back().status, OutcomeStatus::kSkipped) << OutcomeJson(outcomes.back());
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.applied WHERE command_id = '" + again.command_id + "'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.applied"), applied);
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.audit_log"), audit);

  // Alert to applied fix with the worker already in its group: a new drift.
  const size_t fixes = outcomes.size();
  ASSERT_OK(
      h_.Sql("INSERT INTO ticketing.events (id, title) VALUES ('e2000000-0000-4000-8000-000000000002', 'Winter Fest');"
             "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, "
             "issued_quantity) VALUES ('74000000-0000-4000-8000-000000000004', 'e2000000-0000-4000-8000-000000000002', "
             "'GA', 5000, 100, 7, 0)"));
  ASSERT_TRUE(WaitOutcomes([&](const std::vector<Outcome>& all) {
    outcomes = all;
    return std::any_of(all.begin() + static_cast<std::ptrdiff_t>(fixes), all.end(),
                       [](const Outcome& o) { return o.status == OutcomeStatus::kApplied; });
  }));
  EXPECT_GE(h_.WaitFor("tier_reserved_drift", "resolved", 2, seconds(30)).size(), 2u);
  PrintLatency("a new incident, worker running",
               AlertToFix(h_.All(milliseconds(100)),
                          std::vector<Outcome>(outcomes.begin() + static_cast<std::ptrdiff_t>(fixes), outcomes.end())));
}

TEST_F(WorkerTest, ReserveIncidentsTheDoubleChargeWaitsForApproveAndAnUnresolvedFixEscalates) {
  ASSERT_OK(h_.Sql(kReserveIncident));
  // finalize_reservation books the stay the intent describes.
  ASSERT_OK(
      h_.Sql("INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out) VALUES "
             "('b1000000-0000-4000-8000-000000000001', gen_random_uuid(), '2027-05-01', '2027-05-04')"));
  StartWorker("w1", "[worker]\nescalate_after_s = 2\n" +
                        Modes({"block_unit_availability", "recalculate_availability", "finalize_reservation",
                               "poll_payment_status", "refund_duplicate_charge"},
                              "apply"));
  ASSERT_OK(h_.StartWalguard());
  for (const char* type : {"calendar_drift", "payment_without_reservation"}) {
    EXPECT_GE(h_.WaitFor(type, "resolved", 1, seconds(60)).size(), 1u) << type << " did not resolve";
  }
  // Four eyes for money: the refund waits in apply mode.
  std::vector<Published> refund = h_.WaitFor("refund_duplicate_charge", "", 1);
  ASSERT_EQ(refund.size(), 1u);
  const std::string id = refund.front().command_id;
  Outcome waiting = WaitOutcome(id, {OutcomeStatus::kAwaitingApproval});
  JsonFields report;
  ASSERT_OK(JsonFields::Parse(waiting.report_json, &report));
  EXPECT_EQ(report.Int("payments_refunded"), 1) << waiting.report_json;
  EXPECT_EQ(Count("SELECT count(*) FROM reserve.payments WHERE status = 'refunded'"), 0);
  std::string out, err;
  ASSERT_OK(h_.RunCommand({"approvals", "--brokers", h_.brokers()}, &out, &err));
  EXPECT_NE(out.find(id), std::string::npos) << out << err;
  EXPECT_NE(out.find("payments_refunded"), std::string::npos) << out;
  ASSERT_OK(
      h_.RunCommand({"approve", id, "--by", "alice", "--reason", "checked", "--brokers", h_.brokers()}, &out, &err));
  Outcome applied = WaitOutcome(id, {OutcomeStatus::kApplied, OutcomeStatus::kExpired, OutcomeStatus::kFailed});
  EXPECT_EQ(applied.status, OutcomeStatus::kApplied) << OutcomeJson(applied);
  EXPECT_NE(applied.reason.find("alice"), std::string::npos);
  EXPECT_EQ(h_.WaitFor("double_charge", "resolved", 1, seconds(30)).size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM reserve.payments WHERE status = 'refunded'"), 1);
  ASSERT_OK(h_.RunCommand({"approvals", "--brokers", h_.brokers()}, &out, &err));
  EXPECT_EQ(out.find(id), std::string::npos) << out;
  // Blocking the calendar does not move the overlapping stay: the overbooking
  // alert keeps firing, and the worker says so.
  // (The payment polls escalate too: a poll asks a person to check, and the
  // alert stays until the provider's answer changes the payment.)
  // (calendar_overcommitted on the unit's calendar row issues one too: keep the overbooking's.)
  std::vector<Published> block;
  for (int attempt = 0; attempt < 30 && block.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(seconds(1));
    for (const Published& p : h_.WaitFor("block_unit_availability", "", 1)) {
      if (p.key.rfind("overbooking:", 0) == 0) block.push_back(p);
    }
  }
  ASSERT_EQ(block.size(), 1u);
  auto unit_escalation = [&](const char* state, milliseconds wait = seconds(30)) {
    std::vector<Published> found;
    for (const Published& p : h_.WaitFor("fix_did_not_resolve", state, 1, wait)) {
      if (p.entity_kind == "unit") found.push_back(p);
    }
    return found;
  };
  std::vector<Published> escalated = unit_escalation("firing");
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated.front().caused_by, block.front().command_id);
  EXPECT_EQ(unit_escalation("resolved", milliseconds(200)).size(), 0u);
  // A person moves the stay: the overbooking resolves, and the escalation with it.
  ASSERT_OK(h_.Sql(kReserveFixes[0]));
  EXPECT_GE(h_.WaitFor("overbooking", "resolved", 1, seconds(30)).size(), 1u);
  const auto deadline = Clock::now() + seconds(20);
  while (unit_escalation("resolved", milliseconds(200)).empty() && Clock::now() < deadline) {
  }
  EXPECT_EQ(unit_escalation("resolved", milliseconds(200)).size(), 1u);
}

class WorkerCrashTest : public WorkerFixture, public ::testing::WithParamInterface<const char*> {};

TEST_P(WorkerCrashTest, EveryFixOnceNoneLostOrderPerKeyKept) {
  constexpr int kKeys = 20;
  InsertStuckPayments(kKeys);
  for (int i = 1; i <= kKeys; ++i) PublishAlert("alert-" + std::to_string(i), i, true);
  const std::string modes = Modes({"poll_payment_status"}, "apply");
  StartWorker("a", modes, {std::string("WALGUARD_WORKER_CRASH_AT=") + GetParam()});
  StartWorker("b", modes);
  ASSERT_TRUE(WaitAssigned("a"));
  ASSERT_TRUE(WaitAssigned("b"));
  // Two commands per key, in order.
  for (int round = 1; round <= 2; ++round) {
    for (int i = 1; i <= kKeys; ++i) PollCommand("c" + std::to_string(round) + "-" + std::to_string(i), i);
  }
  std::set<std::string> done;
  ASSERT_TRUE(WaitOutcomes(
      [&](const std::vector<Outcome>& all) {
        for (const Outcome& o : all) {
          if (Final(o.status)) done.insert(o.command_id);
        }
        return done.size() == 2 * kKeys;
      },
      seconds(90)))
      << done.size() << " of " << 2 * kKeys << " commands done";
  EXPECT_NE(WorkerLog("a").find("crash point"), std::string::npos) << "the crash point was never reached";
  // Once each: one applied row and one provider check per command.
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.applied"), 2 * kKeys);
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.provider_checks"), 2 * kKeys);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT payment_id FROM walguard_worker.provider_checks GROUP BY 1 "
                  "HAVING count(*) <> 2) x"),
            0);
  // Per key, the first command's fix committed before the second's.
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.applied a JOIN walguard_worker.applied b "
                  "ON a.args->>'payment_id' = b.args->>'payment_id' "
                  "WHERE a.command_id LIKE 'c1-%' AND b.command_id LIKE 'c2-%' AND a.applied_at > b.applied_at"),
            0);
  if (std::string(GetParam()).rfind("after_fix", 0) == 0) {
    // The fix committed, its offset did not: the redelivery found it applied.
    bool redelivered = false;
    WaitOutcomes([&](const std::vector<Outcome>& all) {
      for (const Outcome& o : all) redelivered |= o.status == OutcomeStatus::kSkipped && o.reason == "already applied";
      return redelivered;
    });
    EXPECT_TRUE(redelivered);
  }
}

INSTANTIATE_TEST_SUITE_P(CrashPoints, WorkerCrashTest, ::testing::Values("before_fix:3", "after_fix:3"),
                         [](const auto& info) {
                           return std::string(info.param).substr(0, info.param[0] == 'b' ? 10 : 9);
                         });

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

class WorkerThroughputTest : public WorkerFixture, public ::testing::WithParamInterface<int> {};

TEST_P(WorkerThroughputTest, CommandsAppliedPerSecond) {
  constexpr int kCommands = 200;
  const int workers = GetParam();
  InsertStuckPayments(kCommands);
  for (int i = 1; i <= kCommands; ++i) PublishAlert("alert-" + std::to_string(i), i, true);
  for (int i = 1; i <= kCommands; ++i) PollCommand("p-" + std::to_string(i), i);
  // The backlog waits; the rate is measured between the first and the last outcome.
  for (int w = 0; w < workers; ++w) StartWorker("t" + std::to_string(w), Modes({"poll_payment_status"}, "apply"));
  std::vector<Outcome> applied;
  ASSERT_TRUE(WaitOutcomes(
      [&](const std::vector<Outcome>& all) {
        applied.clear();
        for (const Outcome& o : all) {
          if (o.status == OutcomeStatus::kApplied) applied.push_back(o);
        }
        return applied.size() == kCommands;
      },
      seconds(120)));
  Micros first = applied.front().at, last = applied.front().at;
  std::set<std::string> by;
  for (const Outcome& o : applied) {
    first = std::min(first, o.at);
    last = std::max(last, o.at);
    by.insert(o.worker);
  }
  const double secs = static_cast<double>(last - first) / kMicrosPerSecond;
  std::printf("[measure] %d worker(s) in one group (%zu applied): %d commands in %.2f s = %.1f commands/s\n", workers,
              by.size(), kCommands, secs, (kCommands - 1) / secs);
  EXPECT_EQ(Count("SELECT count(*) FROM walguard_worker.applied"), kCommands);
}

INSTANTIATE_TEST_SUITE_P(Workers, WorkerThroughputTest, ::testing::Values(1, 2));

}  // namespace
}  // namespace walguard::testing
