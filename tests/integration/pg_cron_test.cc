// pg_cron health end to end (CONTRACT 3.1): the shared cluster preloads
// pg_cron with its tables in kCronDatabase (environment.h), where real jobs
// run every minute over libpq (pg_cron 1.4.2's background workers leave a
// failed run 'running' and the job stuck: environment.cc). walguard streams
// that database and sees the jobs' runs as pg_cron writes them:
//  - 'flaky' fails (division by zero) until a flag flips, then succeeds:
//    cron_job_failed fires, then resolves;
//  - 'hung' starts a ten-minute sleep: pg_cron runs one instance of a job at a
//    time, so its runs stop, and cron_job_missed fires on the WAL clock two
//    minutes after its start; `cron.unschedule` then stops it being watched
//    and resolves the alert.
// pg_cron 1.4 (Debian's) schedules by the minute, so this takes about three.
//
// PgCron.SqlOracleAgrees needs no extension: plain tables of pg_cron's shape
// in a `cron` schema, with runs succeeded, failed, slow and missing, checked
// against the SQL oracle (sql_oracle.h) from the snapshot, the stream and the
// WAL clock. The differential and crash tests give their randomized workload
// the same tables (workload/cron_ops.cc); every other integration test runs
// on a database without the `cron` schema, which walguard must take as it
// always did.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/integration/environment.h"
#include "tests/integration/firing_compare.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"
#include "workload/cron_tables.h"

namespace walguard::testing {
namespace {

using std::chrono::seconds;

const Published* Find(const std::vector<Published>& all, const std::string& type, const std::string& state,
                      const std::string& entity_id) {
  for (const Published& p : all) {
    if (p.type == type && p.state == state && p.entity_id == entity_id) return &p;
  }
  return nullptr;
}

TEST(PgCron, FailedResolvesAndAHungJobIsMissedUntilUnscheduled) {
  WalguardHarness h;
  ASSERT_OK(h.SetUpIn(kCronDatabase));
  ASSERT_OK(
      h.Sql("CREATE EXTENSION IF NOT EXISTS pg_cron; "
            "CREATE TABLE public.cron_flag (fail boolean NOT NULL); INSERT INTO public.cron_flag VALUES (true);"));
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(
      h.Sql("SELECT cron.schedule('flaky', '* * * * *', "
            "$$SELECT 1 / (CASE WHEN fail THEN 0 ELSE 1 END) FROM public.cron_flag$$)"));
  ASSERT_OK(h.Sql("SELECT cron.schedule('hung', '* * * * *', 'SELECT pg_sleep(600)')"));

  // Runs start at minute boundaries, and a job scheduled just before one may
  // first run at the next: up to two minutes, and a margin for a loaded host.
  const seconds next_runs(150);
  std::vector<Published> failed = h.WaitFor("cron_job_failed", "firing", 1, next_runs);
  ASSERT_EQ(failed.size(), 1u) << h.WalguardLog();
  EXPECT_EQ(failed[0].entity_kind, "cron_job");
  EXPECT_EQ(failed[0].entity_id, "flaky");
  EXPECT_NE(failed[0].details.find("division by zero"), std::string::npos) << failed[0].details;
  EXPECT_NE(failed[0].payload.find(R"("schedule":"* * * * *")"), std::string::npos) << failed[0].payload;
  EXPECT_NE(failed[0].payload.find(R"("last_start":")"), std::string::npos) << failed[0].payload;

  ASSERT_OK(h.Sql("UPDATE public.cron_flag SET fail = false"));
  EXPECT_EQ(h.WaitFor("cron_job_failed", "resolved", 1, next_runs).size(), 1u) << h.WalguardLog();

  std::vector<Published> missed = h.WaitFor("cron_job_missed", "firing", 1, seconds(200));
  ASSERT_EQ(missed.size(), 1u) << h.WalguardLog();
  EXPECT_EQ(missed[0].entity_id, "hung");
  EXPECT_NE(missed[0].details.find(R"("interval_seconds":60.000000)"), std::string::npos) << missed[0].details;

  ASSERT_OK(h.Sql("SELECT cron.unschedule('hung')"));
  EXPECT_EQ(h.WaitFor("cron_job_missed", "resolved", 1, seconds(30)).size(), 1u) << h.WalguardLog();
  ASSERT_OK(
      h.Sql("SELECT cron.unschedule('flaky'); "
            "SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_catalog.pg_stat_activity "
            "WHERE query LIKE 'SELECT pg_sleep(600)%'"));
  ASSERT_OK(h.CatchUp());
  const std::vector<Published> all = h.All();
  // The healthy flaky job was never missed or slow, the hung one never failed.
  EXPECT_EQ(Find(all, "cron_job_missed", "firing", "flaky"), nullptr);
  EXPECT_EQ(Find(all, "cron_job_slow", "firing", "flaky"), nullptr);
  EXPECT_EQ(Find(all, "cron_job_failed", "firing", "hung"), nullptr);
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

using workload::kPlainCronTables;

// A job and its runs: (status, start seconds before now, duration seconds), oldest first.
std::string Job(int jobid, const std::string& name, const std::string& schedule, bool active,
                const std::vector<std::tuple<const char*, int, int>>& runs) {
  std::string sql = "INSERT INTO cron.job (jobid, jobname, schedule, command, active) VALUES (" +
                    std::to_string(jobid) + ", " + (name.empty() ? "NULL" : "'" + name + "'") + ", '" + schedule +
                    "', 'SELECT 1', " + (active ? "true" : "false") + ");\n";
  for (const auto& [status, ago, took] : runs) {
    sql += "INSERT INTO cron.job_run_details (jobid, status, return_message, start_time, end_time) VALUES (" +
           std::to_string(jobid) + ", '" + status + "', '" +
           (std::string(status) == "failed" ? "ERROR: boom" : "1 row") + "', now() - interval '" + std::to_string(ago) +
           " s', now() - interval '" + std::to_string(ago) + " s' + interval '" + std::to_string(took) + " s');\n";
  }
  return sql;
}

std::string CompareNow(WalguardHarness* h, const std::string& when, size_t* expected) {
  OracleOptions options;
  options.ticketing = false;
  options.reserve = false;
  OracleComparison c;
  Status s = CompareWithOracle(h->db(), options, h->FiringSet(), &c);
  if (!s.ok()) return s.ToString();
  *expected = c.expected;
  return c.report.empty() ? "" : "walguard and SQL disagree " + when + ":\n" + c.report;
}

TEST(PgCron, SqlOracleAgrees) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(kPlainCronTables));
  // Before walguard starts (its snapshot): healthy, failed, slow, long missed.
  ASSERT_OK(h.Sql(Job(1, "healthy", "*/5 * * * *", true, {{"succeeded", 70, 1}, {"succeeded", 10, 1}}) +
                  Job(2, "fails", "*/5 * * * *", true, {{"succeeded", 400, 1}, {"failed", 100, 1}}) +
                  Job(3, "slow", "*/5 * * * *", true, {{"succeeded", 100, 30}}) +
                  Job(4, "gone", "* * * * *", true, {{"succeeded", 3600, 1}})));
  ASSERT_OK(h.StartWalguard());
  // Streamed: an inactive failing job, an unnamed failing one, and one whose
  // runs stop now: twice its 15 seconds after its last start, the WAL clock
  // makes it missed.
  ASSERT_OK(h.Sql(Job(5, "off", "*/5 * * * *", false, {{"failed", 10, 1}}) +
                  Job(6, "", "*/5 * * * *", true, {{"failed", 10, 1}}) +
                  Job(7, "stops", "15 seconds", true, {{"succeeded", 15, 1}})));
  ASSERT_OK(h.CatchUp());
  size_t expected = 0;
  std::string report = CompareNow(&h, "after the snapshot and the stream", &expected);
  EXPECT_TRUE(report.empty()) << report;
  EXPECT_GE(expected, 4u);  // fails, slow, gone, 6 (stops is at its deadline's boundary)
  std::this_thread::sleep_for(seconds(33));
  ASSERT_OK(h.CatchUp());
  report = CompareNow(&h, "on the WAL clock", &expected);
  EXPECT_TRUE(report.empty()) << report;
  EXPECT_EQ(expected, 5u);
  EXPECT_EQ(h.FiringSet().count("cron_job_missed:cron_job:stops"), 1u);

  // The fixes: runs that succeed quickly, a start for the missed job, the
  // stopped one unscheduled.
  ASSERT_OK(
      h.Sql(Job(8, "spare", "@daily", true, {}) +
            "INSERT INTO cron.job_run_details (jobid, status, start_time, end_time) VALUES "
            "(2, 'succeeded', now(), now()), (3, 'succeeded', now(), now() + interval '1 s'), "
            "(4, 'running', now(), NULL), (6, 'succeeded', now(), now()); DELETE FROM cron.job WHERE jobid = 7;"));
  ASSERT_OK(h.CatchUp());
  report = CompareNow(&h, "after the fixes", &expected);
  EXPECT_TRUE(report.empty()) << report;
  EXPECT_EQ(expected, 0u);
  for (const auto& [fp, alert] : h.FiringSet()) EXPECT_NE(alert.state, "firing") << fp;
  std::string dead_letters;
  for (const Published& p : h.All()) {
    if (p.topic == "walguard.deadletter") dead_letters += p.payload + "\n";
  }
  EXPECT_TRUE(dead_letters.empty()) << dead_letters;
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

}  // namespace
}  // namespace walguard::testing
