#include "state/rocksdb_options.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <memory>

#include "core/key_layout.h"
#include "state/state_store.h"

namespace walguard {

namespace {

bool IsPrefixScannedTag(char tag) {
  return tag == keys::kBookedIndex || tag == keys::kStuckHoldIndex || tag == keys::kLedgerIndex ||
         tag == keys::kPaymentIndex;
}

// The length of `key`'s IndexPrefix, 0 when outside its domain.
size_t IndexPrefixLength(std::string_view key) {
  if (key.size() < 2 || !IsPrefixScannedTag(key[0])) return 0;
  const size_t slash = key.find('/', 1);
  return slash == std::string_view::npos ? 0 : slash + 1;
}

class IndexPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "walguard.IndexPrefix.1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), IndexPrefixLength(std::string_view(key.data(), key.size())));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return IndexPrefixLength(std::string_view(key.data(), key.size())) != 0;
  }
};

}  // namespace

std::shared_ptr<const rocksdb::SliceTransform> IndexPrefix() {
  static const auto transform = std::make_shared<const IndexPrefixTransform>();
  return transform;
}

bool WithinOneIndexPrefix(std::string_view begin, std::string_view end) {
  const size_t length = IndexPrefixLength(begin);
  if (length == 0) return false;
  // Every key in [prefix, head + '0'), head being the prefix without its
  // '/', starts with the prefix, and so has it for its own IndexPrefix: it
  // holds no other '/'. Compared without building head + '0' (a scan is hot).
  const std::string_view head = begin.substr(0, length - 1);
  const int order = end.compare(0, head.size(), head);
  if (order != 0) return order < 0;
  return end.substr(head.size()).compare("0") <= 0;
}

rocksdb::Options StateDbOptions() {
  rocksdb::Options options;
  options.IncreaseParallelism(2);
  // 32 MB memtables: state is small and hot; a smaller skiplist keeps
  // lookups and resident memory down.
  options.OptimizeLevelStyleCompaction(kStateWriteBufferBytes);
  options.write_buffer_size = kStateWriteBufferBytes;
  // Memory bound: all memtables together stay within kStateMemtableBudgetBytes
  // (RocksDB flushes the largest one as they near it), and each is flushed as
  // soon as it is full rather than merged with the next. Left to
  // OptimizeLevelStyleCompaction, up to six full memtables piled up while the
  // flushes fell behind a bulk load: 381 MiB peak RSS through a 10 M-row
  // transaction (bench/RESULTS.md, eighth session).
  options.db_write_buffer_size = kStateMemtableBudgetBytes;
  options.min_write_buffer_number_to_merge = 1;
  options.max_write_buffer_number = 4;
  // Most lookups are for keys that do not exist yet (a new row's image): a
  // memtable bloom filter answers those without walking the skiplist, and
  // table bloom filters do it on disk.
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.prefix_extractor = IndexPrefix();
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
