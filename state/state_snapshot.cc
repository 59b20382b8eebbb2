#include "state/state_snapshot.h"

#include <rocksdb/db.h>

#include <cassert>

#include "state/state_batch_impl.h"

namespace walguard {

Status StateSnapshot::Take(StateStore* store, std::unique_ptr<StateSnapshot>* out) {
  assert(store->db_ != nullptr);
  const rocksdb::Snapshot* snapshot = store->db_->GetSnapshot();
  if (snapshot == nullptr) return Status::IOError("state: cannot take a snapshot");
  out->reset(new StateSnapshot(store, snapshot));
  return Status::OK();
}

StateSnapshot::~StateSnapshot() {
  store_->db_->ReleaseSnapshot(snapshot_);
}

Status StateSnapshot::Get(std::string_view key, std::string* value) const {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot_;
  rocksdb::Status s = store_->db_->Get(options, rocksdb::Slice(key.data(), key.size()), value);
  if (s.IsNotFound()) return Status::NotFound(std::string(key));
  return FromRocks(s, "state snapshot read");
}

Status StateSnapshot::Scan(std::string_view begin, std::string_view end, const Visitor& visit) const {
  rocksdb::ReadOptions options = TotalOrderRead();
  options.snapshot = snapshot_;
  // Reads every key once: not worth keeping in the block cache.
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(store_->db_->NewIterator(options));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key >= end) break;
    WG_RETURN_IF_ERROR(visit(key, std::string_view(it->value().data(), it->value().size())));
  }
  return FromRocks(it->status(), "state snapshot scan");
}

}  // namespace walguard
