-- Workload of bench/drain_vs_recvlogical.sh: plain SQL, deterministic ids
-- (md5 of a counter), loaded into the demo schemas of sql/.
--
-- bench.setup(n_events) creates the catalog (events, 2 tiers each) BEFORE
-- the replication slots exist, so neither consumer streams it (walguard
-- reads it in its bootstrap snapshot).
--
-- bench.load(n_txn, k, j, fault_every) then commits n_txn transactions, each
--   ticketing: k checkouts  = k holds + k pending orders + k order_items
--              + k orders -> paid + k holds -> converted + 2k tickets
--              + 1 tier counter update                        = 7k + 1 changes
--   reserve:   j bookings   = j pending payments + j -> succeeded/failed
--              + j reservations + 2j ledger entries (debit/credit) = 5j changes
-- Every fault_every-th transaction breaks one invariant (cycling through six
-- kinds) without changing its row count, so walguard fires alerts:
--   paid_without_tickets (tickets written 'void', order paid 10 min ago),
--   revenue_mismatch (total_cents below the items), stuck_holds (hold left
--   active, expired an hour ago; tier reserved_quantity kept consistent),
--   ledger_imbalance (credit 15 % short), double_charge (two succeeded
--   payments on one booking intent), order_overissued (2 tickets, 1 item).
-- About 5 % of payments fail (below failed_payment_rate's 20 % threshold).
-- The UPDATEs name their rows by `id = ANY (ARRAY(...))`, an index lookup
-- whatever plan PL/pgSQL caches. Written as `IN (SELECT ...)` and a join,
-- the load time grew with the square of its size (1 M changes: 130-200 s,
-- then 48 s).
-- bench.load(n_txn, k, j, fault_every, first_txn) commits transactions
-- first_txn .. first_txn + n_txn - 1, so a load can be split into calls:
-- bench/lib/load_workload.sh calls it a chunk at a time, each from a new
-- session. One CALL of the whole load still grew superlinearly (3 M
-- changes: ~500 s) because the plans a session caches, PL/pgSQL's and the
-- foreign keys', are made while the tables are small (autovacuum is off);
-- calls of 2,000 transactions from fresh sessions load 10 M changes in
-- ~4 minutes (bench/RESULTS.md, eleventh session).
-- Ends with NOTICE 'bench: changes=... inserts=... updates=... txns=...
-- faults=... target=<pg_current_wal_insert_lsn() right after the last COMMIT>'.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE PROCEDURE bench.setup(n_events int)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticketing.events (id, title, starts_at)
  SELECT md5('event' || e)::uuid, 'Bench event ' || e, now() + interval '30 days'
  FROM generate_series(1, n_events) e;
  -- Huge quantities: no high_reserved / negative_available / false_sold_out.
  INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity)
  SELECT md5('tier' || e || '-' || t)::uuid, md5('event' || e)::uuid,
         CASE t WHEN 1 THEN 'General Admission' ELSE 'VIP' END, 4500 * t + 500 * (e % 7), 100000000
  FROM generate_series(1, n_events) e, generate_series(1, 2) t;
END $$;

CREATE OR REPLACE PROCEDURE bench.load(n_txn int, k int, j int, fault_every int, first_txn int DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  kinds constant text[] := ARRAY['paid_without_tickets', 'revenue_mismatch', 'stuck_holds',
                                 'ledger_imbalance', 'double_charge', 'order_overissued'];
  tier_ids uuid[]; event_ids uuid[]; prices int[];
  n_tiers int; i int; n bigint;
  ins bigint := 0; upd bigint := 0; faults int := 0;
  t_id uuid; e_id uuid; price int;
  fault text; fk int; fj int; u0 bigint; b0 bigint; issued int; stuck int;
BEGIN
  SELECT array_agg(id ORDER BY id), array_agg(event_id ORDER BY id), array_agg(price_cents ORDER BY id)
    INTO tier_ids, event_ids, prices FROM ticketing.ticket_tiers;
  n_tiers := array_length(tier_ids, 1);
  fk := least(2, k);  -- the checkout / booking a fault is applied to
  fj := least(2, j);
  FOR i IN first_txn .. first_txn + n_txn - 1 LOOP
    t_id := tier_ids[1 + i % n_tiers];
    e_id := event_ids[1 + i % n_tiers];
    price := prices[1 + i % n_tiers];
    fault := CASE WHEN fault_every > 0 AND i % fault_every = fault_every - 1
                  THEN kinds[1 + (i / fault_every) % 6] END;
    IF fault IS NOT NULL THEN faults := faults + 1; END IF;
    u0 := i::bigint * k;
    b0 := i::bigint * j;

    ---------------------------------------------------------------- ticketing
    INSERT INTO ticketing.ticket_holds (id, tier_id, user_id, quantity, status, created_at, expires_at)
    SELECT md5('h' || (u0 + g))::uuid, t_id, md5('user' || ((u0 + g) % 5000))::uuid, 2, 'active',
           now(), now() + interval '15 minutes'
    FROM generate_series(1, k) g;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, metadata, created_at)
    SELECT md5('o' || (u0 + g))::uuid, e_id, md5('user' || ((u0 + g) % 5000))::uuid, 'pending',
           CASE WHEN fault = 'revenue_mismatch' AND g = fk THEN price ELSE 2 * price END,
           jsonb_build_object('channel', CASE WHEN g % 3 = 0 THEN 'app' ELSE 'web' END, 'bench_txn', i),
           now() - interval '2 minutes'
    FROM generate_series(1, k) g;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    INSERT INTO ticketing.order_items (id, order_id, tier_id, quantity, unit_price_cents)
    SELECT md5('i' || (u0 + g))::uuid, md5('o' || (u0 + g))::uuid, t_id,
           CASE WHEN fault = 'order_overissued' AND g = fk THEN 1 ELSE 2 END,
           CASE WHEN fault = 'order_overissued' AND g = fk THEN 2 * price ELSE price END
    FROM generate_series(1, k) g;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    UPDATE ticketing.orders o
       SET status = 'paid',
           paid_at = CASE WHEN fault = 'paid_without_tickets' AND o.id = md5('o' || (u0 + fk))::uuid
                          THEN now() - interval '10 minutes' ELSE now() END
     WHERE o.id = ANY (ARRAY(SELECT md5('o' || (u0 + g))::uuid FROM generate_series(1, k) g));
    GET DIAGNOSTICS n = ROW_COUNT; upd := upd + n;

    UPDATE ticketing.ticket_holds h
       SET status = CASE WHEN fault = 'stuck_holds' AND h.id = md5('h' || (u0 + fk))::uuid
                         THEN 'active' ELSE 'converted' END,
           expires_at = CASE WHEN fault = 'stuck_holds' AND h.id = md5('h' || (u0 + fk))::uuid
                             THEN now() - interval '1 hour' ELSE h.expires_at END
     WHERE h.id = ANY (ARRAY(SELECT md5('h' || (u0 + g))::uuid FROM generate_series(1, k) g));
    GET DIAGNOSTICS n = ROW_COUNT; upd := upd + n;

    INSERT INTO ticketing.tickets (id, order_id, tier_id, status, qr_code, created_at)
    SELECT md5('t' || (u0 + g) || '-' || s)::uuid, md5('o' || (u0 + g))::uuid, t_id,
           CASE WHEN fault = 'paid_without_tickets' AND g = fk THEN 'void' ELSE 'issued' END,
           'QR-' || md5('qr' || (u0 + g) || '-' || s), now()
    FROM generate_series(1, k) g, generate_series(1, 2) s;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    issued := 2 * k - CASE WHEN fault = 'paid_without_tickets' THEN 2 ELSE 0 END;
    stuck := CASE WHEN fault = 'stuck_holds' THEN 2 ELSE 0 END;
    UPDATE ticketing.ticket_tiers
       SET issued_quantity = issued_quantity + issued, reserved_quantity = reserved_quantity + stuck,
           updated_at = now()
     WHERE id = t_id;
    GET DIAGNOSTICS n = ROW_COUNT; upd := upd + n;

    ------------------------------------------------------------------ reserve
    -- Units are reused (2000 of them) on non-overlapping stays: no overbooking.
    INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, gateway_payment_id, created_at)
    SELECT md5('p' || (b0 + g))::uuid,
           md5('bi' || (b0 + g - CASE WHEN fault = 'double_charge' AND g = fj AND g > 1 THEN 1 ELSE 0 END))::uuid,
           (ARRAY['stripe', 'mercadopago', 'openpix'])[1 + (b0 + g) % 3],
           CASE WHEN (b0 + g) % 4 = 0 THEN 'pix' ELSE 'card' END, 'pending',
           (150 + (b0 + g) % 850)::numeric + 0.90, 'gw_' || (b0 + g), now()
    FROM generate_series(1, j) g;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    UPDATE reserve.payments p
       SET status = CASE WHEN x.failed THEN 'failed' ELSE 'succeeded' END,
           error_code = CASE WHEN x.failed THEN 'card_declined' END,
           succeeded_at = CASE WHEN x.failed THEN NULL ELSE now() END
      FROM (SELECT md5('p' || (b0 + g))::uuid AS id,
                   (b0 + g) % 20 = 7 AND NOT (fault IS NOT DISTINCT FROM 'double_charge' AND g IN (fj - 1, fj)) AS failed
              FROM generate_series(1, j) g) x
     WHERE p.id = x.id AND p.id = ANY (ARRAY(SELECT md5('p' || (b0 + g))::uuid FROM generate_series(1, j) g));
    GET DIAGNOSTICS n = ROW_COUNT; upd := upd + n;

    INSERT INTO reserve.reservations (id, booking_intent_id, confirmation_code, unit_id, check_in, check_out, status, payment_status)
    SELECT md5('r' || (b0 + g))::uuid,
           md5('bi' || (b0 + g - CASE WHEN fault = 'double_charge' AND g = fj AND g > 1 THEN 1 ELSE 0 END))::uuid,
           'RES-' || (b0 + g), md5('unit' || ((b0 + g) % 2000))::uuid,
           date '2027-01-01' + ((b0 + g) / 2000)::int * 4, date '2027-01-01' + ((b0 + g) / 2000)::int * 4 + 3,
           CASE WHEN (b0 + g) % 20 = 7 AND NOT (fault IS NOT DISTINCT FROM 'double_charge' AND g IN (fj - 1, fj))
                THEN 'cancelled' ELSE 'confirmed' END,
           CASE WHEN (b0 + g) % 20 = 7 AND NOT (fault IS NOT DISTINCT FROM 'double_charge' AND g IN (fj - 1, fj))
                THEN 'failed' ELSE 'paid' END
    FROM generate_series(1, j) g;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    INSERT INTO reserve.ledger_entries (id, transaction_id, entry_type, account, direction, amount, description)
    SELECT md5('l' || (b0 + g) || '-' || s)::uuid, md5('lt' || (b0 + g))::uuid, 'booking',
           CASE s WHEN 1 THEN 'guest_receivable' ELSE 'host_payable' END,
           CASE s WHEN 1 THEN 'debit' ELSE 'credit' END,
           round(((150 + (b0 + g) % 850)::numeric + 0.90)
                 * CASE WHEN s = 2 AND fault = 'ledger_imbalance' AND g = fj THEN 0.85 ELSE 1 END, 2),
           'stay RES-' || (b0 + g)
    FROM generate_series(1, j) g, generate_series(1, 2) s;
    GET DIAGNOSTICS n = ROW_COUNT; ins := ins + n;

    COMMIT;
  END LOOP;
  RAISE NOTICE 'bench: changes=% inserts=% updates=% txns=% faults=% target=%',
    ins + upd, ins, upd, n_txn, faults, pg_current_wal_insert_lsn();
END $$;
