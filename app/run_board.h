// RunBoard: where `walguard run`'s loop leaves a copy of its figures for the
// HTTP endpoint (app/run_http.h) to read. The loop publishes at most every
// kPublishIntervalMicros (a mutex held for one copy, never across I/O); a
// scrape copies the last one out. Neither waits on the other's work.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "app/delivery_stats.h"
#include "core/change.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

enum class RunPhase {
  kStarting,      // opening the state, first connection
  kSnapshot,      // taking the initial (or --resnapshot) snapshot
  kStreaming,     // the replication stream is up
  kReconnecting,  // the stream broke; retrying with backoff
  kStopping,
};
const char* RunPhaseName(RunPhase phase);

// Changes and transactions applied, per source table (schema.table).
struct TableCount {
  std::string table;
  uint64_t changes = 0;
  uint64_t transactions = 0;
};

// Counts a transaction's changes into *counts (a short list: the monitored
// tables), in one call or in one call per part as a transaction applied in
// parts arrives. A transaction counts once for every table it changed,
// however many of its parts did: `touched` remembers its tables across the
// calls; clear it before the next transaction.
void CountByTable(std::span<const Change> changes, std::vector<TableCount>* counts, std::vector<bool>* touched);

struct RunFigures {
  RunPhase phase = RunPhase::kStarting;
  bool snapshot_done = false;
  Lsn applied = 0;  // durable checkpoint
  Lsn acked = 0;    // told to Postgres: also moves over WAL with nothing for us (keepalives)
  Lsn server = 0;   // highest WAL end the server reported
  Micros last_commit_time = 0;
  uint64_t transactions = 0;
  uint64_t changes = 0;
  uint64_t dead_letters = 0;
  uint64_t outbox = 0;
  int64_t outbox_bound = 0;
  bool paused = false;  // outbox full: not reading the WAL
  uint64_t slot_lag_bytes = 0;
  std::vector<TableCount> tables;
  DeliveryFigures delivery;
};

// The replication lag at `now`: bytes between the server's WAL end and the
// furthest of the applied and acknowledged positions (an idle source, or WAL
// of other databases, is no lag), and while behind, the age of the last
// applied commit (Debezium's MilliSecondsBehindSource).
uint64_t LagBytes(const RunFigures& f);
double LagSeconds(const RunFigures& f, Micros now);

class RunBoard {
 public:
  static constexpr Micros kPublishIntervalMicros = 200'000;

  // True when a publication is due (the interval passed, or `force`).
  bool Due(Micros now, bool force) const { return force || now - published_at_ >= kPublishIntervalMicros; }
  void Publish(RunFigures figures, Micros now);
  // Only the phase (and whether the snapshot is done), at once: the
  // moments the loop blocks (bootstrap, reconnect) are the ones it matters.
  void SetPhase(RunPhase phase, bool snapshot_done);
  // Before the first publication, so /metrics shows the configured bound.
  void SetOutboxBound(int64_t bound);
  RunFigures Read() const;

 private:
  mutable std::mutex mu_;
  RunFigures figures_;       // guarded by mu_
  Micros published_at_ = 0;  // the loop's own
};

}  // namespace walguard
