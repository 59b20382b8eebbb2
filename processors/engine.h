// Engine: the processing stage. A deterministic function of the typed
// changes, the WAL clock and the state it keeps in a KvTxn.
//
// Each step (a source transaction, a clock tick, a snapshot) is applied to a
// staged KvTxn and evaluated only once it is complete, so no rule ever sees a
// half-applied transaction. The caller commits the staged state together with
// the emitted messages and the checkpoint, atomically.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/change.h"
#include "core/entity_kind.h"
#include "core/firing_alert.h"
#include "core/kv.h"
#include "core/output.h"
#include "processors/apply_context.h"
#include "processors/schema_guard.h"
#include "processors/timers.h"
#include "util/status.h"

namespace walguard {

// The entities a step evaluated (for `walguard inspect`).
using TouchedEntities = std::set<std::pair<EntityKind, std::string>>;

class Engine {
 public:
  explicit Engine(const Thresholds& thresholds) : thresholds_(thresholds) {}

  // Reads the persisted WAL clock (0 on a fresh state) and the rules the
  // schema guard disabled.
  Status Load(KvTxn* kv);
  Micros clock() const { return clock_; }

  // Advances the clock to the commit time, fires due timers, applies the
  // changes and evaluates every entity they touched. With `touched`, also
  // appends those entities to it (the live pipeline passes nullptr).
  Status ApplyTransaction(const Transaction& txn, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                          TouchedEntities* touched = nullptr);

  // A transaction too large to hold in memory, applied in parts as it
  // arrives (state/partial_transaction.h): BeginParts with its header (xid,
  // end_lsn, commit_time; its changes are not read), ApplyPart for each part
  // in order, FinishParts at its commit. The same steps as ApplyTransaction,
  // except that what waits for the commit (the entities touched, the
  // occupancy deltas) waits in `kv` (processors/transaction_parts.h): the
  // same state and the same messages, byte for byte. `kv` may be another
  // object at each call; FinishParts calls `commit_part` between rounds of
  // its evaluation, so the caller can commit what `kv` staged so far.
  Status BeginParts(const Transaction& header, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out);
  Status ApplyPart(std::span<const Change> changes, KvTxn* kv, std::vector<OutMessage>* out);
  Status FinishParts(KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                     const std::function<Status()>& commit_part, TouchedEntities* touched = nullptr);
  bool in_parts() const { return parts_.has_value(); }
  uint32_t parts_xid() const { return parts_xid_; }
  // Forgets the parts, once their state is rolled back; Load before the next step.
  void AbandonParts() { parts_.reset(); }

  // Clock-only progress (keepalives while idle): fires due timers and
  // evaluates what they touched. `lsn` is the last applied position.
  Status AdvanceClock(Micros now, Lsn lsn, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                      TouchedEntities* touched = nullptr);
  // How far AdvanceClock may go towards `target` firing at most `max_timers`
  // row timers (timers.h, BoundedClockStep): the caller commits each step.
  Status ClockStep(Micros target, KvTxn* kv, size_t max_timers, Micros* step) const {
    return BoundedClockStep(kv, clock_, target, max_timers, step);
  }

  // Snapshot rows are stored and accounted at `now`, and evaluated together
  // by FinishSnapshot, once every table has been read. The entities they
  // touch wait in the state under keys::kPartialDirty, as a transaction's in
  // parts do: the caller drops keys::kPartial once the last round committed
  // (StateStore::DropPartial). FinishSnapshot evaluates them in rounds;
  // between rounds `commit_round`, when given, may commit what kv staged.
  void BeginSnapshot(Micros now);
  Status ApplySnapshotRow(const Change& row, KvTxn* kv, std::vector<OutMessage>* out);
  Status FinishSnapshot(Lsn consistent_point, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                        TouchedEntities* touched = nullptr, const std::function<Status()>& commit_round = {});
  // Before FinishSnapshot of a state that replaces an older one
  // (--resnapshot): the older state's firing set is restored with its ids
  // and its entities are evaluated with the snapshot's, so an alert still
  // true stays firing without a new message and one no longer true
  // resolves with the id it fired with. A historical alert stays
  // historical (so resolves as P4); the repeat of one that still fires
  // after FinishSnapshot's evaluation goes on with its numbering.
  Status CarryFiring(const std::vector<FiringAlert>& firing, Lsn consistent_point, KvTxn* kv, Micros detected_at,
                     std::vector<OutMessage>* out);

  // The earliest pending timer; false when none.
  bool NextDeadline(KvTxn* kv, Micros* deadline) const;

 private:
  ApplyContext NewContext(KvTxn* kv, Lsn lsn, Micros commit_time, Micros detected_at,
                          std::vector<OutMessage>* out) const;
  Status ApplyChange(ApplyContext* ctx, const Change& change, uint32_t xid);
  Status ApplyRow(ApplyContext* ctx, const Change& change, uint32_t xid);
  Status Truncate(ApplyContext* ctx, const Change& change);
  // Dead-letters a change that no longer fits the schema and disables the
  // rules that read its table (schema_guard.h).
  Status RejectSchema(ApplyContext* ctx, const Change& change, uint32_t xid, const SchemaProblem& problem);
  Status FireTimers(ApplyContext* ctx, Micros previous_clock);
  void StoreClock(KvTxn* kv) const;
  Status RestoreCarriedRepeats(KvTxn* kv);

  Thresholds thresholds_;
  Micros clock_ = 0;
  SchemaGuard guard_;
  // Carried alerts with a repeat, restored by FinishSnapshot if still firing.
  std::vector<FiringAlert> carried_repeats_;
  std::optional<ApplyContext> parts_;  // of the transaction applied in parts
  uint32_t parts_xid_ = 0;
};

}  // namespace walguard
