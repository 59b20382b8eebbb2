// The messages the worker reads and writes (CONTRACT.md sections 4 and 7):
// commands and alerts in, outcomes, approvals, dead letters and the
// fix_did_not_resolve escalation out. Plain structs and their JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

// A corrective command from walguard.commands. The command names the object
// (args); the worker re-reads the truth from the database.
struct Command {
  std::string command_id;
  std::string type;
  std::string args_json = "{}";                          // as received
  std::map<std::string, std::string, std::less<>> args;  // its string-valued fields
  bool requires_approval = false;
  std::string caused_by;  // the alert_id of the firing that issued it
  std::string raw;        // the whole message, for dead letters and approvals
};
Status ParseCommand(std::string_view json, Command* out);

// One alert message from walguard.alerts.
struct AlertMessage {
  std::string alert_id, fingerprint, type, severity, state;
  std::string entity_kind, entity_id, event_id, lsn, commit_time;
  std::string details_json = "{}";
  bool firing() const { return state == "firing"; }
};
Status ParseAlert(std::string_view json, AlertMessage* out);

enum class OutcomeStatus { kDryRun, kApplied, kSkipped, kRefused, kAwaitingApproval, kExpired, kFailed };
const char* OutcomeStatusName(OutcomeStatus status);
bool ParseOutcomeStatus(std::string_view name, OutcomeStatus* out);

// One message on walguard.outcomes. `reason` says why a command was
// skipped, refused, expired or failed; `command` (awaiting_approval only)
// carries the command itself, so pending approvals are rebuilt from this
// topic after a restart.
struct Outcome {
  std::string command_id, type;
  OutcomeStatus status = OutcomeStatus::kDryRun;
  std::string report_json = "{}";
  int attempts = 1;
  std::string worker;
  Micros at = 0;
  std::string reason;
  std::string command_json;
};
std::string OutcomeJson(const Outcome& o);
Status ParseOutcome(std::string_view json, Outcome* out);

// One message on walguard.approvals (key = command_id).
struct Approval {
  std::string command_id, by, reason;
  Micros at = 0;
};
std::string ApprovalJson(const Approval& a);
Status ParseApproval(std::string_view json, Approval* out);

// A command the worker gave up on, for walguard.deadletter.
std::string CommandDeadLetterJson(const Command& c, std::string_view error, int attempts, std::string_view worker,
                                  Micros at);

// fix_did_not_resolve (P1, the original's entity, caused_by = command_id):
// its alert_id is derived from the command_id, so every message about it,
// from any worker, names the same firing.
struct Escalation {
  std::string alert_id;
  std::string fingerprint;
};
Escalation EscalationIds(const Command& c, const AlertMessage& original);
std::string EscalationAlertJson(const Command& c, const AlertMessage& original, bool firing, std::string_view why,
                                Micros now);

}  // namespace walguard
