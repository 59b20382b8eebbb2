-- Runbook 000, training scenario 2: "Missing tickets for paid order".
-- The order was paid 5 minutes ago and its ticket creation never ran.
BEGIN;
INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, paid_at)
VALUES ('00000000-0000-4000-8000-0000000000b2', 'e0000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 10000,
        now() - interval '8 minutes', now() - interval '5 minutes');
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents)
VALUES ('00000000-0000-4000-8000-0000000000b2', '70000000-0000-4000-8000-000000000001', 2, 5000);
COMMIT;
