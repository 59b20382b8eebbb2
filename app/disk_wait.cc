#include "app/disk_wait.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "state/state_dir.h"

namespace walguard {

namespace {
constexpr uint64_t kDefaultDiskLowCap = uint64_t{1} << 30;
constexpr uint64_t kDefaultDiskLowPercent = 5;
}  // namespace

bool IsOutOfSpace(const Status& s) {
  if (s.IsNoSpace()) return true;
  if (s.code() != Status::Code::kIOError) return false;
  const std::string& m = s.message();
  return m.find("No space left") != std::string::npos || m.find("Disk quota exceeded") != std::string::npos;
}

uint64_t SpaceNeeded(uint64_t pending_bytes, uint64_t unflushed_bytes) {
  return pending_bytes + unflushed_bytes;
}

void LogWaitingForSpace(std::string_view what, const std::string& dir, uint64_t needed, const Status& cause,
                        int retry_ms) {
  DiskSpace space;
  Status measured = MeasureDiskSpace(dir, &space);
  const std::string where = measured.ok() ? space.mount_point + ", which has " + FormatBytes(space.free_bytes) +
                                                " free of " + FormatBytes(space.total_bytes)
                                          : "an unknown filesystem (" + measured.message() + ")";
  spdlog::error(
      "disk full: cannot {} in {} (on {}); walguard needs about {} more there. Not reading the WAL and "
      "acknowledging nothing new until there is room; retrying in {} ms ({})",
      what, dir, where, FormatBytes(needed), retry_ms, cause.ToString());
}

void LogSpaceBack(std::string_view what, const std::string& dir, Micros waited) {
  DiskSpace space;
  const std::string free = MeasureDiskSpace(dir, &space).ok() ? FormatBytes(space.free_bytes) + " free" : "room";
  spdlog::info("disk space is back in {} ({}): {} after {} s of waiting; resuming", dir, free, what,
               waited / kMicrosPerSecond);
}

uint64_t DiskLowThreshold(const StateConfig& state, uint64_t total_bytes) {
  if (state.disk_low_bytes > 0) return static_cast<uint64_t>(state.disk_low_bytes);
  return std::min(kDefaultDiskLowCap, total_bytes / 100 * kDefaultDiskLowPercent);
}

bool DiskWatch::Tick(Micros now) {
  if (now - last_ < interval_s_ * kMicrosPerSecond) return false;
  last_ = now;
  Status s = Measure(now);
  if (!s.ok()) {
    // Once per distinct error: it is retried at the next interval.
    if (s.message() != last_error_) spdlog::warn("disk watch: {}; retrying at the next interval", s.ToString());
    last_error_ = s.message();
    return false;
  }
  last_error_.clear();
  return true;
}

void DiskWatch::GiveBackIfLow(StateStore* store, Micros now) {
  if (sample_.free_bytes >= sample_.threshold_bytes) return;
  const uint64_t unflushed = store->UnflushedBytes();
  if (unflushed < kGiveBackBytes) return;
  Status s = store->FlushMemtables();
  if (s.ok()) s = Measure(now);
  if (!s.ok()) {
    spdlog::warn("disk watch: could not flush the state's {} of memtables on a low disk: {}", FormatBytes(unflushed),
                 s.ToString());
  }
}

Status DiskWatch::Measure(Micros now) {
  DiskSpace space;
  WG_RETURN_IF_ERROR(MeasureDiskSpace(config_.state_dir, &space));
  sample_.state_dir = config_.state_dir;
  sample_.mount_point = space.mount_point;
  sample_.free_bytes = space.free_bytes;
  sample_.total_bytes = space.total_bytes;
  sample_.threshold_bytes = DiskLowThreshold(config_.state, space.total_bytes);
  sample_.local_now = now;
  return Status::OK();
}

DiskSample DiskWatch::Sample(Micros wal_clock) const {
  DiskSample sample = sample_;
  sample.wal_clock = wal_clock;
  return sample;
}

Status ReconcileDiskLow(const DiskSample& sample, Lsn lsn, KvTxn* kv, Micros now, std::vector<OutMessage>* out) {
  const size_t before = out->size();
  WG_RETURN_IF_ERROR(ReconcileStateDiskLow(sample, lsn, kv, now, out));
  if (out->size() == before) return Status::OK();
  const bool firing = sample.free_bytes < sample.threshold_bytes;  // a change below it can only be a firing
  spdlog::log(firing ? spdlog::level::warn : spdlog::level::info,
              "state_disk_low {}: {} has {} free of {} (the alert fires below {})", firing ? "firing" : "resolved",
              sample.mount_point, FormatBytes(sample.free_bytes), FormatBytes(sample.total_bytes),
              FormatBytes(sample.threshold_bytes));
  return Status::OK();
}

}  // namespace walguard
