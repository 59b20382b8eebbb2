// The corrective worker's integration fixture: a WalguardHarness database
// (with sql/runbook/install.sql) and broker, `walguard worker` processes as
// the walguard_worker role, a producer for hand-made alerts and commands,
// and a reader of the outcomes the workers publish.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/walguard_harness.h"
#include "tests/support/process.h"
#include "tests/support/topic_reader.h"
#include "worker/kafka_io.h"
#include "worker/messages.h"

namespace walguard::testing {

class WorkerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts `walguard worker --id <id>` with `toml` as its config (the
  // [kafka.properties] for quick rebalances come first) and `env` ("K=V").
  ChildProcess* StartWorker(const std::string& id, const std::string& toml, const std::vector<std::string>& env = {},
                            const std::string& group = "walguard-worker");
  // SIGTERM and wait: returns the exit code.
  int StopWorker(const std::string& id);
  // Waits until the worker's log says it was assigned partitions.
  bool WaitAssigned(const std::string& id, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string WorkerLog(const std::string& id) const;

  // N payments 'processing' for two hours (stuck_payment), ids Payment(i).
  void InsertStuckPayments(int n);
  static std::string Payment(int i);
  // A firing (or resolved) stuck_payment alert for Payment(i) and a
  // poll_payment_status command it caused, published like walguard does.
  void PublishAlert(const std::string& alert_id, int payment, bool firing, const std::string& details = "{}");
  void PublishAlert(const std::string& alert_id, const std::string& type, const std::string& kind,
                    const std::string& id, bool firing, const std::string& details);
  void PublishCommand(const std::string& command_id, const std::string& type, const std::string& args_json,
                      const std::string& alert_id, const std::string& key, bool requires_approval = false);
  void PollCommand(const std::string& command_id, int payment, bool requires_approval = false);

  // Outcomes read so far (parsed), polling first for up to `timeout` until `done` holds.
  bool WaitOutcomes(const std::function<bool(const std::vector<Outcome>&)>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The latest outcome of `command_id` once it has one of `statuses`.
  Outcome WaitOutcome(const std::string& command_id, std::vector<OutcomeStatus> statuses,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::vector<ConsumedMessage> Topic(const std::string& topic, std::chrono::milliseconds settle);

  int64_t Count(const std::string& sql);

  WalguardHarness h_;
  std::string worker_conninfo_;

 private:
  Publisher producer_;
  std::map<std::string, std::unique_ptr<ChildProcess>> workers_;
  std::unique_ptr<TopicReader> outcomes_;
  std::unique_ptr<TopicReader> other_;
  std::vector<Outcome> parsed_;
  size_t seen_ = 0;
};

// The suite of the single-worker tests (worker_test.cc, worker_safety_test.cc):
// one class, as GoogleTest wants one fixture class per suite.
class WorkerTest : public WorkerFixture {};

// applied or skipped: the command needs nothing more.
bool Final(OutcomeStatus s);
// A [worker.modes] table setting every one of `types` to `mode`.
std::string Modes(const std::vector<std::string>& types, const char* mode);

}  // namespace walguard::testing
