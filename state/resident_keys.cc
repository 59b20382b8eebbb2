#include "state/resident_keys.h"

#include <memory>

#include "core/key_layout.h"
#include "state/state_batch_impl.h"

namespace walguard {

namespace {

// The resident tags, each a one-byte prefix of core/key_layout.h.
constexpr char kResidentTags[] = {keys::kDisabledRule, keys::kFiring, keys::kHistorical, keys::kOverbooked};

}  // namespace

bool ResidentKeys::Covers(std::string_view key) {
  if (key.empty()) return false;
  for (char tag : kResidentTags) {
    if (key[0] == tag) return true;
  }
  return false;
}

Status ResidentKeys::Load(rocksdb::DB* db) {
  values_.clear();
  loaded_ = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(TotalOrderRead()));
  for (char tag : kResidentTags) {
    const char prefix[1] = {tag};
    for (it->Seek(rocksdb::Slice(prefix, 1)); it->Valid() && it->key().starts_with(rocksdb::Slice(prefix, 1));
         it->Next()) {
      values_.emplace(it->key().ToString(), it->value().ToString());
    }
    WG_RETURN_IF_ERROR(FromRocks(it->status(), "state read of the firing set"));
  }
  loaded_ = true;
  return Status::OK();
}

void ResidentKeys::Invalidate() {
  values_.clear();
  loaded_ = false;
}

bool ResidentKeys::Find(std::string_view key, std::string* value) const {
  auto it = values_.find(key);
  if (it == values_.end()) return false;
  value->assign(it->second);
  return true;
}

void ResidentKeys::Apply(const StagedWrites& staged) {
  if (!loaded_) return;
  for (char tag : kResidentTags) {
    const char prefix[1] = {tag};
    for (auto it = staged.LowerBound(std::string_view(prefix, 1)); it != staged.end() && it->first.starts_with(tag);
         ++it) {
      if (it->second.deleted) {
        auto found = values_.find(it->first);
        if (found != values_.end()) values_.erase(found);
      } else {
        values_.insert_or_assign(std::string(it->first), std::string(it->second.value()));
      }
    }
  }
}

}  // namespace walguard
