// Corrective operations for ticketing: what runbook 000's fixes (and the
// commands of the alerts) do, applied to what this worker's faults broke, so
// that alerts resolve as well as fire while the traffic goes on.
//
// They run concurrently with healthy traffic, so they keep its discipline:
// the tiers of an event are locked (in id order) before anything is
// recounted, and every change to holds or tickets moves its tier's counter
// by the same amount in the same transaction. A recount then sees every
// transaction that touched the tier either whole or not at all, and later
// deltas apply on top of it.
#include "workload/worker.h"

namespace walguard::workload {

Status Worker::RepairTicketing() {
  Damage d;
  if (!TakeDamage(/*ticketing=*/true, &d)) return Status::NotFound("nothing to repair");
  Status s;
  switch (d.kind) {
    case FaultKind::kStuckHold:
    case FaultKind::kExpiredHoldsSellOut:
      s = CleanupExpiredHolds(d.entity);
      break;
    case FaultKind::kReservedWithoutHold:
    case FaultKind::kIssuedOff:
      s = ReconcileEvent(d.entity);
      break;
    case FaultKind::kOversizedHold:
    case FaultKind::kOversoldHold:
      s = ReleaseHold(d.entity);
      break;
    case FaultKind::kStalePendingOrder:
      s = ExpirePendingOrders(d.entity);
      break;
    case FaultKind::kPaidWithoutTickets:
      s = EnsureTickets(d.entity);
      break;
    case FaultKind::kExtraTicket:
      s = VoidExtraTickets(d.entity);
      break;
    case FaultKind::kTotalOff:
      s = CorrectTotal(d.entity);
      break;
    default:
      return Status::InvalidArgument(std::string("not a ticketing fault: ") + FaultName(d.kind));
  }
  if (s.ok()) CountRepair();
  return s;
}

Status Worker::LockEventTiers(const std::string& event_id) {
  return Sql("SELECT id FROM ticketing.ticket_tiers WHERE event_id = $1 ORDER BY id FOR UPDATE", {event_id});
}

// cleanup_expired_ticket_holds {event_id}: active holds past their expiry
// become 'expired' and give their seats back.
Status Worker::CleanupExpiredHolds(const std::string& event_id) {
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockEventTiers(event_id));
    return SqlRow(
        "WITH expired AS (UPDATE ticketing.ticket_holds h SET status = 'expired' "
        "FROM ticketing.ticket_tiers t WHERE h.tier_id = t.id AND t.event_id = $1 AND h.status = 'active' "
        "AND h.expires_at < now() RETURNING h.tier_id, h.quantity), "
        "per_tier AS (SELECT tier_id, sum(quantity) AS q FROM expired GROUP BY tier_id) "
        "UPDATE ticketing.ticket_tiers t SET reserved_quantity = t.reserved_quantity - p.q, "
        "updated_at = now() FROM per_tier p WHERE t.id = p.tier_id",
        {event_id});
  });
}

// reconcile_event_tickets {event_id}: reserved and issued recounted from
// the active holds and the counting tickets.
Status Worker::ReconcileEvent(const std::string& event_id) {
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockEventTiers(event_id));
    return Sql(
        "UPDATE ticketing.ticket_tiers t SET reserved_quantity = COALESCE((SELECT sum(h.quantity) "
        "FROM ticketing.ticket_holds h WHERE h.tier_id = t.id AND h.status = 'active'), 0), "
        "issued_quantity = (SELECT count(*) FROM ticketing.tickets x WHERE x.tier_id = t.id "
        "AND x.status <> 'void'), updated_at = now() WHERE t.event_id = $1",
        {event_id});
  });
}

// The oversized hold is released by its buyer.
Status Worker::ReleaseHold(const std::string& hold_id) {
  return Txn([&]() -> Status {
    return SqlRow(
        "WITH h AS (UPDATE ticketing.ticket_holds SET status = 'released' WHERE id = $1 AND "
        "status = 'active' RETURNING tier_id, quantity) "
        "UPDATE ticketing.ticket_tiers t SET reserved_quantity = t.reserved_quantity - h.quantity, "
        "updated_at = now() FROM h WHERE t.id = h.tier_id",
        {hold_id});
  });
}

// expire_pending_orders {event_id}: carts abandoned for over 30 minutes.
Status Worker::ExpirePendingOrders(const std::string& event_id) {
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE ticketing.orders SET status = 'expired' WHERE event_id = $1 AND status = 'pending' "
        "AND created_at < now() - interval '30 minutes'",
        {event_id});
  });
}

// ensure_tickets {order_id}: the tickets of every item of a paid order
// that has none, issued_quantity moving with them.
Status Worker::EnsureTickets(const std::string& order_id) {
  const std::string base = rng_.Uuid();
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        SqlRow("SELECT id FROM ticketing.orders WHERE id = $1 AND status = 'paid' FOR UPDATE", {order_id}));
    Rows items;
    WG_RETURN_IF_ERROR(
        SqlRow("SELECT tier_id, quantity FROM ticketing.order_items WHERE order_id = $1 AND NOT "
               "EXISTS (SELECT 1 FROM ticketing.tickets WHERE order_id = $1 AND status <> 'void') "
               "ORDER BY tier_id",
               {order_id}, &items));
    for (size_t i = 0; i < items.size(); ++i) {
      WG_RETURN_IF_ERROR(
          Sql("UPDATE ticketing.ticket_tiers SET issued_quantity = issued_quantity + $2, "
              "updated_at = now() WHERE id = $1",
              {items.at(i, 0), items.at(i, 1)}));
      WG_RETURN_IF_ERROR(InsertTickets(order_id, items.at(i, 0), std::stoll(items.at(i, 1)), base));
    }
    return Status::OK();
  });
}

// Tickets beyond the order's items are voided (issued_quantity follows).
Status Worker::VoidExtraTickets(const std::string& order_id) {
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(SqlRow("SELECT id FROM ticketing.orders WHERE id = $1 FOR UPDATE", {order_id}));
    return SqlRow(
        "WITH ranked AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM ticketing.tickets "
        "WHERE order_id = $1 AND status <> 'void'), "
        "voided AS (UPDATE ticketing.tickets x SET status = 'void' FROM ranked r WHERE x.id = r.id AND "
        "r.rn > (SELECT COALESCE(sum(quantity), 0) FROM ticketing.order_items WHERE order_id = $1) "
        "RETURNING x.tier_id), "
        "per_tier AS (SELECT tier_id, count(*) AS n FROM voided GROUP BY tier_id) "
        "UPDATE ticketing.ticket_tiers t SET issued_quantity = t.issued_quantity - p.n, "
        "updated_at = now() FROM per_tier p WHERE t.id = p.tier_id",
        {order_id});
  });
}

// The order's total set back to what its items cost.
Status Worker::CorrectTotal(const std::string& order_id) {
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE ticketing.orders o SET total_cents = (SELECT sum(i.quantity::bigint * "
        "i.unit_price_cents) FROM ticketing.order_items i WHERE i.order_id = o.id) WHERE o.id = $1",
        {order_id});
  });
}

}  // namespace walguard::workload
