-- The runbook functions the corrective worker applies (CONTRACT.md section 7,
-- sql/runbook/README.md), the worker's own tables and its role. Run in the
-- monitored database, after the ticketing and reserve schemas exist, as their
-- owner or a superuser (the functions run with the installer's rights):
--   psql -v ON_ERROR_STOP=1 -d app -f sql/runbook/install.sql
-- One transaction, idempotent: running it again replaces the functions and
-- keeps the tables, the settings and the role as they are.
--
-- Every function returns jsonb: what it changed, or with dry_run = true what
-- it would change, computed the same way (the runbooks' holds_affected,
-- orders_affected, tiers_updated, ...). A function that finds nothing to do,
-- or an entity that is not in the state its command assumes, changes nothing
-- and says why in "reason"; it raises only on a database error.
--
-- Concurrency. Applying, a function first takes the locks it waits for, in
-- one fixed order: a unit's advisory lock (the booking discipline of
-- workload/reserve_ops.cc), then the rows it recounts or moves (tiers,
-- calendar dates, an intent's payments) FOR UPDATE in key order. Rows it
-- takes after those (holds, orders) are locked SKIP LOCKED: a row another
-- transaction is changing right now is left to it. So a function never
-- waits while holding a lock another transaction might be waiting for, in
-- the orders the applications use (tier after hold or order, unit before
-- rows). Counters are recounted only under the lock of their row, from a
-- snapshot taken after it: every application transaction that moves a
-- counter together with what it counts (the runbooks' discipline) is then
-- either seen whole or applies its delta on top of the recount, and no
-- update is lost. Dry runs take no lock.
BEGIN;

CREATE SCHEMA IF NOT EXISTS walguard_worker;

-- One row per command applied, written by the worker in the fix's own
-- transaction: a redelivered command finds its row and is not applied again.
CREATE TABLE IF NOT EXISTS walguard_worker.applied (
  command_id text PRIMARY KEY,
  type text NOT NULL,
  args jsonb NOT NULL DEFAULT '{}',
  report jsonb,
  applied_at timestamptz NOT NULL DEFAULT now(),
  worker text
);

-- Everything the worker did or decided about a command (dry runs, refusals,
-- approvals), appended.
CREATE TABLE IF NOT EXISTS walguard_worker.audit_log (
  id bigserial PRIMARY KEY,
  command_id text NOT NULL,
  type text NOT NULL,
  action text NOT NULL,
  report jsonb,
  at timestamptz NOT NULL DEFAULT now(),
  worker text
);
CREATE INDEX IF NOT EXISTS audit_log_command_id ON walguard_worker.audit_log (command_id);

-- Payments someone must check with their provider (poll_payment_status):
-- the worker cannot call Stripe or MercadoPago; whoever can reads this.
CREATE TABLE IF NOT EXISTS walguard_worker.provider_checks (
  id bigserial PRIMARY KEY,
  payment_id uuid NOT NULL,
  provider text,
  status_at_request text,
  requested_at timestamptz NOT NULL DEFAULT now(),
  checked_at timestamptz,
  result text
);
CREATE INDEX IF NOT EXISTS provider_checks_open ON walguard_worker.provider_checks (payment_id)
  WHERE checked_at IS NULL;

-- The functions' thresholds. A table only the owner writes, not a session
-- setting: the worker's role must not be able to widen what a fix touches.
CREATE TABLE IF NOT EXISTS walguard_worker.settings (
  name text PRIMARY KEY,
  value text NOT NULL,
  description text
);
INSERT INTO walguard_worker.settings (name, value, description) VALUES
  ('stuck_hold_grace', '5 minutes',
   'cleanup_expired_ticket_holds expires active holds this long past expires_at (the stuck_holds rule)'),
  ('pending_order_timeout', '30 minutes',
   'expire_pending_orders expires orders pending this long after created_at (the stale_pending_orders rule)'),
  ('refund_debit_account', 'duplicate_charge_refunds',
   'refund_duplicate_charge: the ledger account debited with the refunded amount'),
  ('refund_credit_account', 'guest_cash',
   'refund_duplicate_charge: the ledger account credited with the refunded amount')
ON CONFLICT (name) DO NOTHING;

CREATE OR REPLACE FUNCTION walguard_worker.setting(p_name text)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_value text;
BEGIN
  SELECT s.value INTO v_value FROM walguard_worker.settings s WHERE s.name = p_name;
  IF v_value IS NULL THEN
    RAISE EXCEPTION 'walguard_worker.settings has no %', p_name;
  END IF;
  RETURN v_value;
END $$;

-- A duration setting; never negative, so a fix never reaches into the future.
CREATE OR REPLACE FUNCTION walguard_worker.setting_interval(p_name text)
RETURNS interval LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT greatest(walguard_worker.setting(p_name)::interval, interval '0');
$$;

CREATE OR REPLACE FUNCTION walguard_worker.lock_event_tiers(p_event_id uuid)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM ticketing.ticket_tiers t WHERE t.event_id = p_event_id ORDER BY t.id FOR UPDATE;
END $$;

-- The advisory lock the booking transactions hold while they check and take
-- a unit's dates.
CREATE OR REPLACE FUNCTION walguard_worker.lock_unit(p_unit_id uuid)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(p_unit_id::text, 0));
END $$;

-- Active holds of the event whose expires_at is before p_cutoff become
-- 'expired' (applying; the caller holds the event's tier locks). Returns
-- what they held per tier: [{"tier_id", "holds", "quantity"}], by tier_id.
-- The tiers' counters are the caller's to move.
CREATE OR REPLACE FUNCTION walguard_worker.expire_holds(p_event_id uuid, p_cutoff timestamptz, dry_run boolean)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_ids uuid[];
BEGIN
  IF dry_run THEN
    SELECT coalesce(array_agg(h.id), '{}') INTO v_ids
    FROM ticketing.ticket_holds h JOIN ticketing.ticket_tiers t ON t.id = h.tier_id
    WHERE t.event_id = p_event_id AND h.status = 'active' AND h.expires_at < p_cutoff;
  ELSE
    -- A hold another transaction is changing (paid, released) is skipped:
    -- that transaction moves its tier's counter itself.
    SELECT coalesce(array_agg(s.id), '{}') INTO v_ids FROM (
      SELECT h.id FROM ticketing.ticket_holds h JOIN ticketing.ticket_tiers t ON t.id = h.tier_id
      WHERE t.event_id = p_event_id AND h.status = 'active' AND h.expires_at < p_cutoff
      ORDER BY h.id FOR UPDATE OF h SKIP LOCKED) s;
    UPDATE ticketing.ticket_holds h SET status = 'expired' WHERE h.id = ANY (v_ids);
  END IF;
  RETURN (
    SELECT coalesce(jsonb_agg(jsonb_build_object('tier_id', x.tier_id, 'holds', x.holds, 'quantity', x.quantity)
                              ORDER BY x.tier_id), '[]')
    FROM (SELECT h.tier_id, count(*) AS holds, sum(h.quantity) AS quantity
          FROM ticketing.ticket_holds h WHERE h.id = ANY (v_ids) GROUP BY h.tier_id) x);
END $$;

-- Expires the event's holds past p_cutoff and gives their seats back:
-- reserved_quantity drops by what they held (never below 0: a counter
-- already lower than its holds has drift, reconcile_event_tickets' job).
CREATE OR REPLACE FUNCTION walguard_worker.release_expired_holds(p_event_id uuid, p_cutoff timestamptz,
                                                                 dry_run boolean)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_released jsonb;
  v_tiers jsonb;
BEGIN
  IF NOT dry_run THEN
    PERFORM walguard_worker.lock_event_tiers(p_event_id);
  END IF;
  v_released := walguard_worker.expire_holds(p_event_id, p_cutoff, dry_run);
  SELECT coalesce(jsonb_agg(jsonb_build_object('tier_id', t.id, 'reserved_before', t.reserved_quantity,
                                               'reserved_after', greatest(t.reserved_quantity - r.quantity, 0))
                            ORDER BY t.id), '[]')
  INTO v_tiers
  FROM jsonb_to_recordset(v_released) AS r(tier_id uuid, holds bigint, quantity bigint)
  JOIN ticketing.ticket_tiers t ON t.id = r.tier_id
  WHERE t.reserved_quantity <> greatest(t.reserved_quantity - r.quantity, 0);
  IF NOT dry_run THEN
    UPDATE ticketing.ticket_tiers t SET reserved_quantity = x.reserved_after, updated_at = now()
    FROM jsonb_to_recordset(v_tiers) AS x(tier_id uuid, reserved_after int)
    WHERE t.id = x.tier_id;
  END IF;
  RETURN jsonb_build_object(
    'holds_affected', (SELECT coalesce(sum(r.holds), 0) FROM jsonb_to_recordset(v_released) AS r(holds bigint)),
    'quantity_released',
    (SELECT coalesce(sum(r.quantity), 0) FROM jsonb_to_recordset(v_released) AS r(quantity bigint)),
    'tiers_updated', jsonb_array_length(v_tiers),
    'tiers', v_tiers);
END $$;

-- Runbook 000 section 3 (command cleanup_expired_ticket_holds {event_id}):
-- the holds the stuck_holds rule counts (active, more than the grace past
-- expires_at) expire and their seats return to the tier.
CREATE OR REPLACE FUNCTION public.cleanup_expired_ticket_holds(p_event_id uuid, dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN jsonb_build_object('event_id', p_event_id, 'dry_run', dry_run)
         || walguard_worker.release_expired_holds(
              p_event_id, now() - walguard_worker.setting_interval('stuck_hold_grace'), dry_run);
END $$;

-- Runbook 000 section 2, the master fix (commands of tier_reserved_drift,
-- false_sold_out, negative_available): every hold of the event past its
-- expires_at expires, then each tier's reserved_quantity = Σ its active
-- holds and issued_quantity = its counting tickets. No grace here: what is
-- left reserved must be held by unexpired holds, or false_sold_out stays.
CREATE OR REPLACE FUNCTION public.reconcile_event_tickets(p_event_id uuid, dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_released jsonb;
  v_tiers jsonb;
BEGIN
  IF NOT dry_run THEN
    PERFORM walguard_worker.lock_event_tiers(p_event_id);
  END IF;
  v_released := walguard_worker.expire_holds(p_event_id, now(), dry_run);
  -- Applying, the expired holds are no longer 'active'; in a dry run they
  -- still are, and are left out of the recount by their expiry instead.
  WITH counts AS (
    SELECT t.id, t.reserved_quantity AS reserved_before, t.issued_quantity AS issued_before,
           (SELECT coalesce(sum(h.quantity), 0) FROM ticketing.ticket_holds h
            WHERE h.tier_id = t.id AND h.status = 'active'
              AND (NOT dry_run OR h.expires_at IS NULL OR h.expires_at >= now()))::int AS reserved_after,
           (SELECT count(*) FROM ticketing.tickets x
            WHERE x.tier_id = t.id AND x.status IS DISTINCT FROM 'void')::int AS issued_after
    FROM ticketing.ticket_tiers t WHERE t.event_id = p_event_id)
  SELECT coalesce(jsonb_agg(jsonb_build_object('tier_id', c.id, 'reserved_before', c.reserved_before,
                                               'reserved_after', c.reserved_after, 'issued_before',
                                               c.issued_before, 'issued_after', c.issued_after)
                            ORDER BY c.id), '[]')
  INTO v_tiers FROM counts c
  WHERE c.reserved_before IS DISTINCT FROM c.reserved_after OR c.issued_before IS DISTINCT FROM c.issued_after;
  IF NOT dry_run THEN
    UPDATE ticketing.ticket_tiers t
    SET reserved_quantity = x.reserved_after, issued_quantity = x.issued_after, updated_at = now()
    FROM jsonb_to_recordset(v_tiers) AS x(tier_id uuid, reserved_after int, issued_after int)
    WHERE t.id = x.tier_id;
  END IF;
  RETURN jsonb_build_object(
    'event_id', p_event_id, 'dry_run', dry_run,
    'holds_affected', (SELECT coalesce(sum(r.holds), 0) FROM jsonb_to_recordset(v_released) AS r(holds bigint)),
    'quantity_released',
    (SELECT coalesce(sum(r.quantity), 0) FROM jsonb_to_recordset(v_released) AS r(quantity bigint)),
    'tiers_updated', jsonb_array_length(v_tiers),
    'tiers', v_tiers);
END $$;

-- Runbook 000 section 12 (command of tier_issued_drift): the tier's
-- issued_quantity = its counting tickets.
CREATE OR REPLACE FUNCTION public.reconcile_issued_quantity(p_tier_id uuid, dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_before int;
  v_after int;
BEGIN
  IF dry_run THEN
    SELECT t.issued_quantity INTO v_before FROM ticketing.ticket_tiers t WHERE t.id = p_tier_id;
  ELSE
    SELECT t.issued_quantity INTO v_before FROM ticketing.ticket_tiers t WHERE t.id = p_tier_id FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('tier_id', p_tier_id, 'dry_run', dry_run, 'tiers_updated', 0, 'reason',
                              'tier_not_found');
  END IF;
  SELECT count(*) INTO v_after FROM ticketing.tickets x
  WHERE x.tier_id = p_tier_id AND x.status IS DISTINCT FROM 'void';
  IF NOT dry_run AND v_before IS DISTINCT FROM v_after THEN
    UPDATE ticketing.ticket_tiers t SET issued_quantity = v_after, updated_at = now() WHERE t.id = p_tier_id;
  END IF;
  RETURN jsonb_build_object('tier_id', p_tier_id, 'dry_run', dry_run,
                            'tiers_updated', CASE WHEN v_before IS DISTINCT FROM v_after THEN 1 ELSE 0 END,
                            'issued_before', v_before, 'issued_after', v_after);
END $$;

-- Runbook 000's expire-pending-orders job (command of stale_pending_orders):
-- orders pending longer than the timeout become 'expired'. The contract's
-- holds name no order, so the carts' holds are released the way the
-- cleanup job releases them: the event's holds past the stuck-hold grace.
CREATE OR REPLACE FUNCTION public.expire_pending_orders(p_event_id uuid, dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_cutoff timestamptz := now() - walguard_worker.setting_interval('pending_order_timeout');
  v_orders uuid[];
  v_holds jsonb;
BEGIN
  IF dry_run THEN
    SELECT coalesce(array_agg(o.id ORDER BY o.id), '{}') INTO v_orders FROM ticketing.orders o
    WHERE o.event_id = p_event_id AND o.status = 'pending' AND o.created_at < v_cutoff;
  ELSE
    -- Tiers first (the only locks waited for), then the orders: one being
    -- paid right now is skipped, its payment wins.
    PERFORM walguard_worker.lock_event_tiers(p_event_id);
    SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}') INTO v_orders FROM (
      SELECT o.id FROM ticketing.orders o
      WHERE o.event_id = p_event_id AND o.status = 'pending' AND o.created_at < v_cutoff
      ORDER BY o.id FOR UPDATE SKIP LOCKED) s;
    UPDATE ticketing.orders o SET status = 'expired' WHERE o.id = ANY (v_orders);
  END IF;
  v_holds := walguard_worker.release_expired_holds(
               p_event_id, now() - walguard_worker.setting_interval('stuck_hold_grace'), dry_run);
  RETURN jsonb_build_object('event_id', p_event_id, 'dry_run', dry_run,
                            'orders_affected', cardinality(v_orders), 'order_ids', to_jsonb(v_orders),
                            'holds_affected', v_holds -> 'holds_affected',
                            'quantity_released', v_holds -> 'quantity_released',
                            'tiers_updated', v_holds -> 'tiers_updated', 'tiers', v_holds -> 'tiers');
END $$;

-- Runbook 000 section 4.2's ensure-tickets (command of paid_without_tickets):
-- a paid order gets, per tier, the tickets its items call for beyond the
-- counting ones it has; each tier's issued_quantity moves with them.
CREATE OR REPLACE FUNCTION public.ensure_tickets(p_order_id uuid, dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_status text;
  v_tiers jsonb;
BEGIN
  IF dry_run THEN
    SELECT o.status INTO v_status FROM ticketing.orders o WHERE o.id = p_order_id;
  ELSE
    SELECT o.status INTO v_status FROM ticketing.orders o WHERE o.id = p_order_id FOR UPDATE;
  END IF;
  IF NOT FOUND OR v_status IS DISTINCT FROM 'paid' THEN
    RETURN jsonb_build_object('order_id', p_order_id, 'dry_run', dry_run, 'tickets_created', 0, 'tiers_updated', 0,
                              'reason', CASE WHEN NOT FOUND THEN 'order_not_found' ELSE 'order_not_paid' END,
                              'order_status', v_status);
  END IF;
  IF NOT dry_run THEN
    PERFORM 1 FROM ticketing.ticket_tiers t
    WHERE t.id IN (SELECT i.tier_id FROM ticketing.order_items i WHERE i.order_id = p_order_id)
    ORDER BY t.id FOR UPDATE;
  END IF;
  WITH wanted AS (
    SELECT i.tier_id, sum(i.quantity) AS quantity FROM ticketing.order_items i
    WHERE i.order_id = p_order_id GROUP BY i.tier_id),
  have AS (
    SELECT x.tier_id, count(*) AS tickets FROM ticketing.tickets x
    WHERE x.order_id = p_order_id AND x.status IS DISTINCT FROM 'void' GROUP BY x.tier_id),
  missing AS (
    SELECT w.tier_id, (w.quantity - coalesce(h.tickets, 0))::int AS n, t.issued_quantity
    FROM wanted w LEFT JOIN have h ON h.tier_id = w.tier_id JOIN ticketing.ticket_tiers t ON t.id = w.tier_id
    WHERE w.quantity > coalesce(h.tickets, 0))
  SELECT coalesce(jsonb_agg(jsonb_build_object('tier_id', m.tier_id, 'tickets_created', m.n, 'issued_before',
                                               m.issued_quantity, 'issued_after', m.issued_quantity + m.n)
                            ORDER BY m.tier_id), '[]')
  INTO v_tiers FROM missing m;
  IF NOT dry_run THEN
    INSERT INTO ticketing.tickets (id, order_id, tier_id, status, created_at)
    SELECT gen_random_uuid(), p_order_id, x.tier_id, 'issued', now()
    FROM jsonb_to_recordset(v_tiers) AS x(tier_id uuid, tickets_created int), generate_series(1, x.tickets_created);
    UPDATE ticketing.ticket_tiers t SET issued_quantity = t.issued_quantity + x.tickets_created, updated_at = now()
    FROM jsonb_to_recordset(v_tiers) AS x(tier_id uuid, tickets_created int)
    WHERE t.id = x.tier_id;
  END IF;
  RETURN jsonb_build_object(
    'order_id', p_order_id, 'dry_run', dry_run,
    'tickets_created',
    (SELECT coalesce(sum(x.tickets_created), 0) FROM jsonb_to_recordset(v_tiers) AS x(tickets_created int)),
    'tiers_updated', jsonb_array_length(v_tiers), 'tiers', v_tiers);
END $$;

-- The nights of one unit from p_from_date on that are overbooked: more
-- active reservations than the allotment (1 without a calendar row), or
-- bookings_count + temp_holds over it (runbook 002's own check). Shared by
-- the dry run and the apply of block_unit_availability.
CREATE OR REPLACE FUNCTION walguard_worker.overbooked_nights(p_unit_id uuid, p_from_date date)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH nights AS (
    SELECT r.check_in + k AS date, count(*) AS active
    FROM reserve.reservations r, generate_series(0, r.check_out - r.check_in - 1) AS k
    WHERE r.unit_id = p_unit_id AND r.status IN ('host_commit_pending', 'confirmed', 'checked_in')
      AND r.check_out > p_from_date
    GROUP BY 1),
  cal AS (
    SELECT c.date, c.allotment, c.bookings_count, c.temp_holds, c.is_available, c.is_blocked
    FROM reserve.availability_calendar c WHERE c.unit_id = p_unit_id AND c.date >= p_from_date),
  dates AS (
    SELECT coalesce(c.date, n.date) AS date, coalesce(n.active, 0) AS active, c.date IS NULL AS no_row,
           coalesce(c.allotment, 1) AS allotment, coalesce(c.bookings_count, 0) + coalesce(c.temp_holds, 0) AS counted,
           coalesce(c.is_blocked, false) AND NOT coalesce(c.is_available, true) AS blocked
    FROM cal c FULL JOIN nights n ON n.date = c.date)
  SELECT coalesce(jsonb_agg(jsonb_build_object('date', d.date, 'active', d.active, 'allotment', d.allotment,
                                               'no_row', d.no_row, 'blocked', d.blocked) ORDER BY d.date), '[]')
  FROM dates d
  WHERE d.date >= p_from_date AND (d.active > d.allotment OR d.counted > d.allotment);
$$;

-- Runbook 002, overbooking step 1 "Stop New Bookings" (command of
-- overbooking and calendar_overcommitted): each overbooked night from
-- p_from_date on is blocked (is_blocked, not is_available); a night without
-- a calendar row gets one, counting its active reservations. Which stay to
-- move or cancel stays a person's call: the alert resolves only then.
CREATE OR REPLACE FUNCTION reserve.block_unit_availability(p_unit_id uuid, p_from_date date,
                                                           dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_nights jsonb;
  v_dates jsonb;
BEGIN
  IF NOT dry_run THEN
    PERFORM walguard_worker.lock_unit(p_unit_id);
    PERFORM 1 FROM reserve.availability_calendar c
    WHERE c.unit_id = p_unit_id AND c.date >= p_from_date ORDER BY c.date FOR UPDATE;
  END IF;
  v_nights := walguard_worker.overbooked_nights(p_unit_id, p_from_date);
  SELECT coalesce(jsonb_agg(n -> 'date' ORDER BY n ->> 'date'), '[]') INTO v_dates
  FROM jsonb_array_elements(v_nights) n WHERE NOT (n ->> 'blocked')::boolean;
  IF NOT dry_run THEN
    INSERT INTO reserve.availability_calendar AS c
      (unit_id, date, allotment, bookings_count, temp_holds, is_available, is_blocked)
    SELECT p_unit_id, x.date, x.allotment, x.active, 0, false, true
    FROM jsonb_to_recordset(v_nights) AS x(date date, active int, allotment int, blocked boolean)
    WHERE NOT x.blocked
    ON CONFLICT (unit_id, date) DO UPDATE SET is_available = false, is_blocked = true;
  END IF;
  RETURN jsonb_build_object('unit_id', p_unit_id, 'from_date', p_from_date, 'dry_run', dry_run,
                            'dates_blocked', jsonb_array_length(v_dates), 'dates', v_dates,
                            'overbooked_dates', jsonb_array_length(v_nights));
END $$;

-- Runbook 002, overbooking step 4 for one night (command of calendar_drift):
-- bookings_count = the active reservations on that date, is_available
-- recomputed as the runbook does (and kept false while the date is blocked).
CREATE OR REPLACE FUNCTION reserve.recalculate_availability(p_unit_id uuid, p_date date,
                                                            dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_before int;
  v_after int;
BEGIN
  IF dry_run THEN
    SELECT c.bookings_count INTO v_before FROM reserve.availability_calendar c
    WHERE c.unit_id = p_unit_id AND c.date = p_date;
  ELSE
    PERFORM walguard_worker.lock_unit(p_unit_id);
    SELECT c.bookings_count INTO v_before FROM reserve.availability_calendar c
    WHERE c.unit_id = p_unit_id AND c.date = p_date FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('unit_id', p_unit_id, 'date', p_date, 'dry_run', dry_run, 'rows_updated', 0,
                              'reason', 'no_calendar_row');
  END IF;
  SELECT count(*) INTO v_after FROM reserve.reservations r
  WHERE r.unit_id = p_unit_id AND r.status IN ('host_commit_pending', 'confirmed', 'checked_in')
    AND r.check_in <= p_date AND p_date < r.check_out;
  IF NOT dry_run AND v_before IS DISTINCT FROM v_after THEN
    UPDATE reserve.availability_calendar c
    SET bookings_count = v_after,
        is_available = NOT coalesce(c.is_blocked, false) AND v_after + coalesce(c.temp_holds, 0) < c.allotment
    WHERE c.unit_id = p_unit_id AND c.date = p_date;
  END IF;
  RETURN jsonb_build_object('unit_id', p_unit_id, 'date', p_date, 'dry_run', dry_run,
                            'rows_updated', CASE WHEN v_before IS DISTINCT FROM v_after THEN 1 ELSE 0 END,
                            'bookings_count_before', v_before, 'bookings_count_after', v_after);
END $$;

-- Runbook 002 "Payment succeeded but no reservation" (command of
-- payment_without_reservation), the runbook's own name and parameters: the
-- succeeded payment's booking intent gets its reservation ('confirmed', the
-- intent's dates), the calendar counts it, the intent is 'converted' and the
-- webhook, when named, 'completed'. The reservation id derives from the
-- payment, so the dry run names the row the apply creates. Refused, not
-- overbooked, when a night is taken or blocked.
CREATE OR REPLACE FUNCTION reserve.finalize_reservation(p_payment_id uuid, p_webhook_id uuid DEFAULT NULL,
                                                        dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_payment_status text;
  v_intent_id uuid;
  v_unit uuid;
  v_in date;
  v_out date;
  v_existing uuid;
  v_taken jsonb;
  v_id uuid := md5('walguard:finalize_reservation:' || p_payment_id::text)::uuid;
  v_report jsonb := jsonb_build_object('payment_id', p_payment_id, 'dry_run', dry_run, 'reservations_created', 0);
BEGIN
  SELECT p.status, p.booking_intent_id INTO v_payment_status, v_intent_id
  FROM reserve.payments p WHERE p.id = p_payment_id;
  IF NOT FOUND OR v_payment_status IS DISTINCT FROM 'succeeded' THEN
    RETURN v_report || jsonb_build_object(
      'reason', CASE WHEN NOT FOUND THEN 'payment_not_found' ELSE 'payment_not_succeeded' END,
      'payment_status', v_payment_status);
  END IF;
  SELECT i.unit_id INTO v_unit FROM reserve.booking_intents i WHERE i.id = v_intent_id;
  IF NOT FOUND THEN
    RETURN v_report || jsonb_build_object('reason', 'booking_intent_not_found', 'booking_intent_id', v_intent_id);
  END IF;
  IF NOT dry_run THEN
    -- The unit's lock before the intent's row, as a booking takes them.
    PERFORM walguard_worker.lock_unit(v_unit);
    PERFORM 1 FROM reserve.booking_intents i WHERE i.id = v_intent_id AND i.unit_id = v_unit FOR UPDATE;
    IF NOT FOUND THEN
      -- Moved to another unit since read: the caller retries with the new one.
      RAISE EXCEPTION 'booking intent % changed units while being finalized', v_intent_id
        USING ERRCODE = 'serialization_failure';
    END IF;
  END IF;
  SELECT i.unit_id, i.check_in, i.check_out INTO v_unit, v_in, v_out
  FROM reserve.booking_intents i WHERE i.id = v_intent_id;
  v_report := v_report || jsonb_build_object('booking_intent_id', v_intent_id, 'unit_id', v_unit,
                                             'check_in', v_in, 'check_out', v_out);
  SELECT r.id INTO v_existing FROM reserve.reservations r WHERE r.booking_intent_id = v_intent_id ORDER BY r.id LIMIT 1;
  IF FOUND THEN
    RETURN v_report || jsonb_build_object('reason', 'reservation_exists', 'reservation_id', v_existing);
  END IF;
  IF NOT dry_run THEN
    PERFORM 1 FROM reserve.availability_calendar c
    WHERE c.unit_id = v_unit AND c.date >= v_in AND c.date < v_out ORDER BY c.date FOR UPDATE;
  END IF;
  SELECT coalesce(jsonb_agg(d.date ORDER BY d.date), '[]') INTO v_taken
  FROM (SELECT v_in + k AS date FROM generate_series(0, v_out - v_in - 1) AS k) d
  LEFT JOIN reserve.availability_calendar c ON c.unit_id = v_unit AND c.date = d.date
  WHERE coalesce(c.is_blocked, false)
     OR (SELECT count(*) FROM reserve.reservations r
         WHERE r.unit_id = v_unit AND r.status IN ('host_commit_pending', 'confirmed', 'checked_in')
           AND r.check_in <= d.date AND d.date < r.check_out) >= coalesce(c.allotment, 1);
  IF jsonb_array_length(v_taken) > 0 THEN
    RETURN v_report || jsonb_build_object('reason', 'unit_unavailable', 'unavailable_dates', v_taken);
  END IF;
  IF NOT dry_run THEN
    INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status)
    VALUES (v_id, v_intent_id, v_unit, v_in, v_out, 'confirmed');
    INSERT INTO reserve.availability_calendar AS c
      (unit_id, date, allotment, bookings_count, temp_holds, is_available, is_blocked)
    SELECT v_unit, v_in + k, 1, 1, 0, false, false FROM generate_series(0, v_out - v_in - 1) AS k
    ON CONFLICT (unit_id, date) DO UPDATE
    SET bookings_count = c.bookings_count + 1,
        is_available = NOT coalesce(c.is_blocked, false)
                       AND c.bookings_count + 1 + coalesce(c.temp_holds, 0) < c.allotment;
    UPDATE reserve.booking_intents i SET status = 'converted'
    WHERE i.id = v_intent_id AND i.status IS DISTINCT FROM 'converted';
    IF p_webhook_id IS NOT NULL THEN
      UPDATE reserve.processed_webhooks w SET status = 'completed'
      WHERE w.id = p_webhook_id AND w.status IS DISTINCT FROM 'completed';
    END IF;
  END IF;
  RETURN v_report || jsonb_build_object('reservations_created', 1, 'reservation_id', v_id,
                                        'calendar_dates_updated', v_out - v_in, 'webhook_id', p_webhook_id);
END $$;

-- Runbook 002 "Payment stuck in processing" / "PIX paid but not confirmed"
-- (command poll_payment_status): the worker cannot ask the provider, so it
-- records that someone (or something) must, in walguard_worker.provider_checks.
CREATE OR REPLACE FUNCTION reserve.request_payment_status_poll(p_payment_id uuid, dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_provider text;
  v_status text;
  v_check bigint;
BEGIN
  SELECT p.provider, p.status INTO v_provider, v_status FROM reserve.payments p WHERE p.id = p_payment_id;
  IF NOT FOUND OR coalesce(v_status, '') NOT IN ('pending', 'processing') THEN
    RETURN jsonb_build_object('payment_id', p_payment_id, 'dry_run', dry_run, 'checks_requested', 0,
                              'reason', CASE WHEN NOT FOUND THEN 'payment_not_found' ELSE 'payment_settled' END,
                              'provider', v_provider, 'status', v_status);
  END IF;
  IF NOT dry_run THEN
    INSERT INTO walguard_worker.provider_checks (payment_id, provider, status_at_request, requested_at)
    VALUES (p_payment_id, v_provider, v_status, now()) RETURNING id INTO v_check;
  END IF;
  RETURN jsonb_build_object('payment_id', p_payment_id, 'dry_run', dry_run, 'checks_requested', 1,
                            'provider', v_provider, 'status', v_status, 'check_id', v_check);
END $$;

-- Runbook 002 "Double charge", step 2 (command of double_charge, which
-- requires approval): the duplicate is marked 'refunded' and one balanced
-- ledger transaction reverses it (its id derives from the payment). The
-- money goes back through the provider, which only a person or the
-- provider's API can do: the report names it as external_action.
CREATE OR REPLACE FUNCTION reserve.refund_duplicate_charge(p_booking_intent_id uuid, p_payment_id uuid,
                                                           dry_run boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_intent uuid;
  v_status text;
  v_amount numeric;
  v_provider text;
  v_gateway text;
  v_found boolean;
  v_succeeded int;
  v_reason text;
  v_tx uuid := md5('walguard:refund_duplicate_charge:' || p_payment_id::text)::uuid;
  v_base jsonb := jsonb_build_object('booking_intent_id', p_booking_intent_id, 'payment_id', p_payment_id,
                                     'dry_run', dry_run);
BEGIN
  IF NOT dry_run THEN
    PERFORM 1 FROM reserve.payments p WHERE p.booking_intent_id = p_booking_intent_id ORDER BY p.id FOR UPDATE;
  END IF;
  SELECT p.booking_intent_id, p.status, p.amount, p.provider, p.gateway_payment_id
  INTO v_intent, v_status, v_amount, v_provider, v_gateway
  FROM reserve.payments p WHERE p.id = p_payment_id;
  v_found := FOUND;
  SELECT count(*) INTO v_succeeded FROM reserve.payments p
  WHERE p.booking_intent_id = p_booking_intent_id AND p.status = 'succeeded';
  v_reason := CASE
    WHEN NOT v_found THEN 'payment_not_found'
    WHEN v_intent IS DISTINCT FROM p_booking_intent_id THEN 'payment_not_of_booking_intent'
    WHEN v_status <> 'succeeded' THEN 'payment_not_succeeded'
    WHEN v_succeeded < 2 THEN 'not_a_duplicate'
  END;
  IF v_reason IS NOT NULL THEN
    RETURN v_base || jsonb_build_object('payments_refunded', 0, 'ledger_entries_written', 0, 'reason', v_reason,
                                        'payment_status', v_status, 'succeeded_payments', v_succeeded);
  END IF;
  IF NOT dry_run THEN
    UPDATE reserve.payments p SET status = 'refunded' WHERE p.id = p_payment_id;
    INSERT INTO reserve.ledger_entries (id, transaction_id, account, direction, amount, created_at)
    VALUES (md5(v_tx::text || ':debit')::uuid, v_tx, walguard_worker.setting('refund_debit_account'), 'debit',
            v_amount, now()),
           (md5(v_tx::text || ':credit')::uuid, v_tx, walguard_worker.setting('refund_credit_account'), 'credit',
            v_amount, now());
  END IF;
  RETURN v_base || jsonb_build_object(
    'payments_refunded', 1, 'amount', v_amount::text, 'ledger_entries_written', 2, 'ledger_transaction_id', v_tx,
    'external_action', jsonb_build_object('kind', 'provider_refund', 'provider', v_provider, 'payment_id',
                                          p_payment_id, 'gateway_payment_id', v_gateway, 'amount', v_amount::text));
END $$;

-- The role the worker connects as: it may run the functions above and keep
-- its own books, and nothing else. Created without a password (set one with
-- psql's \password, or admit it by certificate); an existing role is kept.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'walguard_worker') THEN
    CREATE ROLE walguard_worker WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO walguard_worker', current_database());
END
$$;

-- USAGE on a schema lets the role name the functions in it, not read its tables.
GRANT USAGE ON SCHEMA public, reserve, walguard_worker TO walguard_worker;
GRANT SELECT, INSERT ON walguard_worker.applied, walguard_worker.audit_log TO walguard_worker;
-- The worker claims a command_id (INSERT ... ON CONFLICT DO NOTHING), runs the
-- fix, then stores its report in that row, all in one transaction.
GRANT UPDATE (report) ON walguard_worker.applied TO walguard_worker;
GRANT USAGE ON SEQUENCE walguard_worker.audit_log_id_seq TO walguard_worker;

-- Functions are executable by PUBLIC by default: not these.
REVOKE ALL ON FUNCTION
  walguard_worker.setting(text), walguard_worker.setting_interval(text), walguard_worker.lock_event_tiers(uuid),
  walguard_worker.lock_unit(uuid), walguard_worker.expire_holds(uuid, timestamptz, boolean),
  walguard_worker.release_expired_holds(uuid, timestamptz, boolean),
  walguard_worker.overbooked_nights(uuid, date),
  public.cleanup_expired_ticket_holds(uuid, boolean), public.reconcile_event_tickets(uuid, boolean),
  public.reconcile_issued_quantity(uuid, boolean), public.expire_pending_orders(uuid, boolean),
  public.ensure_tickets(uuid, boolean), reserve.block_unit_availability(uuid, date, boolean),
  reserve.recalculate_availability(uuid, date, boolean), reserve.finalize_reservation(uuid, uuid, boolean),
  reserve.request_payment_status_poll(uuid, boolean), reserve.refund_duplicate_charge(uuid, uuid, boolean)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  public.cleanup_expired_ticket_holds(uuid, boolean), public.reconcile_event_tickets(uuid, boolean),
  public.reconcile_issued_quantity(uuid, boolean), public.expire_pending_orders(uuid, boolean),
  public.ensure_tickets(uuid, boolean), reserve.block_unit_availability(uuid, date, boolean),
  reserve.recalculate_availability(uuid, date, boolean), reserve.finalize_reservation(uuid, uuid, boolean),
  reserve.request_payment_status_poll(uuid, boolean), reserve.refund_duplicate_charge(uuid, uuid, boolean)
TO walguard_worker;

COMMIT;
