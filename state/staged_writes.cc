#include "state/staged_writes.h"

#include <cassert>

namespace walguard {

const StagedWrites::Entry* StagedWrites::Find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : it->second;
}

StagedWrites::Entry* StagedWrites::Upsert(std::string_view key) {
  auto found = index_.find(key);
  if (found != index_.end()) return found->second;
  auto [it, inserted] = ordered_.emplace(std::string(key), Entry{});
  assert(inserted && "the index and the ordered map hold the same keys");
  index_.emplace(std::string_view(it->first), &it->second);
  bytes_ += key.size();
  return &it->second;
}

void StagedWrites::Put(std::string_view key, std::string_view value) {
  Entry* e = Upsert(key);
  bytes_ -= e->value.size();
  e->value.assign(value);
  e->deleted = false;
  bytes_ += value.size();
}

void StagedWrites::Delete(std::string_view key) {
  Entry* e = Upsert(key);
  bytes_ -= e->value.size();
  e->value.clear();
  e->deleted = true;
}

void StagedWrites::AppendTo(rocksdb::WriteBatch* batch) const {
  for (const auto& [key, e] : ordered_) {
    const rocksdb::Slice k(key.data(), key.size());
    // A WriteBatch's Put and Delete fail only past its size limit, which
    // the state's batches never set.
    rocksdb::Status s = e.deleted ? batch->Delete(k) : batch->Put(k, rocksdb::Slice(e.value.data(), e.value.size()));
    assert(s.ok());
    s.PermitUncheckedError();
  }
}

void StagedWrites::Clear() {
  index_.clear();
  ordered_.clear();
  bytes_ = 0;
}

}  // namespace walguard
