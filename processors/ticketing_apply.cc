#include "processors/ticketing_apply.h"

#include "processors/aggregates.h"
#include "processors/context_index.h"
#include "processors/timers.h"

namespace walguard {

namespace {

// A hold's phase on the WAL clock, stored as RowImage::accounted.
enum HoldPhase : int64_t {
  kNotActive = 0,
  kUnexpired = 1,  // active, expires_at > now (or no expiry)
  kExpired = 2,    // active, expires_at <= now, not yet past the stuck threshold
  kStuck = 3,      // active, more than stuck_hold_after past expires_at
};

struct Hold {
  std::string_view tier_id;
  int64_t quantity = 0;
  bool active = false;
  bool has_expiry = false;
  Micros expires_at = 0;
};

Status ParseHold(const RowImage& img, Hold* h) {
  const TableSpec& spec = Spec(TableId::kTicketHolds);
  h->tier_id = CellText(img, hold_col::kTierId);
  h->active = CellText(img, hold_col::kStatus) == "active";
  bool null_expiry = false;
  WG_RETURN_IF_ERROR(CellTime(spec, img, hold_col::kExpiresAt, &h->expires_at, &null_expiry));
  h->has_expiry = !null_expiry;
  return CellInt(spec, img, hold_col::kQuantity, &h->quantity);
}

HoldPhase PhaseOf(const Hold& h, Micros now, const Thresholds& t) {
  if (!h.active) return kNotActive;
  if (!h.has_expiry || now < h.expires_at) return kUnexpired;
  if (now - h.expires_at > t.stuck_hold_after) return kStuck;
  return kExpired;
}

// The first instant at which the hold's phase changes, if any.
bool HoldDeadline(const Hold& h, HoldPhase phase, const Thresholds& t, Micros* deadline) {
  if (!h.has_expiry) return false;
  if (phase == kUnexpired)
    *deadline = h.expires_at;
  else if (phase == kExpired)
    *deadline = h.expires_at + t.stuck_hold_after + 1;
  else
    return false;
  return true;
}

struct Order {
  std::string_view event_id;
  std::string_view status;
  bool has_created = false;
  Micros created_at = 0;
  bool has_paid = false;
  Micros paid_at = 0;
};

Status ParseOrder(const RowImage& img, Order* o) {
  const TableSpec& spec = Spec(TableId::kOrders);
  o->event_id = CellText(img, order_col::kEventId);
  o->status = CellText(img, order_col::kStatus);
  bool is_null = false;
  WG_RETURN_IF_ERROR(CellTime(spec, img, order_col::kCreatedAt, &o->created_at, &is_null));
  o->has_created = !is_null;
  WG_RETURN_IF_ERROR(CellTime(spec, img, order_col::kPaidAt, &o->paid_at, &is_null));
  o->has_paid = !is_null;
  int64_t total = 0;
  return CellInt(spec, img, order_col::kTotalCents, &total);
}

bool IsStale(const Order& o, Micros now, const Thresholds& t) {
  return o.status == "pending" && o.has_created && now - o.created_at > t.stale_pending_after;
}

bool OrderDeadline(const Order& o, bool stale, Micros now, const Thresholds& t, Micros* deadline) {
  if (o.status == "pending" && o.has_created && !stale) {
    *deadline = o.created_at + t.stale_pending_after + 1;
    return true;
  }
  if (o.status == "paid") {
    // paid_without_tickets counts from paid_at; without one, from created_at.
    bool known = o.has_paid || o.has_created;
    Micros due = (o.has_paid ? o.paid_at : o.created_at) + t.paid_without_tickets_after;
    if (known && now < due) {
      *deadline = due;
      return true;
    }
  }
  return false;
}

Status AccountHold(ApplyContext* ctx, const std::string& key, RowImage* img, int sign) {
  Hold h;
  WG_RETURN_IF_ERROR(ParseHold(*img, &h));
  const Thresholds& t = *ctx->thresholds;
  HoldPhase phase = sign > 0 ? PhaseOf(h, ctx->now, t) : static_cast<HoldPhase>(img->accounted);
  Micros deadline = 0;
  bool has_deadline = sign > 0 && HoldDeadline(h, phase, t, &deadline);
  UpdateRowTimer(ctx->kv, TableId::kTicketHolds, key, img, sign, has_deadline, deadline);
  if (sign > 0) img->accounted = phase;
  ctx->Touch(EntityKind::kTier, h.tier_id);
  if (phase == kNotActive) return Status::OK();
  if (phase == kStuck) SetStuckHold(ctx->kv, h.tier_id, h.expires_at, key, sign > 0);
  TierAgg d;
  d.v[TierAgg::kActiveQty] = sign * h.quantity;
  d.v[TierAgg::kActiveHolds] = sign;
  if (phase == kUnexpired) d.v[TierAgg::kUnexpiredQty] = sign * h.quantity;
  if (phase == kStuck) d.v[TierAgg::kStuckHolds] = sign;
  return AddTo(ctx->kv, EntityKind::kTier, h.tier_id, d);
}

Status AccountOrder(ApplyContext* ctx, const std::string& key, RowImage* img, int sign) {
  Order o;
  WG_RETURN_IF_ERROR(ParseOrder(*img, &o));
  const Thresholds& t = *ctx->thresholds;
  bool stale = sign > 0 ? IsStale(o, ctx->now, t) : img->accounted != 0;
  Micros deadline = 0;
  bool has_deadline = sign > 0 && OrderDeadline(o, stale, ctx->now, t, &deadline);
  UpdateRowTimer(ctx->kv, TableId::kOrders, key, img, sign, has_deadline, deadline);
  if (sign > 0) img->accounted = stale ? 1 : 0;
  ctx->Touch(EntityKind::kOrder, key);
  ctx->Touch(EntityKind::kEvent, o.event_id);
  if (!stale) return Status::OK();
  EventAgg d;
  d.v[EventAgg::kStalePending] = sign;
  return AddTo(ctx->kv, EntityKind::kEvent, o.event_id, d);
}

Status AccountItem(ApplyContext* ctx, RowImage* img, int sign) {
  const TableSpec& spec = Spec(TableId::kOrderItems);
  int64_t qty = 0, price = 0;
  WG_RETURN_IF_ERROR(CellInt(spec, *img, item_col::kQuantity, &qty));
  WG_RETURN_IF_ERROR(CellInt(spec, *img, item_col::kUnitPriceCents, &price));
  std::string_view order_id = CellText(*img, item_col::kOrderId);
  ctx->Touch(EntityKind::kOrder, order_id);
  OrderAgg d;
  d.v[OrderAgg::kItems] = sign;
  d.v[OrderAgg::kItemsQty] = sign * qty;
  d.v[OrderAgg::kItemsTotal] = sign * qty * price;
  return AddTo(ctx->kv, EntityKind::kOrder, order_id, d);
}

Status AccountTicket(ApplyContext* ctx, RowImage* img, int sign) {
  std::string_view order_id = CellText(*img, ticket_col::kOrderId);
  std::string_view tier_id = CellText(*img, ticket_col::kTierId);
  ctx->Touch(EntityKind::kOrder, order_id);
  ctx->Touch(EntityKind::kTier, tier_id);
  if (CellText(*img, ticket_col::kStatus) == "void") return Status::OK();
  TierAgg tier;
  tier.v[TierAgg::kTickets] = sign;
  WG_RETURN_IF_ERROR(AddTo(ctx->kv, EntityKind::kTier, tier_id, tier));
  OrderAgg order;
  order.v[OrderAgg::kTickets] = sign;
  return AddTo(ctx->kv, EntityKind::kOrder, order_id, order);
}

Status CheckTier(const RowImage& img) {
  const TableSpec& spec = Spec(TableId::kTicketTiers);
  int64_t v = 0;
  WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kQuantity, &v));
  WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kReserved, &v));
  return CellInt(spec, img, tier_col::kIssued, &v);
}

}  // namespace

Status CheckTicketingRow(TableId table, const RowImage& image) {
  switch (table) {
    case TableId::kTicketTiers:
      return CheckTier(image);
    case TableId::kTicketHolds: {
      Hold h;
      return ParseHold(image, &h);
    }
    case TableId::kOrders: {
      Order o;
      return ParseOrder(image, &o);
    }
    case TableId::kOrderItems: {
      int64_t v = 0;
      const TableSpec& spec = Spec(table);
      WG_RETURN_IF_ERROR(CellInt(spec, image, item_col::kQuantity, &v));
      return CellInt(spec, image, item_col::kUnitPriceCents, &v);
    }
    case TableId::kTickets:
    case TableId::kEvents:
      return Status::OK();
    default:
      break;
  }
  return Status::InvalidArgument("not a ticketing table");
}

Status AccountTicketingRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign) {
  switch (table) {
    case TableId::kTicketTiers:
      ctx->Touch(EntityKind::kTier, key);
      return Status::OK();
    case TableId::kTicketHolds:
      return AccountHold(ctx, key, image, sign);
    case TableId::kOrders:
      return AccountOrder(ctx, key, image, sign);
    case TableId::kOrderItems:
      return AccountItem(ctx, image, sign);
    case TableId::kTickets:
      return AccountTicket(ctx, image, sign);
    case TableId::kEvents:
      // Read only for context, when an alert fires or resolves (LoadContext): the stored image is the lookup.
      return Status::OK();
    default:
      break;
  }
  return Status::InvalidArgument("not a ticketing table");
}

}  // namespace walguard
