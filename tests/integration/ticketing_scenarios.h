// SQL for the end-to-end ticketing tests: one incident per rule on distinct
// entities, and the fixes that resolve every one of them.
#pragma once

namespace walguard::testing {

// Event e1; tiers t1 (85 stuck in expired holds: stuck_holds, high_reserved,
// false_sold_out), t2 (reserved 12 with no holds on 10 seats:
// tier_reserved_drift, negative_available), t3 (issued 5, fewer tickets:
// tier_issued_drift); orders o2 (paid 5 min ago, no tickets), o3 (2 tickets
// for 1 item), o4 (total twice its items), o5 (pending for an hour).
inline constexpr const char* kAllRulesIncident = R"SQL(
INSERT INTO ticketing.events (id, title) VALUES ('e1000000-0000-4000-8000-000000000001', 'Summer Fest');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, issued_quantity) VALUES
 ('71000000-0000-4000-8000-000000000001', 'e1000000-0000-4000-8000-000000000001', 'GA', 5000, 100, 85, 15),
 ('72000000-0000-4000-8000-000000000002', 'e1000000-0000-4000-8000-000000000001', 'VIP', 9000, 10, 12, 0),
 ('73000000-0000-4000-8000-000000000003', 'e1000000-0000-4000-8000-000000000001', 'Balcony', 5000, 100, 0, 5);
INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, created_at, expires_at)
SELECT '71000000-0000-4000-8000-000000000001', 5, 'active', now() - interval '75 minutes', now() - interval '60 minutes'
FROM generate_series(1, 17);
INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, paid_at) VALUES
 ('0a100000-0000-4000-8000-000000000001', 'e1000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 75000, now() - interval '2 hours', now() - interval '2 hours'),
 ('0a200000-0000-4000-8000-000000000002', 'e1000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 10000, now() - interval '8 minutes', now() - interval '5 minutes'),
 ('0a300000-0000-4000-8000-000000000003', 'e1000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 5000, now() - interval '1 hour', now() - interval '1 hour'),
 ('0a400000-0000-4000-8000-000000000004', 'e1000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 20000, now() - interval '1 hour', now() - interval '1 hour'),
 ('0a500000-0000-4000-8000-000000000005', 'e1000000-0000-4000-8000-000000000001', gen_random_uuid(), 'pending', 5000, now() - interval '1 hour', NULL);
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents) VALUES
 ('0a100000-0000-4000-8000-000000000001', '71000000-0000-4000-8000-000000000001', 15, 5000),
 ('0a200000-0000-4000-8000-000000000002', '73000000-0000-4000-8000-000000000003', 2, 5000),
 ('0a300000-0000-4000-8000-000000000003', '73000000-0000-4000-8000-000000000003', 1, 5000),
 ('0a400000-0000-4000-8000-000000000004', '73000000-0000-4000-8000-000000000003', 2, 5000),
 ('0a500000-0000-4000-8000-000000000005', '73000000-0000-4000-8000-000000000003', 1, 5000);
INSERT INTO ticketing.tickets (order_id, tier_id)
SELECT '0a100000-0000-4000-8000-000000000001', '71000000-0000-4000-8000-000000000001' FROM generate_series(1, 15);
INSERT INTO ticketing.tickets (id, order_id, tier_id) VALUES
 ('7c300000-0000-4000-8000-000000000001', '0a300000-0000-4000-8000-000000000003', '73000000-0000-4000-8000-000000000003'),
 ('7c300000-0000-4000-8000-000000000002', '0a300000-0000-4000-8000-000000000003', '73000000-0000-4000-8000-000000000003'),
 (gen_random_uuid(), '0a400000-0000-4000-8000-000000000004', '73000000-0000-4000-8000-000000000003'),
 (gen_random_uuid(), '0a400000-0000-4000-8000-000000000004', '73000000-0000-4000-8000-000000000003');
)SQL";

// The runbook's fixes, one transaction each.
inline constexpr const char* kAllRulesFixes[] = {
    // cleanup_expired_ticket_holds + reconcile_event_tickets
    R"SQL(BEGIN;
UPDATE ticketing.ticket_holds SET status = 'expired' WHERE status = 'active' AND expires_at < now();
UPDATE ticketing.ticket_tiers SET reserved_quantity = 0 WHERE id IN
  ('71000000-0000-4000-8000-000000000001', '72000000-0000-4000-8000-000000000002');
COMMIT;)SQL",
    // ensure_tickets for o2
    R"SQL(INSERT INTO ticketing.tickets (order_id, tier_id) SELECT '0a200000-0000-4000-8000-000000000002',
  '73000000-0000-4000-8000-000000000003' FROM generate_series(1, 2);)SQL",
    // void o3's extra ticket
    "UPDATE ticketing.tickets SET status = 'void' WHERE id = '7c300000-0000-4000-8000-000000000002';",
    // correct o4's total
    "UPDATE ticketing.orders SET total_cents = 10000 WHERE id = '0a400000-0000-4000-8000-000000000004';",
    // expire_pending_orders
    "UPDATE ticketing.orders SET status = 'expired' WHERE status = 'pending';",
};

inline constexpr const char* kAllTicketingRules[] = {
    "stuck_holds",        "tier_reserved_drift",  "tier_issued_drift",    "high_reserved",    "false_sold_out",
    "negative_available", "stale_pending_orders", "paid_without_tickets", "order_overissued", "revenue_mismatch",
};

}  // namespace walguard::testing
