// The pg_cron rules (CONTRACT 3.1, runbook 000 section 5), table-driven:
// cron_job_failed, cron_job_slow, cron_job_missed over cron.job and
// cron.job_run_details rows as pg_cron writes them (a run is inserted
// 'starting' without a start_time, set 'running' with one, then finished).
//
// Each case is a sequence of steps with the exact transitions each step must
// emit; the harness checks every message against the contract and replays
// every case on fresh state, which must give identical messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using namespace cases;  // NOLINT(build/namespaces)

// cron.job as pg_cron 1.4 has it (nodename, nodeport, database, username are
// not read).
Cols JobRow(int jobid, std::optional<std::string> name, std::string schedule, bool active = true) {
  return {Col("jobid", jobid),
          Col("schedule", std::move(schedule)),
          Col("command", "SELECT ticketing.cleanup_expired_ticket_holds()"),
          Col("nodename", "localhost"),
          Col("nodeport", 5432),
          Col("database", "app"),
          Col("username", "postgres"),
          Col("active", active ? "true" : "false"),
          name ? Col("jobname", *name) : NullCol("jobname")};
}

Change InsJob(int jobid, std::optional<std::string> name, std::string schedule, bool active = true) {
  return InsertIn("cron", "job", JobRow(jobid, std::move(name), std::move(schedule), active));
}
Change SetJobActive(int jobid, bool active) {
  return UpdateIn("cron", "job", {Col("jobid", jobid), Col("active", active ? "true" : "false")},
                  {Col("jobid", jobid)});
}
Change DelJob(int jobid) {
  return DeleteIn("cron", "job", {Col("jobid", jobid)});
}

// A run as inserted: 'starting', no start_time yet.
Change StartingRun(int runid, int jobid) {
  return InsertIn("cron", "job_run_details",
                  {Col("jobid", jobid), Col("runid", runid), Col("job_pid", 4242), Col("database", "app"),
                   Col("username", "postgres"), Col("command", "SELECT 1"), Col("status", "starting"),
                   NullCol("return_message"), NullCol("start_time"), NullCol("end_time")});
}
Change Running(int runid, Micros start) {
  return UpdateIn("cron", "job_run_details",
                  {Col("runid", runid), Col("status", "running"), Col("start_time", PgTimestamp(start))},
                  {Col("runid", runid)});
}
Change Finished(int runid, std::string status, std::string message, Micros end) {
  return UpdateIn("cron", "job_run_details",
                  {Col("runid", runid), Col("status", std::move(status)), Col("return_message", std::move(message)),
                   Col("end_time", PgTimestamp(end))},
                  {Col("runid", runid)});
}
// A whole run in one row, as a backfill or a test database has it.
Change RunRow(int runid, int jobid, std::string status, Micros start, Micros end, std::string message = "1 row") {
  return InsertIn("cron", "job_run_details",
                  {Col("jobid", jobid), Col("runid", runid), Col("job_pid", 4242), Col("database", "app"),
                   Col("username", "postgres"), Col("command", "SELECT 1"), Col("status", std::move(status)),
                   Col("return_message", std::move(message)), Col("start_time", PgTimestamp(start)),
                   Col("end_time", PgTimestamp(end))});
}

const std::string kJob = "cleanup-expired-ticket-holds";

std::vector<RuleCase> Cases() {
  return {
      {"failed_then_succeeded_resolves",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *")}), {}},
        {Txn(At(5), {StartingRun(10, 1)}), {}},
        {Txn(At(5, 0, 20'000), {Running(10, At(5, 0, 10'000))}), {}},
        {Txn(At(5, 1), {Finished(10, "failed", "ERROR:  relation \"x\" does not exist", At(5, 1))}),
         {Fires("cron_job_failed", kJob,
                {{"runid", "10"}, {"status", "failed"}, {"return_message", "ERROR:  relation \"x\" does not exist"}})}},
        // Still failing: no repeat.
        {Txn(At(10, 1), {RunRow(11, 1, "failed", At(10), At(10, 1), "ERROR: again")}), {}},
        // A run that is only running does not resolve it.
        {Txn(At(15), {StartingRun(12, 1), Running(12, At(15))}), {}},
        {Txn(At(15, 1), {Finished(12, "succeeded", "1 row", At(15, 1))}), {Resolves("cron_job_failed", kJob)}}}},
      {"slow_run_fires_and_a_quick_one_resolves",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *")}), {}},
        // Exactly the threshold is not more than it.
        {Txn(At(5, 5), {RunRow(10, 1, "succeeded", At(5), At(5, 5))}), {}},
        {Txn(At(10, 6), {RunRow(11, 1, "succeeded", At(10), At(10, 6, 250'000))}),
         {Fires("cron_job_slow", kJob,
                {{"runid", "11"}, {"duration_seconds", "6.250000"}, {"slow_after_seconds", "5"}})}},
        {Txn(At(15, 1), {RunRow(12, 1, "succeeded", At(15), At(15, 1))}), {Resolves("cron_job_slow", kJob)}}}},
      {"slow_threshold_is_configurable",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *"), RunRow(10, 1, "succeeded", At(0), At(0, 3))}),
         {Fires("cron_job_slow", kJob, {{"duration_seconds", "3.000000"}, {"slow_after_seconds", "2"}})}}},
       With([](Thresholds* t) { t->cron_slow_after = 2 * kMicrosPerSecond; })},
      {"missed_on_the_wal_clock_from_first_seen_then_from_the_last_start",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *")}), {}},
        // First seen at 16:00; runs due 16:05, 16:10: missed once the clock is past 16:10.
        {Clock(At(10)), {}},
        {Clock(At(10, 1)),
         {Fires("cron_job_missed", kJob,
                {{"interval_seconds", "300.000000"},
                 {"expected_start_by", "2026-11-21T16:10:00.000000Z"},
                 {"first_seen", "2026-11-21T16:00:00.000000Z"}})}},
        {Txn(At(11), {StartingRun(10, 1), Running(10, At(11))}), {Resolves("cron_job_missed", kJob)}},
        // Started 16:11: due 16:15 and 16:20, so twice the 5 minutes runs to 16:21.
        {Clock(At(21)), {}},
        {Clock(At(21, 0, 1)),
         {Fires(
             "cron_job_missed", kJob,
             {{"last_start", "2026-11-21T16:11:00.000000Z"}, {"expected_start_by", "2026-11-21T16:21:00.000000Z"}})}},
        // Deactivated: no longer watched.
        {Txn(At(22), {SetJobActive(1, false)}), {Resolves("cron_job_missed", kJob)}},
        {Clock(At(90)), {}},
        // Active again: counted from the last start, long past.
        {Txn(At(91), {SetJobActive(1, true)}), {Fires("cron_job_missed", kJob)}}}},
      {"interval_schedule_in_seconds",
       {{Txn(At(0), {InsJob(1, kJob, "30 seconds")}), {}},
        {Txn(At(0, 30), {RunRow(10, 1, "succeeded", At(0, 30), At(0, 31))}), {}},
        {Clock(At(1, 30)), {}},
        {Clock(At(1, 31)), {Fires("cron_job_missed", kJob, {{"interval_seconds", "30.000000"}})}}}},
      {"unscheduled_job_stops_being_watched",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *"), InsJob(2, "other", "@hourly")}), {}},
        {Txn(At(5, 1), {RunRow(10, 1, "failed", At(5), At(5, 1)), RunRow(11, 2, "failed", At(5), At(5, 1))}),
         {Fires("cron_job_failed", kJob), Fires("cron_job_failed", "other")}},
        {Txn(At(6), {DelJob(1)}), {Resolves("cron_job_failed", kJob)}},
        // Its timer is gone with it; the other job is still watched.
        {Clock(At(200)), {Fires("cron_job_missed", "other")}}}},
      {"unnamed_job_is_its_jobid",
       {{Txn(At(0), {InsJob(7, std::nullopt, "@daily"), RunRow(10, 7, "failed", At(0), At(0, 1))}),
         {Fires("cron_job_failed", "7")}}}},
      {"inactive_job_is_not_watched",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *", false), RunRow(10, 1, "failed", At(0), At(0, 9))}), {}},
        {Clock(At(60)), {}}}},
      {"runs_seen_before_their_job_count_when_it_arrives",
       {{Txn(At(0), {RunRow(10, 1, "failed", At(0), At(0, 1))}), {}},
        {Txn(At(1), {InsJob(1, kJob, "*/5 * * * *")}), {Fires("cron_job_failed", kJob)}}}},
      {"the_latest_run_is_the_highest_runid",
       {{Txn(At(0), {InsJob(1, kJob, "*/5 * * * *"), RunRow(12, 1, "succeeded", At(10), At(10, 1)),
                     RunRow(11, 1, "failed", At(5), At(5, 1))}),
         {}},
        // Deleting the newest run makes the failed one the latest.
        {Txn(At(11), {DeleteIn("cron", "job_run_details", {Col("runid", 12)})}), {Fires("cron_job_failed", kJob)}}}},
      {"a_runid_that_is_not_an_integer_is_dead_lettered",
       {{Txn(At(0), {InsertIn("cron", "job_run_details",
                              {Col("jobid", 1), Col("runid", "abc"), Col("status", "failed"), NullCol("return_message"),
                               NullCol("start_time"), NullCol("end_time")})}),
         {DeadLetter("cron.job_run_details", "runid")}}}},
  };
}

class CronRuleCase : public ::testing::TestWithParam<RuleCase> {};

TEST_P(CronRuleCase, EmitsExactlyTheExpectedMessages) {
  RunCase(GetParam());
}

INSTANTIATE_TEST_SUITE_P(CronRules, CronRuleCase, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

TEST(CronRules, EveryRuleFiresAndResolvesSomewhere) {
  std::set<std::string> fired, resolved;
  CoveredTypes(Cases(), &fired, &resolved);
  for (const RuleInfo& r : CronRules()) {
    EXPECT_TRUE(fired.count(std::string(r.type))) << r.type << " never fires";
    EXPECT_TRUE(resolved.count(std::string(r.type))) << r.type << " never resolves";
  }
}

// The context of every cron alert: schedule, command and last start.
TEST(CronRules, AlertsCarryTheJobsContext) {
  RuleHarness h;
  std::vector<Message> got =
      h.Run(Txn(At(0), {InsJob(1, kJob, "*/5 * * * *"), RunRow(10, 1, "failed", At(0), At(0, 1), "boom")}));
  ASSERT_EQ(got.size(), 1u);
  const Json* context = got[0].json.Find("context");
  ASSERT_NE(context, nullptr) << got[0].payload;
  EXPECT_EQ(context->Str("schedule"), "*/5 * * * *");
  EXPECT_EQ(context->Str("command"), "SELECT ticketing.cleanup_expired_ticket_holds()");
  EXPECT_EQ(context->Str("last_start"), "2026-11-21T16:00:00.000000Z");
  EXPECT_EQ(got[0].json.Find("details")->Str("return_message"), "boom");
  EXPECT_THAT(h.violations(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace walguard::rule_test
