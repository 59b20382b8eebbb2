# Sourced by bench/footprint.sh and bench/polling_baseline.sh: a throwaway
# PostgreSQL 15 holding ROWS row changes of bench/drain_workload.sql's
# workload (committed before walguard's slot exists, so walguard reads them
# in its bootstrap snapshot), the embedded broker, and walguard started on
# it. Needs ROOT, BUILD_DIR, WORK; sets WALGUARD, PG_*, BOOT, WG_PID,
# SNAPSHOT_S, TRACKED_ROWS; defines log, die, now, start_walguard, stop_walguard.
WALGUARD=$BUILD_DIR/walguard
PIDS=()
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
now() { echo "${EPOCHREALTIME/,/.}"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
status_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }  # status_kb PID VmRSS
TICK=$(getconf CLK_TCK)

if [ "${SKIP_SETUP:-0}" != 1 ]; then bash scripts/setup.sh >&2; fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DWALGUARD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target walguard >&2
fi
[ -x "$WALGUARD" ] || die "no binary at $WALGUARD"

source scripts/lib/throwaway_pg.sh
source bench/lib/load_workload.sh
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 100 row changes per transaction, as the drain benchmark (7k+1 + 5j).
ROWS=${ROWS:-1000000}
K=7; J=10; PER_TXN=$(( 7 * K + 1 + 5 * J ))
NTXN=$(( (ROWS + PER_TXN - 1) / PER_TXN ))
log "starting a throwaway PostgreSQL 15, loading $NTXN transactions x $PER_TXN row changes"
pg_start
pg_sql -c "ALTER SYSTEM SET synchronous_commit = off" -c "ALTER SYSTEM SET autovacuum = off" \
       -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
pg_sql -f sql/ticketing_schema.sql -f sql/reserve_schema.sql -f bench/drain_workload.sql
pg_sql -c "CALL bench.setup(10)"
load_workload "$NTXN" "$K" "$J" 5 "$WORK/load.log" || die "load: $(cat "$WORK/load.log")"
pg_sql -c "VACUUM ANALYZE" >/dev/null
TRACKED_ROWS=$(pg_sql -At -c "SELECT (SELECT count(*) FROM ticketing.ticket_tiers) + (SELECT count(*) FROM ticketing.ticket_holds)
  + (SELECT count(*) FROM ticketing.orders) + (SELECT count(*) FROM ticketing.order_items)
  + (SELECT count(*) FROM ticketing.tickets) + (SELECT count(*) FROM reserve.payments)
  + (SELECT count(*) FROM reserve.reservations) + (SELECT count(*) FROM reserve.ledger_entries)
  + (SELECT count(*) FROM reserve.availability_calendar) + (SELECT count(*) FROM reserve.processed_webhooks)")
log "loaded: $TRACKED_ROWS rows in the monitored tables"

"$WALGUARD" broker >"$WORK/broker.out" 2>"$WORK/broker.log" &
PIDS+=("$!")
for _ in $(seq 1 100); do grep -q '^bootstrap=' "$WORK/broker.out" && break; sleep 0.1; done
BOOT=$(sed -n 's/^bootstrap=//p' "$WORK/broker.out" | head -n1)
[ -n "$BOOT" ] || die "broker printed no bootstrap line: $(cat "$WORK/broker.log")"
: >"$WORK/walguard.toml"

start_walguard() {  # start_walguard LOGNAME: starts, waits for "streaming from slot"; sets WG_PID, STARTED_S
  local t0; t0=$(now)
  "$WALGUARD" run --config "$WORK/walguard.toml" --pg "$PG_CONNINFO" --brokers "$BOOT" --slot wg \
    --state-dir "$WORK/state" 2>"$WORK/$1.log" &
  WG_PID=$!
  PIDS+=("$WG_PID")
  for _ in $(seq 1 36000); do
    grep -q "streaming from slot" "$WORK/$1.log" && break
    kill -0 "$WG_PID" 2>/dev/null || die "walguard exited: $(tail -n 5 "$WORK/$1.log")"
    sleep 0.02
  done
  STARTED_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}')
}
stop_walguard() { kill -TERM "$WG_PID"; wait "$WG_PID" || true; }
