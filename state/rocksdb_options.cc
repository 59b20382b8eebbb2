#include "state/rocksdb_options.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "state/state_store.h"

namespace walguard {

rocksdb::Options StateDbOptions() {
  rocksdb::Options options;
  options.IncreaseParallelism(2);
  // 32 MB memtables: state is small and hot; a smaller skiplist keeps
  // lookups and resident memory down.
  options.OptimizeLevelStyleCompaction(kStateWriteBufferBytes);
  options.write_buffer_size = kStateWriteBufferBytes;
  // Most lookups are for keys that do not exist yet (a new row's image): a
  // memtable bloom filter answers those without walking the skiplist, and
  // table bloom filters do it on disk.
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
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
