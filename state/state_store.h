// StateStore: walguard's RocksDB database. It holds the processors' state
// (row images, aggregates, timers, firing alerts, the WAL clock), the outbox
// of messages not yet acknowledged by Kafka, and the checkpoint.
//
// All of them change together in one atomic WriteBatch per step (a group of
// source transactions), made durable with sync=true before the position is
// acknowledged to Postgres. So state, outbox and checkpoint can never
// disagree, whatever moment the process dies at.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/firing_alert.h"
#include "core/kv.h"
#include "core/output.h"
#include "state/known_tables.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace rocksdb {
class DB;
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace walguard {

struct Checkpoint {
  Lsn lsn = 0;                 // end LSN of the last applied source transaction (or the snapshot's consistent point)
  bool snapshot_done = false;  // the initial snapshot is fully applied
  std::string system_id;       // IDENTIFY_SYSTEM's systemid the state belongs to
  std::string slot;            // the replication slot the state belongs to
};

struct OutboxEntry {
  uint64_t seq = 0;
  Topic topic = Topic::kAlerts;
  std::string key;
  std::string payload;
};

// One record of the archive buffer: a processing step's encoding
// (core/archive_record.h) not yet sealed into a segment (ingest/archive.h).
struct ArchiveBufferEntry {
  uint64_t seq = 0;
  Lsn lsn = 0;  // the record's position; 0 for a snapshot row
  Micros time = 0;
  std::string bytes;
};

// The same, as VisitArchiveBuffer hands it out: `bytes` points into the
// store's iterator and holds only during the call.
struct ArchiveBufferView {
  uint64_t seq = 0;
  Lsn lsn = 0;
  Micros time = 0;
  std::string_view bytes;
};

class StateStore;
class ResidentKeys;

// What Open reads to check the checksums of the state (`[state]
// verify_on_open`). A damaged block is otherwise found only when a read
// reaches it, possibly hours into a run. "The full verification" reads every
// block; the time of the last one is the file verified-at beside the database.
enum class VerifyOnOpen {
  // Every table file not known whole (state/known_tables.h: new, or changed
  // since it was verified or written by a walguard that stopped cleanly),
  // and the full verification when the last one is a day old or more.
  kChanged,
  kAlways,  // the full verification at every open
  kDaily,   // the full verification when the last one is a day old or more
  kNever,
};

// What Open's verification read.
struct VerifyReport {
  bool full = false;   // every block of the state
  uint64_t files = 0;  // table files read whole
  uint64_t bytes = 0;  // their bytes
  Micros micros = 0;
};

struct StateOpenOptions {
  // For `walguard run --resnapshot`: a state directory of another format
  // version (core/key_layout.h) is rebuilt instead of refused. Everything but
  // the outbox and the handover is wiped at once, and the directory is marked
  // with this binary's version; the snapshot then refills it.
  bool allow_other_format = false;
  VerifyOnOpen verify = VerifyOnOpen::kChanged;
};

// The memtable size, and what all memtables together may hold.
inline constexpr uint64_t kStateWriteBufferBytes = uint64_t{32} << 20;
inline constexpr uint64_t kStateMemtableBudgetBytes = uint64_t{64} << 20;

// What a read-only look at a state directory found (StateStore::Probe).
struct StateProbe {
  bool has_database = false;
  std::string damage;  // empty: whole (or another format version, which is not damage)
};

// One staged atomic write. Reads see the batch's own writes.
class StateBatch : public KvTxn {
 public:
  ~StateBatch() override;
  Status Get(std::string_view key, std::string* value) override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) override;

  // Appends messages to the outbox; returns the entries with their seqs.
  void AppendOutbox(const std::vector<OutMessage>& messages, std::vector<OutboxEntry>* appended);
  void SetCheckpoint(const Checkpoint& checkpoint);
  // Drops the handover (StateStore::WriteHandover) once this batch's state
  // has taken it over.
  void ClearHandover(const std::vector<FiringAlert>& handover);
  // Records a processing step in the archive buffer, in this batch: the step
  // and its effects are committed together or not at all. Seqs are
  // consecutive from 1 for the life of the directory, with no gap left by a
  // batch that is discarded. At most one batch with archive records may be
  // open at a time (Commit refuses the second).
  void AppendArchive(Lsn lsn, Micros time, std::string_view bytes);
  // A transaction applied in parts (state/partial_transaction.h): the first
  // part's batch marks it open, the final batch marks it committed.
  void BeginPartial(uint32_t xid);
  void EndPartial();

  size_t ApproximateSize() const;

 private:
  friend class StateStore;
  struct Impl;
  explicit StateBatch(StateStore* store);
  // A Get found `key` in neither the batch nor the database.
  void NoteMiss(std::string_view key);
  // Scan's merge of the committed keys (`it`) with the staged writes.
  Status MergeScan(rocksdb::Iterator* it, std::string_view begin, std::string_view end, const Visitor& visit);
  std::unique_ptr<Impl> impl_;
};

class StateStore {
 public:
  // Flushes the memtables of a writable store first: a clean stop then
  // leaves no RocksDB log for the next open to replay, and resumes at once.
  ~StateStore();

  // Opens (creating, mode 0700) the database in `dir`, and checks its format
  // version (keys::kFormatVersion): a fresh directory is marked with
  // keys::kStateFormatVersion before anything else is written; one written
  // before the version key existed is version 1; any other version is
  // refused with Fatal unless `open_options.allow_other_format`.
  //
  // A database is created only in a directory with no database file; any
  // other is opened only whole (RocksDB's paranoid checks, the checksums of
  // every block when `open_options.verify` says so, a format version or a
  // checkpoint present). Refusals: IOError when another process holds the
  // directory (naming its pid); NoSpace when the disk is full; Fatal naming
  // the damage and `walguard run --resnapshot` for a damaged state. Opened,
  // the handover file (state/handover_file.h) is rewritten from the
  // database's firing set.
  static Status Open(const std::string& dir, std::unique_ptr<StateStore>* out,
                     const StateOpenOptions& open_options = {});

  // For --resnapshot, before anything is opened for writing: opens `dir`
  // read-only, reads every checksum and the format keys, and says whether
  // the database is whole. Writes nothing. IOError when another process holds it.
  static Status Probe(const std::string& dir, StateProbe* out);
  // The firing set (keys::kFiring) of the database in `dir`, opened
  // read-only: the handover of last resort when the handover file is gone.
  // What is read before a damaged block stops the scan is kept in *firing.
  static Status ReadFiringReadOnly(const std::string& dir, std::vector<FiringAlert>* firing);

  // After a write failed with NoSpace: brings the database out of RocksDB's
  // background-error state once space is back (DB::Resume, else a close and
  // reopen). NoSpace while there is still none; between a close and a
  // successful reopen every writer returns NoSpace.
  Status RecoverFromWriteError();
  // The bytes in memory that a flush writes to disk (the memtables).
  uint64_t UnflushedBytes() const;
  // Writes the memtables to a table file and waits: RocksDB's log keeps
  // every write since the last flush (overwritten rows, delivered outbox
  // entries), so on a small disk the log, not the state, is what fills it;
  // after a flush only the live keys take room. NoSpace when there is no
  // room for the table (the next commit then waits, app/disk_wait.h).
  Status FlushMemtables();

  // Opens the database in `dir` for reading only, also while a walguard holds
  // it open (`walguard state`): a RocksDB secondary instance, which takes no
  // lock and keeps its own files (an info log) in `scratch_dir`, an existing
  // directory the caller removes afterwards. It sees the commits made before
  // it opened, and those made since after CatchUp. The format check is
  // Open's, with nothing written: another version is refused with Fatal.
  // InvalidArgument when `dir` holds no state. Nothing is ever written
  // through it: StateBatch::Put and Delete assert, and Commit and every
  // other writer return InvalidArgument.
  static Status OpenReadOnly(const std::string& dir, const std::string& scratch_dir, std::unique_ptr<StateStore>* out);
  // Read-only stores: moves the view to the primary's latest commit.
  Status CatchUp();
  bool read_only() const { return read_only_; }
  // How long Open's checksum verification took; 0 when it read nothing.
  Micros verify_micros() const { return verify_.micros; }
  const VerifyReport& verify_report() const { return verify_; }

  // NotFound on a fresh store.
  Status ReadCheckpoint(Checkpoint* out);

  std::unique_ptr<StateBatch> NewBatch();
  // Writes the batch atomically; sync=true makes it durable before returning.
  Status Commit(StateBatch* batch, bool sync);

  // Outbox entries in seq order, starting after `after_seq`, at most `limit`.
  Status ReadOutbox(uint64_t after_seq, size_t limit, std::vector<OutboxEntry>* out);
  // Removes delivered entries (not synced: losing this only means a
  // redelivery). On a full disk they are kept and removed with the next call.
  Status DeleteOutbox(const std::vector<uint64_t>& seqs);
  uint64_t outbox_count() const { return outbox_count_; }

  // Calls visit(entry) for the archive buffer's entries in seq order,
  // starting after `after_seq`, while it returns true. Nothing is copied:
  // a seal streams the records into its segment (app/archiver.h).
  Status VisitArchiveBuffer(uint64_t after_seq, const std::function<bool(const ArchiveBufferView&)>& visit);
  // Archive buffer entries in seq order, starting after `after_seq`, until
  // their record bytes reach `max_bytes` (at least one entry when any).
  Status ReadArchiveBuffer(uint64_t after_seq, uint64_t max_bytes, std::vector<ArchiveBufferEntry>* out);
  // Removes the entries up to and including `through_seq`, once sealed into
  // a segment (not synced: a lost delete is reconciled against the segments).
  Status DeleteArchiveBuffer(uint64_t through_seq);
  // The record bytes buffered, committed only.
  uint64_t archive_buffer_bytes() const { return archive_buffer_bytes_; }
  // The seq the next committed archive record gets.
  uint64_t next_archive_seq() const { return next_archive_seq_; }
  // Moves the archive counter forward to `next` (durably), leaving a gap in
  // the seqs: the archive says there that history is missing.
  Status SkipArchiveSeqs(uint64_t next);

  // A transaction applied in parts (state/partial_transaction.h). After the
  // final batch committed: deletes what the parts kept (not synced).
  Status DropPartial();
  // Undoes the parts of a transaction whose final batch never committed, and
  // drops what they kept; *xid (when given) is that transaction's, 0 when
  // there was none. Open runs it; run it again before staging anything new.
  Status RollBackPartial(uint32_t* xid = nullptr);
  // The transaction whose parts Open rolled back; 0 when none.
  uint32_t rolled_back_at_open() const { return rolled_back_at_open_; }

  // Makes every committed batch durable, also those committed with sync=false.
  Status SyncWal();

  // Deletes every key but keys::kKeptByWipe (the outbox: messages already
  // committed still go out; the handover; the format version, rewritten as
  // this binary's): used before a fresh snapshot.
  Status Wipe();

  // Handover: the firing set of a state that a fresh snapshot replaces,
  // kept across Wipe and any crash during the snapshot, so the new state
  // continues those alerts (same ids) instead of firing them anew.
  Status WriteHandover(const std::vector<FiringAlert>& firing);
  Status ReadHandover(std::vector<FiringAlert>* firing);

 private:
  friend class StateBatch;
  friend class StateSnapshot;  // state/state_snapshot.h
  StateStore();
  Status CheckFormat(const std::string& dir, const StateOpenOptions& open_options);
  Status VerifyIfDue(const StateOpenOptions& open_options);
  // The stamps of the live table files; IOError when one cannot be read.
  Status StampLiveTables(TableStamps* out);
  // Reads the table files of `live` that `known` does not hold with the same stamp.
  Status VerifyUnknownTables(const TableStamps& live, const TableStamps& known);
  // At a clean close: records as known whole the table files live now that
  // were known at open and kept their stamp, and those written since.
  void RecordKnownTables();
  // Rewrites the handover file from the firing set when the checkpoint says
  // the state is complete (not in the middle of a bootstrap).
  Status SyncHandoverFile();
  Status WriteHandoverFileNow(Lsn lsn);
  Status LoadOutbox();
  Status LoadArchiveBuffer();
  Status StageArchiveCounter(StateBatch::Impl* batch);
  // Stages the removal of the archive records from `first_seq` on, and the
  // counter back to it.
  void StageArchiveTruncate(uint64_t first_seq, rocksdb::WriteBatch* batch);
  Status RestorePartialRound(size_t* restored);
  Status LoadCounters();
  // Something other than a batch's commit wrote (or may have written) the
  // database: what is held about it in memory is no longer known to hold.
  // Every such write calls it but those that only delete (a delete cannot
  // make a key a batch found absent present).
  void BaseRewritten();
  // InvalidArgument naming `what` on a read-only store.
  Status RefuseIfReadOnly(std::string_view what) const;
  // NoSpace while closed by RecoverFromWriteError, waiting to reopen.
  Status RefuseIfClosed() const;

  // StateBatch::Scan's reused iterators (state/state_batch_impl.h): one in
  // total order, one for scans within one index prefix; dropped by every
  // commit and by BaseRewritten.
  struct ScanIterator;
  void DropScanIterators();

  std::unique_ptr<rocksdb::DB> db_;
  // After db_: destroyed before it. [0]: total order; [1]: within one index prefix.
  std::unique_ptr<ScanIterator> scan_iterators_[2];
  // The small key spaces read at every evaluation, in memory (writable
  // stores only); forgotten by every write that bypasses Commit.
  std::unique_ptr<ResidentKeys> resident_;
  // Counts the writes of the database: a batch's knowledge that a key is
  // absent from it (state/staged_writes.h) holds while this has not moved.
  uint64_t base_version_ = 0;
  std::string dir_;
  // The firing set changed (or was wiped) since the handover file was written.
  bool handover_file_stale_ = false;
  VerifyReport verify_;
  // The live table files known whole at open, and the names of those that
  // were not (left unknown at close). Set by a successful open only.
  TableStamps known_at_open_;
  std::set<std::string> unknown_at_open_;
  bool opened_ = false;
  std::vector<uint64_t> deferred_outbox_deletes_;
  uint64_t next_seq_ = 1;
  uint64_t outbox_count_ = 0;
  uint64_t next_archive_seq_ = 1;
  uint64_t archive_buffer_bytes_ = 0;
  bool read_only_ = false;
  uint32_t rolled_back_at_open_ = 0;
};

}  // namespace walguard
