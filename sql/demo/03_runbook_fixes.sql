-- The runbook's fixes, as the corrective commands ask for them.
-- cleanup_expired_ticket_holds {event_id} (section 3): expire the stuck holds
-- and give their quantity back to the tier.
BEGIN;
UPDATE ticketing.ticket_holds h SET status = 'expired'
FROM ticketing.ticket_tiers t
WHERE t.id = h.tier_id AND t.event_id = 'e0000000-0000-4000-8000-000000000001'
  AND h.status = 'active' AND h.expires_at < now();
UPDATE ticketing.ticket_tiers t SET reserved_quantity = COALESCE((
    SELECT sum(quantity) FROM ticketing.ticket_holds h WHERE h.tier_id = t.id AND h.status = 'active'), 0),
  updated_at = now()
WHERE t.event_id = 'e0000000-0000-4000-8000-000000000001';
COMMIT;

-- ensure_tickets {order_id} (section 4.2): issue the paid order's tickets.
BEGIN;
INSERT INTO ticketing.tickets (order_id, tier_id)
SELECT '00000000-0000-4000-8000-0000000000b2', '70000000-0000-4000-8000-000000000001' FROM generate_series(1, 2);
UPDATE ticketing.ticket_tiers SET issued_quantity = issued_quantity + 2, updated_at = now()
WHERE id = '70000000-0000-4000-8000-000000000001';
COMMIT;
