// Ticketing fault injectors: each leaves a state that one rule of contract
// section 3 reports (others may fire alongside: an oversold hold is also a
// high reservation). Overdue timestamps are an hour past their deadline,
// healthy ones a day ahead, so no condition is near its boundary.
#include <algorithm>

#include "workload/worker.h"

namespace walguard::workload {

namespace {
std::string Str(int64_t v) {
  return std::to_string(v);
}
}  // namespace

Status Worker::InjectTicketingFault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kStuckHold:
    case FaultKind::kOversizedHold:
    case FaultKind::kExpiredHoldsSellOut:
    case FaultKind::kOversoldHold:
      return FaultHold(kind);
    case FaultKind::kReservedWithoutHold:
    case FaultKind::kIssuedOff:
      return FaultCounter(kind);
    case FaultKind::kStalePendingOrder:
    case FaultKind::kPaidWithoutTickets:
    case FaultKind::kExtraTicket:
    case FaultKind::kTotalOff:
      return FaultOrder(kind);
    default:
      return Status::InvalidArgument(std::string("not a ticketing fault: ") + FaultName(kind));
  }
}

// A hold whose seats are counted in reserved_quantity (so no drift), sized
// and dated to break one rule:
//  stuck_hold: a small hold left 'active' an hour past its expiry;
//  oversized_hold: an unexpired hold taking reserved above 30 %;
//  expired_holds_sell_out: an expired active hold taking every seat left
//    (runbook 000's "sold out but sales are low"; only while under 50 % sold);
//  oversold_hold: an unexpired hold one seat bigger than what is available.
Status Worker::FaultHold(FaultKind kind) {
  TierInfo tier;
  if (!catalog_->PickTier(&rng_, &tier)) return Status::NotFound("no tier");
  const std::string hold = rng_.Uuid(), user = rng_.Uuid();
  const int64_t small = rng_.Range(1, 3);
  const bool expired = kind == FaultKind::kStuckHold || kind == FaultKind::kExpiredHoldsSellOut;
  Status s = Txn([&]() -> Status {
    Rows t;
    WG_RETURN_IF_ERROR(
        SqlRow("SELECT quantity, reserved_quantity, issued_quantity FROM ticketing.ticket_tiers "
               "WHERE id = $1 FOR UPDATE",
               {tier.id}, &t));
    const int64_t quantity = std::stoll(t.at(0, 0)), reserved = std::stoll(t.at(0, 1)), issued = std::stoll(t.at(0, 2));
    const int64_t available = quantity - reserved - issued;
    int64_t qty = small;
    if (kind == FaultKind::kOversizedHold) qty = std::max<int64_t>(1, 30 * quantity / 100 - reserved + 1);
    if (kind == FaultKind::kOversoldHold) qty = std::max<int64_t>(1, available + 1);
    if (kind == FaultKind::kExpiredHoldsSellOut) {
      if (available <= 0 || issued * 100 >= 50 * quantity) return Status::NotFound("tier unsuitable");
      qty = available;
    }
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO ticketing.ticket_holds (id, tier_id, user_id, quantity, status, created_at, "
            "expires_at) VALUES ($1, $2, $3, $4, 'active', now() - $5::interval, now() + $6::interval)",
            {hold, tier.id, user, Str(qty), expired ? "75 minutes" : "0 minutes", expired ? "-60 minutes" : "1 day"}));
    return Sql(
        "UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity + $2, updated_at = now() "
        "WHERE id = $1",
        {tier.id, Str(qty)});
  });
  if (s.ok()) Damaged(kind, expired ? tier.event_id : hold);
  return s;
}

// A counter moved with nothing behind it: reserved without a hold, or
// issued off by a few tickets.
Status Worker::FaultCounter(FaultKind kind) {
  TierInfo tier;
  if (!catalog_->PickTier(&rng_, &tier)) return Status::NotFound("no tier");
  const bool reserved = kind == FaultKind::kReservedWithoutHold;
  const int64_t delta = reserved ? rng_.Range(1, 3) : (rng_.Chance(0.25) ? -1 : rng_.Range(1, 3));
  const std::string column = reserved ? "reserved_quantity" : "issued_quantity";
  Status s = Txn([&]() -> Status {
    return SqlRow("UPDATE ticketing.ticket_tiers SET " + column + " = " + column +
                      " + $2, updated_at = now() "
                      "WHERE id = $1",
                  {tier.id, Str(delta)});
  });
  if (s.ok()) Damaged(kind, tier.event_id);
  return s;
}

// An order with one item of a tier, broken one way:
//  stale_pending_order: 'pending' since an hour ago;
//  paid_without_tickets: paid 10 minutes ago, no ticket issued;
//  extra_ticket: paid, one ticket more than its items (issued counts it);
//  total_off: paid with tickets, total_cents half or 1.5 times its items.
Status Worker::FaultOrder(FaultKind kind) {
  TierInfo tier;
  if (!catalog_->PickTier(&rng_, &tier)) return Status::NotFound("no tier");
  const std::string order = rng_.Uuid(), user = rng_.Uuid(), item = rng_.Uuid(), base = rng_.Uuid();
  const int64_t qty = rng_.Range(1, 3), subtotal = qty * tier.price_cents;
  int64_t total = subtotal, tickets = qty;
  std::string status = "paid", created_ago = "0 minutes", paid_ago = "0 minutes";
  if (kind == FaultKind::kStalePendingOrder) {
    status = "pending";
    created_ago = "60 minutes";
    tickets = 0;
  } else if (kind == FaultKind::kPaidWithoutTickets) {
    created_ago = "15 minutes";
    paid_ago = "10 minutes";
    tickets = 0;
  } else if (kind == FaultKind::kExtraTicket) {
    tickets = qty + 1;
  } else {
    total = rng_.Chance(0.5) ? subtotal / 2 : subtotal * 3 / 2;
  }
  Status s = Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, "
            "paid_at) VALUES ($1, $2, $3, $4::text, $5, now() - $6::interval, "
            "CASE WHEN $4::text = 'paid' THEN now() - $7::interval END)",
            {order, tier.event_id, user, status, Str(total), created_ago, paid_ago}));
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO ticketing.order_items (id, order_id, tier_id, quantity, unit_price_cents) "
            "VALUES ($1, $2, $3, $4, $5)",
            {item, order, tier.id, Str(qty), Str(tier.price_cents)}));
    if (tickets == 0) return Status::OK();
    WG_RETURN_IF_ERROR(
        Sql("UPDATE ticketing.ticket_tiers SET issued_quantity = issued_quantity + $2, "
            "updated_at = now() WHERE id = $1",
            {tier.id, Str(tickets)}));
    return InsertTickets(order, tier.id, tickets, base);
  });
  if (s.ok()) Damaged(kind, kind == FaultKind::kStalePendingOrder ? tier.event_id : order);
  return s;
}

}  // namespace walguard::workload
