// WorkerHttp: `walguard worker --http ADDR:PORT` (config http_address).
//
//   /metrics      walguard_worker_commands_consumed_total,
//                 walguard_worker_outcomes_total{type,status},
//                 walguard_worker_approvals_waiting, walguard_worker_assigned_partitions,
//                 walguard_worker_postgres_up
//   /healthz      200 while the process runs
//   /readyz       200 when the consumer holds partitions of the commands topic
//                 and Postgres accepts connections; else 503 with the reason
//   /             a short page: the commands waiting for approval with their
//                 dry-run reports, the outcome counts, a link to /metrics
//   /api/worker   that page's data
#pragma once

#include <string>

#include "app/http_server.h"
#include "app/run_metrics.h"
#include "config/config.h"
#include "ops/metrics_registry.h"
#include "util/status.h"
#include "worker/worker_board.h"

namespace walguard {

void BuildWorkerMetrics(const WorkerFigures& figures, bool postgres_up, MetricRegistry* registry);
Readiness WorkerReadiness(const WorkerFigures& figures, bool postgres_up);
std::string WorkerStatusJson(const WorkerFigures& figures, const Readiness& ready, Micros now);

class WorkerHttp {
 public:
  WorkerHttp(const Config& config, const WorkerBoard* board) : config_(config), board_(board) {}
  // Binds config.http_address and serves; IOError when it cannot bind.
  Status Start();

 private:
  const Config& config_;
  const WorkerBoard* board_;
  HttpServer server_;
};

}  // namespace walguard
