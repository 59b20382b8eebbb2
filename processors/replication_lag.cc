#include "processors/replication_lag.h"

#include "util/json_writer.h"

namespace walguard {

bool LagExceeded(const LagSample& sample, const Thresholds& t) {
  const bool bytes = t.replication_lag_bytes > 0 && sample.lag_bytes > static_cast<uint64_t>(t.replication_lag_bytes);
  const bool time = t.replication_lag_after > 0 && sample.LagTime() > t.replication_lag_after;
  return bytes || time;
}

Status ReconcileReplicationLag(const LagSample& sample, const Thresholds& t, Lsn lsn, KvTxn* kv, Micros detected_at,
                               std::vector<OutMessage>* out) {
  Evaluation eval;
  eval.type = &kReplicationLag;
  eval.firing = LagExceeded(sample, t);
  JsonWriter w(&eval.details);
  w.BeginObject();
  w.Field("lag_bytes", static_cast<int64_t>(sample.lag_bytes));
  w.Field("lag_seconds", sample.LagTime() / kMicrosPerSecond);
  w.Field("threshold_bytes", t.replication_lag_bytes);
  w.Field("threshold_seconds", t.replication_lag_after / kMicrosPerSecond);
  w.Field("server_wal_lsn", FormatLsn(sample.current_wal_lsn));
  w.Field("confirmed_flush_lsn", FormatLsn(sample.confirmed_flush));
  w.Field("wal_status", sample.wal_status);
  w.Field("server_time", FormatTimestamp(sample.server_now));
  w.Field("wal_clock", FormatTimestamp(sample.wal_clock));
  w.EndObject();

  ApplyContext ctx;
  ctx.kv = kv;
  ctx.thresholds = &t;
  // The id is made of lsn and commit_time: the server's clock at the check
  // keeps two firings apart even when walguard's position did not move in
  // between (paused).
  ctx.now = sample.wal_clock;
  ctx.lsn = lsn;
  ctx.commit_time = sample.server_now;
  ctx.detected_at = detected_at;
  ctx.out = out;
  return ReconcileAlert(&ctx, EntityRef{sample.slot, {}}, eval);
}

}  // namespace walguard
