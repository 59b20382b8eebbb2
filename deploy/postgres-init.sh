#!/usr/bin/env bash
# First start of the compose stack's Postgres (docker-entrypoint-initdb.d):
# the contract's schemas, walguard's role and grants, the runbook functions
# and the worker's role, as README "Deployment" describes. The demo's
# incidents are not loaded: play them with `psql -f sql/demo/...`.
# Passwords come from the environment (docker-compose.yml), never a file.
set -euo pipefail
: "${WALGUARD_PG_PASSWORD:?}" "${WALGUARD_WORKER_PG_PASSWORD:?}"

run_sql() { psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" "$@"; }

run_sql -f /walguard-sql/ticketing_schema.sql -f /walguard-sql/reserve_schema.sql
run_sql -f /walguard-sql/walguard_role.sql -f /walguard-sql/walguard_grants.sql
run_sql -f /walguard-sql/runbook/install.sql
# psql variables, quoted by psql (:'name'): a password is never spliced into SQL text.
run_sql -v pw="$WALGUARD_PG_PASSWORD" -v worker_pw="$WALGUARD_WORKER_PG_PASSWORD" <<'SQL'
ALTER ROLE walguard PASSWORD :'pw';
ALTER ROLE walguard_worker PASSWORD :'worker_pw';
SQL
# pg_hba.conf needs nothing more: walguard's logical replication connection
# (replication=database) matches the image's "host all all all" line.
