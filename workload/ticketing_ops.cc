// Healthy ticketing traffic (runbook 000): holds that reserve seats, orders
// paid with tickets issued, refunds, check-ins. Every counter moves with an
// atomic `x = x + n` in the transaction that changes what it counts, and a
// hold is granted only while reserved stays within 30 % of the tier and the
// tier is not oversold (one conditional UPDATE, so concurrent holds cannot
// overshoot).
#include <algorithm>

#include "workload/worker.h"

namespace walguard::workload {

namespace {
constexpr size_t kMaxOpenHolds = 6;
constexpr size_t kMaxPaidOrders = 40;

std::string Str(int64_t v) {
  return std::to_string(v);
}

// Subtotal plus a 0-5 % fee: never below the items, never 10 % above them.
int64_t TotalWithFee(int64_t subtotal, int64_t fee_percent) {
  return subtotal + subtotal * fee_percent / 100;
}
}  // namespace

const std::vector<Worker::WeightedOp>& Worker::TicketingOps() {
  static const std::vector<WeightedOp> kOps = {
      {1, &Worker::CreateEvent},    {25, &Worker::PlaceHold},   {15, &Worker::Checkout},
      {15, &Worker::PayOrder},      {3, &Worker::AbandonOrder}, {6, &Worker::EndHold},
      {8, &Worker::DirectPurchase}, {3, &Worker::RefundOrder},  {5, &Worker::CheckInTicket},
      {2, &Worker::ArchiveHold},    {2, &Worker::TouchTier},    {3, &Worker::RepairTicketing},
  };
  return kOps;
}

Status Worker::CreateEvent() {
  static const int64_t kQuantities[] = {40, 100, 250, 600};
  EventInfo event{rng_.Uuid(), {}};
  const std::string title = "Event " + event.id.substr(0, 8);
  const int tiers = static_cast<int>(rng_.Range(2, 3));
  std::vector<int64_t> quantities;
  for (int i = 0; i < tiers; ++i) {
    event.tiers.push_back({rng_.Uuid(), event.id, rng_.Range(10, 60) * 250});
    quantities.push_back(kQuantities[rng_.Uniform(4)]);
  }
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO ticketing.events (id, title, starts_at) VALUES ($1, $2, now() + interval "
            "'30 days')",
            {event.id, title}));
    for (size_t i = 0; i < event.tiers.size(); ++i) {
      WG_RETURN_IF_ERROR(Sql(
          "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity) "
          "VALUES ($1, $2, $3, $4, $5)",
          {event.tiers[i].id, event.id, "Tier " + Str(i + 1), Str(event.tiers[i].price_cents), Str(quantities[i])}));
    }
    return Status::OK();
  }));
  catalog_->AddEvent(std::move(event));
  return Status::OK();
}

Status Worker::PlaceHold() {
  Hold h;
  if (holds_.size() >= kMaxOpenHolds || !catalog_->PickTier(&rng_, &h.tier)) return Status::NotFound("");
  h.id = rng_.Uuid();
  h.quantity = rng_.Range(1, 4);
  const std::string user = rng_.Uuid(), qty = Str(h.quantity);
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity + $2, updated_at = now() "
               "WHERE id = $1 AND (reserved_quantity + $2) * 100 <= 30 * quantity "
               "AND quantity - reserved_quantity - issued_quantity >= $2",
               {h.tier.id, qty}));
    return Sql(
        "INSERT INTO ticketing.ticket_holds (id, tier_id, user_id, quantity, status, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, 'active', now(), now() + interval '1 day')",
        {h.id, h.tier.id, user, qty});
  }));
  holds_.push_back(std::move(h));
  return Status::OK();
}

// A hold goes to checkout: a pending order for its seats.
Status Worker::Checkout() {
  std::vector<size_t> open;
  for (size_t i = 0; i < holds_.size(); ++i) {
    if (holds_[i].order_id.empty()) open.push_back(i);
  }
  if (open.empty()) return Status::NotFound("");
  Hold& h = holds_[open[rng_.Uniform(open.size())]];
  const std::string order_id = rng_.Uuid(), item_id = rng_.Uuid(), user = rng_.Uuid();
  const int64_t total = TotalWithFee(h.quantity * h.tier.price_cents, rng_.Range(0, 5));
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at) "
            "VALUES ($1, $2, $3, 'pending', $4, now())",
            {order_id, h.tier.event_id, user, Str(total)}));
    return Sql(
        "INSERT INTO ticketing.order_items (id, order_id, tier_id, quantity, unit_price_cents) "
        "VALUES ($1, $2, $3, $4, $5)",
        {item_id, order_id, h.tier.id, Str(h.quantity), Str(h.tier.price_cents)});
  }));
  h.order_id = order_id;
  return Status::OK();
}

Status Worker::InsertTickets(const std::string& order_id, const std::string& tier_id, int64_t count,
                             const std::string& id_base) {
  // Ids derived from a drawn base, so a retried body inserts the same rows.
  return Sql(
      "INSERT INTO ticketing.tickets (id, order_id, tier_id, status, qr_code, created_at) "
      "SELECT md5($4::text || ':' || g)::uuid, $1::uuid, $2::uuid, 'issued', md5($4::text || g), now() "
      "FROM generate_series(1, $3::int) g",
      {order_id, tier_id, Str(count), id_base + tier_id});
}

// Payment captured: the order is paid, its hold converted, the seats move
// from reserved to issued and the tickets exist, all at once.
Status Worker::PayOrder() {
  auto it = std::find_if(holds_.begin(), holds_.end(), [](const Hold& h) { return !h.order_id.empty(); });
  if (it == holds_.end()) return Status::NotFound("");
  const Hold h = *it;
  const std::string base = rng_.Uuid(), qty = Str(h.quantity);
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.orders SET status = 'paid', paid_at = now() "
               "WHERE id = $1 AND status = 'pending'",
               {h.order_id}));
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.ticket_holds SET status = 'converted' WHERE id = $1 AND "
               "status = 'active'",
               {h.id}));
    WG_RETURN_IF_ERROR(
        Sql("UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity - $2, "
            "issued_quantity = issued_quantity + $2, updated_at = now() WHERE id = $1",
            {h.tier.id, qty}));
    return InsertTickets(h.order_id, h.tier.id, h.quantity, base);
  }));
  holds_.erase(it);
  archivable_holds_.push_back(h.id);
  paid_orders_.push_back(h.order_id);
  if (paid_orders_.size() > kMaxPaidOrders) paid_orders_.pop_front();
  return Status::OK();
}

// The buyer walks away from checkout: order canceled, hold released.
Status Worker::AbandonOrder() {
  auto it = std::find_if(holds_.begin(), holds_.end(), [](const Hold& h) { return !h.order_id.empty(); });
  if (it == holds_.end()) return Status::NotFound("");
  const Hold h = *it;
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.orders SET status = 'canceled' WHERE id = $1 AND status = "
               "'pending'",
               {h.order_id}));
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.ticket_holds SET status = 'released' WHERE id = $1 AND "
               "status = 'active'",
               {h.id}));
    return Sql(
        "UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity - $2, updated_at = now() "
        "WHERE id = $1",
        {h.tier.id, Str(h.quantity)});
  }));
  holds_.erase(it);
  archivable_holds_.push_back(h.id);
  return Status::OK();
}

// A hold without an order ends: released by the buyer or expired by the
// cleanup job, which gives its seats back in the same transaction.
Status Worker::EndHold() {
  auto it = std::find_if(holds_.begin(), holds_.end(), [](const Hold& h) { return h.order_id.empty(); });
  if (it == holds_.end()) return Status::NotFound("");
  const Hold h = *it;
  const std::string status = rng_.Chance(0.5) ? "expired" : "released";
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.ticket_holds SET status = $2 WHERE id = $1 AND status = 'active'", {h.id, status}));
    return Sql(
        "UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity - $2, updated_at = now() "
        "WHERE id = $1",
        {h.tier.id, Str(h.quantity)});
  }));
  holds_.erase(it);
  archivable_holds_.push_back(h.id);
  return Status::OK();
}

// Box-office sale: one or two tiers of an event, paid at once.
Status Worker::DirectPurchase() {
  EventInfo event;
  if (!catalog_->PickEvent(&rng_, &event)) return Status::NotFound("");
  std::vector<TierInfo> tiers = event.tiers;
  std::sort(tiers.begin(), tiers.end(), [](const TierInfo& a, const TierInfo& b) { return a.id < b.id; });
  if (tiers.size() > 1 && rng_.Chance(0.5)) tiers.erase(tiers.begin() + rng_.Uniform(tiers.size()));
  if (tiers.size() > 1 && rng_.Chance(0.5)) tiers.pop_back();
  std::vector<int64_t> qty;
  int64_t subtotal = 0;
  for (const TierInfo& t : tiers) {
    qty.push_back(rng_.Range(1, 3));
    subtotal += qty.back() * t.price_cents;
  }
  const std::string order_id = rng_.Uuid(), user = rng_.Uuid(), base = rng_.Uuid();
  const int64_t total = TotalWithFee(subtotal, rng_.Range(0, 5));
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, "
            "paid_at) VALUES ($1, $2, $3, 'paid', $4, now(), now())",
            {order_id, event.id, user, Str(total)}));
    // Tiers in id order: two purchases never wait on each other in a cycle.
    for (size_t i = 0; i < tiers.size(); ++i) {
      WG_RETURN_IF_ERROR(
          SqlRow("UPDATE ticketing.ticket_tiers SET issued_quantity = issued_quantity + $2, updated_at = now() "
                 "WHERE id = $1 AND quantity - reserved_quantity - issued_quantity >= $2",
                 {tiers[i].id, Str(qty[i])}));
      WG_RETURN_IF_ERROR(
          Sql("INSERT INTO ticketing.order_items (id, order_id, tier_id, quantity, unit_price_cents) "
              "VALUES (md5($1::text || $2::text)::uuid, $1::uuid, $2::uuid, $3::int, $4)",
              {order_id, tiers[i].id, Str(qty[i]), Str(tiers[i].price_cents)}));
      WG_RETURN_IF_ERROR(InsertTickets(order_id, tiers[i].id, qty[i], base));
    }
    return Status::OK();
  }));
  paid_orders_.push_back(order_id);
  if (paid_orders_.size() > kMaxPaidOrders) paid_orders_.pop_front();
  return Status::OK();
}

// Refund: the order is refunded and its tickets voided, issued_quantity
// giving back exactly the seats voided, per tier.
Status Worker::RefundOrder() {
  if (paid_orders_.empty()) return Status::NotFound("");
  const size_t index = rng_.Uniform(paid_orders_.size());
  const std::string order_id = paid_orders_[index];
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE ticketing.orders SET status = 'refunded' WHERE id = $1 AND status = 'paid'", {order_id}));
    return Sql(
        "WITH voided AS (UPDATE ticketing.tickets SET status = 'void' WHERE order_id = $1 "
        "AND status <> 'void' RETURNING tier_id), "
        "per_tier AS (SELECT tier_id, count(*) AS n FROM voided GROUP BY tier_id) "
        "UPDATE ticketing.ticket_tiers t SET issued_quantity = t.issued_quantity - p.n, updated_at = now() "
        "FROM per_tier p WHERE t.id = p.tier_id",
        {order_id});
  }));
  paid_orders_.erase(paid_orders_.begin() + static_cast<std::ptrdiff_t>(index));
  return Status::OK();
}

Status Worker::CheckInTicket() {
  if (paid_orders_.empty()) return Status::NotFound("");
  const std::string order_id = paid_orders_[rng_.Uniform(paid_orders_.size())];
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE ticketing.tickets SET status = 'checked_in' WHERE id = (SELECT id FROM ticketing.tickets "
        "WHERE order_id = $1 AND status = 'issued' ORDER BY id LIMIT 1)",
        {order_id});
  });
}

// Old inactive holds are archived away (a DELETE: only the key in the WAL).
Status Worker::ArchiveHold() {
  if (archivable_holds_.empty()) return Status::NotFound("");
  const std::string id = archivable_holds_.front();
  archivable_holds_.erase(archivable_holds_.begin());
  return Txn([&]() -> Status {
    return SqlRow("DELETE FROM ticketing.ticket_holds WHERE id = $1 AND status <> 'active'", {id});
  });
}

// Status bookkeeping that changes no counter.
Status Worker::TouchTier() {
  TierInfo tier;
  if (!catalog_->PickTier(&rng_, &tier)) return Status::NotFound("");
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE ticketing.ticket_tiers SET updated_at = now(), status = CASE WHEN "
        "quantity - reserved_quantity - issued_quantity <= 0 THEN 'sold_out' ELSE 'on_sale' END "
        "WHERE id = $1",
        {tier.id});
  });
}

}  // namespace walguard::workload
