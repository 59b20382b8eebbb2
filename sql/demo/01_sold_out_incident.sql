-- Runbook 000, training scenario 1: "Event shows sold out incorrectly".
-- 85 tickets sit in 17 holds that expired an hour ago but are still 'active',
-- so the tier shows available = 100 - 85 - 15 = 0 with only 15 % sold.
BEGIN;
INSERT INTO ticketing.events (id, title) VALUES ('e0000000-0000-4000-8000-000000000001', 'Summer Fest');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, issued_quantity)
VALUES ('70000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'General Admission', 5000, 100, 85, 15);
INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, created_at, expires_at)
SELECT '70000000-0000-4000-8000-000000000001', 5, 'active', now() - interval '75 minutes', now() - interval '60 minutes'
FROM generate_series(1, 17);
INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, paid_at)
VALUES ('00000000-0000-4000-8000-0000000000a1', 'e0000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 75000,
        now() - interval '2 hours', now() - interval '2 hours');
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents)
VALUES ('00000000-0000-4000-8000-0000000000a1', '70000000-0000-4000-8000-000000000001', 15, 5000);
INSERT INTO ticketing.tickets (order_id, tier_id)
SELECT '00000000-0000-4000-8000-0000000000a1', '70000000-0000-4000-8000-000000000001' FROM generate_series(1, 15);
COMMIT;
