#include "state/rocksdb_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

namespace walguard {

namespace {

constexpr size_t kMemtableBytes = size_t{32} << 20;
constexpr size_t kBlockCacheBytes = size_t{32} << 20;

}  // namespace

rocksdb::Options TunedOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  // 32 MB memtables: state is small and hot; a smaller skiplist keeps
  // lookups and resident memory down.
  options.OptimizeLevelStyleCompaction(kMemtableBytes);
  options.write_buffer_size = kMemtableBytes;
  options.level_compaction_dynamic_level_bytes = true;
  // Most lookups are for keys that do not exist yet: a memtable bloom
  // filter answers those without walking the skiplist, and table bloom
  // filters do it on disk.
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.optimize_filters_for_memory = true;
  // One bounded cache for data, index and filter blocks: resident memory
  // stays bounded at any state size, and L0's filters and indexes, the
  // hottest, stay in it.
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // A hash index inside each data block: a point lookup finds its key
  // without the binary search over the block's restart points.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.data_block_hash_table_util_ratio = 0.75;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace walguard
