// StateSnapshot: a consistent read-only view of a StateStore's committed
// state as it stood when the snapshot was taken (a RocksDB snapshot). Taking
// one is cheap and does not block commits; reading it may go on in another
// thread while the pipeline commits (the archive's state checkpoints,
// app/archive_checkpoint.h). The store must outlive it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "state/state_store.h"
#include "util/status.h"

namespace rocksdb {
class Snapshot;
}

namespace walguard {

class StateSnapshot {
 public:
  using Visitor = std::function<Status(std::string_view key, std::string_view value)>;

  static Status Take(StateStore* store, std::unique_ptr<StateSnapshot>* out);
  ~StateSnapshot();
  StateSnapshot(const StateSnapshot&) = delete;
  StateSnapshot& operator=(const StateSnapshot&) = delete;

  // NotFound when absent.
  Status Get(std::string_view key, std::string* value) const;
  // Visits the keys in [begin, end) in order; an error of `visit` ends the
  // scan and comes back.
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) const;

 private:
  StateSnapshot(StateStore* store, const rocksdb::Snapshot* snapshot) : store_(store), snapshot_(snapshot) {}
  StateStore* store_;
  const rocksdb::Snapshot* snapshot_;
};

}  // namespace walguard
