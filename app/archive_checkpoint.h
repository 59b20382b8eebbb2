// ArchiveCheckpointer: `walguard run`'s side of the archive's state
// checkpoints (ingest/archive_checkpoint.h), for the Archiver.
//
// At a seal boundary (every buffered record sealed, so the committed state
// holds exactly the effects of the sealed segments) and once the state is a
// complete snapshot's, a checkpoint is due when checkpoint_interval has
// passed since the newest one, or when retention asks for a newer start
// point (ingest/archive_retention.h). It is taken from a RocksDB snapshot
// (state/state_snapshot.h) at the boundary and written by a background
// thread, so the pipeline goes on committing meanwhile. A failed write is
// logged and tried again at a later boundary: without it retention only
// keeps more.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "ingest/archive_checkpoint.h"
#include "state/state_snapshot.h"
#include "state/state_store.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct CheckpointOptions {
  std::string dir;                                         // the archive's directory
  Micros interval = Micros{24} * 3600 * kMicrosPerSecond;  // 0: only when retention asks
  std::string thresholds;                                  // RecordThresholds of the live run
};

class ArchiveCheckpointer {
 public:
  ArchiveCheckpointer(CheckpointOptions options, StateStore* store) : options_(std::move(options)), store_(store) {}
  ~ArchiveCheckpointer();  // waits for a write in progress
  ArchiveCheckpointer(const ArchiveCheckpointer&) = delete;
  ArchiveCheckpointer& operator=(const ArchiveCheckpointer&) = delete;

  // The interval runs from the newest checkpoint's time, or from `now`
  // (local time) when the archive has none.
  Status Open(Micros now);

  // At a seal boundary: starts a checkpoint when one is due (or `wanted`)
  // and none is being written. Errors of the state (not of the write) come back.
  Status AtBoundary(Micros now, bool wanted);

  // Waits for a write in progress (a clean stop) and logs its outcome.
  void Finish();
  bool writing() const { return thread_.joinable(); }

 private:
  // Joins a finished write, logging its outcome; nothing while it runs.
  void Reap(bool wait);
  void Write(std::unique_ptr<StateSnapshot> snapshot, StateCheckpointInfo info);

  const CheckpointOptions options_;
  StateStore* store_;
  Micros last_ = 0;             // time of the newest checkpoint (its WAL clock, or Open's now)
  uint64_t last_next_seq_ = 0;  // of the newest checkpoint
  std::thread thread_;
  std::atomic<bool> done_{false};
  Status result_;  // of the write; read once done_
  StateCheckpointInfo written_;
};

}  // namespace walguard
