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
#pragma once

#include <rocksdb/write_batch.h>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace walguard {

class StagedWrites {
 public:
  struct Entry {
    std::string value;
    bool deleted = false;
  };
  using Ordered = std::map<std::string, Entry, std::less<>>;

  // nullptr when the key was not written.
  const Entry* Find(std::string_view key) const;
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);

  // The written keys in [begin, ...), in order.
  Ordered::const_iterator LowerBound(std::string_view begin) const { return ordered_.lower_bound(begin); }
  Ordered::const_iterator end() const { return ordered_.end(); }

  // Appends every write to `batch`, in key order.
  void AppendTo(rocksdb::WriteBatch* batch) const;
  void Clear();

  bool empty() const { return ordered_.empty(); }
  size_t count() const { return ordered_.size(); }
  // The bytes of the keys and values held: what this batch costs in memory.
  size_t bytes() const { return bytes_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  Entry* Upsert(std::string_view key);

  Ordered ordered_;
  // Views of ordered_'s keys: a std::map node never moves.
  std::unordered_map<std::string_view, Entry*, Hash> index_;
  size_t bytes_ = 0;
};

}  // namespace walguard
