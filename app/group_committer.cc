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

void GroupCommitter::CountTransaction(Micros commit_time, size_t first_message) {
  assert(first_message <= out_.size());
  ++transactions_;
  if (out_.size() > first_message) staged_steps_.push_back({out_.size(), commit_time});
}

int GroupCommitter::PollTimeoutMs(int idle_ms, Micros now, bool mid_transaction) const {
  if (!batch_) {
    const bool awaiting = !published_.empty() && now - published_.back().committed_at < kDeliveryWaitUs;
    return awaiting ? std::min(idle_ms, kDeliveryPollMs) : idle_ms;
  }
  if (!mid_transaction) return 0;
  const Micros left_us = started_ + limits_.max_ms * 1000LL - now;
  const Micros left_ms = std::max<Micros>(0, (left_us + 999) / 1000);
  return static_cast<int>(std::min<Micros>(idle_ms, left_ms));
}

bool GroupCommitter::CommitDue(Micros now, bool drained, bool mid_transaction) const {
  if (!batch_) return false;
  return Full(now) || (drained && !mid_transaction);
}

Status GroupCommitter::Commit(const Checkpoint& next) {
  assert(batch_ != nullptr);
  const size_t first = appended_.size();
  batch_->AppendOutbox(out_, &appended_);
  assert(appended_.size() - first == out_.size());
  const Micros committed_at = WallClockNow();
  for (const StagedStep& step : staged_steps_) {
    assert(step.end >= 1 && step.end <= out_.size());
    published_.push_back({appended_[first + step.end - 1].seq, step.commit_time, committed_at});
    if (published_.size() > kMaxPublished) published_.pop_front();
  }
  staged_steps_.clear();
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

void GroupCommitter::ObserveDeliveries(Micros now, LatencyHistogram* histogram) {
  const uint64_t delivered = outlet_->delivered_total();
  if (delivered == delivered_seen_ || published_.empty()) return;
  delivered_seen_ = delivered;
  // Each pass takes one transaction off the front, so at most published_.size() passes.
  std::vector<OutboxEntry> next;
  while (!published_.empty()) {
    const PublishedStep& step = published_.front();
    next.clear();
    if (!store_->ReadOutbox(step.last_seq - 1, 1, &next).ok()) return;
    if (!next.empty() && next.front().seq == step.last_seq) return;  // not confirmed yet
    histogram->Record(now - step.commit_time);
    published_.pop_front();
  }
}

Status GroupCommitter::CommitPart() {
  assert(batch_ != nullptr);
  return store_->Commit(batch_.get(), /*sync=*/false);
}

void GroupCommitter::Discard() {
  batch_.reset();
  out_.clear();
  staged_steps_.clear();
  transactions_ = 0;
}

Status GroupCommitter::PublishCommitted() {
  Status s = outlet_->Publish(std::move(appended_));
  appended_.clear();
  return s;
}

}  // namespace walguard
