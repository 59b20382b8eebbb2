// Archiver: `walguard run`'s side of the archive (ingest/archive.h). Every
// step the pipeline applies is recorded, by its encoding
// (core/archive_record.h), in the same StateBatch as its effects
// (StateBatch::AppendArchive): state and archive commit together, so after a
// kill -9 anywhere the archive holds exactly the steps whose effects the
// state holds.
//
// The buffered records are sealed into segments: once they reach
// segment_bytes, once the oldest waited seal_interval, and at a clean stop.
// A seal writes the segment (durable, renamed into place), then deletes the
// records it holds from the buffer. A crash between the two leaves them in
// both: Open deletes buffered records a segment already holds, so none is
// archived twice. Retention runs after each seal, and a full disk pauses
// sealing (app/disk_wait.h) until there is room; at a seal boundary the
// archiver also writes a state checkpoint now and then
// (app/archive_checkpoint.h), the start point retention cuts at.
//
// Besides the steps, the archive records what a replay needs to equal the
// live run beyond the engine: the thresholds in effect (before the first
// record of each run and at each snapshot), walguard's own-check
// observations (processors/own_checks.h) and the messages it emits outside
// the engine (an undecodable record's dead letter).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/archive_checkpoint.h"
#include "config/config.h"
#include "core/change.h"
#include "core/firing_alert.h"
#include "ingest/archive.h"
#include "ingest/archive_retention.h"
#include "state/state_store.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct ArchiverOptions {
  bool enabled = true;
  std::string dir;  // the segments' directory
  uint64_t segment_bytes = uint64_t{8} << 20;
  Micros seal_interval = 60 * kMicrosPerSecond;
  RetentionLimits retention;
  Micros checkpoint_interval = Micros{24} * 3600 * kMicrosPerSecond;  // 0: only when retention asks
  std::string thresholds;  // the live run's, as recorded (app/recorded_thresholds.h); empty: not recorded
};

// The [archive] settings, with the directory resolved (`<state_dir>/archive`
// when empty).
ArchiverOptions ArchiverOptionsFromConfig(const Config& config);

class Archiver {
 public:
  Archiver(ArchiverOptions options, StateStore* store);

  // Before anything is recorded: reconciles the buffer with the segments.
  // Disabled, it only leaves a gap in the seqs, so the archive shows that
  // the steps of this run are missing from it.
  Status Open(Micros now);
  bool enabled() const { return options_.enabled; }

  // Record one step into `batch`, right after the engine applied it there.
  // Nothing when disabled.
  void RecordTransaction(const Transaction& txn, StateBatch* batch);
  // A part of a transaction applied in parts; its last changes are recorded
  // by RecordTransaction. Nothing may be sealed while parts are open: their
  // records leave the buffer if the transaction rolls back.
  void RecordTransactionPart(const Transaction& part, StateBatch* batch);
  // The state rolled back records not yet committed whole (the parts of a
  // transaction): what this run recorded once is recorded again.
  void OnRolledBack() { thresholds_recorded_ = false; }
  void RecordClockTick(Micros clock, Lsn lsn, StateBatch* batch);
  void RecordSnapshotBegin(Micros clock, Lsn consistent_point, const std::vector<FiringAlert>& handover,
                           StateBatch* batch);
  void RecordSnapshotRow(const Change& row, StateBatch* batch);
  void RecordSnapshotEnd(Lsn consistent_point, StateBatch* batch);
  // Walguard's own observations and messages (see the header comment).
  void RecordOwnCheck(std::string_view check, std::string_view body, Lsn lsn, Micros clock, StateBatch* batch);
  void RecordOwnMessage(const OutMessage& message, Lsn lsn, Micros clock, StateBatch* batch);

  // Seals what is due (by size or by age); cheap when nothing is. Called
  // after commits and on every loop turn. `now`: local time.
  Status SealIfDue(Micros now);
  // At a clean stop, after the last commit: seals everything buffered.
  Status Flush(Micros now);

 private:
  // At most this many segments per call: the buffer is sealed as it fills,
  // so a call finds at most a few segments' worth.
  static constexpr int kMaxSealsPerCall = 1024;

  // The longest pause of sealing while the disk is full.
  static constexpr int kMaxPauseMs = 30'000;

  void Append(Lsn lsn, Micros time, StateBatch* batch);
  Status ResumeThenSeal(Micros now, bool all);
  Status PauseIfOutOfSpace(Status s, Micros now);
  Status Reconcile();
  Status SealWhile(Micros now, bool all);
  Status SealOne(Micros now);
  Status Retain(Micros now);

  const ArchiverOptions options_;
  StateStore* store_;
  std::string scratch_;               // the encoding being recorded, reused
  Micros snapshot_clock_ = 0;         // the time of a snapshot's rows and end
  Micros buffered_since_ = 0;         // local time the buffer last became non-empty; 0: empty
  bool thresholds_recorded_ = false;  // in this run
  bool checkpoint_wanted_ = false;    // by retention
  ArchiveCheckpointer checkpointer_;
  Micros paused_until_ = 0;  // a full disk: no seal before this local time; 0: not paused
  int pause_ms_ = 0;
};

}  // namespace walguard
