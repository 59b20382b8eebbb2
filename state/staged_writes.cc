#include "state/staged_writes.h"

#include <cassert>
#include <cstring>
#include <new>
#include <type_traits>

namespace walguard {

namespace {

// The arena's first block; later ones grow geometrically.
constexpr size_t kFirstBlockBytes = size_t{64} << 10;

}  // namespace

StagedWrites::StagedWrites() : arena_(kFirstBlockBytes), maps_(NewMaps()) {}

StagedWrites::Maps* StagedWrites::NewMaps() {
  static_assert(std::is_trivially_destructible_v<Entry> && std::is_trivially_destructible_v<std::string_view>);
  return new (arena_.allocate(sizeof(Maps), alignof(Maps))) Maps(&arena_);
}

const StagedWrites::Entry* StagedWrites::Find(std::string_view key) const {
  auto it = maps_->index.find(key);
  return it == maps_->index.end() ? nullptr : it->second;
}

char* StagedWrites::Copy(std::string_view bytes) {
  if (bytes.empty()) return nullptr;
  char* data = static_cast<char*>(arena_.allocate(bytes.size(), 1));
  std::memcpy(data, bytes.data(), bytes.size());
  bytes_ += bytes.size();
  return data;
}

StagedWrites::Entry* StagedWrites::Upsert(std::string_view key, bool absent_in_base) {
  auto found = maps_->index.find(key);
  if (found != maps_->index.end()) return found->second;
  auto [it, inserted] =
      maps_->ordered.emplace(std::string_view(Copy(key), key.size()), Entry{.absent_in_base = absent_in_base});
  assert(inserted && "the index and the ordered map hold the same keys");
  maps_->index.emplace(it->first, &it->second);
  bytes_ += kEntryOverhead;
  return &it->second;
}

void StagedWrites::Put(std::string_view key, std::string_view value, bool absent_in_base) {
  Entry* e = Upsert(key, absent_in_base);
  e->deleted = false;
  e->size = value.size();
  if (value.size() <= e->capacity) {
    if (!value.empty()) std::memmove(e->data, value.data(), value.size());
    return;
  }
  e->data = Copy(value);
  e->capacity = value.size();
}

void StagedWrites::Delete(std::string_view key) {
  Entry* e = Upsert(key, /*absent_in_base=*/false);
  e->deleted = true;
  e->size = 0;  // its bytes stay for a later Put
}

void StagedWrites::AppendTo(rocksdb::WriteBatch* batch, bool skip_absent_deletes) const {
  for (const auto& [key, e] : maps_->ordered) {
    if (skip_absent_deletes && e.deleted && e.absent_in_base) continue;
    const rocksdb::Slice k(key.data(), key.size());
    // A WriteBatch's Put and Delete fail only past its size limit, which
    // the state's batches never set.
    rocksdb::Status s = e.deleted ? batch->Delete(k) : batch->Put(k, rocksdb::Slice(e.data, e.size));
    assert(s.ok());
    s.PermitUncheckedError();
  }
}

void StagedWrites::Clear() {
  arena_.release();  // the maps' nodes and buckets with it (NewMaps)
  maps_ = NewMaps();
  bytes_ = 0;
}

}  // namespace walguard
