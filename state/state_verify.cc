// StateStore's integrity checks: the options every open uses, what a failed
// open means to the operator, the checksum verification at open, the
// handover file kept in step with the firing set, the read-only probe of
// --resnapshot, and the way back from a write that found the disk full.
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cstdarg>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/firing_alert.h"
#include "core/key_layout.h"
#include "state/handover_file.h"
#include "state/info_log.h"
#include "state/state_batch_impl.h"
#include "state/state_dir.h"
#include "state/state_store.h"
#include "util/coding.h"

namespace walguard {

namespace {

constexpr Micros kVerifyInterval = Micros{24} * 3600 * kMicrosPerSecond;
// Beyond the memtables' flush, what a reopen writes (MANIFEST, OPTIONS, a new log).
constexpr uint64_t kReopenHeadroomBytes = uint64_t{1} << 20;
// Beside the database: the local time (micros) of the last verification that passed.
constexpr std::string_view kVerifiedMarker = "verified-at";

// RocksDB writes an info LOG (rotating the old one to LOG.old.*) even when it
// opens read-only; a look at damaged evidence must change nothing.
class SilentLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// What a failed open or verification found, in the operator's words.
std::string DescribeDamage(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  std::string what;
  if (Contains(text, "No such file") || Contains(text, "missing") || Contains(text, "does not exist")) {
    what = "a file of the database is missing";
  } else if (Contains(text, "checksum") || Contains(text, "Checksum")) {
    what = "a block's checksum does not match its bytes";
  } else if (Contains(text, "size mismatch") || Contains(text, "truncated") || Contains(text, "too short")) {
    what = "a table file is truncated";
  } else if (Contains(text, "MANIFEST") || Contains(text, "VersionEdit")) {
    what = "its MANIFEST is unreadable";
  } else {
    what = "RocksDB cannot read it";
  }
  return what + " (" + text + ")";
}

bool IsLockHeld(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return s.IsIOError() && (Contains(text, "While lock file") || Contains(text, "lock hold by current process"));
}

rocksdb::Options ReadOnlyOptions() {
  rocksdb::Options options;
  options.paranoid_checks = true;
  options.info_log = std::make_shared<SilentLogger>();
  return options;
}

// ListFiringSet's scan over the database itself (outside any batch).
PrefixScan PrefixScanOf(rocksdb::DB* db) {
  return [db](std::string_view prefix, const KvTxn::Visitor& visit) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(TotalOrderRead()));
    const rocksdb::Slice start(prefix.data(), prefix.size());
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      if (!visit(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return FromRocks(it->status(), "scan");
  };
}

bool FullVerificationDue(const std::string& marker, Micros now) {
  std::ifstream in(marker);
  Micros last = 0;
  return !(in >> last && now - last < kVerifyInterval && last <= now);
}

}  // namespace

Status DamagedState(const std::string& dir, std::string_view what) {
  return Status::Fatal("the state in " + dir + " is damaged: " + std::string(what) +
                       ". walguard will not run on it. Run `walguard run --resnapshot` (with the same settings): it "
                       "moves the damaged database aside into " +
                       dir +
                       "/damaged-<UTC time>/, rebuilds the state from the source, and continues or resolves the "
                       "firing alerts under their ids from " +
                       HandoverFilePath(dir));
}

Status OpenFailure(const std::string& dir, const rocksdb::Status& s) {
  if (IsOutOfSpace(s)) return Status::NoSpace("cannot open the state in " + dir + ": " + s.ToString());
  if (IsLockHeld(s)) return Status::IOError("another walguard holds " + dir + " (" + s.ToString() + ")");
  return DamagedState(dir, DescribeDamage(s));
}

Status StateStore::VerifyIfDue(const StateOpenOptions& open_options) {
  if (read_only_) return Status::OK();
  const std::string marker = (std::filesystem::path(dir_) / kVerifiedMarker).string();
  const Micros now = WallClockNow();
  // The compactions that start at open would otherwise delete files
  // between their listing and their reading.
  WG_RETURN_IF_ERROR(FromRocks(db_->DisableFileDeletions(), "hold the state's files"));
  struct Release {
    rocksdb::DB* db;
    ~Release() { db->EnableFileDeletions(/*force=*/false).PermitUncheckedError(); }
  } release{db_.get()};
  TableStamps live;
  WG_RETURN_IF_ERROR(StampLiveTables(&live));
  const TableStamps known = ReadKnownTables(dir_);
  const VerifyOnOpen mode = open_options.verify;
  const bool full =
      mode == VerifyOnOpen::kAlways ||
      ((mode == VerifyOnOpen::kChanged || mode == VerifyOnOpen::kDaily) && FullVerificationDue(marker, now));
  if (full) {
    rocksdb::Status verified = db_->VerifyChecksum();
    if (!verified.ok()) {
      if (IsOutOfSpace(verified)) return FromRocks(verified, "verify the state");
      return DamagedState(dir_, DescribeDamage(verified));
    }
    verify_.full = true;
    verify_.files = live.size();
    for (const auto& [name, stamp] : live) verify_.bytes += stamp.size;
    // Not synced, and a failure ignored: a lost marker costs one more verification.
    std::ofstream(marker, std::ios::trunc) << now << "\n";
  } else if (mode == VerifyOnOpen::kChanged) {
    WG_RETURN_IF_ERROR(VerifyUnknownTables(live, known));
  }
  verify_.micros = verify_.files > 0 ? std::max<Micros>(WallClockNow() - now, 1) : 0;
  for (auto& [name, stamp] : live) {
    const auto it = known.find(name);
    const bool whole = full || mode == VerifyOnOpen::kChanged || (it != known.end() && it->second == stamp);
    if (whole) {
      known_at_open_.emplace(name, stamp);
    } else {
      unknown_at_open_.insert(name);
    }
  }
  // A failure is ignored: the files are read again at the next open.
  const Status recorded = WriteKnownTables(dir_, known_at_open_, WallClockNow() * 1000);
  (void)recorded;
  return Status::OK();
}

Status StateStore::StampLiveTables(TableStamps* out) {
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  for (const rocksdb::LiveFileMetaData& file : files) {
    TableStamp stamp;
    const Status stamped = StampTable(dir_, file.relative_filename, &stamp);
    if (stamped.IsNotFound()) continue;  // deleted by a compaction since the listing
    WG_RETURN_IF_ERROR(stamped);
    out->emplace(file.relative_filename, stamp);
  }
  return Status::OK();
}

Status StateStore::VerifyUnknownTables(const TableStamps& live, const TableStamps& known) {
  const rocksdb::Options options = StateDbOptions();
  const rocksdb::EnvOptions env_options(options);
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  for (const auto& [name, stamp] : live) {
    const auto it = known.find(name);
    if (it != known.end() && it->second == stamp) continue;
    const std::string path = (std::filesystem::path(dir_) / name).string();
    rocksdb::Status verified = rocksdb::VerifySstFileChecksum(options, env_options, read_options, path);
    if (!verified.ok()) return DamagedState(dir_, DescribeDamage(verified));
    ++verify_.files;
    verify_.bytes += stamp.size;
  }
  return Status::OK();
}

void StateStore::RecordKnownTables() {
  TableStamps live;
  if (!opened_ || !StampLiveTables(&live).ok()) return;
  TableStamps known;
  for (const auto& [name, stamp] : live) {
    const auto it = known_at_open_.find(name);
    const bool kept = it != known_at_open_.end() && it->second == stamp;
    const bool written_since = it == known_at_open_.end() && !unknown_at_open_.contains(name);
    if (kept || written_since) known.emplace(name, stamp);
  }
  const Status recorded = WriteKnownTables(dir_, known, WallClockNow() * 1000);
  (void)recorded;  // a failure costs the next open a verification of these files
}

Status StateStore::SyncHandoverFile() {
  if (read_only_) return Status::OK();
  Checkpoint cp;
  Status read = ReadCheckpoint(&cp);
  if (!read.IsNotFound()) WG_RETURN_IF_ERROR(read);
  if (read.ok() && cp.snapshot_done) return WriteHandoverFileNow(cp.lsn);
  // No checkpoint, or one of an unfinished bootstrap: the file keeps the set
  // the bootstrap hands over until its final commit replaces it.
  handover_file_stale_ = true;
  return Status::OK();
}

Status StateStore::WriteHandoverFileNow(Lsn lsn) {
  HandoverFile file;
  file.lsn = lsn;
  WG_RETURN_IF_ERROR(ListFiringSet(PrefixScanOf(db_.get()), &file.firing).WithContext("read the firing set"));
  WG_RETURN_IF_ERROR(WriteHandoverFile(HandoverFilePath(dir_), file));
  handover_file_stale_ = false;
  return Status::OK();
}

Status StateStore::Probe(const std::string& dir, StateProbe* out) {
  *out = StateProbe{};
  WG_RETURN_IF_ERROR(CheckNotHeld(dir));
  StateDirContents contents;
  WG_RETURN_IF_ERROR(InspectStateDir(dir, &contents));
  if (!contents.has_database_files) return Status::OK();
  out->has_database = true;
  if (!contents.has_current) {
    out->damage = "its CURRENT file (which names the MANIFEST) is missing";
    return Status::OK();
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(ReadOnlyOptions(), dir, &raw);
  if (!s.ok()) {
    if (IsLockHeld(s)) return OpenFailure(dir, s);
    out->damage = DescribeDamage(s);
    return Status::OK();
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  s = db->VerifyChecksum();
  if (!s.ok()) {
    out->damage = DescribeDamage(s);
    return Status::OK();
  }
  std::string ignored;
  const bool has_version = db->Get(rocksdb::ReadOptions(), std::string(keys::kFormatVersion), &ignored).ok();
  const bool has_checkpoint = db->Get(rocksdb::ReadOptions(), std::string(keys::kCheckpoint), &ignored).ok();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(TotalOrderRead()));
  it->SeekToFirst();
  if (!it->status().ok()) {
    out->damage = DescribeDamage(it->status());
  } else if (it->Valid() && !has_version && !has_checkpoint) {
    out->damage = "it holds keys but neither a format version nor a checkpoint";
  }
  return Status::OK();
}

Status StateStore::ReadFiringReadOnly(const std::string& dir, std::vector<FiringAlert>* firing) {
  rocksdb::DB* raw = nullptr;
  WG_RETURN_IF_ERROR(FromRocks(rocksdb::DB::OpenForReadOnly(ReadOnlyOptions(), dir, &raw), "open " + dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  return ListFiringSet(PrefixScanOf(db.get()), firing).WithContext("read the firing set of " + dir);
}

Status StateStore::RecoverFromWriteError() {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("recover"));
  // Whatever the failed write left in RocksDB's log is in the state after this.
  BaseRewritten();
  if (db_ != nullptr) {
    // Clears RocksDB's background error (flushing what the failed write left
    // in memory) once there is room again; OK at once when there is none.
    rocksdb::Status s = db_->Resume();
    if (s.ok()) return Status::OK();
    // Busy: RocksDB's own recovery holds it, and that one waits for room for
    // its largest possible flush (every write buffer), which a small
    // filesystem never has. Closing cancels it; the reopen below replays
    // the log instead.
    if (!s.IsBusy() && !IsOutOfSpace(s)) return FromRocks(s, "resume the state after a write error");
  }
  DiskSpace space;
  WG_RETURN_IF_ERROR(MeasureDiskSpace(dir_, &space));
  const uint64_t needed = (db_ != nullptr ? UnflushedBytes() : 0) + kReopenHeadroomBytes;
  if (space.free_bytes < needed) {
    return Status::NoSpace("the state needs " + FormatBytes(needed) + " to reopen; " + FormatBytes(space.free_bytes) +
                           " free");
  }
  db_.reset();
  rocksdb::Options options = StateDbOptions();
  options.info_log = NewStateInfoLog(dir_);
  options.create_if_missing = false;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir_, &db);
  // Failed, the store stays closed (every writer says NoSpace) and the
  // caller's next attempt opens it again.
  if (!s.ok()) return OpenFailure(dir_, s);
  db_.reset(db);
  return Status::OK();
}

Status StateStore::FlushMemtables() {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("flush"));
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options), "flush the state");
}

Status StateStore::RefuseIfClosed() const {
  if (db_ != nullptr) return Status::OK();
  return Status::NoSpace("the state in " + dir_ + " is closed until there is room to reopen it");
}

uint64_t StateStore::UnflushedBytes() const {
  uint64_t bytes = 0;
  if (db_ == nullptr || !db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes))
    return kStateWriteBufferBytes;
  return bytes;
}

}  // namespace walguard
