#include "processors/alerts.h"

#include "core/key_layout.h"
#include "util/hash.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

constexpr char kFiringTag = keys::kFiring;

std::string FiringKey(std::string_view fingerprint) {
  std::string key(1, kFiringTag);
  key.append(fingerprint);
  return key;
}

std::string AlertMessage(const ApplyContext& ctx, const EntityRef& entity, const Evaluation& eval,
                         std::string_view fingerprint, std::string_view alert_id, bool firing) {
  std::string out;
  out.reserve(256 + eval.details.size() + eval.context.size());
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("alert_id", alert_id);
  w.Field("fingerprint", fingerprint);
  w.Field("type", eval.type->type);
  w.Field("severity", eval.historical ? "P4" : eval.type->severity);
  if (eval.historical) w.Field("historical", true);
  w.Field("state", firing ? "firing" : "resolved");
  w.Key("entity").BeginObject();
  w.Field("kind", eval.type->entity_kind);
  w.Field("id", entity.id);
  w.EndObject();
  if (!entity.event_id.empty()) w.Field("event_id", entity.event_id);
  w.Field("lsn", FormatLsn(ctx.lsn));
  w.Field("commit_time", FormatTimestamp(ctx.commit_time));
  w.Field("detected_at", FormatTimestamp(ctx.detected_at));
  w.Key("details").Raw(eval.details.empty() ? "{}" : eval.details);
  w.Key("context").Raw(eval.context.empty() ? "{}" : eval.context);
  w.Field("runbook", eval.type->runbook);
  w.EndObject();
  return out;
}

std::string CommandMessage(const ApplyContext& ctx, const Evaluation& eval, std::string_view alert_id) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("command_id", StableUuid(std::string(alert_id) + "/" + eval.type->command));
  w.Field("type", eval.type->command);
  w.Key("args").Raw(eval.command_args.empty() ? "{}" : eval.command_args);
  w.Field("dry_run", false);
  w.Field("requires_approval", eval.type->requires_approval);
  w.Field("caused_by", alert_id);
  w.Field("lsn", FormatLsn(ctx.lsn));
  w.Field("issued_at", FormatTimestamp(ctx.detected_at));
  w.EndObject();
  return out;
}

}  // namespace

std::string Fingerprint(const AlertType& type, std::string_view entity_id) {
  std::string fp = type.type;
  fp.push_back(':');
  fp.append(type.entity_kind);
  fp.push_back(':');
  fp.append(entity_id);
  return fp;
}

bool IsFiring(KvTxn* kv, std::string_view fingerprint) {
  std::string ignored;
  return kv->Get(FiringKey(fingerprint), &ignored).ok();
}

Status ListFiring(KvTxn* kv, std::vector<FiringAlert>* out) {
  const std::string prefix(1, kFiringTag);
  return ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view value) {
    out->push_back({std::string(key.substr(prefix.size())), std::string(value)});
    return true;
  });
}

void RestoreFiring(KvTxn* kv, const FiringAlert& alert) {
  kv->Put(FiringKey(alert.fingerprint), alert.alert_id);
}

Status ReconcileAlert(ApplyContext* ctx, const EntityRef& entity, const Evaluation& eval) {
  if (ctx->RuleDisabled(eval.type->type)) return Status::OK();  // its alerts stay as they are
  std::string fingerprint = Fingerprint(*eval.type, entity.id);
  std::string key = FiringKey(fingerprint);
  std::string alert_id;
  Status s = ctx->kv->Get(key, &alert_id);
  if (!s.ok() && !s.IsNotFound()) return s;
  bool was_firing = s.ok();
  if (was_firing == eval.firing) return Status::OK();

  if (eval.firing) {
    // The step's position and source time: the same for every run over the
    // same WAL, whatever keepalives another run's clock saw in between.
    alert_id = StableUuid(fingerprint + "@" + FormatLsn(ctx->lsn) + "@" + std::to_string(ctx->commit_time));
    ctx->kv->Put(key, alert_id);
  } else {
    ctx->kv->Delete(key);
  }
  ctx->out->push_back(
      {Topic::kAlerts, fingerprint, AlertMessage(*ctx, entity, eval, fingerprint, alert_id, eval.firing)});
  if (eval.firing && !eval.historical && eval.type->command != nullptr) {
    ctx->out->push_back({Topic::kCommands, fingerprint, CommandMessage(*ctx, eval, alert_id)});
  }
  return Status::OK();
}

}  // namespace walguard
