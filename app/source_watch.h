// SourceWatch: the source monitor's tick. Every heartbeat_interval_s (when
// set, and not while the outbox bound pauses reading) it writes a heartbeat
// into the source; every monitor_interval_s it reads the slot's health, logs
// a dropped slot or WAL about to be lost, and hands back the sample that
// raises or resolves replication_lag. Errors are logged once per distinct
// message and retried at the next interval: a down server is the stream's
// problem to report, not the monitor's.
#pragma once

#include <string>

#include "app/pipeline_metrics.h"
#include "config/config.h"
#include "ingest/source_monitor.h"
#include "processors/replication_lag.h"
#include "util/status.h"

namespace walguard {

class SourceWatch {
 public:
  SourceWatch(const PostgresConfig& pg, PipelineMetrics* metrics) : pg_(pg), metrics_(metrics) {}

  // The first health check waits one interval, so keepalives have moved the WAL clock.
  void Start(Micros now);
  // True when the slot's health was freshly read and the slot exists: then
  // reconcile replication_lag with Sample().
  bool Tick(Micros now, bool paused);
  // The last health read, measured against the WAL clock.
  LagSample Sample(Micros wal_clock) const;
  const SlotHealth& health() const { return health_; }

 private:
  void Report(const Status& s);
  void EmitHeartbeat();
  bool CheckSlot(const SlotHealth& health);

  const PostgresConfig& pg_;
  PipelineMetrics* metrics_;
  SourceMonitor monitor_;
  Micros last_monitor_ = 0;
  Micros last_heartbeat_ = 0;
  SlotHealth health_;
  std::string last_error_;
};

// Stages a firing or resolved replication_lag message when its state changes
// (lsn: the applied position, part of the id), and logs the change.
Status ReconcileLag(const LagSample& sample, const Thresholds& thresholds, Lsn lsn, KvTxn* kv, Micros now,
                    std::vector<OutMessage>* out);

}  // namespace walguard
