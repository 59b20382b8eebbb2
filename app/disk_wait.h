// A full disk under the state is a wait, not an exit.
//
// A write that finds no room (ENOSPC, EDQUOT) or fails (EIO) stops the
// pipeline where it is: the WAL is not read and nothing new is acknowledged
// (the slot keeps the rest), an error says how much room is needed and on
// which filesystem, the write is retried with backoff, and the run goes on
// by itself once there is room. The same holds at start (OpenRunState) and
// for the archive (Archiver). DiskWatch raises state_disk_low before it
// comes to that.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/kv.h"
#include "core/output.h"
#include "processors/state_disk_low.h"
#include "state/state_store.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// NoSpace, or an IOError whose text names ENOSPC or EDQUOT (the archive's
// files report errno text).
bool IsOutOfSpace(const Status& s);

// The room a write of `pending_bytes` needs: the bytes themselves plus the
// flush of what the state holds in memory (`unflushed_bytes`), which the
// recovery from the failed write makes first.
uint64_t SpaceNeeded(uint64_t pending_bytes, uint64_t unflushed_bytes);

// The error line of a wait: what could not be written, the filesystem it is
// on with its free bytes, how much is needed, when the next try is.
void LogWaitingForSpace(std::string_view what, const std::string& dir, uint64_t needed, const Status& cause,
                        int retry_ms);
// The line that ends a wait.
void LogSpaceBack(std::string_view what, const std::string& dir, Micros waited);

// The free bytes below which state_disk_low fires: `[state] disk_low_bytes`,
// or the smaller of 1 GiB and 5 % of the filesystem when that is 0.
uint64_t DiskLowThreshold(const StateConfig& state, uint64_t total_bytes);

// Samples the state's filesystem every `interval_s` for state_disk_low.
class DiskWatch {
 public:
  DiskWatch(const Config& config, int interval_s) : config_(config), interval_s_(interval_s) {}

  // True when a fresh sample was taken: then reconcile with Sample().
  bool Tick(Micros now);
  // Before a sample below the threshold counts, the state gives back the
  // history its RocksDB log holds (StateStore::FlushMemtables) when that is
  // at least kGiveBackBytes, and the disk is measured again: on a small disk
  // that log, not the live state, is what a burst of writes fills, and a
  // disk that a flush frees is not low (the alert would flap). A flush that
  // fails keeps the first sample.
  void GiveBackIfLow(StateStore* store, Micros now);
  DiskSample Sample(Micros wal_clock) const;

  static constexpr uint64_t kGiveBackBytes = uint64_t{1} << 20;

 private:
  Status Measure(Micros now);

  const Config& config_;
  const int interval_s_;
  Micros last_ = 0;
  DiskSample sample_;
  std::string last_error_;
};

// Stages state_disk_low's firing or resolved message when its state
// changes (lsn: the applied position), and logs the change.
Status ReconcileDiskLow(const DiskSample& sample, Lsn lsn, KvTxn* kv, Micros now, std::vector<OutMessage>* out);

}  // namespace walguard
