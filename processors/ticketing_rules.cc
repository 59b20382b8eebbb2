#include "processors/ticketing_rules.h"

#include "processors/aggregates.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "processors/rule_util.h"
#include "util/json_writer.h"

namespace walguard {

const AlertType kStuckHolds = {"stuck_holds", "P3", "tier", "000 section 3", "cleanup_expired_ticket_holds", false};
const AlertType kTierReservedDrift = {"tier_reserved_drift", "P2", "tier", "000 section 2", "reconcile_event_tickets", false};
const AlertType kTierIssuedDrift = {"tier_issued_drift", "P2", "tier", "000 section 2", "reconcile_issued_quantity", false};
const AlertType kHighReserved = {"high_reserved", "P3", "tier", "000 section 3", nullptr, false};
const AlertType kFalseSoldOut = {"false_sold_out", "P2", "tier", "000 section 2", "reconcile_event_tickets", false};
const AlertType kNegativeAvailable = {"negative_available", "P1", "tier", "000 section 2", "reconcile_event_tickets", false};
const AlertType kStalePendingOrders = {"stale_pending_orders", "P3", "event", "000 section 5", "expire_pending_orders", false};
const AlertType kPaidWithoutTickets = {"paid_without_tickets", "P1", "order", "000 section 4", "ensure_tickets", false};
const AlertType kOrderOverissued = {"order_overissued", "P1", "order", "000 section 4", nullptr, false};
const AlertType kRevenueMismatch = {"revenue_mismatch", "P3", "order", "000 section 4", nullptr, false};

namespace {

struct TierFigures {
  bool exists = false;
  std::string event_id;
  int64_t quantity = 0, reserved = 0, issued = 0;
};

Status LoadTier(KvTxn* kv, const std::string& id, TierFigures* t) {
  RowImage img;
  Status s = LoadImage(kv, TableId::kTicketTiers, id, &img);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  const TableSpec& spec = Spec(TableId::kTicketTiers);
  t->exists = true;
  t->event_id = CellText(img, tier_col::kEventId);
  WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kQuantity, &t->quantity));
  WG_RETURN_IF_ERROR(CellInt(spec, img, tier_col::kReserved, &t->reserved));
  return CellInt(spec, img, tier_col::kIssued, &t->issued);
}

}  // namespace

Status EvaluateTier(ApplyContext* ctx, const std::string& id) {
  TierFigures t;
  WG_RETURN_IF_ERROR(LoadTier(ctx->kv, id, &t));
  TierAgg a;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kTier, id, &a));
  const Thresholds& th = *ctx->thresholds;
  const int64_t available = t.quantity - t.reserved - t.issued;
  const int64_t active_qty = a.v[TierAgg::kActiveQty];
  const int64_t unexpired_qty = a.v[TierAgg::kUnexpiredQty];
  const int64_t stuck = a.v[TierAgg::kStuckHolds];
  const int64_t tickets = a.v[TierAgg::kTickets];
  const std::string event_args = Args("event_id", t.event_id);
  const bool e = t.exists;

  Evaluation evals[] = {
      {&kStuckHolds, e && stuck >= 1,
       Figures({{"stuck_holds", stuck}, {"active_holds", a.v[TierAgg::kActiveHolds]},
                {"active_hold_quantity", active_qty}, {"reserved_quantity", t.reserved}}),
       event_args},
      {&kTierReservedDrift, e && t.reserved != active_qty,
       Figures({{"reserved_quantity", t.reserved}, {"active_hold_quantity", active_qty},
                {"difference", t.reserved - active_qty}}),
       event_args},
      {&kTierIssuedDrift, e && t.issued != tickets,
       Figures({{"issued_quantity", t.issued}, {"counting_tickets", tickets}, {"difference", t.issued - tickets}}),
       Args("tier_id", id)},
      {&kHighReserved, e && t.reserved * 100 > th.high_reserved_percent * t.quantity,
       Figures({{"reserved_quantity", t.reserved}, {"quantity", t.quantity},
                {"threshold_percent", th.high_reserved_percent}}),
       ""},
      {&kFalseSoldOut,
       e && available <= 0 && t.issued * 100 < th.false_sold_out_issued_percent * t.quantity &&
           t.reserved > unexpired_qty,
       Figures({{"available", available}, {"quantity", t.quantity}, {"issued_quantity", t.issued},
                {"reserved_quantity", t.reserved}, {"unexpired_hold_quantity", unexpired_qty}}),
       event_args},
      {&kNegativeAvailable, e && available < 0,
       Figures({{"available", available}, {"quantity", t.quantity}, {"reserved_quantity", t.reserved},
                {"issued_quantity", t.issued}}),
       event_args},
  };
  EntityRef ref{id, t.event_id};
  for (const Evaluation& ev : evals) WG_RETURN_IF_ERROR(ReconcileAlert(ctx, ref, ev));
  return Status::OK();
}

Status EvaluateOrder(ApplyContext* ctx, const std::string& id) {
  RowImage img;
  Status s = LoadImage(ctx->kv, TableId::kOrders, id, &img);
  if (!s.ok() && !s.IsNotFound()) return s;
  const bool exists = s.ok();
  const TableSpec& spec = Spec(TableId::kOrders);
  std::string event_id;
  bool paid = false, due = false;
  int64_t total = 0;
  if (exists) {
    event_id = CellText(img, order_col::kEventId);
    paid = CellText(img, order_col::kStatus) == "paid";
    WG_RETURN_IF_ERROR(CellInt(spec, img, order_col::kTotalCents, &total));
    Micros paid_at = 0, created_at = 0;
    bool paid_null = true, created_null = true;
    WG_RETURN_IF_ERROR(CellTime(spec, img, order_col::kPaidAt, &paid_at, &paid_null));
    WG_RETURN_IF_ERROR(CellTime(spec, img, order_col::kCreatedAt, &created_at, &created_null));
    // Without paid_at (or created_at) there is no deadline to wait for.
    Micros since = !paid_null ? paid_at : created_at;
    due = (paid_null && created_null) || ctx->now >= since + ctx->thresholds->paid_without_tickets_after;
  }
  OrderAgg a;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kOrder, id, &a));
  const int64_t tickets = a.v[OrderAgg::kTickets];
  const int64_t items_qty = a.v[OrderAgg::kItemsQty];
  const int64_t items_total = a.v[OrderAgg::kItemsTotal];
  const bool has_items = a.v[OrderAgg::kItems] > 0;
  const __int128 limit = static_cast<__int128>(items_total) * (100 + ctx->thresholds->revenue_excess_percent);
  const bool revenue_off = total < items_total || static_cast<__int128>(total) * 100 > limit;

  Evaluation evals[] = {
      {&kPaidWithoutTickets, paid && due && tickets == 0,
       Figures({{"counting_tickets", tickets}, {"items_quantity", items_qty}}), Args("order_id", id)},
      {&kOrderOverissued, paid && tickets > items_qty,
       Figures({{"counting_tickets", tickets}, {"items_quantity", items_qty}}), ""},
      {&kRevenueMismatch, paid && has_items && revenue_off,
       Figures({{"total_cents", total}, {"items_total_cents", items_total}, {"difference_cents", total - items_total},
                {"threshold_percent", ctx->thresholds->revenue_excess_percent}}),
       ""},
  };
  EntityRef ref{id, event_id};
  for (const Evaluation& ev : evals) WG_RETURN_IF_ERROR(ReconcileAlert(ctx, ref, ev));
  return Status::OK();
}

Status EvaluateEvent(ApplyContext* ctx, const std::string& id) {
  EventAgg a;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kEvent, id, &a));
  const int64_t stale = a.v[EventAgg::kStalePending];
  Evaluation ev{&kStalePendingOrders, stale >= 1, Figures({{"stale_pending_orders", stale}}), Args("event_id", id)};
  return ReconcileAlert(ctx, EntityRef{id, id}, ev);
}

}  // namespace walguard
