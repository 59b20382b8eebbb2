#include "processors/state_disk_low.h"

#include "util/json_writer.h"

namespace walguard {

uint64_t DiskLowResolveBytes(uint64_t threshold_bytes) {
  return threshold_bytes + threshold_bytes / 4;
}

Status ReconcileStateDiskLow(const DiskSample& sample, Lsn lsn, KvTxn* kv, Micros detected_at,
                             std::vector<OutMessage>* out) {
  Evaluation eval;
  eval.type = &kStateDiskLow;
  const bool firing = IsFiring(kv, Fingerprint(kStateDiskLow, sample.state_dir));
  // Between the two bounds the alert keeps its state.
  eval.firing = firing ? sample.free_bytes <= DiskLowResolveBytes(sample.threshold_bytes)
                       : sample.free_bytes < sample.threshold_bytes;
  if (eval.firing == firing) return Status::OK();
  JsonWriter w(&eval.details);
  w.BeginObject();
  w.Field("free_bytes", static_cast<int64_t>(sample.free_bytes));
  w.Field("total_bytes", static_cast<int64_t>(sample.total_bytes));
  w.Field("threshold_bytes", static_cast<int64_t>(sample.threshold_bytes));
  w.Field("resolve_above_bytes", static_cast<int64_t>(DiskLowResolveBytes(sample.threshold_bytes)));
  w.Field("mount_point", sample.mount_point);
  w.EndObject();

  ApplyContext ctx;
  ctx.kv = kv;
  ctx.now = sample.wal_clock;
  ctx.lsn = lsn;
  // The local time keeps two firings apart when the position did not move
  // in between (a full disk stops it).
  ctx.commit_time = sample.local_now;
  ctx.detected_at = detected_at;
  ctx.out = out;
  return ReconcileAlert(&ctx, EntityRef{sample.state_dir, {}}, eval);
}

}  // namespace walguard
