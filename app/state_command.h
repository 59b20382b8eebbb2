// `walguard state` (docs/reference.md section 5): what a walguard's state
// holds now, read while it runs (StateStore::OpenReadOnly, a RocksDB
// secondary instance) or after it stopped. The on-demand view of the
// runbooks' event_health query.
//
// Without --entity: the firing set (keys::kFiring), one alert per entry with
// its alert_id and entity. Its age is not printed: the state keeps a firing
// alert's fingerprint and id but not when it fired, so the age is unknown
// until the firing time is stored (a new kStateFormatVersion). The state's
// WAL clock and checkpoint LSN are printed instead, the time and position
// the set is true at.
//
// With --entity KIND:ID: the figures the entity's rules read and each
// rule's verdict now (rule_registry.h, ExplainEntity), over a read-only view,
// and which of its alerts are firing.
//
// --json prints one object:
//   {"state_dir","checkpoint_lsn","snapshot_done","wal_clock",
//    "firing":[{"alert_id","type","entity_kind","entity_id","fingerprint"}]}
// with --entity also "entity", "figures":{...} and "rules":{"<type>":bool}
// (and "firing" only the entity's). Absent values are null.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/entity_kind.h"
#include "core/firing_alert.h"
#include "processors/rule_registry.h"
#include "state/state_store.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// One entry of the firing set, its fingerprint taken apart.
struct FiringEntry {
  FiringAlert alert;
  std::string type;
  std::string entity_kind;
  std::string entity_id;
};

// What the command read from the state.
struct StateView {
  std::string state_dir;
  std::optional<Checkpoint> checkpoint;  // none before the first commit
  Micros wal_clock = 0;                  // 0: no step applied yet
  std::vector<FiringEntry> firing;       // in fingerprint order
};

// Reads the checkpoint, the WAL clock and the firing set.
Status ReadStateView(StateStore* store, StateView* out);

// The figures and verdicts of entity (kind, id) in the state as it stands,
// under `thresholds`. Writes nothing (the store may be read-only).
Status ExplainStateEntity(StateStore* store, const StateView& view, const Thresholds& thresholds, EntityKind kind,
                          const std::string& id, EntityVerdicts* out);

// The output, without the final newline. `verdicts` null: the firing view.
std::string StateJson(const StateView& view, const std::string& entity, const EntityVerdicts* verdicts);
std::string StateText(const StateView& view, const std::string& entity, const EntityVerdicts* verdicts);

struct StateCommandOptions {
  std::string state_dir;
  std::string entity;  // KIND:ID; empty: the firing set (--firing)
  bool json = false;
};

// `walguard state`: 0 when printed; 1 for a bad --entity or no state in the
// directory; 2 for a damaged state or one of another format version.
int StateCommand(const StateCommandOptions& options, const Config& config, std::FILE* out, std::FILE* err);

}  // namespace walguard
