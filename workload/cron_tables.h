// Plain tables of pg_cron 1.4's shape in a `cron` schema, for databases
// without the extension: walguard and the SQL oracle read them exactly as
// they read pg_cron's own (CONTRACT 3.1), and a Workload over a database that
// has them drives cron jobs and runs too (cron_ops.cc). The columns walguard
// does not read are there so that the rows look like pg_cron's.
#pragma once

namespace walguard::workload {

inline constexpr char kPlainCronTables[] = R"SQL(
CREATE SCHEMA cron;
CREATE TABLE cron.job (
  jobid bigserial PRIMARY KEY, schedule text NOT NULL, command text NOT NULL,
  nodename text NOT NULL DEFAULT 'localhost', nodeport int NOT NULL DEFAULT 5432,
  database text NOT NULL DEFAULT current_database(), username text NOT NULL DEFAULT current_user,
  active boolean NOT NULL DEFAULT true, jobname name);
CREATE TABLE cron.job_run_details (
  jobid bigint, runid bigserial PRIMARY KEY, job_pid int, database text, username text, command text,
  status text, return_message text, start_time timestamptz, end_time timestamptz);
)SQL";

}  // namespace walguard::workload
