// The Worker class behind RunWorker (worker/worker.h), private to worker/:
// nothing outside this folder includes it. Its members live in three files,
// one concept each:
//   worker.cc          start-up, following the side topics, the consume loop
//                      and a command's offset (HandleCommand, Loop)
//   worker_commands.cc one command's attempt: mode, precondition, dry run
//                      and its check, apply, retries; approved commands
//   worker_outcomes.cc what the worker tells others: outcomes and dead
//                      letters (Publish), escalation alerts, the board
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "config/config.h"
#include "util/status.h"
#include "util/time.h"
#include "worker/alert_book.h"
#include "worker/database.h"
#include "worker/kafka_io.h"
#include "worker/messages.h"
#include "worker/quiet_windows.h"
#include "worker/sql_template.h"
#include "worker/worker.h"
#include "worker/worker_board.h"

// A namespace of its own: walguard::workload has a Worker class too.
namespace walguard::worker_internal {

enum class Mode { kOff, kDryRun, kApply, kApproval };

// A command waiting for `walguard approve`.
struct Pending {
  Command command;
  std::string key;
  std::string report_json;
  Micros since = 0;
};

// An applied or refused command whose alert is watched for escalation.
struct Watched {
  Command command;
  AlertMessage original;
  Micros since = 0;
  bool refused = false;
  bool published = false;
};

class Worker {
 public:
  Worker(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop)
      : config_(config), options_(options), stop_(stop) {}

  Status Start();
  Status Loop();

 private:
  Status Configure();
  void Follow(int timeout_ms);
  const AlertMessage* AwaitAlert(const std::string& alert_id);
  Outcome Process(const Command& c, Mode mode);
  Outcome Retrying(const Command& c, const std::function<Status(Outcome*)>& attempt);
  Status Attempt(const Command& c, Mode mode, Outcome* o);
  Status ApplyNow(const Command& c, const AlertMessage& cause, Outcome* o);
  void HandleCommand(const KafkaRecord& rec);
  bool Publish(const std::string& topic, const std::string& key, const std::string& payload);
  // Publish on the outcomes topic, counted for WorkerOptions::board.
  bool PublishOutcome(const std::string& key, const Outcome& o);
  void PublishFigures();
  void ProcessApprovals();
  void CheckEscalations();
  void CrashPoint(const char* name);
  Outcome NewOutcome(const Command& c, OutcomeStatus status) const {
    Outcome o;
    o.command_id = c.command_id;
    o.type = c.type;
    o.status = status;
    o.worker = id_;
    return o;
  }

  const Config& config_;
  WorkerOptions options_;
  const std::atomic<bool>* stop_;
  std::string id_;
  KafkaEndpoint endpoint_;
  std::map<std::string, SqlTemplate> templates_;
  std::map<std::string, Mode> modes_;
  QuietSchedule quiet_;
  Database db_;
  Publisher publisher_;
  TopicFollower follower_;
  CommandConsumer consumer_;
  AlertBook book_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Approval> approvals_;
  std::map<std::string, Watched> watched_;
  int applies_ = 0;
  WorkerFigures figures_;  // what PublishFigures hands to options_.board
  Status fatal_;           // set when the worker must stop: Loop returns it
};

}  // namespace walguard::worker_internal
