// Corrective operations for Reserve Connect: runbook 002's resolutions (and
// the commands of the alerts), applied to what this worker's faults broke.
// Anything that touches reservations or the calendar holds the unit's
// advisory lock, like the healthy bookings.
#include "workload/worker.h"

namespace walguard::workload {

Status Worker::RepairReserve() {
  Damage d;
  if (!TakeDamage(/*ticketing=*/false, &d)) return Status::NotFound("nothing to repair");
  Status s;
  switch (d.kind) {
    case FaultKind::kLedgerMissingEntry:
    case FaultKind::kLedgerDuplicateEntry:
      s = CorrectLedger(d.entity, d.kind == FaultKind::kLedgerDuplicateEntry);
      break;
    case FaultKind::kDoubleBooking:
      s = CancelDuplicateBookings(d.entity, d.detail);
      break;
    case FaultKind::kCalendarOff:
      s = RecalculateCalendar(d.entity);
      break;
    case FaultKind::kPaymentWithoutReservation:
      s = FinalizeReservation(d.entity);
      break;
    case FaultKind::kStuckProcessing:
    case FaultKind::kPixPending:
      s = CancelPayment(d.entity);
      break;
    case FaultKind::kDoubleCharge:
      s = RefundDuplicateCharge(d.entity);
      break;
    case FaultKind::kWebhookFailures:
    case FaultKind::kWebhookStuck:
      s = CompleteWebhooks(d.entity, std::stoi(d.detail));
      break;
    case FaultKind::kSilentProvider:
      // The provider's status page says the payments were declined.
      s = Txn([&]() -> Status {
        return Sql(
            "UPDATE reserve.payments SET status = 'failed', error_code = 'card_declined' WHERE id IN (SELECT "
            "md5($1::text || g)::uuid FROM generate_series(1, $2::int) g)",
            {d.entity, d.detail});
      });
      break;
    case FaultKind::kCalendarOvercommitted:
      s = Txn([&]() -> Status {
        WG_RETURN_IF_ERROR(LockUnit(d.entity));
        return Sql(
            "UPDATE reserve.availability_calendar SET temp_holds = 0 WHERE unit_id = $1 AND date = current_date + "
            "$2::int",
            {d.entity, d.detail});
      });
      break;
    default:
      return Status::InvalidArgument(std::string("no repair for ") + FaultName(d.kind));
  }
  if (s.ok()) CountRepair();
  return s;
}

// "If Duplicate Entries": the later of two identical entries is deleted.
// "If Missing Entries": a 'correction' entry balances the transaction.
Status Worker::CorrectLedger(const std::string& base, bool duplicate) {
  return Txn([&]() -> Status {
    if (duplicate) {
      return SqlRow(
          "DELETE FROM reserve.ledger_entries WHERE id = (SELECT e.id FROM reserve.ledger_entries e "
          "WHERE e.transaction_id = md5($1::text)::uuid AND EXISTS (SELECT 1 FROM reserve.ledger_entries "
          "d WHERE d.transaction_id = e.transaction_id AND d.account = e.account AND d.direction = "
          "e.direction AND d.amount = e.amount AND d.id < e.id) ORDER BY e.id LIMIT 1)",
          {base});
    }
    return SqlRow(
        "INSERT INTO reserve.ledger_entries (id, transaction_id, entry_type, account, direction, amount, "
        "description) SELECT md5($1::text || 'fix')::uuid, md5($1::text)::uuid, 'correction', "
        "'corrections', CASE WHEN d > c THEN 'credit' ELSE 'debit' END, abs(d - c), "
        "'Manual correction for imbalance' FROM (SELECT "
        "COALESCE(sum(amount) FILTER (WHERE direction = 'debit'), 0) AS d, "
        "COALESCE(sum(amount) FILTER (WHERE direction = 'credit'), 0) AS c "
        "FROM reserve.ledger_entries WHERE transaction_id = md5($1::text)::uuid) s WHERE d <> c",
        {base});
  });
}

// Overbooking, option B: the reservations the fault added are cancelled and
// their nights leave the calendar.
Status Worker::CancelDuplicateBookings(const std::string& base, const std::string& unit) {
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(unit));
    return SqlRow(std::string("WITH cancelled AS (UPDATE reserve.reservations SET status = 'cancelled' WHERE "
                              "booking_intent_id IN (SELECT md5($1::text || 'i' || g)::uuid FROM "
                              "generate_series(1, 32) g) AND status IN ") +
                      kActiveStatuses +
                      " RETURNING unit_id, check_in, check_out), "
                      "nights AS (SELECT unit_id, check_in + k AS date, count(*) AS n FROM cancelled, "
                      "generate_series(0, check_out - check_in - 1) k GROUP BY 1, 2) "
                      "UPDATE reserve.availability_calendar c SET bookings_count = c.bookings_count - n.n, "
                      "is_available = true FROM nights n WHERE c.unit_id = n.unit_id AND c.date = n.date",
                  {base});
  });
}

// recalculate_availability: step 4 of the overbooking runbook, for a unit.
Status Worker::RecalculateCalendar(const std::string& unit) {
  return Txn([&]() -> Status {
    WG_RETURN_IF_ERROR(LockUnit(unit));
    return SqlRow(std::string("UPDATE reserve.availability_calendar c SET bookings_count = (SELECT count(*) FROM "
                              "reserve.reservations r WHERE r.unit_id = c.unit_id AND r.status IN ") +
                      kActiveStatuses + " AND r.check_in <= c.date AND c.date < r.check_out) WHERE c.unit_id = $1",
                  {unit});
  });
}

// finalize_reservation {payment_id}: the missing reservation, when the unit
// is still free; otherwise the payment is refunded.
Status Worker::FinalizeReservation(const std::string& payment_id) {
  const std::string reservation = rng_.Uuid();
  return Txn([&]() -> Status {
    Rows intent;
    WG_RETURN_IF_ERROR(
        SqlRow("SELECT i.id, i.unit_id, i.check_in, i.check_out FROM reserve.payments p JOIN "
               "reserve.booking_intents i ON i.id = p.booking_intent_id WHERE p.id = $1 AND "
               "p.status = 'succeeded'",
               {payment_id}, &intent));
    const std::string &id = intent.at(0, 0), &unit = intent.at(0, 1), &in = intent.at(0, 2), &out = intent.at(0, 3);
    WG_RETURN_IF_ERROR(LockUnit(unit));
    bool free = false;
    WG_RETURN_IF_ERROR(UnitFree(unit, in, out, &free));
    if (!free) return SqlRow("UPDATE reserve.payments SET status = 'refunded' WHERE id = $1", {payment_id});
    WG_RETURN_IF_ERROR(InsertReservation(reservation, id, unit, in, out));
    return Sql("UPDATE reserve.booking_intents SET status = 'converted' WHERE id = $1", {id});
  });
}

// poll_payment_status {payment_id}: the provider says it never completed.
Status Worker::CancelPayment(const std::string& payment_id) {
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE reserve.payments SET status = 'canceled' WHERE id = $1 AND status IN ('pending', "
        "'processing')",
        {payment_id});
  });
}

// refund_duplicate_charge: every succeeded payment of the intent but the
// first is refunded.
Status Worker::RefundDuplicateCharge(const std::string& intent_id) {
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE reserve.payments SET status = 'refunded' WHERE id IN (SELECT id FROM (SELECT id, "
        "row_number() OVER (ORDER BY created_at, id) AS rn FROM reserve.payments WHERE "
        "booking_intent_id = $1 AND status = 'succeeded') s WHERE s.rn > 1)",
        {intent_id});
  });
}

// The webhooks are replayed successfully once the endpoint is fixed.
Status Worker::CompleteWebhooks(const std::string& base, int count) {
  return Txn([&]() -> Status {
    return SqlRow(
        "UPDATE reserve.processed_webhooks SET status = 'completed' WHERE id IN (SELECT md5($1::text || "
        "g)::uuid FROM generate_series(1, $2::int) g) AND status <> 'completed'",
        {base, std::to_string(count)});
  });
}

}  // namespace walguard::workload
