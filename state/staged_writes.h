// Internal to state/: the writes of one StateBatch, held until its commit.
//
// Last write wins per key. A hash index answers the engine's point reads
// (most of its calls) with one probe; the keys are also kept in order, for
// its range scans and for the commit, which hands RocksDB the keys sorted:
// the memtable's skiplist inserts neighbouring keys from the splice of the
// previous one instead of searching from the top. (RocksDB's
// WriteBatchWithIndex, which this replaces, decodes every entry from the
// batch's byte string at each comparison of its skiplist: the most expensive
// part of the state path in the profile of bench/micro.)
//
// Keys, values and the nodes of both indexes live in one arena, released
// at once by Clear: no allocation of its own per write but the arena's
// occasional block. A value overwritten by one of no greater size reuses
// its bytes (a counter updated by every change of a step).
#pragma once

#include <rocksdb/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory_resource>
#include <string_view>
#include <unordered_map>

namespace walguard {

class StagedWrites {
 public:
  struct Entry {
    std::string_view value() const { return {data, size}; }
    char* data = nullptr;  // in the arena, `capacity` bytes; `size` of them the value (0 when deleted)
    size_t size = 0;
    size_t capacity = 0;
    bool deleted = false;
    // The committed state had no such key when the batch first wrote it: a
    // delete then needs no tombstone (a row inserted and deleted in one step).
    bool absent_in_base = false;
  };
  using Ordered = std::pmr::map<std::string_view, Entry>;

  StagedWrites();

  // nullptr when the key was not written.
  const Entry* Find(std::string_view key) const;
  // `absent_in_base`: the caller knows the committed state has no such key
  // (a read of it just missed); counts when the key is new to the batch.
  void Put(std::string_view key, std::string_view value, bool absent_in_base = false);
  void Delete(std::string_view key);

  // The written keys in [begin, ...), in order. Valid until the next Clear.
  Ordered::const_iterator LowerBound(std::string_view begin) const { return maps_->ordered.lower_bound(begin); }
  Ordered::const_iterator end() const { return maps_->ordered.end(); }

  // Appends every write to `batch`, in key order; with `skip_absent_deletes`,
  // not the deletes of keys absent from the committed state.
  void AppendTo(rocksdb::WriteBatch* batch, bool skip_absent_deletes) const;
  void Clear();

  // What the batch holds in memory: the bytes of keys and values taken from
  // the arena since the last Clear (overwritten values included), and
  // kEntryOverhead per key for the two indexes' nodes.
  size_t bytes() const { return bytes_; }
  static constexpr size_t kEntryOverhead = 128;

 private:
  using Index = std::pmr::unordered_map<std::string_view, Entry*>;
  struct Maps {
    explicit Maps(std::pmr::memory_resource* arena) : ordered(arena), index(arena) {}
    Ordered ordered;
    Index index;  // views of ordered's keys, which never move
  };

  Entry* Upsert(std::string_view key, bool absent_in_base);
  char* Copy(std::string_view bytes);
  // Maps built in the arena, with it as their allocator. They are never
  // destroyed: all they hold is the arena's, released whole by Clear, and
  // their destructors would only walk every node to hand it back to an
  // arena that ignores it (3 % of a replay's profile). Keys, values and
  // entries are trivially destructible.
  Maps* NewMaps();

  std::pmr::monotonic_buffer_resource arena_;
  Maps* maps_ = nullptr;  // in the arena; rebuilt by Clear, after the arena's release
  size_t bytes_ = 0;
};

}  // namespace walguard
