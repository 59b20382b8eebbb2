// TunedOptions: the RocksDB options of walguard's state (state_store.h),
// chosen for its access pattern, in one place so they can be measured
// (bench/micro: BM_EngineStateStore) and changed without touching the store.
//
// The pattern: small values, keys that share long prefixes (a one-byte tag,
// a table id, a uuid: core/key_layout.h); per row change about six point
// lookups, most of them for keys that do not exist yet (a new row's image, a
// fingerprint that is not firing), three writes and a third of a range scan
// over one tag; the working set is the recent rows and the aggregates of
// the entities they touch.
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

rocksdb::Options TunedOptions();

}  // namespace walguard
