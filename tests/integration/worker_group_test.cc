// Several `walguard worker` processes in one consumer group, end to end
// (CONTRACT.md section 7), beside worker_test.cc's incidents:
//   - two workers, one killed -9 before a fix or between the fix and its
//     offset: every fix once, none lost, per-key order kept;
//   - printed measurements: commands applied per second by one and two workers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/worker_fixture.h"

namespace walguard::testing {
namespace {

using std::chrono::seconds;

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
