// Internal to state/: the insides of a StateBatch, shared by the files that
// implement StateBatch and StateStore (state_store.cc, archive_buffer.cc).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "state/rocksdb_options.h"
#include "state/staged_writes.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

// An iterator StateBatch::Scan reuses while the database is unchanged:
// RocksDB's NewIterator costs about as much as a short scan itself. The
// store drops it at every commit and in BaseRewritten, so it never pins a
// memtable past the group that read it, nor outlives the database's close
// (RecoverFromWriteError closes only after BaseRewritten).
struct StateStore::ScanIterator {
  std::unique_ptr<rocksdb::Iterator> it;
  rocksdb::SequenceNumber seq = 0;  // the database's last sequence number when it was made
  rocksdb::Slice upper_bound;       // re-pointed per scan; its ReadOptions point here
  bool busy = false;                // a scan runs on it: a nested scan takes its own
};

// Reads in key order across the whole state. Every iterator but those of the
// scans within one index prefix (rocksdb_options.h, IndexPrefix) must: the
// prefix extractor would let RocksDB skip files by a seek key's prefix.
inline rocksdb::ReadOptions TotalOrderRead() {
  rocksdb::ReadOptions options;
  options.total_order_seek = true;
  return options;
}

inline constexpr uint64_t kNoAbsentMark = ~uint64_t{0};

struct StateBatch::Impl {
  StateStore* store = nullptr;
  StagedWrites staged;
  // The last key a Get of this batch found in neither the batch nor the
  // committed state; cleared by each commit (state/staged_writes.h,
  // absent_in_base).
  std::string last_miss;
  uint64_t last_miss_version = 0;  // the store's base_version_ at that miss
  // The store's base_version_ when the batch first wrote a key it knew absent
  // (kNoAbsentMark: none since the last commit). The commit leaves out the
  // deletes of such keys only if nothing else wrote the database since.
  uint64_t absent_since = kNoAbsentMark;
  uint64_t appended = 0;
  bool has_checkpoint = false;
  bool firing_changed = false;  // a key of the firing set (IsFiringSetKey) was written
  Checkpoint checkpoint;
  // Archive records appended: their seqs are [archive_first, archive_next).
  // Taken from the store's committed counter, so a batch discarded without a
  // commit leaves no gap; archive_first == 0 when none was appended.
  uint64_t archive_first = 0;
  uint64_t archive_next = 0;
  uint64_t archive_bytes = 0;
};

// True for a write that found no room (ENOSPC, EDQUOT) or failed (EIO):
// RocksDB names only ENOSPC by a subcode, the others by their strerror text.
inline bool IsOutOfSpace(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  if (s.IsNoSpace()) return true;
  const std::string text = s.ToString();
  return text.find("No space left") != std::string::npos || text.find("Disk quota exceeded") != std::string::npos ||
         text.find("Input/output error") != std::string::npos;
}

inline Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(std::string(what));
  if (s.IsCorruption()) {
    return Status::Corruption(std::string(what) + ": " + s.ToString() +
                              " (the state is damaged: stop walguard and run `walguard run --resnapshot`)");
  }
  if (IsOutOfSpace(s)) return Status::NoSpace(std::string(what) + ": " + s.ToString());
  return Status::IOError(std::string(what) + ": " + s.ToString());
}

// Fatal: the state in `dir` is damaged (`what`), with the way out.
Status DamagedState(const std::string& dir, std::string_view what);

// A failed DB::Open as the operator should read it: another walguard holds
// it (IOError), the disk is full (NoSpace), or the state is damaged (Fatal).
Status OpenFailure(const std::string& dir, const rocksdb::Status& s);

}  // namespace walguard
