// SQL for the end-to-end Reserve Connect tests: one incident per rule, and
// the fixes that resolve every one of them.
#pragma once

namespace walguard::testing {

// u1: two overlapping confirmed stays (overbooking from 2027-01-12);
// u2/2027-02-01: calendar says 1 booking, there is none (calendar_drift);
// ledger l1 misses 0.10 of credit, l2 has a duplicated 25.00 credit;
// p1 succeeded 10 min ago, no reservation; p2 processing for 2 h; p3 pix
// pending for 1 h; intent i4 charged twice; mercadopago: 5 of 20 settled
// failed; openpix: 5 failed webhooks; stripe: one webhook processing 10 min.
inline constexpr const char* kReserveIncident = R"SQL(
INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status) VALUES
 ('50000000-0000-4000-8000-0000000000a1', gen_random_uuid(), 'a1000000-0000-4000-8000-000000000001', '2027-01-10', '2027-01-13', 'confirmed'),
 ('50000000-0000-4000-8000-0000000000a2', gen_random_uuid(), 'a1000000-0000-4000-8000-000000000001', '2027-01-12', '2027-01-15', 'confirmed');
INSERT INTO reserve.availability_calendar (unit_id, date, allotment, bookings_count)
VALUES ('a2000000-0000-4000-8000-000000000002', '2027-02-01', 1, 1);
INSERT INTO reserve.ledger_entries (id, transaction_id, account, direction, amount, created_at) VALUES
 (gen_random_uuid(), '1e100000-0000-4000-8000-000000000001', 'cash', 'debit', 100.10, now()),
 (gen_random_uuid(), '1e100000-0000-4000-8000-000000000001', 'revenue', 'credit', 100.00, now()),
 (gen_random_uuid(), '1e200000-0000-4000-8000-000000000002', 'cash', 'debit', 50.00, now() - interval '3 seconds'),
 (gen_random_uuid(), '1e200000-0000-4000-8000-000000000002', 'revenue', 'credit', 25.00, now() - interval '2 seconds'),
 (gen_random_uuid(), '1e200000-0000-4000-8000-000000000002', 'fees', 'credit', 25.00, now() - interval '2 seconds'),
 ('1d000000-0000-4000-8000-0000000000dd', '1e200000-0000-4000-8000-000000000002', 'fees', 'credit', 25.00, now());
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, succeeded_at) VALUES
 ('9a100000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001', 'stripe', 'card', 'succeeded', 450.00, now() - interval '12 minutes', now() - interval '10 minutes'),
 ('9a200000-0000-4000-8000-000000000002', 'b2000000-0000-4000-8000-000000000002', 'stripe', 'card', 'processing', 120.00, now() - interval '2 hours', NULL),
 ('9a300000-0000-4000-8000-000000000003', 'b3000000-0000-4000-8000-000000000003', 'openpix', 'pix', 'pending', 80.00, now() - interval '1 hour', NULL),
 ('9a4a0000-0000-4000-8000-000000000004', 'b4000000-0000-4000-8000-000000000004', 'stripe', 'card', 'succeeded', 300.00, now() - interval '1 minute', now()),
 ('9a4b0000-0000-4000-8000-000000000004', 'b4000000-0000-4000-8000-000000000004', 'stripe', 'card', 'succeeded', 300.00, now() - interval '1 minute', now());
INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
VALUES ('b4000000-0000-4000-8000-000000000004', gen_random_uuid(), '2027-03-01', '2027-03-03', 'confirmed');
WITH settled AS (
  SELECT g, gen_random_uuid() AS intent FROM generate_series(1, 20) g)
, pays AS (
  INSERT INTO reserve.payments (booking_intent_id, provider, method, status, amount, created_at, succeeded_at)
  SELECT intent, 'mercadopago', 'card', CASE WHEN g <= 5 THEN 'failed' ELSE 'succeeded' END, 10.00, now(),
         CASE WHEN g <= 5 THEN NULL ELSE now() END FROM settled)
INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
SELECT intent, gen_random_uuid(), '2027-04-01', '2027-04-02', 'cancelled' FROM settled;
INSERT INTO reserve.processed_webhooks (provider, event_id, event_type, status, received_at)
SELECT 'openpix', 'evt-' || g, 'pix.received', 'failed', now() FROM generate_series(1, 5) g;
INSERT INTO reserve.processed_webhooks (provider, event_id, event_type, status, received_at)
VALUES ('stripe', 'evt-stuck', 'payment_intent.succeeded', 'processing', now() - interval '10 minutes');
)SQL";

inline constexpr const char* kReserveFixes[] = {
    "UPDATE reserve.reservations SET status = 'cancelled' WHERE id = '50000000-0000-4000-8000-0000000000a2';",
    R"SQL(UPDATE reserve.availability_calendar SET bookings_count = 0
WHERE unit_id = 'a2000000-0000-4000-8000-000000000002';)SQL",
    R"SQL(INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount)
VALUES ('1e100000-0000-4000-8000-000000000001', 'corrections', 'credit', 0.10);)SQL",
    "DELETE FROM reserve.ledger_entries WHERE id = '1d000000-0000-4000-8000-0000000000dd';",
    R"SQL(INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
VALUES ('b1000000-0000-4000-8000-000000000001', gen_random_uuid(), '2027-05-01', '2027-05-04', 'host_commit_pending');)SQL",
    "UPDATE reserve.payments SET status = 'failed' WHERE id = '9a200000-0000-4000-8000-000000000002';",
    "UPDATE reserve.payments SET status = 'canceled' WHERE id = '9a300000-0000-4000-8000-000000000003';",
    "UPDATE reserve.payments SET status = 'refunded' WHERE id = '9a4b0000-0000-4000-8000-000000000004';",
    R"SQL(UPDATE reserve.payments SET status = 'succeeded', succeeded_at = now() WHERE id IN (
  SELECT id FROM reserve.payments WHERE provider = 'mercadopago' AND status = 'failed' LIMIT 2);)SQL",
    R"SQL(UPDATE reserve.processed_webhooks SET status = 'completed' WHERE provider = 'stripe'
   OR id = (SELECT id FROM reserve.processed_webhooks WHERE provider = 'openpix' LIMIT 1);)SQL",
};

inline constexpr const char* kAllReserveRules[] = {
    "ledger_imbalance", "overbooking", "calendar_drift", "payment_without_reservation",
    "stuck_payment",    "pix_pending", "double_charge",  "failed_payment_rate",
    "webhook_failures",
};

}  // namespace walguard::testing
