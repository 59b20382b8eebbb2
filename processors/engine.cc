#include "processors/engine.h"

#include <algorithm>
#include <cassert>

#include "core/key_layout.h"
#include "processors/business_day.h"
#include "processors/command_repeats.h"
#include "processors/dead_letter.h"
#include "processors/monitored_tables.h"
#include "processors/occupancy.h"
#include "processors/row_accounting.h"
#include "processors/row_image.h"
#include "processors/timers.h"
#include "processors/transaction_parts.h"
#include "util/coding.h"

namespace walguard {

namespace {
// Rows handled per truncate round: bounds the memory of one scan.
constexpr size_t kTruncateRound = 1024;
}  // namespace

Status Engine::Load(KvTxn* kv) {
  WG_RETURN_IF_ERROR(guard_.Load(kv));
  std::string value;
  Status s = kv->Get(keys::kClockKey, &value);
  if (s.IsNotFound()) {
    clock_ = 0;
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(s);
  std::string_view in(value);
  if (!GetVarsint64(&in, &clock_)) return Status::Corruption("stored WAL clock is malformed");
  return Status::OK();
}

// A repeat handed over by --resnapshot comes back only for an alert that
// still fires under the same id once the new snapshot is evaluated.
Status Engine::RestoreCarriedRepeats(KvTxn* kv) {
  for (const FiringAlert& alert : carried_repeats_) {
    std::string id;
    Status s = FiringId(kv, alert.fingerprint, &id);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (s.ok() && id == alert.alert_id) RestoreRepeat(kv, clock_, alert);
  }
  carried_repeats_.clear();
  return Status::OK();
}

void Engine::StoreClock(KvTxn* kv) const {
  std::string value;
  PutVarsint64(&value, clock_);
  kv->Put(keys::kClockKey, value);
}

ApplyContext Engine::NewContext(KvTxn* kv, Lsn lsn, Micros commit_time, Micros detected_at,
                                std::vector<OutMessage>* out) const {
  ApplyContext ctx;
  ctx.kv = kv;
  ctx.thresholds = &thresholds_;
  ctx.now = clock_;
  ctx.lsn = lsn;
  ctx.commit_time = commit_time;
  ctx.detected_at = detected_at;
  ctx.out = out;
  ctx.disabled_rules = &guard_.disabled();
  return ctx;
}

Status Engine::ApplyTransaction(const Transaction& txn, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                                TouchedEntities* touched) {
  const Micros previous = clock_;
  clock_ = std::max(clock_, txn.commit_time);
  ApplyContext ctx = NewContext(kv, txn.end_lsn, txn.commit_time, detected_at, out);
  WG_RETURN_IF_ERROR(FireDueRepeats(&ctx, previous));
  WG_RETURN_IF_ERROR(FireTimers(&ctx, previous));
  for (const Change& change : txn.changes) {
    WG_RETURN_IF_ERROR(ApplyChange(&ctx, change, txn.xid));
  }
  WG_RETURN_IF_ERROR(FlushOccupancy(&ctx));
  if (touched != nullptr) touched->insert(ctx.touched.begin(), ctx.touched.end());
  WG_RETURN_IF_ERROR(walguard::EvaluateTouched(&ctx));
  WG_RETURN_IF_ERROR(RestoreCarriedRepeats(kv));
  StoreClock(kv);
  return Status::OK();
}

Status Engine::BeginParts(const Transaction& header, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out) {
  assert(!parts_.has_value());
  const Micros previous = clock_;
  clock_ = std::max(clock_, header.commit_time);
  parts_ = NewContext(kv, header.end_lsn, header.commit_time, detected_at, out);
  parts_xid_ = header.xid;
  // As ApplyTransaction: a repeat due before this commit goes out now, or its
  // deadline would fall behind the clock and never be drained.
  WG_RETURN_IF_ERROR(FireDueRepeats(&*parts_, previous));
  WG_RETURN_IF_ERROR(FireTimers(&*parts_, previous));
  return KeepPart(&*parts_);
}

Status Engine::ApplyPart(std::span<const Change> changes, KvTxn* kv, std::vector<OutMessage>* out) {
  assert(parts_.has_value());
  ApplyContext& ctx = *parts_;
  ctx.kv = kv;
  ctx.out = out;
  for (const Change& change : changes) WG_RETURN_IF_ERROR(ApplyChange(&ctx, change, parts_xid_));
  return KeepPart(&ctx);
}

Status Engine::FinishParts(KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                           const std::function<Status()>& commit_part, TouchedEntities* touched) {
  assert(parts_.has_value());
  ApplyContext& ctx = *parts_;
  ctx.kv = kv;
  ctx.out = out;
  ctx.detected_at = detected_at;
  WG_RETURN_IF_ERROR(EvaluateParts(&ctx, commit_part, touched));
  StoreClock(kv);
  parts_.reset();
  return Status::OK();
}

Status Engine::AdvanceClock(Micros now, Lsn lsn, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                            TouchedEntities* touched) {
  if (now <= clock_) return Status::OK();
  const Micros previous = clock_;
  clock_ = now;
  ApplyContext ctx = NewContext(kv, lsn, now, detected_at, out);
  WG_RETURN_IF_ERROR(FireDueRepeats(&ctx, previous));
  WG_RETURN_IF_ERROR(FireTimers(&ctx, previous));
  if (touched != nullptr) touched->insert(ctx.touched.begin(), ctx.touched.end());
  WG_RETURN_IF_ERROR(walguard::EvaluateTouched(&ctx));
  WG_RETURN_IF_ERROR(RestoreCarriedRepeats(kv));
  StoreClock(kv);
  return Status::OK();
}

void Engine::BeginSnapshot(Micros now) {
  clock_ = std::max(clock_, now);
  carried_repeats_.clear();
}

// The entities a snapshot touches wait in the state, as a transaction's in
// parts do (transaction_parts.h): held in memory they grew with the
// database (~1 GB of RSS through a snapshot of 7.5 M rows).
Status Engine::ApplySnapshotRow(const Change& row, KvTxn* kv, std::vector<OutMessage>* out) {
  ApplyContext ctx = NewContext(kv, 0, clock_, 0, out);
  WG_RETURN_IF_ERROR(ApplyChange(&ctx, row, 0));
  WG_RETURN_IF_ERROR(FlushOccupancy(&ctx));
  return KeepPart(&ctx);
}

Status Engine::FinishSnapshot(Lsn consistent_point, KvTxn* kv, Micros detected_at, std::vector<OutMessage>* out,
                              TouchedEntities* touched, const std::function<Status()>& commit_round) {
  ApplyContext ctx = NewContext(kv, consistent_point, clock_, detected_at, out);
  const std::function<Status()> no_commit = [] { return Status::OK(); };
  WG_RETURN_IF_ERROR(EvaluateParts(&ctx, commit_round ? commit_round : no_commit, touched));
  WG_RETURN_IF_ERROR(RestoreCarriedRepeats(kv));
  StoreClock(kv);
  return Status::OK();
}

Status Engine::CarryFiring(const std::vector<FiringAlert>& firing, Lsn consistent_point, KvTxn* kv, Micros detected_at,
                           std::vector<OutMessage>* out) {
  for (const FiringAlert& alert : firing) {
    // "<type>:<entity kind>:<entity id>"; ids may contain ':' themselves.
    const std::string_view fp = alert.fingerprint;
    const size_t c1 = fp.find(':');
    const size_t c2 = c1 == std::string_view::npos ? c1 : fp.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const std::string_view type = fp.substr(0, c1);
    const std::string_view id = fp.substr(c2 + 1);
    RestoreFiring(kv, alert);
    if (alert.repeat) carried_repeats_.push_back(alert);
    if (std::optional<EntityKind> kind = EntityKindFromName(fp.substr(c1 + 1, c2 - c1 - 1))) {
      ApplyContext ctx = NewContext(kv, consistent_point, clock_, detected_at, out);
      ctx.touched.emplace(*kind, std::string(id));
      WG_RETURN_IF_ERROR(KeepPart(&ctx));  // evaluated by FinishSnapshot with the snapshot's
    } else if (type == kRuleDisabled.type) {
      // The rebuilt state reads the repaired schema: every rule is back.
      ApplyContext ctx = NewContext(kv, consistent_point, clock_, detected_at, out);
      Evaluation eval{&kRuleDisabled, false, R"({"reason":"state rebuilt from a fresh snapshot"})", ""};
      WG_RETURN_IF_ERROR(ReconcileAlert(&ctx, EntityRef{id, {}}, eval));
    }
    // Anything else (replication_lag) is walguard's own: its check resolves it.
  }
  return Status::OK();
}

bool Engine::NextDeadline(KvTxn* kv, Micros* deadline) const {
  return NextTimer(kv, deadline);
}

Status Engine::FireTimers(ApplyContext* ctx, Micros previous_clock) {
  WG_RETURN_IF_ERROR(TouchWhenTheDayChanges(ctx, previous_clock));
  return FireDueTimers(ctx->kv, previous_clock, ctx->now, [&](TableId table, const std::string& key) -> Status {
    RowImage image;
    Status s = LoadImage(ctx->kv, table, key, &image);
    if (s.IsNotFound()) return Status::OK();  // the row went away; its timer was stale
    WG_RETURN_IF_ERROR(s);
    image.has_timer = false;  // FireDueTimers already deleted it
    WG_RETURN_IF_ERROR(AccountRow(ctx, table, key, &image, -1));
    WG_RETURN_IF_ERROR(AccountRow(ctx, table, key, &image, +1));
    ctx->kv->Put(ImageKey(table, key), EncodeImage(image));
    return Status::OK();
  });
}

Status Engine::ApplyChange(ApplyContext* ctx, const Change& change, uint32_t xid) {
  switch (change.action) {
    case Action::kMessage:
      return Status::OK();  // heartbeats and application messages carry no rows
    case Action::kTruncate:
      return Truncate(ctx, change);
    case Action::kInsert:
    case Action::kUpdate:
    case Action::kDelete:
      return ApplyRow(ctx, change, xid);
  }
  ctx->out->push_back(ChangeDeadLetter("unknown action", change, xid, ctx->commit_time));
  return Status::OK();
}

Status Engine::ApplyRow(ApplyContext* ctx, const Change& change, uint32_t xid) {
  auto dead_letter = [&](const std::string& reason) {
    ctx->out->push_back(ChangeDeadLetter(reason, change, xid, ctx->commit_time));
    return Status::OK();
  };
  TableId table;
  const TableSpec* spec = FindMonitoredTable(change.schema, change.table, &table);
  if (spec == nullptr) return dead_letter("table is not monitored");
  SchemaProblem problem;
  if (CheckColumns(table, change, &problem)) return RejectSchema(ctx, change, xid, problem);

  std::string new_key, old_key;
  const bool has_new = change.action != Action::kDelete;
  if (has_new && !KeyOfData(*spec, change.columns, &new_key)) return dead_letter("primary key missing");
  if (change.action == Action::kDelete && change.identity.empty()) {
    return dead_letter("DELETE without identity (REPLICA IDENTITY NOTHING?)");
  }
  if (change.action == Action::kInsert || change.identity.empty()) {
    old_key = new_key;
  } else if (!KeyOfData(*spec, change.identity, &old_key)) {
    return dead_letter("old key missing from identity");
  }

  RowImage old_image;
  Status s = LoadImage(ctx->kv, table, old_key, &old_image);
  if (!s.ok() && !s.IsNotFound()) return s;
  const bool has_old = s.ok();
  if (has_old && CheckUpdate(table, change, old_image, &problem)) return RejectSchema(ctx, change, xid, problem);

  // An update merges into the stored image, never replaces it.
  RowImage new_image = change.action == Action::kUpdate && has_old ? old_image : EmptyImage(*spec);
  if (has_new) {
    MergeData(*spec, change.columns, &new_image);
    if (const std::string* missing = FirstMissingColumn(*spec, new_image)) {
      return dead_letter("column " + *missing + " missing" +
                         (has_old ? "" : " (an update of a row walguard has not seen)"));
    }
    Status check = CheckRow(table, new_image);
    if (!check.ok()) return dead_letter(check.message());
  }
  if (has_old) {
    WG_RETURN_IF_ERROR(AccountRow(ctx, table, old_key, &old_image, -1));
    ctx->kv->Delete(ImageKey(table, old_key));
  }
  if (has_new) {
    WG_RETURN_IF_ERROR(AccountRow(ctx, table, new_key, &new_image, +1));
    ctx->kv->Put(ImageKey(table, new_key), EncodeImage(new_image));
  }
  return Status::OK();
}

Status Engine::RejectSchema(ApplyContext* ctx, const Change& change, uint32_t xid, const SchemaProblem& problem) {
  WG_RETURN_IF_ERROR(guard_.Disable(ctx, problem, change.lsn));
  ctx->out->push_back(ChangeDeadLetter(problem.Reason(), change, xid, ctx->commit_time));
  return Status::OK();
}

Status Engine::Truncate(ApplyContext* ctx, const Change& change) {
  TableId table;
  if (FindMonitoredTable(change.schema, change.table, &table) == nullptr) return Status::OK();
  const std::string begin = ImageKey(table, "");
  std::vector<std::string> keys;
  for (;;) {
    keys.clear();
    WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, begin, [&](std::string_view key, std::string_view) {
      keys.emplace_back(key.substr(begin.size()));
      return keys.size() < kTruncateRound;
    }));
    if (keys.empty()) return Status::OK();
    for (const std::string& key : keys) {
      RowImage image;
      WG_RETURN_IF_ERROR(LoadImage(ctx->kv, table, key, &image));
      WG_RETURN_IF_ERROR(AccountRow(ctx, table, key, &image, -1));
      ctx->kv->Delete(ImageKey(table, key));
    }
  }
}

}  // namespace walguard
