// StateBatch's reads and writes: the KV port (core/kv.h) over the batch's
// staged writes (state/staged_writes.h) in front of the committed state, and
// of the store's resident keys (state/resident_keys.h) for the small key
// spaces the engine asks about most.
#include <rocksdb/db.h>

#include <cassert>
#include <memory>

#include "core/firing_alert.h"
#include "core/key_layout.h"
#include "state/resident_keys.h"
#include "state/rocksdb_options.h"
#include "state/state_batch_impl.h"
#include "state/state_store.h"

namespace walguard {

StateBatch::StateBatch(StateStore* store) : impl_(std::make_unique<Impl>()) {
  impl_->store = store;
}

StateBatch::~StateBatch() = default;

void StateBatch::NoteMiss(std::string_view key) {
  impl_->last_miss.assign(key);
  impl_->last_miss_version = impl_->store->base_version_;
}

Status StateBatch::Get(std::string_view key, std::string* value) {
  if (const StagedWrites::Entry* e = impl_->staged.Find(key)) {
    if (e->deleted) return Status::NotFound("");
    value->assign(e->value());
    return Status::OK();
  }
  StateStore* store = impl_->store;
  if (!store->read_only_ && ResidentKeys::Covers(key)) {
    if (!store->resident_->loaded()) WG_RETURN_IF_ERROR(store->resident_->Load(store->db_.get()));
    if (store->resident_->Find(key, value)) return Status::OK();
    NoteMiss(key);
    return Status::NotFound("");
  }
  rocksdb::Status s = store->db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), value);
  if (s.IsNotFound()) {
    NoteMiss(key);
    return Status::NotFound("");
  }
  return FromRocks(s, "state get");
}

void StateBatch::Put(std::string_view key, std::string_view value) {
  assert(!impl_->store->read_only_ && "a write through a read-only state");
  impl_->firing_changed |= IsFiringSetKey(key);
  const bool absent = key == impl_->last_miss && impl_->last_miss_version == impl_->store->base_version_;
  if (absent && impl_->absent_since == kNoAbsentMark) impl_->absent_since = impl_->store->base_version_;
  impl_->staged.Put(key, value, absent);
}

void StateBatch::Delete(std::string_view key) {
  assert(!impl_->store->read_only_ && "a write through a read-only state");
  impl_->firing_changed |= IsFiringSetKey(key);
  impl_->staged.Delete(key);
}

void StateStore::DropScanIterators() {
  for (std::unique_ptr<ScanIterator>& reused : scan_iterators_) {
    // A nested scan's caller still walks it: it must not go under its feet.
    assert(reused == nullptr || !reused->busy);
    reused.reset();
  }
}

// The committed keys in range merged with the staged writes, which win.
Status StateBatch::Scan(std::string_view begin, std::string_view end, const Visitor& visit) {
  StateStore* store = impl_->store;
  // One index prefix's keys (a payment intent's, a ledger transaction's):
  // the bloom filters skip every file without that prefix.
  const bool one_prefix = WithinOneIndexPrefix(begin, end);
  auto new_iterator = [&](StateStore::ScanIterator* cursor) {
    rocksdb::ReadOptions ro = TotalOrderRead();
    if (one_prefix) {
      ro.total_order_seek = false;
      ro.prefix_same_as_start = true;
    }
    ro.iterate_upper_bound = &cursor->upper_bound;
    cursor->it.reset(store->db_->NewIterator(ro));
  };
  std::unique_ptr<StateStore::ScanIterator>& reused = store->scan_iterators_[one_prefix ? 1 : 0];
  const rocksdb::SequenceNumber seq = store->db_->GetLatestSequenceNumber();
  if (reused != nullptr && !reused->busy && reused->seq != seq) reused.reset();  // a write it cannot see
  if (reused == nullptr) {
    reused = std::make_unique<StateStore::ScanIterator>();
    new_iterator(reused.get());
    reused->seq = seq;
  }
  // A scan from inside another's visitor gets an iterator of its own.
  StateStore::ScanIterator nested;
  StateStore::ScanIterator& cursor = reused->busy ? nested : *reused;
  if (&cursor == &nested) new_iterator(&nested);
  cursor.upper_bound = rocksdb::Slice(end.data(), end.size());
  cursor.busy = true;
  Status s = MergeScan(cursor.it.get(), begin, end, visit);
  cursor.busy = false;
  if (!s.ok() && &cursor == reused.get()) reused.reset();
  return s;
}

Status StateBatch::MergeScan(rocksdb::Iterator* it, std::string_view begin, std::string_view end,
                             const Visitor& visit) {
  it->Seek(rocksdb::Slice(begin.data(), begin.size()));
  const StagedWrites& staged = impl_->staged;
  auto next = staged.LowerBound(begin);
  for (bool more = true; more;) {
    const bool in_base = it->Valid();
    const bool in_staged = next != staged.end() && next->first < end;
    if (!in_base && !in_staged) break;
    const std::string_view base_key = in_base ? std::string_view(it->key().data(), it->key().size()) : "";
    const int order = !in_base ? 1 : !in_staged ? -1 : base_key.compare(next->first);
    if (order < 0) {
      more = visit(base_key, std::string_view(it->value().data(), it->value().size()));
      it->Next();
      continue;
    }
    // The staged write of the key (order == 0: it hides the committed value).
    const StagedWrites::Entry& e = next->second;
    const std::string_view key = next->first;
    ++next;
    if (order == 0) it->Next();
    if (!e.deleted) more = visit(key, e.value());
  }
  return FromRocks(it->status(), "state scan");
}

}  // namespace walguard
