// Reserve Connect fault injectors, one per rule of runbook 002. Overdue
// payments and webhooks are dated well past their deadline (10 min past a
// 5 min one, 2 h for a 1 h one); everything counted in a rolling window is
// fresh, so it stays inside the window for the length of a run.
#include <algorithm>

#include "workload/worker.h"

namespace walguard::workload {

namespace {
std::string Str(int64_t v) {
  return std::to_string(v);
}
const char* const kProviders[] = {"stripe", "mercadopago", "openpix"};

// A scalar subquery: the reservations of unit $1 in `active_statuses` (an SQL
// list) that occupy the night current_date + $2.
std::string ActiveOnNight(const char* active_statuses) {
  return std::string("(SELECT count(*) FROM reserve.reservations r WHERE r.unit_id = $1 AND r.status IN ") +
         active_statuses + " AND r.check_in <= current_date + $2::int AND current_date + $2::int < r.check_out)";
}
}  // namespace

Status Worker::InjectReserveFault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kLedgerMissingEntry:
    case FaultKind::kLedgerDuplicateEntry:
      return FaultLedger(kind);
    case FaultKind::kDoubleBooking:
      return FaultDoubleBooking();
    case FaultKind::kCalendarOff:
      return FaultCalendarOff();
    case FaultKind::kPaymentWithoutReservation:
    case FaultKind::kStuckProcessing:
    case FaultKind::kPixPending:
      return FaultPayment(kind);
    case FaultKind::kDoubleCharge:
      return FaultDoubleCharge();
    case FaultKind::kFailedPaymentBurst:
      return FaultFailedPaymentBurst();
    case FaultKind::kWebhookFailures:
    case FaultKind::kWebhookStuck:
      return FaultWebhooks(kind);
    case FaultKind::kSilentProvider:
      return FaultSilentProvider();
    case FaultKind::kCalendarOvercommitted:
      return FaultCalendarOvercommitted();
    case FaultKind::kPastOverbooking:
      return FaultPastOverbooking();
    default:
      return Status::InvalidArgument(std::string("not a reserve fault: ") + FaultName(kind));
  }
}

// A booking's ledger transaction with one of its three entries left out, or
// one of them written twice (runbook 002's two imbalance scenarios).
Status Worker::FaultLedger(FaultKind kind) {
  std::vector<LedgerLeg> legs = BookingLegs(rng_.Range(10000, 200000));
  const size_t leg = rng_.Uniform(legs.size());
  if (kind == FaultKind::kLedgerMissingEntry)
    legs.erase(legs.begin() + static_cast<std::ptrdiff_t>(leg));
  else
    legs.push_back(legs[leg]);
  const std::string base = rng_.Uuid();
  Status s = Txn([&]() -> Status { return InsertLedger(base, "booking", legs); });
  if (s.ok()) Damaged(kind, base);
  return s;
}

// Enough confirmed reservations on one night of a unit to exceed its
// allotment, with the calendar counting them (so only overbooking fires).
Status Worker::FaultDoubleBooking() {
  std::string unit;
  if (!catalog_->PickUnit(&rng_, &unit)) return Status::NotFound("no unit");
  const int64_t check_in = rng_.Range(1, 60), check_out = check_in + rng_.Range(1, 2);
  const std::string base = rng_.Uuid();
  Status s = Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(unit));
    Rows free;
    WG_RETURN_IF_ERROR(
        Sql("SELECT COALESCE((SELECT allotment FROM reserve.availability_calendar WHERE "
            "unit_id = $1 AND date = current_date + $2::int), 1) - " +
                ActiveOnNight(kActiveStatuses),
            {unit, Str(check_in)}, &free));
    const std::string n = Str(std::max<int64_t>(1, std::stoll(free.at(0, 0)) + 1));
    const std::vector<std::string> params = {unit, Str(check_in), Str(check_out), base, n};
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out, status) "
            "SELECT md5($4::text || 'i' || g)::uuid, $1::uuid, current_date + $2::int, current_date + "
            "$3::int, 'converted' FROM generate_series(1, $5::int) g",
            params));
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.reservations (id, booking_intent_id, confirmation_code, unit_id, "
            "check_in, check_out, status, payment_status) SELECT md5($4::text || 'r' || g)::uuid, "
            "md5($4::text || 'i' || g)::uuid, 'RES-DUP' || g, $1::uuid, current_date + $2::int, "
            "current_date + $3::int, 'confirmed', 'paid' FROM generate_series(1, $5::int) g",
            params));
    return Sql(
        "INSERT INTO reserve.availability_calendar AS c (unit_id, date, allotment, bookings_count) "
        "SELECT $1::uuid, current_date + k, 1, $4::int FROM generate_series($2::int, $3::int - 1) k "
        "ON CONFLICT (unit_id, date) DO UPDATE SET bookings_count = c.bookings_count + $4::int",
        {unit, Str(check_in), Str(check_out), n});
  });
  if (s.ok()) Damaged(FaultKind::kDoubleBooking, base, unit);
  return s;
}

// bookings_count one above the reservations on a night.
Status Worker::FaultCalendarOff() {
  std::string unit;
  if (!catalog_->PickUnit(&rng_, &unit)) return Status::NotFound("no unit");
  const int64_t day = rng_.Range(1, 60);
  Status s = Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(unit));
    return Sql(
        "INSERT INTO reserve.availability_calendar AS c (unit_id, date, allotment, bookings_count) "
        "SELECT $1::uuid, current_date + $2::int, 1, 1 + " +
            ActiveOnNight(kActiveStatuses) +
            " ON CONFLICT (unit_id, date) DO UPDATE SET bookings_count = c.bookings_count + 1",
        {unit, Str(day)});
  });
  if (s.ok()) Damaged(FaultKind::kCalendarOff, unit);
  return s;
}

// A payment stuck past its deadline:
//  payment_without_reservation: succeeded 10 min ago, no reservation made;
//  stuck_processing: card 'processing' since 2 h ago;
//  pix_pending: PIX 'pending' since 1 h ago.
Status Worker::FaultPayment(FaultKind kind) {
  std::string unit;
  if (!catalog_->PickUnit(&rng_, &unit)) unit = rng_.Uuid();
  const std::string payment = rng_.Uuid(), intent = rng_.Uuid();
  const std::string amount = Cents(rng_.Range(15000, 300000));
  std::string method = "card", provider = rng_.Chance(0.5) ? "stripe" : "mercadopago";
  std::string status = "succeeded", created_ago = "15 minutes", succeeded_ago = "10 minutes";
  if (kind == FaultKind::kStuckProcessing) {
    status = "processing";
    created_ago = "2 hours";
  } else if (kind == FaultKind::kPixPending) {
    status = "pending";
    created_ago = "1 hour";
    method = "pix";
    provider = rng_.Chance(0.5) ? "mercadopago" : "openpix";
  }
  Status s = Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out, status, created_at) "
            "VALUES ($1, $2, current_date + 70, current_date + 72, 'pending', now() - $3::interval)",
            {intent, unit, created_ago}));
    return Sql(
        "INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, "
        "succeeded_at) VALUES ($1, $2, $3, $4, $5::text, $6::numeric, now() - $7::interval, "
        "CASE WHEN $5::text = 'succeeded' THEN now() - $8::interval END)",
        {payment, intent, provider, method, status, amount, created_ago, succeeded_ago});
  });
  if (s.ok()) Damaged(kind, payment);
  return s;
}

// A second succeeded payment for a booking this worker made; without one, a
// fresh intent (its reservation since cancelled) charged twice.
Status Worker::FaultDoubleCharge() {
  const std::string intent = last_booked_intent_.empty() ? rng_.Uuid() : last_booked_intent_;
  const bool fresh = last_booked_intent_.empty();
  const std::string base = rng_.Uuid(), amount = Cents(rng_.Range(15000, 300000));
  Status s = Txn([&]() -> Status {
    if (fresh) {
      WG_RETURN_IF_ERROR(
          Sql("INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, "
              "status) VALUES (md5($1::text)::uuid, $2, md5($1::text || 'u')::uuid, current_date + 80, "
              "current_date + 81, 'cancelled')",
              {base, intent}));
    }
    return Sql(
        "INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, "
        "succeeded_at) SELECT md5($1::text || g)::uuid, $2::uuid, 'stripe', 'card', 'succeeded', "
        "$3::numeric, now(), now() FROM generate_series(1, $4::int) g",
        {base, intent, amount, fresh ? "2" : "1"});
  });
  if (!s.ok()) return s;
  Damaged(FaultKind::kDoubleCharge, intent);
  last_booked_intent_.clear();
  return s;
}

// Failed payments for one provider, fresh: at least 20 real failures, and
// enough to take its success rate over the last hour below 80 %, with a few
// normal declines (card_declined: benign, settled but not failed) beside them.
Status Worker::FaultFailedPaymentBurst() {
  const std::string provider = kProviders[rng_.Uniform(3)], base = rng_.Uuid();
  const std::string method = provider == "openpix" ? "pix" : "card";
  constexpr int64_t kDeclines = 3;
  return Txn([&]() -> Status {
    Rows rate;
    WG_RETURN_IF_ERROR(
        Sql("SELECT count(*) FILTER (WHERE status = 'succeeded' OR error_code IN ('card_declined', 'expired_card', "
            "'insufficient_funds')), count(*) FILTER (WHERE status = 'failed' AND COALESCE(error_code, '') NOT IN "
            "('card_declined', 'expired_card', 'insufficient_funds')) FROM reserve.payments WHERE provider = $1 AND "
            "status IN ('succeeded', 'failed') AND created_at > now() - interval '60 minutes'",
            {provider}, &rate));
    const int64_t not_failed = std::stoll(rate.at(0, 0)) + kDeclines, failed = std::stoll(rate.at(0, 1));
    const int64_t n = std::max<int64_t>(20, not_failed / 4 + 1 - failed);
    return Sql(
        "INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, error_code, "
        "created_at) SELECT md5($1::text || g)::uuid, md5($1::text || 'i' || g)::uuid, $2, $3, 'failed', "
        "99.90, CASE WHEN g <= $5::int THEN 'card_declined' ELSE 'processing_error' END, now() "
        "FROM generate_series(1, $4::int + $5::int) g",
        {base, provider, method, Str(n), Str(kDeclines)});
  });
}

// Three card payments of a provider that never sends webhooks (its endpoint
// is down), pending since 12 minutes ago: webhook_silence.
Status Worker::FaultSilentProvider() {
  const std::string base = rng_.Uuid();
  Status s = Txn([&]() -> Status {
    return Sql(
        "INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at) "
        "SELECT md5($1::text || g)::uuid, md5($1::text || 'i' || g)::uuid, 'pagseguro', 'card', 'pending', 80.00, "
        "now() - interval '12 minutes' FROM generate_series(1, 3) g",
        {base});
  });
  if (s.ok()) Damaged(FaultKind::kSilentProvider, base, "3");
  return s;
}

// Temporary holds on a future night beyond what its allotment leaves
// (bookings_count kept right, so only calendar_overcommitted fires).
Status Worker::FaultCalendarOvercommitted() {
  std::string unit;
  if (!catalog_->PickUnit(&rng_, &unit)) return Status::NotFound("no unit");
  const int64_t day = rng_.Range(1, 60);
  Status s = Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(unit));
    return Sql(
        "INSERT INTO reserve.availability_calendar AS c (unit_id, date, allotment, bookings_count, "
        "temp_holds) SELECT $1::uuid, current_date + $2::int, 1, " +
            ActiveOnNight(kActiveStatuses) +
            ", 2 ON CONFLICT (unit_id, date) DO UPDATE SET temp_holds = c.allotment - c.bookings_count + 1",
        {unit, Str(day)});
  });
  if (s.ok()) Damaged(FaultKind::kCalendarOvercommitted, unit, Str(day));
  return s;
}

// Two confirmed stays on one night last month of a unit of its own, with a
// calendar row that is off and overcommitted: history, which pages for nothing.
Status Worker::FaultPastOverbooking() {
  const std::string base = rng_.Uuid();
  const int64_t days_ago = rng_.Range(2, 40);
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.reservations (id, booking_intent_id, confirmation_code, unit_id, check_in, "
            "check_out, status, payment_status) SELECT md5($1::text || 'r' || g)::uuid, md5($1::text || 'i' || "
            "g)::uuid, 'RES-OLD' || g, md5($1::text || 'u')::uuid, current_date - $2::int, current_date - $2::int "
            "+ 1, 'confirmed', 'paid' FROM generate_series(1, 2) g",
            {base, Str(days_ago)}));
    return Sql(
        "INSERT INTO reserve.availability_calendar (unit_id, date, allotment, bookings_count, temp_holds) "
        "VALUES (md5($1::text || 'u')::uuid, current_date - $2::int, 1, 3, 1)",
        {base, Str(days_ago)});
  });
}

// Five webhooks of one provider failed just now, or one left 'processing'
// since 10 minutes ago.
Status Worker::FaultWebhooks(FaultKind kind) {
  const std::string provider = kProviders[rng_.Uniform(3)], base = rng_.Uuid();
  const bool failures = kind == FaultKind::kWebhookFailures;
  Status s = Txn([&]() -> Status {
    return Sql(
        "INSERT INTO reserve.processed_webhooks (id, provider, event_id, event_type, status, received_at) "
        "SELECT md5($1::text || g)::uuid, $2, 'evt_' || md5($1::text || g), 'payment_intent.succeeded', "
        "$3, now() - $4::interval FROM generate_series(1, $5::int) g",
        {base, provider, failures ? "failed" : "processing", failures ? "0 minutes" : "10 minutes",
         failures ? "5" : "1"});
  });
  if (s.ok()) Damaged(kind, base, failures ? "5" : "1");
  return s;
}

// Last year's payment without a reservation, a double charge and a ledger
// imbalance from a month ago, and a webhook stuck since then (of a provider
// the workload never uses, so no recent failure joins it): each older than its
// rule's lookback, written before walguard starts, so the snapshot reports
// them as historical. Their ids are the seeder's; nothing repairs them.
Status Worker::SeedOldIncidents() {
  const std::string base = rng_.Uuid();
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, "
            "succeeded_at) VALUES (md5($1::text || 'p')::uuid, md5($1::text || 'pi')::uuid, 'stripe', 'card', "
            "'succeeded', 410.00, now() - interval '1 year 2 minutes', now() - interval '1 year')",
            {base}));
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status) VALUES "
            "(md5($1::text || 'r')::uuid, md5($1::text || 'di')::uuid, md5($1::text || 'u')::uuid, "
            "current_date - 40, current_date - 38, 'checked_out')",
            {base}));
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, "
            "succeeded_at) SELECT md5($1::text || 'd' || g)::uuid, md5($1::text || 'di')::uuid, 'stripe', 'card', "
            "'succeeded', 300.00, now() - interval '30 days', now() - interval '30 days' + g * interval '1 minute' "
            "FROM generate_series(1, 2) g",
            {base}));
    WG_RETURN_IF_ERROR(
        Sql("INSERT INTO reserve.ledger_entries (id, transaction_id, entry_type, account, direction, amount, "
            "created_at) VALUES (md5($1::text || 'l1')::uuid, md5($1::text || 'lt')::uuid, 'booking', "
            "'guest_receivable', 'debit', 100.10, now() - interval '60 days'), (md5($1::text || 'l2')::uuid, "
            "md5($1::text || 'lt')::uuid, 'booking', 'host_payable', 'credit', 100.00, now() - interval '60 days')",
            {base}));
    return Sql(
        "INSERT INTO reserve.processed_webhooks (id, provider, event_id, event_type, status, received_at) VALUES "
        "(md5($1::text || 'w')::uuid, 'legacy_gateway', 'evt-' || $1, 'payment.updated', 'processing', "
        "now() - interval '30 days')",
        {base});
  });
}

}  // namespace walguard::workload
