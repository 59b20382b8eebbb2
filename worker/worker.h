// The corrective worker (`walguard worker`, CONTRACT.md section 7).
//
// Per command, level-based like a Kubernetes controller: the command names
// the object, the worker re-reads the truth. Mode from [worker.modes]
// (off, dry_run by default, apply, approval; requires_approval or a quiet
// window turn apply into approval); then the precondition (the causing
// alert still fires, as walguard.alerts says), the dry run and its check
// against the alert's figures (worker/dry_run_check.h: refused and
// escalated when it would change more), and the apply, whose effect the
// applied table makes single (worker/database.h). The outcome is published
// and acknowledged before the command's offset is stored: a command is
// never lost, and a redelivery finds it applied.
//
// Transient failures are retried in place with exponential backoff, so the
// commands of one key stay in order; after [worker] max_attempts the
// command is dead-lettered with outcome `failed`.
#pragma once

#include <atomic>
#include <string>

#include "config/config.h"
#include "util/status.h"
#include "worker/worker_board.h"

namespace walguard {

struct WorkerOptions {
  std::string group = "walguard-worker";
  std::string id;  // empty: <hostname>-<pid>
  // A test's crash point (env WALGUARD_WORKER_CRASH_AT): "before_fix:N" or
  // "after_fix:N" kills the process with SIGKILL at the N-th apply, before
  // it starts or after its commit (before the outcome and the offset).
  std::string crash_at;
  // When set, the loop publishes its figures here (`walguard worker --http`).
  WorkerBoard* board = nullptr;
};

// Runs until *stop. InvalidArgument for a bad configuration (exit 1),
// Fatal when the database lacks a function a mode needs, or the database or
// brokers are unreachable at start (exit 2).
Status RunWorker(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop);

}  // namespace walguard
