-- What the walguard role (sql/walguard_role.sql) may read in a monitored
-- database, and nothing else (README, "Least privilege and secrets"). Run in
-- that database, after its schemas exist, as their owner or a superuser:
--   psql -d app -f sql/walguard_grants.sql
-- Idempotent.
--
-- SELECT serves the first start's snapshot (and --resnapshot): the monitored
-- columns of these ten tables, read inside the slot's exported snapshot, and
-- of the two read only for alert context (ticketing.events,
-- reserve.booking_intents), granted when they exist: they are optional.
-- Streaming needs no table privilege at all: a REPLICATION role decodes the
-- WAL of every table in the database through its slot.
DO $$
BEGIN
  -- PUBLIC has CONNECT unless revoked; granting it keeps walguard working
  -- where it was.
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO walguard', current_database());
END
$$;
GRANT USAGE ON SCHEMA ticketing, reserve TO walguard;
GRANT SELECT ON ticketing.ticket_tiers, ticketing.ticket_holds, ticketing.orders, ticketing.order_items,
                ticketing.tickets, reserve.payments, reserve.reservations, reserve.ledger_entries,
                reserve.availability_calendar, reserve.processed_webhooks TO walguard;
-- Context only (CONTRACT 3.1): optional, so a database without them still works.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ticketing.events', 'reserve.booking_intents'] LOOP
    IF pg_catalog.to_regclass(t) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT ON %s TO walguard', t);
    END IF;
  END LOOP;
END
$$;

-- pg_cron's tables (CONTRACT 3.1: cron_job_failed, cron_job_slow,
-- cron_job_missed), where the extension is installed. pg_cron writes them in
-- the database named by `cron.database_name`: run this there, and point
-- walguard's slot at that database. cron.job has a row-level security policy
-- (each user sees only its own jobs), so the snapshot sees every job only when
-- the walguard role may bypass it: ALTER ROLE walguard BYPASSRLS (as a
-- superuser). Without it, jobs of other users count from the first change
-- streamed to them, which no policy filters.
DO $$
BEGIN
  IF to_regclass('cron.job') IS NOT NULL THEN
    GRANT USAGE ON SCHEMA cron TO walguard;
    GRANT SELECT (jobid, jobname, schedule, command, active) ON cron.job TO walguard;
    GRANT SELECT (runid, jobid, status, return_message, start_time, end_time) ON cron.job_run_details TO walguard;
  END IF;
END
$$;
