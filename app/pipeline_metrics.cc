#include "app/pipeline_metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace walguard {

namespace {
double Ms(Micros us) {
  return static_cast<double>(us) / 1000.0;
}
}  // namespace

void LatencyHistogram::Record(Micros us) {
  us = std::max<Micros>(0, us);
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  ++buckets[i];
  ++count;
  sum_us += us;
  max_us = std::max(max_us, us);
}

Micros LatencyHistogram::QuantileUpperBound(double q) const {
  if (count == 0) return 0;
  // The rank of the quantile, 1-based, rounded up: q=0.5 of 3 samples is the 2nd.
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) return i < kBoundsUs.size() ? std::min(kBoundsUs[i], max_us) : max_us;
  }
  return max_us;
}

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
      "changes={} skipped={} outbox={}/{}{} delivered={} slot_lag={}B wal_status={} heartbeats={}/{} dead_letters={} "
      "commits={} commit_to_publish_ms=p50:{:.0f},p99:{:.0f},max:{:.0f}/{}",
      FormatLsn(g.applied), FormatLsn(g.acked), FormatLsn(g.server), lag_bytes, lag_s,
      static_cast<double>(m.changes_total - changes_at_last_log_) / seconds, m.txns_total, m.changes_total,
      m.skipped_total, g.outbox, g.outbox_bound, g.paused ? " (full: not reading)" : "", g.delivered, g.slot_lag_bytes,
      g.wal_status.empty() ? "-" : g.wal_status, m.heartbeats_received, m.heartbeats_sent, m.dead_letters_total,
      m.group_commits_total, Ms(m.commit_to_publish.QuantileUpperBound(0.5)),
      Ms(m.commit_to_publish.QuantileUpperBound(0.99)), Ms(m.commit_to_publish.max_us), m.commit_to_publish.count);
  changes_at_last_log_ = m.changes_total;
  last_log_ = now;
}

}  // namespace walguard
