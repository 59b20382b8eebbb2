#include "app/run_metrics.h"

#include <map>
#include <utility>

#include "util/lsn.h"

namespace walguard {

namespace {

void AddProcessGauges(const RunFigures& f, const DiskSizes& sizes, Micros now, MetricRegistry* r) {
  r->Gauge("walguard_replication_lag_bytes", "WAL bytes between the server's end and the applied position.")
      .Set(static_cast<double>(LagBytes(f)));
  r->Gauge("walguard_replication_lag_seconds",
           "Age of the last applied source commit while behind the server, else 0 (Debezium's "
           "MilliSecondsBehindSource, in seconds).")
      .Set(LagSeconds(f, now));
  r->Gauge("walguard_slot_lag_bytes", "WAL the replication slot retains (pg_replication_slots, last check).")
      .Set(static_cast<double>(f.slot_lag_bytes));
  r->Gauge("walguard_last_applied_lsn", "The durable position (end LSN of the last applied transaction), as a number.")
      .Set(static_cast<double>(f.applied));
  r->Gauge("walguard_snapshot_in_progress", "1 while the initial snapshot is being taken.")
      .Set(f.snapshot_done ? 0 : 1);
  r->Gauge("walguard_streaming", "1 while the replication stream is up.").Set(f.phase == RunPhase::kStreaming ? 1 : 0);
  r->Gauge("walguard_outbox_messages", "Messages committed and not yet confirmed by the sink.")
      .Set(static_cast<double>(f.outbox));
  r->Gauge("walguard_outbox_bound_messages",
           "outbox_max_messages: past it walguard stops reading the WAL (Debezium's QueueRemainingCapacity, inverted).")
      .Set(static_cast<double>(f.outbox_bound));
  r->Gauge("walguard_outbox_full", "1 while the outbox is full and the WAL is not read.").Set(f.paused ? 1 : 0);
  r->Gauge("walguard_state_size_bytes", "Size of the RocksDB files in the state directory.")
      .Set(static_cast<double>(sizes.state_bytes));
  r->Gauge("walguard_archive_size_bytes", "Size of the archive directory.")
      .Set(static_cast<double>(sizes.archive_bytes));
}

void AddCounters(const RunFigures& f, MetricRegistry* r) {
  MetricFamily& changes = r->Counter("walguard_changes_applied_total", "Row changes applied, by source table.");
  MetricFamily& txns =
      r->Counter("walguard_transactions_applied_total", "Transactions applied, by source table they changed.");
  for (const TableCount& t : f.tables) {
    changes.Set({{"table", t.table}}, static_cast<double>(t.changes));
    txns.Set({{"table", t.table}}, static_cast<double>(t.transactions));
  }
  r->Counter("walguard_dead_letters_total", "Records sent to the dead-letter topic.")
      .Set(static_cast<double>(f.dead_letters));
  MetricFamily& fired = r->Counter("walguard_alerts_fired_total", "Alerts delivered as firing, by type.");
  for (const auto& [type, n] : f.delivery.fired_by_type) fired.Set({{"type", type}}, static_cast<double>(n));
  MetricFamily& resolved = r->Counter("walguard_alerts_resolved_total", "Alerts delivered as resolved, by type.");
  for (const auto& [type, n] : f.delivery.resolved_by_type) resolved.Set({{"type", type}}, static_cast<double>(n));
  MetricFamily& delivered = r->Counter("walguard_messages_delivered_total",
                                       "Messages the sink confirmed, by topic (alerts, commands, deadletter).");
  for (const auto& [topic, n] : f.delivery.delivered_by_topic)
    delivered.Set({{"topic", topic}}, static_cast<double>(n));
  r->Histogram("walguard_commit_to_publish_seconds",
               "From an alert's source commit_time to the sink's delivery report.")
      .SetHistogram({}, f.delivery.commit_to_publish);
}

}  // namespace

void BuildRunMetrics(const RunFigures& figures, const std::vector<FiringStatus>& firing, const DiskSizes& sizes,
                     Micros now, MetricRegistry* registry) {
  AddProcessGauges(figures, sizes, now, registry);
  AddCounters(figures, registry);
  std::map<std::pair<std::string, std::string>, int> by_type;
  for (const FiringStatus& f : firing) ++by_type[{f.type, f.severity}];
  MetricFamily& gauge = registry->Gauge("walguard_firing_alerts", "Alerts firing now (the state's firing set).");
  for (const auto& [key, n] : by_type) gauge.Set({{"type", key.first}, {"severity", key.second}}, n);
}

Readiness RunReadiness(const RunFigures& f, Micros now, int max_lag_s) {
  if (!f.snapshot_done) {
    return {false, f.phase == RunPhase::kSnapshot ? "snapshot in progress" : "starting: snapshot not done"};
  }
  if (f.phase != RunPhase::kStreaming) return {false, std::string("not streaming: ") + RunPhaseName(f.phase)};
  const double lag = LagSeconds(f, now);
  if (lag >= max_lag_s) {
    return {false, "replication lag " + std::to_string(static_cast<int64_t>(lag)) + " s is over http_ready_max_lag_s " +
                       std::to_string(max_lag_s)};
  }
  return {true, "ready"};
}

}  // namespace walguard
