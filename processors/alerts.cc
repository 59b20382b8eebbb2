#include "processors/alerts.h"

#include "core/key_layout.h"
#include "processors/command_repeats.h"
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

std::string HistoricalKey(std::string_view fingerprint) {
  std::string key(1, keys::kHistorical);
  key.append(fingerprint);
  return key;
}

HistoricalAlerts ModeOf(const ApplyContext& ctx) {
  return ctx.thresholds != nullptr ? ctx.thresholds->historical_alerts : HistoricalAlerts::kReport;
}

// `historical` is the alert's, not the evaluation's: what it fired as.
std::string AlertMessage(const ApplyContext& ctx, const EntityRef& entity, const Evaluation& eval,
                         std::string_view fingerprint, std::string_view alert_id, bool firing, bool historical) {
  std::string out;
  out.reserve(256 + eval.details.size() + eval.context.size());
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("alert_id", alert_id);
  w.Field("fingerprint", fingerprint);
  w.Field("type", eval.type->type);
  w.Field("severity", historical ? "P4" : eval.type->severity);
  if (historical) w.Field("historical", true);
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

}  // namespace

std::string CommandMessage(const ApplyContext& ctx, const AlertType& type, std::string_view command_args,
                           std::string_view alert_id, int64_t repeat) {
  std::string id_source = std::string(alert_id) + "/" + type.command;
  if (repeat > 0) id_source += "/" + std::to_string(repeat);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("command_id", StableUuid(id_source));
  w.Field("type", type.command);
  w.Key("args").Raw(command_args.empty() ? "{}" : command_args);
  w.Field("dry_run", false);
  w.Field("requires_approval", type.requires_approval);
  w.Field("caused_by", alert_id);
  w.Field("lsn", FormatLsn(ctx.lsn));
  w.Field("issued_at", FormatTimestamp(ctx.detected_at));
  w.EndObject();
  return out;
}

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

Status FiringId(KvTxn* kv, std::string_view fingerprint, std::string* alert_id) {
  return kv->Get(FiringKey(fingerprint), alert_id);
}

Status ListFiring(KvTxn* kv, std::vector<FiringAlert>* out) {
  return ListFiringSet(
      [kv](std::string_view prefix, const KvTxn::Visitor& visit) { return ScanPrefix(kv, prefix, visit); }, out);
}

void RestoreFiring(KvTxn* kv, const FiringAlert& alert) {
  kv->Put(FiringKey(alert.fingerprint), alert.alert_id);
  if (alert.historical) kv->Put(HistoricalKey(alert.fingerprint), "");
}

Status ReconcileAlert(ApplyContext* ctx, const EntityRef& entity, const Evaluation& eval) {
  if (ctx->RuleDisabled(eval.type->type)) return Status::OK();  // its alerts stay as they are
  std::string fingerprint = Fingerprint(*eval.type, entity.id);
  std::string key = FiringKey(fingerprint);
  std::string alert_id;
  Status s = ctx->kv->Get(key, &alert_id);
  if (!s.ok() && !s.IsNotFound()) return s;
  bool was_firing = s.ok();
  if (was_firing == eval.firing) return Status::OK();  // a firing alert stays what it fired as
  const HistoricalAlerts mode = ModeOf(*ctx);
  bool historical = eval.historical && mode != HistoricalAlerts::kPage;
  // Suppressed: not recorded at all. The same old rows stay older than the
  // lookback, so they are suppressed again at every evaluation and never fire
  // later; a newer triggering row makes the verdict recent, and it fires then.
  if (eval.firing && historical && mode == HistoricalAlerts::kSuppress) return Status::OK();

  if (eval.firing) {
    // The step's position and source time: the same for every run over the
    // same WAL, whatever keepalives another run's clock saw in between.
    alert_id = StableUuid(fingerprint + "@" + FormatLsn(ctx->lsn) + "@" + std::to_string(ctx->commit_time));
    ctx->kv->Put(key, alert_id);
    if (historical) ctx->kv->Put(HistoricalKey(fingerprint), "");
  } else {
    std::string ignored;
    Status h = ctx->kv->Get(HistoricalKey(fingerprint), &ignored);
    if (!h.ok() && !h.IsNotFound()) return h;
    historical = h.ok();  // resolves as what it fired as
    ctx->kv->Delete(key);
    if (historical) ctx->kv->Delete(HistoricalKey(fingerprint));
  }
  ctx->out->push_back(
      {Topic::kAlerts, fingerprint, AlertMessage(*ctx, entity, eval, fingerprint, alert_id, eval.firing, historical)});
  if (eval.firing && !historical && eval.type->command != nullptr) {
    ctx->out->push_back({Topic::kCommands, fingerprint, CommandMessage(*ctx, *eval.type, eval.command_args, alert_id)});
    ScheduleRepeat(ctx, *eval.type, fingerprint, alert_id, eval.command_args);
  }
  return Status::OK();
}

}  // namespace walguard
