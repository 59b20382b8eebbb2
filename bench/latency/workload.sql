-- Workload of bench/latency.sh: healthy traffic for pgbench (one function
-- per source transaction, random ids so runs never collide) and the
-- incident injector.
--
-- One pgbench transaction (bench/latency/healthy.pgbench) = three source
-- commits: bench.checkout() (hold, pending order, item, order -> paid,
-- hold -> converted, 2 tickets, tier counters), bench.booking() (pending
-- payment -> succeeded, reservation) and bench.ledger_write() (a balanced
-- debit/credit pair). None breaks an invariant.
--
-- bench.inject(n, every_ms) commits n two-row ledger imbalances (credit
-- 10 % short), one every every_ms: each fires one ledger_imbalance alert,
-- whose commit_time the consumer subtracts from its receipt time.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE PROCEDURE bench.setup(n_events int)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticketing.events (id, title, starts_at)
  SELECT md5('event' || e)::uuid, 'Latency event ' || e, now() + interval '30 days'
  FROM generate_series(1, n_events) e;
  -- Huge quantities: no high_reserved / negative_available / false_sold_out.
  INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity)
  SELECT md5('tier' || e || '-' || t)::uuid, md5('event' || e)::uuid,
         CASE t WHEN 1 THEN 'General Admission' ELSE 'VIP' END, 4500 * t, 100000000
  FROM generate_series(1, n_events) e, generate_series(1, 2) t;
END $$;

CREATE OR REPLACE FUNCTION bench.checkout() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  t record;
  h uuid := gen_random_uuid();
  o uuid := gen_random_uuid();
  u uuid := gen_random_uuid();
BEGIN
  SELECT id, event_id, price_cents INTO t FROM ticketing.ticket_tiers ORDER BY random() LIMIT 1;
  INSERT INTO ticketing.ticket_holds (id, tier_id, user_id, quantity, status, created_at, expires_at)
  VALUES (h, t.id, u, 2, 'active', now(), now() + interval '15 minutes');
  INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at)
  VALUES (o, t.event_id, u, 'pending', 2 * t.price_cents, now() - interval '1 minute');
  INSERT INTO ticketing.order_items (id, order_id, tier_id, quantity, unit_price_cents)
  VALUES (gen_random_uuid(), o, t.id, 2, t.price_cents);
  UPDATE ticketing.orders SET status = 'paid', paid_at = now() WHERE id = o;
  UPDATE ticketing.ticket_holds SET status = 'converted' WHERE id = h;
  INSERT INTO ticketing.tickets (id, order_id, tier_id, status, qr_code, created_at)
  SELECT gen_random_uuid(), o, t.id, 'issued', 'QR-' || gen_random_uuid(), now() FROM generate_series(1, 2);
  UPDATE ticketing.ticket_tiers SET issued_quantity = issued_quantity + 2, updated_at = now() WHERE id = t.id;
END $$;

CREATE OR REPLACE FUNCTION bench.booking() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  p uuid := gen_random_uuid();
  bi uuid := gen_random_uuid();
  amount numeric := (150 + floor(random() * 850))::numeric + 0.90;
BEGIN
  INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, gateway_payment_id, created_at)
  VALUES (p, bi, 'stripe', 'card', 'pending', amount, 'gw_' || p, now());
  UPDATE reserve.payments SET status = 'succeeded', succeeded_at = now() WHERE id = p;
  -- A unit per booking: never an overbooking.
  INSERT INTO reserve.reservations (id, booking_intent_id, confirmation_code, unit_id, check_in, check_out, status, payment_status)
  VALUES (gen_random_uuid(), bi, 'RES-' || p, gen_random_uuid(), date '2027-01-01', date '2027-01-04', 'confirmed', 'paid');
END $$;

CREATE OR REPLACE FUNCTION bench.ledger_write() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  lt uuid := gen_random_uuid();
  amount numeric := (150 + floor(random() * 850))::numeric + 0.90;
BEGIN
  INSERT INTO reserve.ledger_entries (transaction_id, entry_type, account, direction, amount, description)
  VALUES (lt, 'booking', 'guest_receivable', 'debit', amount, 'bench'),
         (lt, 'booking', 'host_payable', 'credit', amount, 'bench');
END $$;

CREATE OR REPLACE PROCEDURE bench.inject(n int, every_ms int)
LANGUAGE plpgsql AS $$
DECLARE
  lt uuid;
BEGIN
  FOR i IN 1 .. n LOOP
    lt := gen_random_uuid();
    INSERT INTO reserve.ledger_entries (transaction_id, entry_type, account, direction, amount, description)
    VALUES (lt, 'booking', 'guest_receivable', 'debit', 100.00, 'bench incident'),
           (lt, 'booking', 'host_payable', 'credit', 90.00, 'bench incident');
    COMMIT;
    PERFORM pg_sleep(every_ms / 1000.0);
  END LOOP;
END $$;
