// GroupCommitter: the open batch of transactions. Complete transactions are
// staged into one StateBatch with the messages they emit; a commit writes
// their state, their outbox entries and the checkpoint as one synced
// WriteBatch, and only then hands the entries to the sink. One fsync per
// group instead of per transaction.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/outlet.h"
#include "app/pipeline_metrics.h"
#include "core/output.h"
#include "state/state_store.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct BatchLimits {
  int max_transactions = 500;
  int max_ms = 50;
};

// How a commit waits out a full disk (app/disk_wait.h): the state directory
// named in the log, the stop request that ends the wait, and what keeps the
// replication connection alive meanwhile (a status update acknowledging
// only what is durable).
struct DiskWaitOptions {
  std::string dir;
  const std::atomic<bool>* stop = nullptr;
  std::function<void()> keep_alive;
  int max_backoff_ms = 10'000;
};

class GroupCommitter {
 public:
  GroupCommitter(BatchLimits limits, StateStore* store, Outlet* outlet)
      : limits_(limits), store_(store), outlet_(outlet) {}

  // Without it, a commit that finds the disk full returns NoSpace at once.
  void EnableDiskWait(DiskWaitOptions options) { disk_wait_ = std::move(options); }

  bool open() const { return batch_ != nullptr; }
  // Opens a batch unless one is open; true when it opened one.
  bool Open(Micros now);
  // The open batch and the messages staged with it.
  StateBatch* batch() { return batch_.get(); }
  std::vector<OutMessage>* out() { return &out_; }
  size_t staged_messages() const { return out_.size(); }

  // One source transaction staged, committed at `commit_time` on the
  // source; its messages are out()[first_message..]. The time from its
  // commit to the delivery of its last message is measured (ObserveDeliveries).
  void CountTransaction(Micros commit_time, size_t first_message);
  // The group reached max_batch_transactions or is max_batch_ms old.
  bool Full(Micros now) const;

  // Group commit without a window to wait out: the batch takes everything
  // the socket already holds and commits as soon as it holds nothing more,
  // so a lone transaction commits at once while under load each group is
  // what arrived during the previous group's fsync. The limits still cap a
  // group. In the middle of a transaction (its commit not read yet) nothing
  // new can be committed, so the loop waits for the rest, up to the window.
  //
  // How long the loop may wait on the socket. Without a batch it is the
  // idle wait, cut to kDeliveryPollMs while a fresh commit's messages await
  // their delivery reports: the loop serves the reports (and so deletes the
  // delivered outbox entries and measures commit -> publish) within a few
  // ms instead of at the next idle wake-up.
  int PollTimeoutMs(int idle_ms, Micros now, bool mid_transaction) const;
  static constexpr int kDeliveryPollMs = 5;
  // Whether to commit now: the group is full, or the socket had nothing
  // more (`drained`) between transactions.
  bool CommitDue(Micros now, bool drained, bool mid_transaction) const;

  // Commits the open batch with `next` as its checkpoint: state + outbox
  // entries + checkpoint, synced. The entries wait for PublishCommitted(),
  // which the caller runs once it has recorded the new durable position.
  // On a full disk it waits (EnableDiskWait) and retries the same batch
  // until it commits or a stop is requested (then NoSpace, the batch kept).
  Status Commit(const Checkpoint& next);
  // Hands the committed entries to the sink.
  Status PublishCommitted();
  // Records commit -> publish into `histogram` for the committed
  // transactions whose last message the sink has confirmed since the last
  // call (an outbox entry is deleted on its delivery report). Cheap when
  // nothing was delivered: one outbox read per transaction found delivered,
  // plus one. A failed read leaves them for the next call: a metric never
  // stops the pipeline.
  void ObserveDeliveries(Micros now, LatencyHistogram* histogram);

  // A transaction applied in parts (state/partial_transaction.h): commits
  // the open batch's state without sync and without a checkpoint; the staged
  // messages wait for the final Commit, and the batch stays open.
  Status CommitPart();
  // Drops the open batch and its staged messages (the parts are rolled back).
  void Discard();

 private:
  Status WaitForSpace(const Checkpoint& next, uint64_t pending_bytes, Status failed);

  const BatchLimits limits_;
  DiskWaitOptions disk_wait_;
  StateStore* store_;
  Outlet* outlet_;
  std::unique_ptr<StateBatch> batch_;
  std::vector<OutMessage> out_;
  std::vector<OutboxEntry> appended_;
  // Per staged transaction with messages: the end of its messages in out_.
  struct StagedStep {
    size_t end = 0;
    Micros commit_time = 0;
  };
  std::vector<StagedStep> staged_steps_;
  // Committed transactions with messages not all confirmed, in seq order.
  struct PublishedStep {
    uint64_t last_seq = 0;  // outbox seq of its last message
    Micros commit_time = 0;
    Micros committed_at = 0;  // our clock, at the commit
  };
  // Bounds the memory while the sink confirms nothing (Kafka down): the
  // oldest are dropped unmeasured.
  static constexpr size_t kMaxPublished = 4096;
  // How long after its commit a transaction's delivery is awaited with the short wait.
  static constexpr Micros kDeliveryWaitUs = 1'000'000;
  std::deque<PublishedStep> published_;
  uint64_t delivered_seen_ = 0;  // outlet_->delivered_total() at the last look
  int transactions_ = 0;
  Micros started_ = 0;
};

}  // namespace walguard
