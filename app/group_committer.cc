#include "app/group_committer.h"

#include <algorithm>
#include <cassert>

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
  WG_RETURN_IF_ERROR(store_->Commit(batch_.get(), /*sync=*/true));
  batch_.reset();
  transactions_ = 0;
  return Status::OK();
}

Status GroupCommitter::PublishCommitted() {
  Status s = outlet_->Publish(std::move(appended_));
  appended_.clear();
  return s;
}

}  // namespace walguard
