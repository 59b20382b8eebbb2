// StateDbOptions: the RocksDB options of walguard's state (state_store.h),
// chosen for its access pattern, in one place.
//
// The pattern: small values, keys that share long prefixes (a one-byte tag,
// a table id, a uuid: core/key_layout.h); per row change a few point
// lookups, most of them for keys that do not exist yet (a new row's image),
// two or three writes and a third of a range scan over one tag; the working
// set is the recent rows and the aggregates of the entities they touch. The
// firing set and its kin never reach RocksDB's read path
// (state/resident_keys.h).
//
// Tried and left out (bench/RESULTS.md, seventh session): three memtables
// at most and one 32 MiB block cache holding the index and filter blocks.
// Through a 10 M-row transaction (a 2.4 GB state) the peak RSS barely moved
// (381 -> 357 MiB) while its CPU went from 541 s to 1,084 s (both runs
// beside other tests): the filters of such a state do not fit that cache.
//
// Deliberately not set:
//  - optimize_filters_for_hits: it drops the bloom filters of the last
//    level, which is exactly what answers the lookups that miss;
//  - a prefix_extractor: a prefix bloom on the one-byte tag filters no point
//    lookup, and a longer prefix would cut the timer scan (tag 'T', ordered
//    by deadline across tables) short unless every Scan asked for
//    total_order_seek. Whole-key filters serve the lookups instead.
#pragma once

#include <rocksdb/options.h>

namespace walguard {

// The options of every read-write open of the state (StateStore::Open and
// the reopen after a write error).
rocksdb::Options StateDbOptions();

}  // namespace walguard
