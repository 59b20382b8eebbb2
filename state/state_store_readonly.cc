// StateStore::OpenReadOnly: a view of a state directory that a running
// walguard holds open, for `walguard state` (app/state_command.h).
//
// RocksDB locks a directory for its one writer; a secondary instance takes no
// lock and replays the primary's MANIFEST and WAL on CatchUp, so the view can
// follow a live walguard without stopping it. With no walguard running it is
// a plain read of what the last one left.
#include <rocksdb/db.h>

#include <filesystem>
#include <system_error>

#include "state/rocksdb_options.h"
#include "state/state_batch_impl.h"
#include "state/state_store.h"

namespace walguard {

Status StateStore::OpenReadOnly(const std::string& dir, const std::string& scratch_dir,
                                std::unique_ptr<StateStore>* out) {
  std::error_code ec;
  // A secondary instance opened on a directory without a database would
  // only say "IO error"; the operator gets the directory named instead.
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
    return Status::InvalidArgument("no walguard state in " + dir);
  }
  rocksdb::Options options;
  options.create_if_missing = false;
  // A secondary must keep every table file open: the primary may delete a
  // file (a compaction) that the secondary's view still reads.
  options.max_open_files = -1;
  options.prefix_extractor = IndexPrefix();  // StateBatch::Scan reads index prefixes in prefix mode
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenAsSecondary(options, dir, scratch_dir, &db);
  if (!s.ok()) return FromRocks(s, "cannot read the state in " + dir);
  std::unique_ptr<StateStore> store(new StateStore());
  store->db_.reset(db);
  store->read_only_ = true;
  WG_RETURN_IF_ERROR(store->CheckFormat(dir, StateOpenOptions{}));
  WG_RETURN_IF_ERROR(store->LoadCounters());
  *out = std::move(store);
  return Status::OK();
}

Status StateStore::CatchUp() {
  if (!read_only_) return Status::OK();  // a primary sees its own commits
  outbox_count_ = 0;
  archive_buffer_bytes_ = 0;
  ++base_version_;  // what a batch found absent predates the catch-up
  WG_RETURN_IF_ERROR(FromRocks(db_->TryCatchUpWithPrimary(), "state catch-up"));
  return LoadCounters();
}

Status StateStore::RefuseIfReadOnly(std::string_view what) const {
  if (!read_only_) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " refused: the state is open read-only");
}

}  // namespace walguard
