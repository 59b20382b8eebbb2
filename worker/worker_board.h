// WorkerBoard: where the worker's loop leaves a copy of its figures for
// `walguard worker --http` (app/worker_http.h): commands consumed, outcomes
// by command type and status, the commands waiting for approval with their
// dry-run reports, and whether the consumer holds partitions. The loop
// publishes every ~200 ms under a mutex held for one copy.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "util/time.h"

namespace walguard {

struct WaitingApproval {
  std::string command_id;
  std::string type;
  std::string report_json = "{}";
  Micros since = 0;
};

struct WorkerFigures {
  bool started = false;  // the database and the topics checked out; the loop runs
  uint64_t commands_consumed = 0;
  int assigned_partitions = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> outcomes;  // (type, status) -> published
  std::vector<WaitingApproval> approvals;                            // in command_id order
};

class WorkerBoard {
 public:
  void Publish(WorkerFigures figures) {
    std::lock_guard lock(mu_);
    figures_ = std::move(figures);
  }
  WorkerFigures Read() const {
    std::lock_guard lock(mu_);
    return figures_;
  }

 private:
  mutable std::mutex mu_;
  WorkerFigures figures_;
};

// PQping: true when a server at `conninfo` accepts connections (for
// /readyz; no session is opened, no credentials are checked).
bool PostgresAccepting(const std::string& conninfo);

}  // namespace walguard
