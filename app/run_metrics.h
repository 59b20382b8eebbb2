// What `walguard run --http` answers on /metrics and /readyz, as pure
// functions of the loop's published figures (app/run_board.h), the state's
// firing set and the sizes on disk, so both are unit-tested without a server.
//
// Metric names (docs/reference.md, Operations, lists them with their help):
// walguard_replication_lag_bytes, _seconds, walguard_slot_lag_bytes,
// walguard_changes_applied_total{table}, walguard_transactions_applied_total{table},
// walguard_firing_alerts{type,severity}, walguard_alerts_fired_total{type},
// walguard_alerts_resolved_total{type}, walguard_messages_delivered_total{topic},
// walguard_outbox_messages, walguard_outbox_bound_messages, walguard_outbox_full,
// walguard_dead_letters_total, walguard_commit_to_publish_seconds (histogram),
// walguard_state_size_bytes, walguard_archive_size_bytes,
// walguard_snapshot_in_progress, walguard_streaming, walguard_last_applied_lsn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/run_board.h"
#include "app/status_model.h"
#include "ops/metrics_registry.h"
#include "util/time.h"

namespace walguard {

struct DiskSizes {
  uint64_t state_bytes = 0;    // RocksDB's files in the state directory
  uint64_t archive_bytes = 0;  // every file under the archive directory
};

void BuildRunMetrics(const RunFigures& figures, const std::vector<FiringStatus>& firing, const DiskSizes& sizes,
                     Micros now, MetricRegistry* registry);

struct Readiness {
  bool ready = false;
  std::string reason;  // one line: why not, or "ready"
};

// Ready when the snapshot is done, the stream is up and the lag is under
// `max_lag_s` seconds.
Readiness RunReadiness(const RunFigures& figures, Micros now, int max_lag_s);

}  // namespace walguard
