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
// Memory is bounded whatever the state's size or a transaction's: at most
// three 32 MiB memtables (writes wait for a flush past that), and one 32 MiB
// block cache that holds data, index and filter blocks alike.
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
