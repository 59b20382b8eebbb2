#include "worker/messages.h"

#include <array>
#include <utility>

#include "util/hash.h"
#include "util/json_writer.h"
#include "worker/json_fields.h"

namespace walguard {

namespace {

constexpr std::array<std::pair<OutcomeStatus, const char*>, 7> kStatusNames = {{
    {OutcomeStatus::kDryRun, "dry_run"},
    {OutcomeStatus::kApplied, "applied"},
    {OutcomeStatus::kSkipped, "skipped"},
    {OutcomeStatus::kRefused, "refused"},
    {OutcomeStatus::kAwaitingApproval, "awaiting_approval"},
    {OutcomeStatus::kExpired, "expired"},
    {OutcomeStatus::kFailed, "failed"},
}};

}  // namespace

Status ParseCommand(std::string_view json, Command* out) {
  JsonFields f;
  WG_RETURN_IF_ERROR(JsonFields::Parse(json, &f));
  *out = Command();
  out->command_id = f.Str("command_id");
  out->type = f.Str("type");
  out->caused_by = f.Str("caused_by");
  out->requires_approval = f.Bool("requires_approval");
  out->args_json = f.Raw("args", "{}");
  out->raw = std::string(json);
  if (out->command_id.empty() || out->type.empty()) {
    return Status::Corruption("command without command_id or type: " + std::string(json.substr(0, 200)));
  }
  JsonFields args;
  WG_RETURN_IF_ERROR(JsonFields::Parse(out->args_json, &args));
  for (const auto& [k, v] : args.strings()) out->args[k] = v;
  return Status::OK();
}

Status ParseAlert(std::string_view json, AlertMessage* out) {
  JsonFields f;
  WG_RETURN_IF_ERROR(JsonFields::Parse(json, &f));
  *out = AlertMessage();
  out->alert_id = f.Str("alert_id");
  out->fingerprint = f.Str("fingerprint");
  out->type = f.Str("type");
  out->severity = f.Str("severity");
  out->state = f.Str("state");
  out->event_id = f.Str("event_id");
  out->lsn = f.Str("lsn");
  out->commit_time = f.Str("commit_time");
  out->details_json = f.Raw("details", "{}");
  JsonFields entity;
  if (JsonFields::Parse(f.Raw("entity", "{}"), &entity).ok()) {
    out->entity_kind = entity.Str("kind");
    out->entity_id = entity.Str("id");
  }
  if (out->alert_id.empty()) return Status::Corruption("alert without alert_id");
  return Status::OK();
}

const char* OutcomeStatusName(OutcomeStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "unknown";
}

bool ParseOutcomeStatus(std::string_view name, OutcomeStatus* out) {
  for (const auto& [s, n] : kStatusNames) {
    if (name == n) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::string OutcomeJson(const Outcome& o) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("command_id", o.command_id);
  w.Field("type", o.type);
  w.Field("status", OutcomeStatusName(o.status));
  w.Key("report").Raw(o.report_json.empty() ? "{}" : o.report_json);
  w.Field("attempts", static_cast<int64_t>(o.attempts));
  w.Field("worker", o.worker);
  w.Field("at", FormatTimestamp(o.at));
  if (!o.reason.empty()) w.Field("reason", o.reason);
  if (!o.command_json.empty()) w.Key("command").Raw(o.command_json);
  w.EndObject();
  return out;
}

Status ParseOutcome(std::string_view json, Outcome* out) {
  JsonFields f;
  WG_RETURN_IF_ERROR(JsonFields::Parse(json, &f));
  *out = Outcome();
  out->command_id = f.Str("command_id");
  out->type = f.Str("type");
  if (!ParseOutcomeStatus(f.Str("status"), &out->status)) {
    return Status::Corruption("outcome with an unknown status: " + f.Str("status"));
  }
  out->report_json = f.Raw("report", "{}");
  out->attempts = static_cast<int>(f.Int("attempts").value_or(1));
  out->worker = f.Str("worker");
  if (!ParseTimestamp(f.Str("at"), &out->at)) return Status::Corruption("outcome without a valid at");
  out->reason = f.Str("reason");
  out->command_json = f.Raw("command");
  return Status::OK();
}

std::string ApprovalJson(const Approval& a) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("command_id", a.command_id);
  w.Field("approved_by", a.by);
  if (!a.reason.empty()) w.Field("reason", a.reason);
  w.Field("at", FormatTimestamp(a.at));
  w.EndObject();
  return out;
}

Status ParseApproval(std::string_view json, Approval* out) {
  JsonFields f;
  WG_RETURN_IF_ERROR(JsonFields::Parse(json, &f));
  *out = Approval();
  out->command_id = f.Str("command_id");
  out->by = f.Str("approved_by");
  out->reason = f.Str("reason");
  if (out->command_id.empty() || out->by.empty() || !ParseTimestamp(f.Str("at"), &out->at)) {
    return Status::Corruption("approval without command_id, approved_by or at");
  }
  return Status::OK();
}

std::string CommandDeadLetterJson(const Command& c, std::string_view error, int attempts, std::string_view worker,
                                  Micros at) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("reason", "command_failed");
  w.Field("error", error);
  w.Field("command_id", c.command_id);
  w.Field("attempts", static_cast<int64_t>(attempts));
  w.Field("worker", worker);
  w.Field("at", FormatTimestamp(at));
  if (c.raw.empty()) {
    w.Key("command").Null();
  } else {
    w.Key("command").Raw(c.raw);
  }
  w.EndObject();
  return out;
}

Escalation EscalationIds(const Command& c, const AlertMessage& original) {
  return {StableUuid(c.command_id + "/fix_did_not_resolve"),
          "fix_did_not_resolve:" + original.entity_kind + ":" + original.entity_id};
}

std::string EscalationAlertJson(const Command& c, const AlertMessage& original, bool firing, std::string_view why,
                                Micros now) {
  const Escalation ids = EscalationIds(c, original);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("alert_id", ids.alert_id);
  w.Field("fingerprint", ids.fingerprint);
  w.Field("type", "fix_did_not_resolve");
  w.Field("severity", "P1");
  w.Field("state", firing ? "firing" : "resolved");
  w.Key("entity").BeginObject();
  w.Field("kind", original.entity_kind);
  w.Field("id", original.entity_id);
  w.EndObject();
  if (!original.event_id.empty()) w.Field("event_id", original.event_id);
  w.Field("lsn", original.lsn);
  w.Field("commit_time", original.commit_time);
  w.Field("detected_at", FormatTimestamp(now));
  w.Key("details").BeginObject();
  w.Field("reason", why);
  w.Field("command_id", c.command_id);
  w.Field("command_type", c.type);
  w.Field("original_alert_id", original.alert_id);
  w.Field("original_type", original.type);
  w.EndObject();
  w.Field("caused_by", c.command_id);
  w.Field("runbook", "the original alert's runbook; the worker's fix did not resolve it");
  w.EndObject();
  return out;
}

}  // namespace walguard
