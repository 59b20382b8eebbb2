#include "app/archive_checkpoint.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "core/key_layout.h"
#include "util/coding.h"

namespace walguard {

namespace {

// The processor state: every key below the state store's own ('~').
constexpr std::string_view kStateBegin = "";
constexpr std::string_view kStateEnd = "~";

Status ReadClock(const StateSnapshot& snapshot, Micros* clock) {
  std::string value;
  Status s = snapshot.Get(keys::kClockKey, &value);
  if (s.IsNotFound()) {
    *clock = 0;
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(s);
  std::string_view in(value);
  if (!GetVarsint64(&in, clock)) return Status::Corruption("stored WAL clock is malformed");
  return Status::OK();
}

}  // namespace

ArchiveCheckpointer::~ArchiveCheckpointer() {
  Reap(/*wait=*/true);
}

Status ArchiveCheckpointer::Open(Micros now) {
  std::vector<StateCheckpointInfo> checkpoints;
  WG_RETURN_IF_ERROR(ListStateCheckpoints(options_.dir, &checkpoints));
  last_ = now;
  if (!checkpoints.empty()) {
    last_ = checkpoints.back().time;
    last_next_seq_ = checkpoints.back().next_seq;
  }
  return Status::OK();
}

Status ArchiveCheckpointer::AtBoundary(Micros now, bool wanted) {
  Reap(/*wait=*/false);
  if (writing()) return Status::OK();
  const bool due = options_.interval > 0 && now - last_ >= options_.interval;
  if (!due && !wanted) return Status::OK();
  // Only whole records are sealed, and only a complete snapshot's state is
  // a start point: a bootstrap in progress has no checkpoint (StateStore::Wipe).
  if (store_->archive_buffer_bytes() != 0 || store_->next_archive_seq() == last_next_seq_) return Status::OK();
  Checkpoint position;
  Status s = store_->ReadCheckpoint(&position);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  if (!position.snapshot_done) return Status::OK();
  // Single-threaded pipeline: nothing commits between these reads and the snapshot.
  std::unique_ptr<StateSnapshot> snapshot;
  WG_RETURN_IF_ERROR(StateSnapshot::Take(store_, &snapshot));
  StateCheckpointInfo info;
  info.next_seq = store_->next_archive_seq();
  info.lsn = position.lsn;
  WG_RETURN_IF_ERROR(ReadClock(*snapshot, &info.time));
  last_ = now;  // a failed write is tried again one interval later, or when retention asks
  last_next_seq_ = info.next_seq;
  done_ = false;
  thread_ = std::thread(&ArchiveCheckpointer::Write, this, std::move(snapshot), std::move(info));
  return Status::OK();
}

void ArchiveCheckpointer::Write(std::unique_ptr<StateSnapshot> snapshot, StateCheckpointInfo info) {
  const StateEntrySource source = [&](const StateEntrySink& add) {
    return snapshot->Scan(kStateBegin, kStateEnd, add);
  };
  result_ = WriteStateCheckpoint(options_.dir, options_.thresholds, source, &info);
  written_ = std::move(info);
  snapshot.reset();
  done_ = true;
}

void ArchiveCheckpointer::Reap(bool wait) {
  if (!thread_.joinable() || (!wait && !done_)) return;
  thread_.join();
  if (!result_.ok()) {
    spdlog::warn("archive: state checkpoint at LSN {} not written: {}; retried at a later seal",
                 FormatLsn(written_.lsn), result_.ToString());
    last_next_seq_ = 0;
    return;
  }
  spdlog::info("archive: wrote the state checkpoint {} (LSN {}, WAL clock {}, {} bytes): replay can start there",
               written_.path, FormatLsn(written_.lsn), FormatTimestamp(written_.time), written_.file_bytes);
}

void ArchiveCheckpointer::Finish() {
  Reap(/*wait=*/true);
}

}  // namespace walguard
