#include "app/group_committer.h"

#include <algorithm>
#include <cassert>

#include "app/backoff.h"
#include "app/disk_wait.h"

namespace walguard {

bool GroupCommitter::Open(Micros now) {
  if (batch_) return false;
  batch_ = store_->NewBatch();
  transactions_ = 0;
  started_ = now;
  return true;
}

bool GroupCommitter::Full(Micros now) const {
  return transactions_ >= limits_.max_transactions || now - started_ >= limits_.max_ms * 1000LL;
}

int GroupCommitter::PollTimeoutMs(int idle_ms) const {
  return batch_ ? std::min(idle_ms, limits_.max_ms) : idle_ms;
}

Status GroupCommitter::Commit(const Checkpoint& next) {
  assert(batch_ != nullptr);
  batch_->AppendOutbox(out_, &appended_);
  out_.clear();
  batch_->SetCheckpoint(next);
  const uint64_t pending = batch_->ApproximateSize();
  Status s = store_->Commit(batch_.get(), /*sync=*/true);
  if (IsOutOfSpace(s)) s = WaitForSpace(next, pending, s);
  WG_RETURN_IF_ERROR(s);
  batch_.reset();
  transactions_ = 0;
  return Status::OK();
}

// The batch stays staged through the wait: a retry writes the same keys,
// outbox seqs and checkpoint, so a write RocksDB half-applied before failing
// is simply made again. The checkpoint is set again each time: a commit
// whose database write went through but whose handover file did not
// (state/handover_file.h) has cleared the batch, and the retry rewrites the
// file with it.
Status GroupCommitter::WaitForSpace(const Checkpoint& next, uint64_t pending_bytes, Status failed) {
  if (disk_wait_.stop == nullptr) return failed;
  Backoff backoff(disk_wait_.max_backoff_ms, disk_wait_.stop);
  const Micros since = WallClockNow();
  Status s = std::move(failed);
  while (IsOutOfSpace(s) && !backoff.stopped()) {
    LogWaitingForSpace("commit the state", disk_wait_.dir, SpaceNeeded(pending_bytes, store_->UnflushedBytes()), s,
                       backoff.next_ms());
    if (disk_wait_.keep_alive) disk_wait_.keep_alive();
    backoff.Sleep();
    s = store_->RecoverFromWriteError();
    if (!s.ok()) continue;
    batch_->SetCheckpoint(next);
    s = store_->Commit(batch_.get(), /*sync=*/true);
  }
  if (s.ok()) LogSpaceBack("the state committed", disk_wait_.dir, WallClockNow() - since);
  return s;
}

Status GroupCommitter::CommitPart() {
  assert(batch_ != nullptr);
  return store_->Commit(batch_.get(), /*sync=*/false);
}

void GroupCommitter::Discard() {
  batch_.reset();
  out_.clear();
  transactions_ = 0;
}

Status GroupCommitter::PublishCommitted() {
  Status s = outlet_->Publish(std::move(appended_));
  appended_.clear();
  return s;
}

}  // namespace walguard
