#include "app/pipeline_metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace walguard {

bool ProgressLog::Due(Micros now, bool force) {
  if (last_log_ == 0) last_log_ = now;
  return force || now - last_log_ >= interval_;
}

void ProgressLog::Write(const PipelineMetrics& m, const ProgressGauges& g, Micros now) {
  const Micros elapsed = now - last_log_;
  const double seconds = std::max<double>(1.0, static_cast<double>(elapsed)) / kMicrosPerSecond;
  const uint64_t lag_bytes = g.server > g.applied ? g.server - g.applied : 0;
  // Like Debezium's MilliSecondsBehindSource: how old the last applied commit is, while behind.
  const double lag_s =
      lag_bytes > 0 && m.last_commit_time > 0 ? static_cast<double>(now - m.last_commit_time) / kMicrosPerSecond : 0.0;
  spdlog::info(
      "progress: applied={} acked={} server={} lag={}B lag_time={:.1f}s changes/s={:.0f} txns={} "
      "changes={} skipped={} outbox={}/{}{} delivered={} slot_lag={}B wal_status={} heartbeats={}/{} dead_letters={}",
      FormatLsn(g.applied), FormatLsn(g.acked), FormatLsn(g.server), lag_bytes, lag_s,
      static_cast<double>(m.changes_total - changes_at_last_log_) / seconds, m.txns_total, m.changes_total,
      m.skipped_total, g.outbox, g.outbox_bound, g.paused ? " (full: not reading)" : "", g.delivered, g.slot_lag_bytes,
      g.wal_status.empty() ? "-" : g.wal_status, m.heartbeats_received, m.heartbeats_sent, m.dead_letters_total);
  changes_at_last_log_ = m.changes_total;
  last_log_ = now;
}

}  // namespace walguard
