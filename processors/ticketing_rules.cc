#include "processors/ticketing_rules.h"

#include <utility>

#include "util/json_writer.h"

namespace walguard {

Verdict StuckHolds(const TierFacts& f, const Thresholds&) {
  const int64_t stuck = f.agg.v[TierAgg::kStuckHolds];
  std::string context;
  JsonWriter w(&context);
  w.BeginObject();
  w.Field("stuck_hold_count", stuck);
  w.Key("oldest_expired_at");
  if (f.has_oldest_stuck)
    w.String(FormatTimestamp(f.oldest_stuck));
  else
    w.Null();
  w.EndObject();
  return {f.exists && stuck >= 1,
          Figures({{"stuck_holds", stuck},
                   {"active_holds", f.agg.v[TierAgg::kActiveHolds]},
                   {"active_hold_quantity", f.agg.v[TierAgg::kActiveQty]},
                   {"reserved_quantity", f.reserved}}),
          f.event_args, std::move(context)};
}

Verdict TierReservedDrift(const TierFacts& f, const Thresholds&) {
  const int64_t active_qty = f.agg.v[TierAgg::kActiveQty];
  return {f.exists && f.reserved != active_qty,
          Figures({{"reserved_quantity", f.reserved},
                   {"active_hold_quantity", active_qty},
                   {"difference", f.reserved - active_qty}}),
          f.event_args};
}

Verdict TierIssuedDrift(const TierFacts& f, const Thresholds&) {
  const int64_t tickets = f.agg.v[TierAgg::kTickets];
  return {f.exists && f.issued != tickets,
          Figures({{"issued_quantity", f.issued}, {"counting_tickets", tickets}, {"difference", f.issued - tickets}}),
          Args("tier_id", f.id)};
}

Verdict HighReserved(const TierFacts& f, const Thresholds& t) {
  return {f.exists && f.reserved * 100 > t.high_reserved_percent * f.quantity,
          Figures({{"reserved_quantity", f.reserved},
                   {"quantity", f.quantity},
                   {"threshold_percent", t.high_reserved_percent}}),
          ""};
}

Verdict FalseSoldOut(const TierFacts& f, const Thresholds& t) {
  const int64_t unexpired_qty = f.agg.v[TierAgg::kUnexpiredQty];
  return {f.exists && f.available() <= 0 && f.issued * 100 < t.false_sold_out_issued_percent * f.quantity &&
              f.reserved > unexpired_qty,
          Figures({{"available", f.available()},
                   {"quantity", f.quantity},
                   {"issued_quantity", f.issued},
                   {"reserved_quantity", f.reserved},
                   {"unexpired_hold_quantity", unexpired_qty}}),
          f.event_args};
}

Verdict NegativeAvailable(const TierFacts& f, const Thresholds&) {
  return {f.exists && f.available() < 0,
          Figures({{"available", f.available()},
                   {"quantity", f.quantity},
                   {"reserved_quantity", f.reserved},
                   {"issued_quantity", f.issued}}),
          f.event_args};
}

Verdict PaidWithoutTickets(const OrderFacts& f, const Thresholds& t) {
  const int64_t tickets = f.agg.v[OrderAgg::kTickets];
  // Without paid_at (or created_at) there is no deadline to wait for.
  const bool due = !f.has_since || f.now >= f.since + t.paid_without_tickets_after;
  return {f.paid && due && tickets == 0,
          Figures({{"counting_tickets", tickets}, {"items_quantity", f.agg.v[OrderAgg::kItemsQty]}}),
          Args("order_id", f.id)};
}

Verdict OrderOverissued(const OrderFacts& f, const Thresholds&) {
  const int64_t tickets = f.agg.v[OrderAgg::kTickets];
  const int64_t items_qty = f.agg.v[OrderAgg::kItemsQty];
  return {f.paid && tickets > items_qty, Figures({{"counting_tickets", tickets}, {"items_quantity", items_qty}}), ""};
}

Verdict RevenueMismatch(const OrderFacts& f, const Thresholds& t) {
  const int64_t items_total = f.agg.v[OrderAgg::kItemsTotal];
  const bool has_items = f.agg.v[OrderAgg::kItems] > 0;
  const __int128 limit = static_cast<__int128>(items_total) * (100 + t.revenue_excess_percent);
  const bool revenue_off = f.total_cents < items_total || static_cast<__int128>(f.total_cents) * 100 > limit;
  return {f.paid && has_items && revenue_off,
          Figures({{"total_cents", f.total_cents},
                   {"items_total_cents", items_total},
                   {"difference_cents", f.total_cents - items_total},
                   {"threshold_percent", t.revenue_excess_percent}}),
          ""};
}

Verdict StalePendingOrders(const EventFacts& f, const Thresholds&) {
  const int64_t stale = f.agg.v[EventAgg::kStalePending];
  return {stale >= 1, Figures({{"stale_pending_orders", stale}}), Args("event_id", f.id)};
}

}  // namespace walguard
