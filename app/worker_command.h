// `walguard worker`, `walguard approve` and `walguard approvals`
// (CONTRACT.md section 7; the worker itself is worker/worker.h).
#pragma once

#include <atomic>
#include <cstdio>
#include <string>

#include "config/config.h"
#include "worker/worker.h"

namespace walguard {

// Exit 0 after a clean stop, 1 for a bad configuration, 2 for what needs an
// operator (a missing function, an unreachable database or broker at start).
int WorkerCommand(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop);

struct ApproveOptions {
  std::string command_id;
  std::string by;
  std::string reason;
};
// Publishes one approval on the approvals topic and waits for the brokers'
// acknowledgement: 0 when acknowledged, 2 when not.
int ApproveCommand(const ApproveOptions& options, const Config& config);

// Prints the commands awaiting approval, with their dry-run reports, as the
// outcomes and approvals topics tell it: one line each, or JSON lines.
int ApprovalsCommand(const Config& config, bool json, FILE* out);

}  // namespace walguard
