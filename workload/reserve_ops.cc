// Healthy Reserve Connect traffic (runbook 002): booking intents paid by
// card or PIX, payments settled through (completed) webhooks, reservations
// through their life cycle, a balanced ledger and the availability calendar.
//
// A succeeded payment, its reservation, the calendar's bookings_count and
// the ledger entries are written in one transaction, under a per-unit
// advisory lock that also guards the availability check, so concurrent
// bookings never overbook. Every tenth settled payment of a worker and
// provider fails: at most 10 % failures whatever the interleaving.
#include <algorithm>

#include "workload/worker.h"

namespace walguard::workload {

namespace {
constexpr size_t kMaxPayments = 6;
constexpr size_t kMaxWebhooks = 2;
constexpr size_t kMaxReservations = 40;
constexpr int kBookingHorizonDays = 60;

std::string Str(int64_t v) {
  return std::to_string(v);
}
}  // namespace

const char* const Worker::kActiveStatuses = "('host_commit_pending', 'confirmed', 'checked_in')";

const std::vector<Worker::WeightedOp>& Worker::ReserveOps() {
  static const std::vector<WeightedOp> kOps = {
      {1, &Worker::AddUnit},
      {20, &Worker::StartBooking},
      {10, &Worker::ProcessPayment},
      {6, &Worker::ReceiveWebhook},
      {10, &Worker::CompleteWebhook},
      {20, &Worker::SettlePayment},
      {10, &Worker::AdvanceReservation},
      {7, &Worker::EndReservation},
      {3, &Worker::UpdateCalendar},
      {3, &Worker::RepairReserve},
  };
  return kOps;
}

std::vector<Worker::LedgerLeg> Worker::BookingLegs(int64_t cents) {
  const int64_t host = (cents * 85 + 50) / 100;
  return {
      {"guest_cash", "debit", cents}, {"host_payable", "credit", host}, {"platform_revenue", "credit", cents - host}};
}

Status Worker::InsertLedger(const std::string& base, const std::string& entry_type,
                            const std::vector<LedgerLeg>& legs) {
  for (size_t i = 0; i < legs.size(); ++i) {
    WG_RETURN_IF_ERROR(Sql(
        "INSERT INTO reserve.ledger_entries (id, transaction_id, entry_type, account, direction, "
        "amount, description) VALUES (md5($1::text || $2::text)::uuid, md5($1::text)::uuid, $3::text, "
        "$4, $5, $6::numeric, $3::text || ' ' || $1::text)",
        {base, Str(static_cast<int64_t>(i)), entry_type, legs[i].account, legs[i].direction, Cents(legs[i].cents)}));
  }
  return Status::OK();
}

Status Worker::LockUnit(const std::string& unit_id) {
  return Sql("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", {unit_id});
}

Status Worker::UnitFree(const std::string& unit, const std::string& in, const std::string& out, bool* free) {
  Rows full;
  WG_RETURN_IF_ERROR(Sql(std::string("SELECT count(*) FROM generate_series(0, $3::date - $2::date - 1) k "
                                     "WHERE (SELECT count(*) FROM reserve.reservations r WHERE r.unit_id = $1 "
                                     "AND r.status IN ") +
                             kActiveStatuses +
                             " AND r.check_in <= $2::date + k AND $2::date + k < r.check_out) >= "
                             "COALESCE((SELECT allotment FROM reserve.availability_calendar c "
                             "WHERE c.unit_id = $1 AND c.date = $2::date + k), 1)",
                         {unit, in, out}, &full));
  *free = full.at(0, 0) == "0";
  return Status::OK();
}

Status Worker::InsertReservation(const std::string& id, const std::string& intent, const std::string& unit,
                                 const std::string& in, const std::string& out) {
  WG_RETURN_IF_ERROR(
      Sql("INSERT INTO reserve.reservations (id, booking_intent_id, confirmation_code, unit_id, "
          "check_in, check_out, status, payment_status) VALUES ($1::uuid, $2, 'RES-' || "
          "upper(substr(md5($1::text), 1, 6)), $3, $4::date, $5::date, 'host_commit_pending', 'paid')",
          {id, intent, unit, in, out}));
  return Sql(
      "INSERT INTO reserve.availability_calendar AS c (unit_id, date, allotment, bookings_count) "
      "SELECT $1::uuid, $2::date + k, 1, 1 FROM generate_series(0, $3::date - $2::date - 1) k "
      "ON CONFLICT (unit_id, date) DO UPDATE SET bookings_count = c.bookings_count + 1, "
      "is_available = c.bookings_count + 1 < c.allotment",
      {unit, in, out});
}

// A unit to rent; a third are multi-room, with a calendar allotting two.
Status Worker::AddUnit() {
  const std::string unit = rng_.Uuid();
  if (rng_.Chance(1.0 / 3)) {
    WG_RETURN_IF_ERROR(Txn([&]() -> Status {
      return Sql(
          "INSERT INTO reserve.availability_calendar (unit_id, date, allotment, bookings_count) "
          "SELECT $1::uuid, current_date + k, 2, 0 FROM generate_series(1, $2::int) k",
          {unit, Str(kBookingHorizonDays)});
    }));
  }
  catalog_->AddUnit(unit);
  return Status::OK();
}

Status Worker::StartBooking() {
  std::string unit;
  if (payments_.size() >= kMaxPayments || !catalog_->PickUnit(&rng_, &unit)) return Status::NotFound("");
  const int64_t check_in = rng_.Range(1, kBookingHorizonDays), nights = rng_.Range(1, 4);
  Payment p{rng_.Uuid(), rng_.Uuid(), "", rng_.Chance(0.3) ? "pix" : "card", rng_.Range(15000, 90000) * nights};
  if (p.method == "pix")
    p.provider = rng_.Chance(0.5) ? "mercadopago" : "openpix";
  else
    p.provider = rng_.Chance(2.0 / 3) ? "stripe" : "mercadopago";
  const std::string email = "guest-" + p.intent_id.substr(0, 8) + "@example.com";
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out, status, "
            "guest_email) VALUES ($1, $2, current_date + $3::int, current_date + $4::int, 'pending', $5)",
            {p.intent_id, unit, Str(check_in), Str(check_in + nights), email}));
    return Sql(
        "INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, "
        "gateway_payment_id, created_at) VALUES ($1::uuid, $2, $3, $4, 'pending', $5::numeric, 'gw_' || $1::text, "
        "now())",
        {p.id, p.intent_id, p.provider, p.method, Cents(p.amount_cents)});
  }));
  payments_.push_back(std::move(p));
  return Status::OK();
}

// The card provider starts processing (PIX goes from pending to settled).
Status Worker::ProcessPayment() {
  if (payments_.empty()) return Status::NotFound("");
  const Payment& p = payments_[rng_.Uniform(payments_.size())];
  if (p.method != "card") return Status::NotFound("");
  const std::string id = p.id;
  return Txn([&]() -> Status {
    return SqlRow("UPDATE reserve.payments SET status = 'processing' WHERE id = $1 AND status = 'pending'", {id});
  });
}

Status Worker::ReceiveWebhook() {
  static const char* const kProviders[] = {"stripe", "mercadopago", "openpix"};
  if (webhooks_.size() >= kMaxWebhooks) return Status::NotFound("");
  const std::string id = rng_.Uuid(), provider = kProviders[rng_.Uniform(3)];
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    return Sql(
        "INSERT INTO reserve.processed_webhooks (id, provider, event_id, event_type, status, received_at) "
        "VALUES ($1::uuid, $2, 'evt_' || $1::text, 'payment_intent.succeeded', 'processing', now())",
        {id, provider});
  }));
  webhooks_.push_back(id);
  return Status::OK();
}

Status Worker::CompleteWebhook() {
  if (webhooks_.empty()) return Status::NotFound("");
  const std::string id = webhooks_.front();
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    return SqlRow("UPDATE reserve.processed_webhooks SET status = 'completed' WHERE id = $1", {id});
  }));
  webhooks_.erase(webhooks_.begin());
  return Status::OK();
}

Status Worker::FailPayment(const Payment& p) {
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        // Mostly the card's own decline (benign), sometimes the gateway's error (a real failure).
        SqlRow("UPDATE reserve.payments SET status = 'failed', error_code = $2 "
               "WHERE id = $1 AND status IN ('pending', 'processing')",
               {p.id, rng_.Uniform(4) == 0 ? "processing_error" : "card_declined"}));
    return Sql("UPDATE reserve.booking_intents SET status = 'failed' WHERE id = $1", {p.intent_id});
  });
}

// Settles a payment: every tenth fails; otherwise, if the unit is still free
// on every night, succeeded + reservation + calendar + ledger; if not, the
// payment is canceled before capture (not a settled payment).
Status Worker::SettlePayment() {
  if (payments_.empty()) return Status::NotFound("");
  const size_t index = rng_.Uniform(payments_.size());
  const Payment p = payments_[index];
  uint64_t& settled = settled_[p.provider];
  if (settled % 10 == 9) {
    WG_RETURN_IF_ERROR(FailPayment(p));
    ++settled;
    payments_.erase(payments_.begin() + static_cast<std::ptrdiff_t>(index));
    return Status::OK();
  }
  const std::string reservation = rng_.Uuid(), ledger = rng_.Uuid();
  Rows intent;
  bool booked = false;
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(SqlRow("SELECT unit_id, check_in, check_out FROM reserve.booking_intents WHERE id = $1",
                              {p.intent_id}, &intent));
    const std::string &unit = intent.at(0, 0), &in = intent.at(0, 1), &out = intent.at(0, 2);
    WG_RETURN_IF_ERROR(LockUnit(unit));
    WG_RETURN_IF_ERROR(UnitFree(unit, in, out, &booked));
    const std::string outcome = booked ? "succeeded" : "canceled";
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE reserve.payments SET status = $2, succeeded_at = CASE WHEN $2 = 'succeeded' "
               "THEN now() END WHERE id = $1 AND status IN ('pending', 'processing')",
               {p.id, outcome}));
    WG_RETURN_IF_ERROR(Sql("UPDATE reserve.booking_intents SET status = $2 WHERE id = $1",
                           {p.intent_id, booked ? "converted" : "expired"}));
    if (!booked) return Status::OK();
    WG_RETURN_IF_ERROR(InsertReservation(reservation, p.intent_id, unit, in, out));
    return InsertLedger(ledger, "booking", BookingLegs(p.amount_cents));
  }));
  payments_.erase(payments_.begin() + static_cast<std::ptrdiff_t>(index));
  if (!booked) return Status::OK();
  ++settled;
  last_booked_intent_ = p.intent_id;
  reservations_.push_back({reservation, intent.at(0, 0), "host_commit_pending"});
  if (reservations_.size() > kMaxReservations) reservations_.pop_front();
  return Status::OK();
}

// host_commit_pending -> confirmed -> checked_in: all active, the calendar
// does not change.
Status Worker::AdvanceReservation() {
  if (reservations_.empty()) return Status::NotFound("");
  Reservation& r = reservations_[rng_.Uniform(reservations_.size())];
  if (r.status == "checked_in") return Status::NotFound("");
  const std::string next = r.status == "host_commit_pending" ? "confirmed" : "checked_in";
  const std::string id = r.id, from = r.status;
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    return SqlRow("UPDATE reserve.reservations SET status = $2 WHERE id = $1 AND status = $3", {id, next, from});
  }));
  r.status = next;
  return Status::OK();
}

// A stay ends (checked_out, with the host's payout) or is cancelled (with a
// refund); either way its nights leave the calendar in the same transaction.
Status Worker::EndReservation() {
  if (reservations_.empty()) return Status::NotFound("");
  const size_t index = rng_.Uniform(reservations_.size());
  const Reservation r = reservations_[index];
  const bool checkout = r.status == "checked_in";
  const std::string next = checkout ? "checked_out" : "cancelled", ledger = rng_.Uuid();
  const int64_t cents = rng_.Range(5000, 50000);
  // One list with the credited account chosen, not a ?: between two lists:
  // in a Release build (-O3) GCC 12 takes the temporaries of the branch not
  // taken for used uninitialized (-Wmaybe-uninitialized).
  const std::string credited = checkout ? "bank" : "guest_cash";
  const std::vector<LedgerLeg> legs = {{"host_payable", "debit", cents}, {credited, "credit", cents}};
  WG_RETURN_IF_ERROR(Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(r.unit_id));
    WG_RETURN_IF_ERROR(
        SqlRow("UPDATE reserve.reservations SET status = $2 WHERE id = $1 AND status = $3", {r.id, next, r.status}));
    WG_RETURN_IF_ERROR(
        Sql("UPDATE reserve.availability_calendar c SET bookings_count = c.bookings_count - 1, "
            "is_available = true FROM reserve.reservations r WHERE r.id = $1 AND c.unit_id = "
            "r.unit_id AND c.date >= r.check_in AND c.date < r.check_out",
            {r.id}));
    return InsertLedger(ledger, checkout ? "payout" : "refund", legs);
  }));
  reservations_.erase(reservations_.begin() + static_cast<std::ptrdiff_t>(index));
  return Status::OK();
}

// Calendar maintenance: rows for a date range (bookings_count recounted from
// the reservations when the row is new), sometimes one more room allotted.
Status Worker::UpdateCalendar() {
  std::string unit;
  if (!catalog_->PickUnit(&rng_, &unit)) return Status::NotFound("");
  const int64_t from = rng_.Range(1, kBookingHorizonDays), to = from + rng_.Range(0, 6);
  const std::string raise = rng_.Chance(0.2) ? "1" : "0";
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(unit));
    return Sql(
        std::string("INSERT INTO reserve.availability_calendar AS c (unit_id, date, allotment, "
                    "bookings_count, temp_holds, is_available, is_blocked) SELECT $1::uuid, current_date + k, 1, "
                    "(SELECT count(*) FROM reserve.reservations r WHERE r.unit_id = $1 AND r.status IN ") +
            kActiveStatuses +
            " AND r.check_in <= current_date + k AND current_date + k < r.check_out), 0, true, false "
            "FROM generate_series($2::int, $3::int) k ON CONFLICT (unit_id, date) DO UPDATE SET "
            "allotment = c.allotment + $4::int, temp_holds = 0, "
            "is_available = c.bookings_count < c.allotment + $4::int",
        {unit, Str(from), Str(to), raise});
  });
}

}  // namespace walguard::workload
