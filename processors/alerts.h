// Alert lifecycle: firing and resolved transitions with stable ids.
//
// A rule evaluation says, for one entity and one alert type, whether the
// condition holds now. ReconcileAlert compares that with the stored firing
// set ('F' | fingerprint -> alert_id) and emits a message only on a change:
// firing once when it becomes true, resolved once when it becomes false.
//
// alert_id is derived from the fingerprint, the LSN and the commit time of
// the step that fired it (for a clock tick: the tick's time), so reprocessing
// the same WAL after a crash - or another walguard reading the same WAL -
// yields the same id for a firing caused by a commit, never a new one.
// command_id is derived from the alert_id.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/firing_alert.h"
#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

struct AlertType {
  const char* type;
  const char* severity;     // "P1".."P3"
  const char* entity_kind;  // "tier", "order", "event", ...
  const char* runbook;      // where a human reads about it
  const char* command;      // command type on firing, or nullptr
  bool requires_approval;
};

struct Evaluation {
  const AlertType* type = nullptr;
  bool firing = false;
  std::string details;       // a JSON object: the figures that decide the condition
  std::string command_args;  // a JSON object, used when type->command is set
  std::string context;       // a JSON object: names and ids the on-call engineer acts on (CONTRACT 3.1)
  bool historical = false;   // older than the rule's lookback: P4, "historical": true, no command
};

struct EntityRef {
  std::string_view id;
  std::string_view event_id;  // empty when not known
};

Status ReconcileAlert(ApplyContext* ctx, const EntityRef& entity, const Evaluation& eval);

// "<type>:<entity kind>:<entity id>"
std::string Fingerprint(const AlertType& type, std::string_view entity_id);

// True when the fingerprint is currently firing.
bool IsFiring(KvTxn* kv, std::string_view fingerprint);

// The whole firing set, in fingerprint order.
Status ListFiring(KvTxn* kv, std::vector<FiringAlert>* out);

// Marks `alert.fingerprint` firing with its existing id, without a message:
// for a state rebuilt by a fresh snapshot, which continues the alerts the
// old state had published rather than firing them again with new ids.
void RestoreFiring(KvTxn* kv, const FiringAlert& alert);

}  // namespace walguard
