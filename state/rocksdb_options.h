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
//  - a prefix_extractor on the one-byte tag: it filters no point lookup.
//    Whole-key filters serve the lookups. The prefix extractor the state
//    has (IndexPrefix, below) covers only the index keys scanned by prefix.
#pragma once

#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>

#include <memory>
#include <string_view>

namespace walguard {

// The options of every read-write open of the state (StateStore::Open and
// the reopen after a write error).
rocksdb::Options StateDbOptions();

// The prefix extractor of the state: for the index keys the engine scans by
// an entity's prefix ('B' unit '/', 'H' tier '/', 'L' transaction '/', 'P'
// intent '/': core/key_layout.h), the key up to its first '/' after the tag.
// With it, the table and memtable bloom filters answer "no key of this
// prefix here" for a scan as they do for a point lookup: at 1 M row changes
// those scans cost a data block read per level of the state (bench/RESULTS.md,
// eighth session). Other keys are outside its domain. Its name is stored
// in every table file: a change of what it computes needs a new name.
// Every open of the state sets it (the secondary instance of `walguard
// state` too), so a scan in prefix mode always has it.
std::shared_ptr<const rocksdb::SliceTransform> IndexPrefix();

// True when every key in [begin, end) has begin's IndexPrefix: such a scan
// may read in prefix mode (prefix_same_as_start). Every other iterator must
// read in total order (state/state_batch_impl.h, TotalOrderRead).
bool WithinOneIndexPrefix(std::string_view begin, std::string_view end);

}  // namespace walguard
