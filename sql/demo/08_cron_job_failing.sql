-- pg_cron health (CONTRACT 3.1, runbook 000 section 5): the holds cleanup job
-- fails. Simulated: the demo's Postgres does not preload pg_cron, so these are
-- plain tables of pg_cron 1.4's shape in a `cron` schema, which walguard reads
-- exactly as it reads the extension's (tests/integration/pg_cron_test.cc runs
-- the real extension). Created after walguard started: streaming needs no
-- privilege on them.
CREATE SCHEMA IF NOT EXISTS cron;
CREATE TABLE IF NOT EXISTS cron.job (
  jobid bigserial PRIMARY KEY, schedule text NOT NULL, command text NOT NULL,
  nodename text NOT NULL DEFAULT 'localhost', nodeport int NOT NULL DEFAULT 5432,
  database text NOT NULL DEFAULT current_database(), username text NOT NULL DEFAULT current_user,
  active boolean NOT NULL DEFAULT true, jobname name);
CREATE TABLE IF NOT EXISTS cron.job_run_details (
  jobid bigint, runid bigserial PRIMARY KEY, job_pid int, database text, username text, command text,
  status text, return_message text, start_time timestamptz, end_time timestamptz);

INSERT INTO cron.job (jobid, jobname, schedule, command)
VALUES (1, 'cleanup-expired-ticket-holds', '*/5 * * * *', 'SELECT ticketing.cleanup_expired_ticket_holds()');
-- The run as pg_cron writes it: inserted 'starting', then 'running' with a
-- start time, then finished.
INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username, command, status)
VALUES (1, 1, 4242, current_database(), current_user, 'SELECT ticketing.cleanup_expired_ticket_holds()', 'starting');
UPDATE cron.job_run_details SET status = 'running', start_time = now() WHERE runid = 1;
UPDATE cron.job_run_details
SET status = 'failed', end_time = now() + interval '40 ms',
    return_message = 'ERROR:  could not obtain lock on row in relation "ticket_holds"'
WHERE runid = 1;
