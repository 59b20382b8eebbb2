#include "state/rocksdb_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "state/state_store.h"

namespace walguard {

namespace {

constexpr size_t kBlockCacheBytes = size_t{32} << 20;

}  // namespace

rocksdb::Options StateDbOptions() {
  rocksdb::Options options;
  options.IncreaseParallelism(2);
  // 32 MB memtables: state is small and hot; a smaller skiplist keeps
  // lookups and resident memory down.
  options.OptimizeLevelStyleCompaction(kStateWriteBufferBytes);
  options.write_buffer_size = kStateWriteBufferBytes;
  // OptimizeLevelStyleCompaction lets six memtables pile up when flushes
  // fall behind (a bulk transaction applied in parts): 192 MiB. Three, each
  // flushed on its own, bound them to 96 MiB; a commit past that waits.
  options.max_write_buffer_number = 3;
  options.min_write_buffer_number_to_merge = 1;
  // Most lookups are for keys that do not exist yet (a new row's image): a
  // memtable bloom filter answers those without walking the skiplist, and
  // table bloom filters do it on disk.
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  // One bounded cache for data, index and filter blocks: resident memory
  // stays bounded at any state size (index and filter blocks outside the
  // cache grow with every table file), and L0's, the hottest, stay pinned.
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Every file the MANIFEST names must be there, whole, and every block read
  // checked: a damaged state is refused at open, not found hours later.
  options.paranoid_checks = true;
  // A full disk is waited out by the caller, which calls DB::Resume once
  // there is room (RecoverFromWriteError); RocksDB's own retry loop for it
  // would hold every manual Resume off with Busy.
  options.max_bgerror_resume_count = 0;
  return options;
}

}  // namespace walguard
