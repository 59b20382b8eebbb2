#include "core/cached_kv.h"

#include <cassert>

namespace walguard {

Status CachedKv::Get(std::string_view key, std::string* value) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry entry;
    Status s = base_->Get(key, &entry.value);
    if (!s.ok() && !s.IsNotFound()) return s;  // an error is not cached
    entry.present = s.ok();
    it = entries_.emplace(std::string(key), std::move(entry)).first;
  }
  if (!it->second.present) return Status::NotFound("");
  value->assign(it->second.value);
  return Status::OK();
}

CachedKv::Entry* CachedKv::Write(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(std::string(key), Entry()).first;
  if (!it->second.dirty) {
    it->second.dirty = true;
    dirty_.push_back(&*it);
  }
  return &it->second;
}

void CachedKv::Put(std::string_view key, std::string_view value) {
  Entry* e = Write(key);
  e->value.assign(value);
  e->present = true;
}

void CachedKv::Delete(std::string_view key) {
  Entry* e = Write(key);
  e->value.clear();
  e->present = false;
}

Status CachedKv::Scan(std::string_view begin, std::string_view end, const Visitor& visit) {
  Flush();
  return base_->Scan(begin, end, visit);
}

void CachedKv::Flush() {
  for (Map::value_type* kv : dirty_) {
    assert(kv->second.dirty);
    if (kv->second.present) {
      base_->Put(kv->first, kv->second.value);
    } else {
      base_->Delete(kv->first);
    }
    kv->second.dirty = false;
  }
  dirty_.clear();
}

void CachedKv::Trim() {
  assert(dirty_.empty() && "Trim after Flush");
  if (entries_.size() > max_entries_) entries_.clear();
}

void CachedKv::Clear() {
  dirty_.clear();
  entries_.clear();
}

}  // namespace walguard
