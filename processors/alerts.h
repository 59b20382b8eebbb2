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
//
// An evaluation may be historical (older than its rule's lookback, CONTRACT
// 3.1): under historical_alerts = "report" the alert goes out as P4 with
// "historical": true and no command, and stays so until it resolves ('H' |
// fingerprint marks it, so its resolved message says what it fired as);
// "page" treats it as recent; "suppress" records nothing and emits nothing,
// so the same old rows are suppressed at every evaluation while a newer
// triggering row fires as usual.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/firing_alert.h"
#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

struct AlertType {
  const char* type = nullptr;
  const char* severity = nullptr;     // "P1".."P3"
  const char* entity_kind = nullptr;  // "tier", "order", "event", ...
  const char* runbook = nullptr;      // where a human reads about it
  const char* command = nullptr;      // command type on firing, or nullptr
  bool requires_approval = false;
  // The command is re-issued every `repeat_seconds` while the alert fires
  // (command_repeats.h), as the runbook polls a pending payment.
  bool repeats = false;
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

// The alert_id the fingerprint fires with; NotFound when it does not fire.
Status FiringId(KvTxn* kv, std::string_view fingerprint, std::string* alert_id);

// The command of `type` caused by alert_id: command_id is derived from the
// alert_id, the command type and, for the n-th repeat (n >= 1,
// command_repeats.h), n; repeat 0 is the command issued on firing.
std::string CommandMessage(const ApplyContext& ctx, const AlertType& type, std::string_view command_args,
                           std::string_view alert_id, int64_t repeat = 0);

// The whole firing set, in fingerprint order, each alert with its historical
// mark and its pending repeat (core/firing_alert.h).
Status ListFiring(KvTxn* kv, std::vector<FiringAlert>* out);

// Marks `alert.fingerprint` firing with its existing id, without a message:
// for a state rebuilt by a fresh snapshot, which continues the alerts the
// old state had published rather than firing them again with new ids. The
// historical mark comes along, so the alert resolves as what it fired as;
// the repeat is restored apart (RestoreRepeat), once the alert is known to
// still fire.
void RestoreFiring(KvTxn* kv, const FiringAlert& alert);

}  // namespace walguard
