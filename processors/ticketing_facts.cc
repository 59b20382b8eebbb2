#include "processors/ticketing_facts.h"

#include "processors/alert_context.h"
#include "processors/context_index.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "processors/rule_util.h"

namespace walguard {

Status LoadFacts(ApplyContext* ctx, const std::string& id, TierFacts* t) {
  t->id = id;
  RowImage img;
  Status s = LoadImage(ctx->kv, TableId::kTicketTiers, id, &img);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (s.ok()) {
    const TableSpec& spec = Spec(TableId::kTicketTiers);
    t->exists = true;
    t->event_id = CellText(img, tier_col::kEventId);
    WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kQuantity, &t->quantity));
    WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kReserved, &t->reserved));
    WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kIssued, &t->issued));
    t->tier_name = KnownText(img, tier_col::kName);
    t->price_cents = KnownInt(spec, img, tier_col::kPriceCents);
  }
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kTier, id, &t->agg));
  t->event_args = Args("event_id", t->event_id);
  if (t->agg.v[TierAgg::kStuckHolds] == 0) return Status::OK();
  return OldestStuckExpiry(ctx->kv, id, &t->has_oldest_stuck, &t->oldest_stuck);
}

Status LoadFacts(ApplyContext* ctx, const std::string& id, OrderFacts* o) {
  o->id = id;
  o->now = ctx->now;
  RowImage img;
  Status s = LoadImage(ctx->kv, TableId::kOrders, id, &img);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (s.ok()) {
    const TableSpec& spec = Spec(TableId::kOrders);
    o->event_id = CellText(img, order_col::kEventId);
    o->paid = CellText(img, order_col::kStatus) == "paid";
    WG_RETURN_IF_ERROR(CellInt(spec, img, order_col::kTotalCents, &o->total_cents));
    Micros paid_at = 0, created_at = 0;
    bool paid_null = true, created_null = true;
    WG_RETURN_IF_ERROR(CellTime(spec, img, order_col::kPaidAt, &paid_at, &paid_null));
    WG_RETURN_IF_ERROR(CellTime(spec, img, order_col::kCreatedAt, &created_at, &created_null));
    o->has_since = !paid_null || !created_null;
    o->since = !paid_null ? paid_at : created_at;
    o->exists = true;
    o->user_id = KnownText(img, order_col::kUserId);
    o->has_paid_at = !paid_null;
  }
  return Load(ctx->kv, EntityKind::kOrder, id, &o->agg);
}

Status LoadFacts(ApplyContext* ctx, const std::string& id, EventFacts* e) {
  e->id = id;
  e->event_id = id;
  return Load(ctx->kv, EntityKind::kEvent, id, &e->agg);
}

}  // namespace walguard

namespace walguard {

Status LoadContext(ApplyContext* ctx, TierFacts* t) {
  return EventTitle(ctx->kv, t->event_id, &t->event_title);
}

Status LoadContext(ApplyContext* ctx, OrderFacts* o) {
  if (o->has_paid_at) o->paid_at = FormatTimestamp(o->since);
  return EventTitle(ctx->kv, o->event_id, &o->event_title);
}

Status LoadContext(ApplyContext* ctx, EventFacts* e) {
  return EventTitle(ctx->kv, e->id, &e->event_title);
}

}  // namespace walguard
