// ExplainEntity (rule_registry.h): what the rules of an entity read and
// conclude, for `walguard inspect` and `walguard state --entity`, beside the
// registry that evaluates them.
#include <string>
#include <variant>

#include "processors/rule_registry.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

// The figures of each kind of facts: its counts and amounts, as the rules read them.
void WriteFigures(const TierFacts& f, JsonWriter* w) {
  w->Field("quantity", f.quantity);
  w->Field("reserved", f.reserved);
  w->Field("issued", f.issued);
  w->Field("available", f.available());
  w->Field("active_holds", f.agg.v[TierAgg::kActiveHolds]);
  w->Field("active_hold_quantity", f.agg.v[TierAgg::kActiveQty]);
  w->Field("unexpired_hold_quantity", f.agg.v[TierAgg::kUnexpiredQty]);
  w->Field("stuck_holds", f.agg.v[TierAgg::kStuckHolds]);
  w->Field("counting_tickets", f.agg.v[TierAgg::kTickets]);
}
void WriteFigures(const OrderFacts& f, JsonWriter* w) {
  w->Field("paid", f.paid);
  w->Field("total_cents", f.total_cents);
  w->Field("items", f.agg.v[OrderAgg::kItems]);
  w->Field("items_quantity", f.agg.v[OrderAgg::kItemsQty]);
  w->Field("items_total_cents", f.agg.v[OrderAgg::kItemsTotal]);
  w->Field("counting_tickets", f.agg.v[OrderAgg::kTickets]);
  w->Key("since");
  if (f.has_since)
    w->String(FormatTimestamp(f.since));
  else
    w->Null();
}
void WriteFigures(const EventFacts& f, JsonWriter* w) {
  w->Field("stale_pending_orders", f.agg.v[EventAgg::kStalePending]);
}
void WriteFigures(const PaymentFacts& f, JsonWriter* w) {
  w->Field("status", f.status);
  w->Field("method", f.method);
  w->Key("created_at");
  if (f.has_created)
    w->String(FormatTimestamp(f.created));
  else
    w->Null();
  w->Key("succeeded_at");
  if (f.has_succeeded)
    w->String(FormatTimestamp(f.succeeded));
  else
    w->Null();
  w->Field("intent_reservations", f.intent_reservations);
}
void WriteFigures(const BookingIntentFacts& f, JsonWriter* w) {
  w->Field("succeeded_payments", f.succeeded);
  w->Key("succeeded_total").Raw(f.total.ToString());
}
void WriteFigures(const UnitFacts& f, JsonWriter* w) {
  w->Field("overbooked", f.overbooked);
  w->Key("first_overbooked_date");
  if (f.overbooked)
    w->String(FormatDate(f.first_date));
  else
    w->Null();
  w->Field("active_reservations", f.active);
  w->Field("allotment", f.allotment);
}
void WriteFigures(const UnitDateFacts& f, JsonWriter* w) {
  w->Field("has_calendar_row", f.has_calendar);
  w->Field("bookings_count", f.bookings_count);
  w->Field("allotment", f.allotment);
  w->Field("temp_holds", f.temp_holds.value_or(0));
  w->Field("active_reservations", f.active);
}
void WriteFigures(const ProviderFacts& f, JsonWriter* w) {
  w->Field("window_succeeded", f.payments.v[PaymentWindowAgg::kSucceeded]);
  w->Field("window_failed", f.payments.v[PaymentWindowAgg::kFailed]);
  w->Field("window_benign_declines", f.payments.v[PaymentWindowAgg::kBenign]);
  w->Field("card_payments_waiting", f.payments.v[PaymentWindowAgg::kAwaitingWebhook]);
  w->Field("webhooks_received_recent", f.webhooks.v[WebhookAgg::kReceivedRecent]);
  w->Field("webhooks_failed_recent", f.webhooks.v[WebhookAgg::kFailedRecent]);
  w->Field("webhooks_stuck_processing", f.webhooks.v[WebhookAgg::kStuckProcessing]);
}
void WriteFigures(const CronJobFacts& f, JsonWriter* w) {
  w->Field("exists", f.exists);
  w->Field("active", f.active);
  w->Key("last_start");
  if (f.has_last_start)
    w->String(FormatTimestamp(f.last_start));
  else
    w->Null();
  w->Key("latest_finished_status");
  if (f.has_finished)
    w->String(f.finished.status);
  else
    w->Null();
  w->Key("expected_start_by");
  if (f.has_deadline)
    w->String(FormatTimestamp(f.deadline));
  else
    w->Null();
}
void WriteFigures(const LedgerTransactionFacts& f, JsonWriter* w) {
  w->Field("entries", static_cast<int64_t>(f.entries.size()));
  w->Key("debit").Raw(f.debit.ToString());
  w->Key("credit").Raw(f.credit.ToString());
}

template <typename Facts>
Status ExplainRules(ApplyContext* ctx, const std::string& id, EntityVerdicts* out) {
  Facts facts;
  WG_RETURN_IF_ERROR(LoadFacts(ctx, id, &facts));
  out->figures.clear();
  JsonWriter w(&out->figures);
  w.BeginObject();
  WriteFigures(facts, &w);
  w.EndObject();
  WG_RETURN_IF_ERROR(LoadContext(ctx, &facts));
  out->context = ContextOf(facts);
  out->rules.clear();
  for (const Rule& rule : Rules()) {
    const auto* predicate = std::get_if<Predicate<Facts>>(&rule.predicate);
    if (predicate != nullptr) out->rules.emplace_back(&rule.alert, (*predicate)(facts, *ctx->thresholds).firing);
  }
  return Status::OK();
}

struct ExplainKind {
  ApplyContext* ctx;
  const std::string& id;
  EntityVerdicts* out;
  Status operator()(OwnCheck) const { return Status::OK(); }
  template <typename Facts>
  Status operator()(Predicate<Facts>) const {
    return ExplainRules<Facts>(ctx, id, out);
  }
};

}  // namespace

Status ExplainEntity(ApplyContext* ctx, EntityKind kind, const std::string& id, EntityVerdicts* out) {
  *out = EntityVerdicts();
  for (const Rule& rule : Rules()) {
    if (EvaluatedFor(rule) == kind) return std::visit(ExplainKind{ctx, id, out}, rule.predicate);
  }
  return Status::OK();
}

}  // namespace walguard
