#!/usr/bin/env bash
# Polling baseline: what a monitor that polls the runbooks' own SQL checks
# (bench/polling/checks.sql) pays per evaluation, against the same database
# at the same size, beside what walguard pays per commit to keep the same
# verdicts current.
#
#   bash bench/polling_baseline.sh              # ROWS=1000000, REPS=5, RATE=200, DURATION=20
#
# The database: ROWS row changes of the drain workload, loaded before
# walguard's slot exists (bench/lib/loaded_db.sh). Polling: REPS evaluations
# of all the checks in one REPEATABLE READ transaction (psql, wall time per
# evaluation; it is the server's work, so also the Postgres backend's CPU).
# walguard: bootstrapped on the same database, then pgbench commits
# bench/latency/healthy.pgbench at RATE tx/s (3 commits each) for DURATION s
# while walguard streams; its CPU over that time / the commits it applied
# is its cost per commit. A poll's cost is paid every interval whatever the
# traffic; walguard's per commit, whatever the state size.
# Env: ROWS, REPS, RATE, DURATION, BUILD_DIR, SKIP_BUILD=1, SKIP_SETUP=1, KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
REPS=${REPS:-5}
RATE=${RATE:-200}
DURATION=${DURATION:-20}
WORK=$(mktemp -d /tmp/walguard-polling.XXXXXX)
chmod 0755 "$WORK"
source bench/lib/loaded_db.sh
pg_sql -f bench/latency/workload.sql >/dev/null

log "polling: $REPS evaluations of bench/polling/checks.sql"
: >"$WORK/poll.times"
for _ in $(seq 1 "$REPS"); do
  t0=$(now)
  pg_sql -o /dev/null -f bench/polling/checks.sql
  awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f\n", (b - a) * 1000}' >>"$WORK/poll.times"
done
POLL_MS=$(sort -n "$WORK/poll.times" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
FIRING=$(pg_sql -At -f bench/polling/checks.sql | grep -c . || true)

log "walguard: bootstrap, then pgbench at $RATE tx/s for ${DURATION}s"
start_walguard walguard
sleep 3
txns0=$({ grep -o 'txns=[0-9]*' "$WORK/walguard.log" || true; } | tail -n1 | cut -d= -f2); txns0=${txns0:-0}
cpu0=$(cpu_ticks "$WG_PID")
pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -c 4 -j 2 -T "$DURATION" -R "$RATE" \
  -f bench/latency/healthy.pgbench demo >"$WORK/pgbench.log" 2>&1 || die "pgbench: $(tail -n 5 "$WORK/pgbench.log")"
sleep 2
cpu1=$(cpu_ticks "$WG_PID")
COMMITS=$(( $(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.log") * 3 ))
stop_walguard
TXNS=$({ grep -o 'txns=[0-9]*' "$WORK/walguard.log" || true; } | tail -n1 | cut -d= -f2); TXNS=${TXNS:-0}
awk -v rows="$TRACKED_ROWS" -v poll="$POLL_MS" -v firing="$FIRING" -v c0="$cpu0" -v c1="$cpu1" -v tick="$TICK" \
    -v commits="$COMMITS" -v txns="$TXNS" -v t0="$txns0" 'BEGIN {
  cpu = (c1 - c0) / tick
  applied = txns - t0
  per_commit_us = applied > 0 ? cpu / applied * 1e6 : 0
  printf "\nrows in the monitored tables: %d; rules firing per the checks: %d\n", rows, firing
  printf "%-44s %14s\n", "measure", "value"
  printf "%-44s %14.1f\n", "polling: one evaluation of all checks, ms", poll
  printf "%-44s %14d\n", "walguard: commits applied during the load", applied
  printf "%-44s %14.1f\n", "walguard: CPU s during the load", cpu
  printf "%-44s %14.1f\n", "walguard: CPU us per commit", per_commit_us
  printf "%-44s %14.0f\n", "one poll = walguard CPU of N commits", (per_commit_us > 0 ? poll * 1000 / per_commit_us : 0)
  printf "(pgbench commits: %d; walguard txns counts heartbeats too)\n", commits
}'
printf 'machine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
