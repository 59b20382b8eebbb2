// PipelineMetrics: the pipeline's counters, a plain struct the loop bumps and
// readers (the progress line; later a /metrics endpoint) read.
// ProgressLog: the periodic "progress:" line built from them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

// A latency histogram with fixed bucket bounds (Prometheus-style cumulative
// buckets can be derived from it): plain counters, no allocation.
struct LatencyHistogram {
  // Upper bounds in microseconds; the last bucket is everything above.
  static constexpr std::array<Micros, 14> kBoundsUs = {1'000,     2'000,     5'000,      10'000,    20'000,
                                                       50'000,    100'000,   200'000,    500'000,   1'000'000,
                                                       2'000'000, 5'000'000, 10'000'000, 30'000'000};
  std::array<uint64_t, kBoundsUs.size() + 1> buckets{};
  uint64_t count = 0;
  Micros sum_us = 0;
  Micros max_us = 0;

  void Record(Micros us);
  // The upper bound of the bucket holding quantile q (0 < q <= 1); max_us
  // for the last bucket; 0 when empty.
  Micros QuantileUpperBound(double q) const;
};

struct PipelineMetrics {
  uint64_t changes_total = 0;  // changes of applied transactions
  uint64_t txns_total = 0;     // transactions applied
  uint64_t skipped_total = 0;  // transactions skipped as already applied
  uint64_t heartbeats_sent = 0;
  uint64_t heartbeats_received = 0;
  uint64_t dead_letters_total = 0;
  Micros last_commit_time = 0;       // source commit time of the last applied transaction
  uint64_t group_commits_total = 0;  // synced state commits
  // Source commit of a transaction -> the sink's delivery report for its
  // last message (transactions that emitted messages only).
  LatencyHistogram commit_to_publish;
};

// What the progress line shows besides the counters, read when it is due.
struct ProgressGauges {
  Lsn applied = 0;  // durable
  Lsn acked = 0;
  Lsn server = 0;  // highest walEnd seen
  uint64_t outbox = 0;
  int64_t outbox_bound = 0;
  bool paused = false;
  uint64_t delivered = 0;
  uint64_t slot_lag_bytes = 0;
  std::string_view wal_status;  // empty: not read yet
};

class ProgressLog {
 public:
  explicit ProgressLog(int interval_s) : interval_(interval_s * kMicrosPerSecond) {}

  // The interval passed since the last line (or force).
  bool Due(Micros now, bool force);
  void Write(const PipelineMetrics& metrics, const ProgressGauges& gauges, Micros now);

 private:
  const Micros interval_;
  Micros last_log_ = 0;
  uint64_t changes_at_last_log_ = 0;
};

}  // namespace walguard
