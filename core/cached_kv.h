// CachedKv: a write-back cache of rows and aggregates in front of a KvTxn,
// in the manner of Kafka Streams' record cache.
//
// The engine reads the same keys again and again within a step (a row's
// image, then its entity's aggregate, then the aggregate again when the
// entity is evaluated) and across steps (a tier's counters, a payment's
// intent). Each Get on the state's RocksDB batch costs a batch-index probe,
// a memtable probe and possibly a block read; here a repeated read is one
// hash probe. Writes stay in the cache until Flush, so a key written several
// times in a step reaches the base once.
//
// Measured (bench/RESULTS.md) in front of the replayer's and the engine's
// RocksDB batch, it saves within the noise (0-7 %): most reads are of keys
// read once (a new row's image, a fingerprint not firing). So nothing uses
// it yet but the benchmarks (BM_EngineStateStore/x/1); it is kept as the
// measured, tested building block for a cache that spans steps.
//
// Coherence: every write of the base must go through this cache (the cache
// would otherwise answer with a stale value): hold it for as long as one
// owner stages all writes, and Clear it when the base changes underneath
// (a wipe, a checkpoint load). Scan flushes first, so the base's scan sees
// every write. The result is the base exactly as if the writes had gone
// straight to it: the same keys and values, hence the same alerts.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/kv.h"
#include "util/status.h"

namespace walguard {

class CachedKv : public KvTxn {
 public:
  // `base` outlives the cache. Past `max_entries` cached keys, Trim drops
  // them all (after a Flush): the bound on the cache's memory.
  explicit CachedKv(KvTxn* base, size_t max_entries = 1 << 16) : base_(base), max_entries_(max_entries) {}

  Status Get(std::string_view key, std::string* value) override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  // Flushes, then scans the base.
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) override;

  // Writes the pending writes to the base, in the order the keys were first
  // written since the last Flush.
  void Flush();
  // After a Flush: forgets everything when the cache is over its bound.
  void Trim();
  // Forgets everything, pending writes included: the base changed underneath.
  void Clear();

  size_t size() const { return entries_.size(); }
  size_t pending() const { return dirty_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Entry {
    std::string value;
    bool present = false;  // false: the key is absent (a cached miss, or a pending delete)
    bool dirty = false;    // written since the last Flush
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  Entry* Write(std::string_view key);

  KvTxn* base_;
  size_t max_entries_;
  Map entries_;
  std::vector<Map::value_type*> dirty_;  // node pointers: stable across rehashing
};

}  // namespace walguard
