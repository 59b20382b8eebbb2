-- The Reserve Connect fixes no command can decide, applied by hand as runbook 002 says.
-- (The worker applies finalize_reservation and, once approved, refund_duplicate_charge.)
-- Ledger: insert the missing balancing entry (runbook: "Insert balancing entry").
INSERT INTO reserve.ledger_entries (transaction_id, entry_type, account, direction, amount, description)
VALUES ('1ed00000-0000-4000-8000-000000000001', 'correction', 'commission', 'credit', 185.18, 'Manual correction for imbalance');

-- Overbooking: cancel the later booking and recalculate the calendar (steps 3B and 4).
BEGIN;
UPDATE reserve.reservations SET status = 'cancelled' WHERE id = '5e000000-0000-4000-8000-000000000002';
UPDATE reserve.availability_calendar ac SET bookings_count = (
  SELECT count(*) FROM reserve.reservations r
  WHERE r.unit_id = ac.unit_id AND r.status IN ('confirmed', 'checked_in', 'host_commit_pending')
    AND ac.date >= r.check_in AND ac.date < r.check_out)
WHERE ac.unit_id = 'a0000000-0000-4000-8000-0000000000c1';
COMMIT;
