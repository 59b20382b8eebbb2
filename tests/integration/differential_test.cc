// Differential test: walguard's firing set against SQL over the same state.
//
// A randomized workload drives both schemas, and pg_cron's tables (plain ones
// of their shape, workload/cron_tables.h), with concurrent healthy traffic
// and injected faults of every kind, while walguard streams the WAL. At a
// few check points the workload pauses, walguard catches up, and the alerts
// firing according to the alerts topic must equal what the runbooks' checks
// (sql_oracle.h) compute over the database at that moment.
//
// WALGUARD_DIFF_SEED fixes the workers' random choices (not their
// interleaving); WALGUARD_DIFF_SECONDS sets the run length (CI: 20 s);
// WALGUARD_DIFF_SCHEMAS=ticketing (or reserve) narrows both sides;
// WALGUARD_DIFF_THREADS (default 4) and WALGUARD_DIFF_OPS_PER_SECOND (per
// worker, default unbounded) shape the load. By hand:
//   WALGUARD_DIFF_SECONDS=600 WALGUARD_DIFF_SEED=7 build/tests/integration_tests
//       --gtest_filter='Differential*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/environment.h"
#include "tests/integration/firing_compare.h"
#include "tests/integration/replay_compare.h"
#include "tests/integration/sql_oracle.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"
#include "workload/cron_tables.h"
#include "workload/workload.h"

namespace walguard::testing {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

// The schemas under test, from WALGUARD_DIFF_SCHEMAS (default: both).
OracleOptions Schemas() {
  const char* value = std::getenv("WALGUARD_DIFF_SCHEMAS");
  const std::string schemas = value != nullptr && *value != '\0' ? value : "ticketing,reserve";
  OracleOptions options;
  options.ticketing = schemas.find("ticketing") != std::string::npos;
  options.reserve = schemas.find("reserve") != std::string::npos;
  return options;
}

// Compares walguard's firing set with the oracle's; returns a report of
// every difference (empty when they agree).
std::string Compare(WalguardHarness* h, uint64_t seed, const std::string& when, size_t* firing_count) {
  OracleComparison c;
  Status s = CompareWithOracle(h->db(), Schemas(), h->FiringSet(), &c);
  if (!s.ok()) return "oracle: " + s.ToString();
  if (!c.tolerated.empty())
    std::cout << "[" << when << "] within " << kBoundarySeconds << " s of a deadline:\n" << c.tolerated;
  *firing_count = c.expected;
  if (c.report.empty()) return "";
  return "walguard and SQL disagree " + when + " (seed " + std::to_string(seed) +
         ", rerun with WALGUARD_DIFF_SEED=" + std::to_string(seed) + "):\n" + c.report;
}

std::string RuleCounts(const std::map<std::string, Published>& firing) {
  std::map<std::string, int> counts;
  for (const auto& [fp, alert] : firing) ++counts[alert.type];
  std::string out;
  for (const auto& [type, n] : counts) out += (out.empty() ? "" : ", ") + type + "=" + std::to_string(n);
  return out.empty() ? "none" : out;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Sleeps until `until`, printing the workload's progress every 30 s (long runs).
void SleepReporting(const Workload& workload, Clock::time_point until) {
  constexpr auto kEvery = std::chrono::seconds(30);
  while (Clock::now() + kEvery < until) {
    std::this_thread::sleep_for(kEvery);
    std::cout << "  ... " << workload.stats().ToString().substr(0, 120) << std::endl;
  }
  std::this_thread::sleep_until(until);
}

WorkloadOptions Options(const WalguardHarness& h, uint64_t seed, double fault_rate) {
  WorkloadOptions options;
  options.conninfo = SharedCluster().ConnInfo(h.db());
  options.seed = seed;
  // WALGUARD_DIFF_THREADS=1 replays the same operations in the same order.
  options.threads = static_cast<int>(EnvOr("WALGUARD_DIFF_THREADS", 4));
  // A cap per worker keeps walguard from falling far behind in long runs.
  options.max_ops_per_second = static_cast<int>(EnvOr("WALGUARD_DIFF_OPS_PER_SECOND", 0));
  options.fault_rate = fault_rate;
  options.ticketing = Schemas().ticketing;
  options.reserve = Schemas().reserve;
  return options;
}

TEST(DifferentialTest, FiringSetMatchesSqlOracle) {
  const uint64_t seed = EnvOr("WALGUARD_DIFF_SEED", 20260301);
  const auto duration = std::chrono::seconds(EnvOr("WALGUARD_DIFF_SECONDS", 20));
  constexpr int kCheckPoints = 3;
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(workload::kPlainCronTables));
  Workload workload(Options(h, seed, 0.05));
  const auto started = Clock::now();
  ASSERT_OK(workload.Start());
  // walguard starts under load: its snapshot and the stream must line up.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_OK(h.StartWalguard());
  const auto streaming = Clock::now();
  for (int check = 1; check <= kCheckPoints; ++check) {
    SleepReporting(workload, streaming + duration * check / kCheckPoints);
    const auto pausing = Clock::now();
    workload.Pause();
    const auto paused = Clock::now();
    ASSERT_OK(h.CatchUp());
    const auto caught_up = Clock::now();
    const std::string when = "at check point " + std::to_string(check) + "/" + std::to_string(kCheckPoints);
    size_t firing = 0;
    const std::string report = Compare(&h, seed, when, &firing);
    std::cout << "[" << when << "] " << workload.stats().ToString() << "\n  firing: " << firing << " ("
              << RuleCounts(h.FiringSet()) << ")\n  pause " << Seconds(paused - pausing) << " s, catch-up "
              << Seconds(caught_up - paused) << " s, compare " << Seconds(Clock::now() - caught_up) << " s"
              << std::endl;
    ASSERT_TRUE(report.empty()) << report;
    workload.Resume();
  }
  ASSERT_OK(workload.Stop());
  const WorkloadStats stats = workload.stats();
  const double seconds = Seconds(Clock::now() - started);
  std::cout << "differential run: seed=" << seed << " duration=" << seconds << " s " << stats.ToString() << "\n";
  for (int k = 0; k < kFaultKindCount; ++k) {
    std::cout << "  fault " << FaultName(static_cast<FaultKind>(k)) << " -> " << FaultRule(static_cast<FaultKind>(k))
              << ": " << stats.faults[k] << "\n";
  }
  std::map<std::string, std::pair<int, int>> transitions;  // per rule: firing, resolved messages
  std::string dead_letters;
  for (const Published& p : h.All()) {
    if (p.topic == "walguard.alerts") ++(p.state == "firing" ? transitions[p.type].first : transitions[p.type].second);
    if (p.topic == "walguard.deadletter") dead_letters += "  " + p.payload.substr(0, 300) + "\n";
  }
  std::cout << "  alerts published (firing/resolved):";
  for (const auto& [type, n] : transitions) std::cout << " " << type << "=" << n.first << "/" << n.second;
  std::cout << std::endl;
  EXPECT_GT(stats.total_faults(), 0u);
  // The cron faults were compared, not skipped: each of their rules fired.
  for (const char* rule : {"cron_job_failed", "cron_job_slow", "cron_job_missed"}) {
    EXPECT_GT(transitions[rule].first, 0) << rule << " never fired (seed " << seed << ")";
  }
  EXPECT_TRUE(dead_letters.empty()) << "walguard dead-lettered records:\n" << dead_letters;
  ASSERT_EQ(h.StopWalguard(), 0);

  // Replay equals live: the archive the run recorded gives back every alert
  // and command, field for field, in the same order per key.
  std::vector<Published> replayed;
  ASSERT_OK(h.Replay(&replayed));
  size_t compared = 0;
  const std::string diff = CompareReplayWithLive(h.All(), replayed, &compared);
  EXPECT_TRUE(diff.empty()) << "walguard replay differs from the live run:\n" << diff;
  EXPECT_GT(compared, 0u);
  std::cout << "  replay: " << compared << " alert and command messages equal to the live run's" << std::endl;
}

TEST(DifferentialTest, HealthyTrafficFiresNothing) {
  const uint64_t seed = EnvOr("WALGUARD_DIFF_SEED", 20260301);
  const auto duration = std::chrono::seconds(EnvOr("WALGUARD_HEALTHY_SECONDS", 15));
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(workload::kPlainCronTables));
  Workload workload(Options(h, seed, 0.0));
  ASSERT_OK(workload.Start());
  ASSERT_OK(h.StartWalguard());
  std::this_thread::sleep_for(duration);
  workload.Pause();
  ASSERT_OK(h.CatchUp());
  ASSERT_OK(workload.Stop());
  const WorkloadStats stats = workload.stats();
  std::cout << "healthy run: seed=" << seed << " " << stats.ToString() << "\n";
  EXPECT_GT(stats.transactions, 0u);
  EXPECT_EQ(stats.total_faults(), 0u);

  std::string alerts;
  for (const Published& p : h.All()) {
    if (p.topic != "walguard.alerts") continue;
    alerts.append("  ").append(p.state).append(" ").append(p.fingerprint).append(" ").append(p.details) += "\n";
  }
  EXPECT_TRUE(alerts.empty()) << "healthy traffic raised alerts (seed " << seed << "):\n" << alerts;
  std::map<std::string, std::string> expected;
  ASSERT_OK(ExpectedFiring(SharedCluster(), h.db(), Schemas(), &expected));
  std::string violations;
  for (const auto& [fp, figures] : expected) violations.append("  ").append(fp).append(" ").append(figures) += "\n";
  EXPECT_TRUE(violations.empty()) << "the workload broke an invariant without a fault (seed " << seed << "):\n"
                                  << violations;
  EXPECT_EQ(h.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing
