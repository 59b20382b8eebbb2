// StateBatch's reads and writes: the KV port (core/kv.h) over a RocksDB
// WriteBatchWithIndex, whose reads see the batch's own writes over the
// committed state.
#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <cassert>
#include <memory>

#include "core/firing_alert.h"
#include "core/key_layout.h"
#include "state/state_batch_impl.h"
#include "state/state_store.h"

namespace walguard {

StateBatch::StateBatch(StateStore* store) : impl_(std::make_unique<Impl>()) {
  impl_->store = store;
}

StateBatch::~StateBatch() = default;

Status StateBatch::Get(std::string_view key, std::string* value) {
  rocksdb::Status s = impl_->batch.GetFromBatchAndDB(impl_->store->db_.get(), rocksdb::ReadOptions(),
                                                     rocksdb::Slice(key.data(), key.size()), value);
  if (s.IsNotFound()) return Status::NotFound("");
  return FromRocks(s, "state get");
}

void StateBatch::Put(std::string_view key, std::string_view value) {
  assert(!impl_->store->read_only_ && "a write through a read-only state");
  impl_->firing_changed |= IsFiringSetKey(key);
  impl_->batch.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
}

void StateBatch::Delete(std::string_view key) {
  assert(!impl_->store->read_only_ && "a write through a read-only state");
  impl_->firing_changed |= IsFiringSetKey(key);
  impl_->batch.Delete(rocksdb::Slice(key.data(), key.size()));
}

Status StateBatch::Scan(std::string_view begin, std::string_view end, const Visitor& visit) {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end.data(), end.size());
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->batch.NewIteratorWithBase(impl_->store->db_->NewIterator(ro)));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key >= end) break;
    if (!visit(key, std::string_view(it->value().data(), it->value().size()))) break;
  }
  return FromRocks(it->status(), "state scan");
}

}  // namespace walguard
