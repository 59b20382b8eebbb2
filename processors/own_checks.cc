#include "processors/own_checks.h"

#include "util/coding.h"

namespace walguard {

std::string EncodeLagObservation(const LagSample& s) {
  std::string body;
  PutLengthPrefixed(&body, s.slot);
  PutVarint64(&body, s.lag_bytes);
  PutVarsint64(&body, s.server_now);
  PutVarsint64(&body, s.wal_clock);
  PutVarint64(&body, s.current_wal_lsn);
  PutVarint64(&body, s.confirmed_flush);
  PutLengthPrefixed(&body, s.wal_status);
  return body;
}

Status DecodeLagObservation(std::string_view body, LagSample* s) {
  std::string_view slot, wal_status;
  // Trailing bytes: a field a later walguard added.
  if (!GetLengthPrefixed(&body, &slot) || !GetVarint64(&body, &s->lag_bytes) || !GetVarsint64(&body, &s->server_now) ||
      !GetVarsint64(&body, &s->wal_clock) || !GetVarint64(&body, &s->current_wal_lsn) ||
      !GetVarint64(&body, &s->confirmed_flush) || !GetLengthPrefixed(&body, &wal_status)) {
    return Status::Corruption("replication_lag observation is malformed");
  }
  s->slot.assign(slot);
  s->wal_status.assign(wal_status);
  return Status::OK();
}

std::string EncodeDiskObservation(const DiskSample& s) {
  std::string body;
  PutLengthPrefixed(&body, s.state_dir);
  PutLengthPrefixed(&body, s.mount_point);
  PutVarint64(&body, s.free_bytes);
  PutVarint64(&body, s.total_bytes);
  PutVarint64(&body, s.threshold_bytes);
  PutVarsint64(&body, s.local_now);
  PutVarsint64(&body, s.wal_clock);
  return body;
}

Status DecodeDiskObservation(std::string_view body, DiskSample* s) {
  std::string_view state_dir, mount_point;
  // Trailing bytes: a field a later walguard added.
  if (!GetLengthPrefixed(&body, &state_dir) || !GetLengthPrefixed(&body, &mount_point) ||
      !GetVarint64(&body, &s->free_bytes) || !GetVarint64(&body, &s->total_bytes) ||
      !GetVarint64(&body, &s->threshold_bytes) || !GetVarsint64(&body, &s->local_now) ||
      !GetVarsint64(&body, &s->wal_clock)) {
    return Status::Corruption("state_disk_low observation is malformed");
  }
  s->state_dir.assign(state_dir);
  s->mount_point.assign(mount_point);
  return Status::OK();
}

Status ApplyOwnCheck(std::string_view check, std::string_view body, const Thresholds& t, Lsn lsn, KvTxn* kv,
                     Micros detected_at, std::vector<OutMessage>* out) {
  if (check == kReplicationLag.type) {
    LagSample sample;
    WG_RETURN_IF_ERROR(DecodeLagObservation(body, &sample));
    return ReconcileReplicationLag(sample, t, lsn, kv, detected_at, out);
  }
  if (check == kStateDiskLow.type) {
    DiskSample sample;
    WG_RETURN_IF_ERROR(DecodeDiskObservation(body, &sample));
    return ReconcileStateDiskLow(sample, lsn, kv, detected_at, out);
  }
  return Status::OK();
}

}  // namespace walguard
