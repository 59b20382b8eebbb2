#include "state/state_store.h"

#include <sys/stat.h>

#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "core/key_layout.h"
#include "state/handover_file.h"
#include "state/info_log.h"
#include "state/resident_keys.h"
#include "state/state_batch_impl.h"
#include "state/state_dir.h"
#include "util/coding.h"

namespace walguard {

namespace {

constexpr std::string_view kCheckpointKey = keys::kCheckpoint;
constexpr std::string_view kHandoverPrefix = keys::kHandover;

// A directory written before keys::kFormatVersion existed holds this version
// (its checkpoint encoding carries its own version 1, checked on decode).
constexpr int kLegacyFormatVersion = 1;

// The smallest key after every key that starts with `prefix`.
std::string PrefixEnd(std::string_view prefix) {
  assert(!prefix.empty() && static_cast<unsigned char>(prefix.back()) != 0xff);
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

struct KeyRange {
  std::string begin;
  std::string end;  // exclusive; empty: to the end of the key space
};

// What Wipe deletes: the complement of keys::kKeptByWipe over the whole key
// space, so a tag added to key_layout.h is wiped unless it is listed as kept.
std::vector<KeyRange> WipedRanges() {
  std::vector<KeyRange> ranges;
  std::string begin;  // "" sorts before every key
  for (std::string_view kept : keys::kKeptByWipe) {
    assert(begin <= kept && "kKeptByWipe must be sorted and prefix-free");
    if (begin < kept) ranges.push_back({begin, std::string(kept)});
    begin = PrefixEnd(kept);
  }
  ranges.push_back({begin, ""});
  return ranges;
}

std::string FormatVersionText(int version) {
  return std::to_string(version);
}

// Decimal text, nothing else.
bool ParseFormatVersion(std::string_view text, int* version) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *version);
  return !text.empty() && ec == std::errc() && ptr == end;
}

std::string EncodeCheckpoint(const Checkpoint& cp, uint64_t next_seq) {
  std::string v;
  PutVarint64(&v, 1);  // format version
  PutVarint64(&v, cp.lsn);
  PutVarint64(&v, cp.snapshot_done ? 1 : 0);
  PutLengthPrefixed(&v, cp.system_id);
  PutLengthPrefixed(&v, cp.slot);
  PutVarint64(&v, next_seq);
  return v;
}

bool DecodeCheckpoint(std::string_view in, Checkpoint* cp, uint64_t* next_seq) {
  uint64_t version = 0, done = 0;
  std::string_view sys, slot;
  if (!GetVarint64(&in, &version) || version != 1) return false;
  if (!GetVarint64(&in, &cp->lsn) || !GetVarint64(&in, &done)) return false;
  if (!GetLengthPrefixed(&in, &sys) || !GetLengthPrefixed(&in, &slot)) return false;
  if (!GetVarint64(&in, next_seq)) return false;
  cp->snapshot_done = done != 0;
  cp->system_id.assign(sys);
  cp->slot.assign(slot);
  return true;
}

}  // namespace

void StateBatch::SetCheckpoint(const Checkpoint& checkpoint) {
  impl_->has_checkpoint = true;
  impl_->checkpoint = checkpoint;
}

size_t StateBatch::ApproximateSize() const {
  return impl_->staged.bytes();
}

StateStore::StateStore() : resident_(std::make_unique<ResidentKeys>()) {}

void StateStore::BaseRewritten() {
  DropScanIterators();
  resident_->Invalidate();
  ++base_version_;
}

StateStore::~StateStore() {
  if (db_ == nullptr || read_only_) return;
  // A clean stop leaves the memtable's contents only in RocksDB's log, which
  // the next open replays and writes out (seconds at a large state). Flushed
  // here, that log is empty. A failure (a full disk) only means the replay.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  db_->Flush(flush).PermitUncheckedError();
  RecordKnownTables();
}

Status StateStore::Open(const std::string& dir, std::unique_ptr<StateStore>* out,
                        const StateOpenOptions& open_options) {
  // The state holds business data: only the owner may read it. Created
  // 0700 from the start (never briefly open under the umask); parents are
  // ordinary directories.
  std::error_code ec;
  const std::filesystem::path path(dir);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::IOError("cannot create the parent of state directory " + dir + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("cannot create state directory " + dir + ": " + std::strerror(errno));
  }
  if (::chmod(dir.c_str(), 0700) != 0) return Status::IOError("cannot chmod 0700 state directory " + dir);
  WG_RETURN_IF_ERROR(CheckNotHeld(dir));
  // RocksDB creates a database only where there is none: over a directory
  // that lost its CURRENT it would start an empty one beside the old files,
  // and the next start would run on it as if nothing had happened.
  StateDirContents contents;
  WG_RETURN_IF_ERROR(InspectStateDir(dir, &contents));
  if (contents.has_database_files && !contents.has_current) {
    return DamagedState(dir, "its CURRENT file (which names the MANIFEST) is missing");
  }
  rocksdb::Options options = StateDbOptions();
  options.info_log = NewStateInfoLog(dir);
  options.create_if_missing = !contents.has_database_files;
  options.error_if_exists = false;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return OpenFailure(dir, s);
  std::unique_ptr<StateStore> store(new StateStore());
  store->db_.reset(db);
  store->dir_ = dir;
  // Before anything is read: the checkpoint of another format may not decode.
  WG_RETURN_IF_ERROR(store->CheckFormat(dir, open_options));
  WG_RETURN_IF_ERROR(store->VerifyIfDue(open_options));
  // Before anything reads the state: the parts of an uncommitted transaction go.
  WG_RETURN_IF_ERROR(store->RollBackPartial(&store->rolled_back_at_open_));
  WG_RETURN_IF_ERROR(store->LoadCounters());
  WG_RETURN_IF_ERROR(store->SyncHandoverFile());
  store->opened_ = true;
  *out = std::move(store);
  return Status::OK();
}

Status StateStore::LoadCounters() {
  Checkpoint cp;
  Status read = ReadCheckpoint(&cp);
  if (!read.ok() && !read.IsNotFound()) return read;
  WG_RETURN_IF_ERROR(LoadOutbox());
  return LoadArchiveBuffer();
}

Status StateStore::CheckFormat(const std::string& dir, const StateOpenOptions& open_options) {
  const std::string key(keys::kFormatVersion);
  std::string text;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &text);
  int version = 0;
  bool readable = true;
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
    it->SeekToFirst();
    WG_RETURN_IF_ERROR(FromRocks(it->status(), "state format check"));
    // A fresh directory is marked before its first write; a non-empty one
    // without the key was written by a walguard from before the key, which
    // always wrote a checkpoint. Keys without either are not a state of ours.
    version = it->Valid() ? kLegacyFormatVersion : keys::kStateFormatVersion;
    text.clear();
    std::string ignored;
    rocksdb::Status cp = db_->Get(rocksdb::ReadOptions(), std::string(kCheckpointKey), &ignored);
    if (it->Valid() && cp.IsNotFound()) {
      return DamagedState(dir, "it holds keys but neither a format version nor a checkpoint");
    }
    WG_RETURN_IF_ERROR(FromRocks(cp.IsNotFound() ? rocksdb::Status::OK() : cp, "read checkpoint"));
  } else {
    WG_RETURN_IF_ERROR(FromRocks(s, "read state format version"));
    readable = ParseFormatVersion(text, &version);
  }
  if (readable && version == keys::kStateFormatVersion) {
    if (!text.empty() || read_only_) return Status::OK();
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, key, FormatVersionText(version)), "write state format version");
  }
  // Outbox entries and the handover keep their encoding across format
  // versions, so the rebuild keeps them: committed messages still go out.
  if (open_options.allow_other_format && !read_only_) return Wipe();
  const std::string held =
      readable ? "format version " + FormatVersionText(version) : "an unreadable format version \"" + text + "\"";
  return Status::Fatal("the state in " + dir + " has " + held + ", but this walguard reads format version " +
                       FormatVersionText(keys::kStateFormatVersion) +
                       ": move it aside or run `walguard run --resnapshot` to rebuild it from the source");
}

Status StateStore::ReadCheckpoint(Checkpoint* out) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(kCheckpointKey), &value);
  if (s.IsNotFound()) return Status::NotFound("no checkpoint");
  WG_RETURN_IF_ERROR(FromRocks(s, "read checkpoint"));
  uint64_t next_seq = 1;
  if (!DecodeCheckpoint(value, out, &next_seq)) return Status::Corruption("checkpoint is malformed");
  next_seq_ = std::max(next_seq_, next_seq);
  return Status::OK();
}

std::unique_ptr<StateBatch> StateStore::NewBatch() {
  return std::unique_ptr<StateBatch>(new StateBatch(this));
}

Status StateStore::Commit(StateBatch* batch, bool sync) {
  StateBatch::Impl& b = *batch->impl_;
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("commit"));
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  if (b.has_checkpoint) b.staged.Put(kCheckpointKey, EncodeCheckpoint(b.checkpoint, next_seq_));
  WG_RETURN_IF_ERROR(StageArchiveCounter(&b));
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // A fresh buffer each time: one kept would hold the largest batch's size for good.
  rocksdb::WriteBatch write(b.staged.bytes());
  b.staged.AppendTo(&write, /*skip_absent_deletes=*/b.absent_since == base_version_);
  Status written = FromRocks(db_->Write(wo, &write), "state commit");
  if (!written.ok()) {
    // A failed write may still be in RocksDB's log, replayed by a reopen.
    BaseRewritten();
    return written;
  }
  ++base_version_;
  DropScanIterators();  // they would pin the memtable they read until the next scan
  resident_->Apply(b.staged);
  // A commit that completes a step changes what --resnapshot hands over;
  // rewritten before the caller publishes the step's messages.
  if (b.firing_changed) handover_file_stale_ = true;
  const bool rewrite = handover_file_stale_ && b.has_checkpoint && b.checkpoint.snapshot_done;
  const Lsn committed_lsn = b.checkpoint.lsn;
  outbox_count_ += b.appended;
  if (b.archive_first != 0) {
    next_archive_seq_ = b.archive_next;
    archive_buffer_bytes_ += b.archive_bytes;
  }
  b.staged.Clear();
  b.last_miss.clear();
  b.absent_since = kNoAbsentMark;
  b.appended = 0;
  b.has_checkpoint = false;
  b.firing_changed = false;
  b.archive_first = b.archive_next = b.archive_bytes = 0;
  // Failed (a full disk), it stays stale: the caller's retry rewrites it.
  return rewrite ? WriteHandoverFileNow(committed_lsn) : Status::OK();
}

Status StateStore::SyncWal() {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("sync"));
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  return FromRocks(db_->FlushWAL(/*sync=*/true), "state sync");
}

Status StateStore::Wipe() {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("wipe"));
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* cf = db_->DefaultColumnFamily();
  for (const KeyRange& range : WipedRanges()) {
    if (!range.end.empty()) {
      WG_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(cf, range.begin, range.end), "wipe"));
      continue;
    }
    // A range end is exclusive, and no key sorts after every key: the last
    // range ends at the last key, deleted on its own.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
    it->SeekToLast();
    WG_RETURN_IF_ERROR(FromRocks(it->status(), "wipe"));
    if (!it->Valid() || it->key().compare(range.begin) < 0) continue;
    if (it->key().compare(range.begin) > 0) {
      WG_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(cf, range.begin, it->key()), "wipe"));
    }
    WG_RETURN_IF_ERROR(FromRocks(batch.Delete(cf, it->key()), "wipe"));
  }
  // The wiped state is refilled in this binary's layout, whatever it held.
  WG_RETURN_IF_ERROR(FromRocks(
      batch.Put(cf, std::string(keys::kFormatVersion), FormatVersionText(keys::kStateFormatVersion)), "wipe"));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  // The firing set is gone from the database now, but the handover file
  // keeps the old one until the snapshot's final commit replaces it.
  handover_file_stale_ = true;
  BaseRewritten();
  return FromRocks(db_->Write(wo, &batch), "wipe");
}

Status StateStore::WriteHandover(const std::vector<FiringAlert>& firing) {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("handover write"));
  rocksdb::WriteBatch batch;
  WG_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(db_->DefaultColumnFamily(), std::string(kHandoverPrefix), PrefixEnd(kHandoverPrefix)),
                "handover"));
  for (const FiringAlert& a : firing) {
    WG_RETURN_IF_ERROR(
        FromRocks(batch.Put(std::string(kHandoverPrefix) + a.fingerprint, EncodeHandoverValue(a)), "handover"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  BaseRewritten();
  return FromRocks(db_->Write(wo, &batch), "handover");
}

Status StateStore::ReadHandover(std::vector<FiringAlert>* firing) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
  for (it->Seek(std::string(kHandoverPrefix)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(kHandoverPrefix)) break;
    FiringAlert& a = firing->emplace_back(FiringAlert{std::string(key.substr(kHandoverPrefix.size()))});
    if (!DecodeHandoverValue(std::string_view(it->value().data(), it->value().size()), &a)) {
      return Status::Corruption("the handover of " + a.fingerprint + " is damaged");
    }
  }
  return FromRocks(it->status(), "handover read");
}

void StateBatch::ClearHandover(const std::vector<FiringAlert>& handover) {
  for (const FiringAlert& a : handover) Delete(std::string(kHandoverPrefix) + a.fingerprint);
}

}  // namespace walguard
