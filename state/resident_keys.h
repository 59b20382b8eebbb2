// Internal to state/: the committed keys of the state's small key spaces,
// held in memory so that a read of them never reaches RocksDB.
//
// The engine asks at every evaluation whether the alert it evaluates fires
// (keys::kFiring), and about overbooked nights, historical marks and
// disabled rules: about half of all its reads, nearly all for keys that do
// not exist. These key spaces hold one key per firing alert (or disabled
// rule), so they are small whatever the size of the state, and a hash probe
// answers for them.
//
// Coherence: the map is the database's committed keys of those tags exactly.
// StateStore applies each commit's writes of them after the write succeeded,
// and forgets the map (reloaded at the next read) after anything else that
// writes the database: a wipe, a partial rollback, a reopen, a catch-up.
#pragma once

#include <rocksdb/db.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "state/staged_writes.h"
#include "util/status.h"

namespace walguard {

class ResidentKeys {
 public:
  // True for a key of a tag held here.
  static bool Covers(std::string_view key);

  bool loaded() const { return loaded_; }
  // Reads every key of the tags from `db`, replacing what was held.
  Status Load(rocksdb::DB* db);
  // Forgets everything: the next read loads again.
  void Invalidate();

  // Precondition: loaded(). False when the key is absent.
  bool Find(std::string_view key, std::string* value) const;
  // After `staged` was committed: its writes of the tags, applied.
  void Apply(const StagedWrites& staged);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> values_;
  bool loaded_ = false;
};

}  // namespace walguard
