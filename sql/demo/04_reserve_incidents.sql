-- Runbook 002 incidents.
-- P1 Ledger imbalance: a booking's ledger transaction whose commission credit was never written.
BEGIN;
INSERT INTO reserve.ledger_entries (transaction_id, entry_type, account, direction, amount, description) VALUES
 ('1ed00000-0000-4000-8000-000000000001', 'booking', 'guest_receivable', 'debit', 1234.56, 'stay RES-2027-AB12CD'),
 ('1ed00000-0000-4000-8000-000000000001', 'booking', 'host_payable', 'credit', 1049.38, 'host share');
COMMIT;

-- P1 Overbooking: two bookings of the same unit overlap on Jan 12 (the booking lock was bypassed).
BEGIN;
INSERT INTO reserve.availability_calendar (unit_id, date, allotment, bookings_count)
SELECT 'a0000000-0000-4000-8000-0000000000c1', d, 1, 1 FROM generate_series('2027-01-10'::date, '2027-01-14', '1 day') d;
INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status) VALUES
 ('5e000000-0000-4000-8000-000000000001', gen_random_uuid(), 'a0000000-0000-4000-8000-0000000000c1', '2027-01-10', '2027-01-13', 'confirmed'),
 ('5e000000-0000-4000-8000-000000000002', gen_random_uuid(), 'a0000000-0000-4000-8000-0000000000c1', '2027-01-12', '2027-01-15', 'confirmed');
COMMIT;

-- P1 Payment succeeded but no reservation: the webhook finalize step failed 10 minutes ago.
INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out, status) VALUES
 ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-0000000000c3', '2027-03-10', '2027-03-12', 'pending'),
 ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-0000000000c2', '2027-02-01', '2027-02-05', 'pending');
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, gateway_payment_id, created_at, succeeded_at)
VALUES ('9e000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'stripe', 'card',
        'succeeded', 890.00, 'pi_3DemoA1', now() - interval '12 minutes', now() - interval '10 minutes');

-- P2 Double charge: the customer was charged twice for one booking intent.
BEGIN;
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, gateway_payment_id, created_at, succeeded_at) VALUES
 ('9e000000-0000-4000-8000-00000000000a', 'b0000000-0000-4000-8000-000000000002', 'stripe', 'card', 'succeeded', 640.00, 'pi_3DemoB1', now() - interval '1 minute', now() - interval '50 seconds'),
 ('9e000000-0000-4000-8000-00000000000b', 'b0000000-0000-4000-8000-000000000002', 'stripe', 'card', 'succeeded', 640.00, 'pi_3DemoB2', now() - interval '1 minute', now() - interval '45 seconds');
INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
VALUES ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-0000000000c2', '2027-02-01', '2027-02-05', 'confirmed');
INSERT INTO reserve.availability_calendar (unit_id, date, allotment, bookings_count)
SELECT 'a0000000-0000-4000-8000-0000000000c2', d, 1, 1 FROM generate_series('2027-02-01'::date, '2027-02-04', '1 day') d;
COMMIT;
