#include "tests/support/memory_kv.h"

namespace walguard {

Status MemoryKv::Get(std::string_view key, std::string* value) {
  auto it = data_.find(key);
  if (it == data_.end()) return Status::NotFound("");
  *value = it->second;
  return Status::OK();
}

void MemoryKv::Put(std::string_view key, std::string_view value) {
  data_.insert_or_assign(std::string(key), std::string(value));
}

void MemoryKv::Delete(std::string_view key) {
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
}

Status MemoryKv::Scan(std::string_view begin, std::string_view end, const Visitor& visit) {
  for (auto it = data_.lower_bound(begin); it != data_.end() && it->first < end; ++it) {
    if (!visit(it->first, it->second)) break;
  }
  return Status::OK();
}

}  // namespace walguard
