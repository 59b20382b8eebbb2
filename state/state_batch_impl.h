// Internal to state/: the insides of a StateBatch, shared by the files that
// implement StateBatch and StateStore (state_store.cc, archive_buffer.cc).
#pragma once

#include <rocksdb/status.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

struct StateBatch::Impl {
  StateStore* store = nullptr;
  rocksdb::WriteBatchWithIndex batch{rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true};
  uint64_t appended = 0;
  bool has_checkpoint = false;
  Checkpoint checkpoint;
  // Archive records appended: their seqs are [archive_first, archive_next).
  // Taken from the store's committed counter, so a batch discarded without a
  // commit leaves no gap; archive_first == 0 when none was appended.
  uint64_t archive_first = 0;
  uint64_t archive_next = 0;
  uint64_t archive_bytes = 0;
};

inline Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(std::string(what));
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  return Status::IOError(std::string(what) + ": " + s.ToString());
}

}  // namespace walguard
