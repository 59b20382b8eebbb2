// Replayer: the engine of `walguard replay` and `walguard inspect` over a
// scratch state. It applies archive records exactly as the live pipeline
// applies the steps they record (app/pipeline.cc, app/bootstrap.cc), so the
// same records under the same thresholds emit the same messages; only
// detected_at differs, which is the record's own time here (deterministic).
//
// Records beyond the engine's steps: a state checkpoint replaces the scratch
// state with its own; an own-check observation is evaluated again
// (processors/own_checks.h); an own message is emitted verbatim. Recorded
// thresholds are followed only by a replayer opened to follow them (the
// baseline of --diff); the others keep the thresholds they were opened with.
//
// The scratch state is a StateStore in a fresh temporary directory, removed
// when the Replayer goes away. Records are applied into one batch, committed
// without sync once it holds kStepBytes of writes (and before anything reads
// the store around it): a crash of a replay loses nothing worth keeping. A transaction the
// live run applied in parts (kTransactionPart records, then its
// kTransaction) is replayed in the same parts, in bounded memory too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/thresholds.h"
#include "core/archive_record.h"
#include "core/entity_kind.h"
#include "core/firing_alert.h"
#include "core/output.h"
#include "processors/engine.h"
#include "processors/rule_registry.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

class Replayer {
 public:
  // Creates the scratch directory under $TMPDIR (else /tmp) and opens it.
  // With `follow_recorded`, `thresholds` apply until the first recorded ones.
  static Status Open(const Thresholds& thresholds, std::unique_ptr<Replayer>* out, bool follow_recorded = false);
  ~Replayer();
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  // Applies one record; appends what it emits to *out and, with `touched`,
  // the entities it evaluated.
  Status Apply(const ArchiveRecord& record, std::vector<OutMessage>* out, TouchedEntities* touched = nullptr);

  // The figures and rule verdicts of an entity in the state as it stands
  // after the last Apply (rule_registry.h, ExplainEntity).
  Status Explain(EntityKind kind, const std::string& id, EntityVerdicts* out);

  // Commits what the records applied so far wrote (Apply batches them), for
  // a reader of the scratch state under dir().
  Status CommitPending();
  const std::string& dir() const { return dir_; }
  const Thresholds& thresholds() const { return thresholds_; }

 private:
  Replayer(const Thresholds& thresholds, bool follow_recorded)
      : thresholds_(thresholds), engine_(thresholds), follow_recorded_(follow_recorded) {}
  // The evaluation of a transaction in parts commits the scratch batch past this size.
  static constexpr uint64_t kPartBytes = uint64_t{32} << 20;
  // Records are applied into one scratch batch until its writes reach this
  // size: a key written by many records (a tier's counters, the clock)
  // reaches RocksDB once per batch, and the scratch state needs no commit
  // per record, since a replay's crash loses nothing worth keeping.
  static constexpr uint64_t kStepBytes = uint64_t{8} << 20;

  Status ApplyStep(const ArchiveRecord& record, std::vector<OutMessage>* out, TouchedEntities* touched);
  // A part of a transaction applied in parts, or its commit (kTransaction).
  Status ApplyParts(const ArchiveRecord& record, std::vector<OutMessage>* out, TouchedEntities* touched);
  Status PartsCutShort() const;
  Status LoadCheckpoint(const ArchiveRecord& record);
  // Recorded thresholds: taken now, or after the snapshot in progress.
  Status FollowThresholds(const std::string& text);
  Status UseThresholds(const Thresholds& thresholds);

  Thresholds thresholds_;
  Engine engine_;
  std::string dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<StateBatch> batch_;
  // Of the snapshot in progress (between kSnapshotBegin and kSnapshotEnd).
  std::vector<FiringAlert> handover_;
  Micros snapshot_clock_ = 0;
  bool in_snapshot_ = false;
  const bool follow_recorded_;
  std::optional<Thresholds> pending_thresholds_;  // recorded during a snapshot
};

// True when `record` lies beyond --until-lsn / --until-time (0: no limit).
// Snapshot rows carry neither and are never beyond.
bool BeyondLimits(const ArchiveRecord& record, Lsn until_lsn, Micros until_time);

}  // namespace walguard
