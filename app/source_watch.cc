#include "app/source_watch.h"

#include <spdlog/spdlog.h>

namespace walguard {

void SourceWatch::Start(Micros now) {
  monitor_.Configure(pg_.conninfo);
  last_monitor_ = now;
}

// Once per distinct error: a down server would otherwise log every interval.
void SourceWatch::Report(const Status& s) {
  if (s.ok() || s.message() == last_error_) return;
  last_error_ = s.message();
  spdlog::warn("{}; retrying at the next interval", s.ToString());
}

void SourceWatch::EmitHeartbeat() {
  Lsn lsn = 0;
  Status s = monitor_.EmitHeartbeat(&lsn);
  Report(s);
  if (s.ok()) ++metrics_->heartbeats_sent;
}

bool SourceWatch::Tick(Micros now, bool paused) {
  if (pg_.heartbeat_interval_s > 0 && !paused && now - last_heartbeat_ >= pg_.heartbeat_interval_s * kMicrosPerSecond) {
    last_heartbeat_ = now;
    EmitHeartbeat();
  }
  if (pg_.monitor_interval_s <= 0 || now - last_monitor_ < pg_.monitor_interval_s * kMicrosPerSecond) return false;
  last_monitor_ = now;
  SlotHealth health;
  Status s = monitor_.ReadSlotHealth(pg_.slot, &health);
  Report(s);
  if (!s.ok()) return false;
  last_error_.clear();
  return CheckSlot(health);
}

bool SourceWatch::CheckSlot(const SlotHealth& health) {
  const std::string& slot = pg_.slot;
  if (!health.found) {
    spdlog::error(
        "monitor: slot '{}' no longer exists on the server (dropped?); the stream will fail. "
        "Recover with `walguard run --resnapshot`",
        slot);
    return false;
  }
  if (health.wal_status != health_.wal_status && (health.wal_status == "unreserved" || health.wal_status == "lost")) {
    spdlog::error(
        "monitor: slot '{}' wal_status={} ({} bytes behind): the server {} the WAL walguard still needs "
        "(max_slot_wal_keep_size)",
        slot, health.wal_status, health.LagBytes(), health.wal_status == "lost" ? "has removed" : "is about to remove");
  }
  health_ = health;
  return true;
}

LagSample SourceWatch::Sample(Micros wal_clock) const {
  LagSample sample;
  sample.slot = pg_.slot;
  sample.lag_bytes = health_.LagBytes();
  sample.server_now = health_.server_now;
  sample.wal_clock = wal_clock;
  sample.current_wal_lsn = health_.current_wal_lsn;
  sample.confirmed_flush = health_.confirmed_flush;
  sample.wal_status = health_.wal_status;
  return sample;
}

Status ReconcileLag(const LagSample& sample, const Thresholds& thresholds, Lsn lsn, KvTxn* kv, Micros now,
                    std::vector<OutMessage>* out) {
  const size_t before = out->size();
  WG_RETURN_IF_ERROR(ReconcileReplicationLag(sample, thresholds, lsn, kv, now, out));
  if (out->size() == before) return Status::OK();
  const bool firing = LagExceeded(sample, thresholds);
  spdlog::log(firing ? spdlog::level::warn : spdlog::level::info,
              "replication_lag {}: the server is {} bytes past the slot's confirmed position, the WAL clock {} s "
              "behind the server's",
              firing ? "firing" : "resolved", sample.lag_bytes, sample.LagTime() / kMicrosPerSecond);
  return Status::OK();
}

}  // namespace walguard
