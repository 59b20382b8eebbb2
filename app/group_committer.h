// GroupCommitter: the open batch of transactions. Complete transactions are
// staged into one StateBatch with the messages they emit; a commit writes
// their state, their outbox entries and the checkpoint as one synced
// WriteBatch, and only then hands the entries to the sink. One fsync per
// group instead of per transaction.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/outlet.h"
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

  void CountTransaction() { ++transactions_; }
  // The group reached max_batch_transactions or is max_batch_ms old.
  bool Full(Micros now) const;
  // How long the loop may wait on the socket. With a batch open this is
  // max_batch_ms (when below the idle wait), and the batch commits when the
  // wait times out: a lone transaction waits out the window before its
  // commit. Kept as is for now; the latency it costs is a known performance
  // issue, to be addressed on its own.
  int PollTimeoutMs(int idle_ms) const;

  // Commits the open batch with `next` as its checkpoint: state + outbox
  // entries + checkpoint, synced. The entries wait for PublishCommitted(),
  // which the caller runs once it has recorded the new durable position.
  // On a full disk it waits (EnableDiskWait) and retries the same batch
  // until it commits or a stop is requested (then NoSpace, the batch kept).
  Status Commit(const Checkpoint& next);
  // Hands the committed entries to the sink.
  Status PublishCommitted();

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
  int transactions_ = 0;
  Micros started_ = 0;
};

}  // namespace walguard
