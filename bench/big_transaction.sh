#!/usr/bin/env bash
# Bulk-transaction benchmark: ONE source transaction of ROWS inserted
# ticket_holds (a backfill), drained by `walguard run` and, for reference, by
# pg_recvlogical through the same plugin and options into /dev/null, in the
# same run. Prints the peak RSS (time -v's maximum resident set) and the time
# of each, and walguard's ratio. walguard applies a transaction past
# `[state] transaction_spill_bytes` in parts (state/partial_transaction.h):
# its peak must not grow with ROWS.
#
#   bash bench/big_transaction.sh                 # ROWS=10000000
#   ROWS=1000000 bash bench/big_transaction.sh
#   ROWS=1000000 SPILL=0 bash bench/big_transaction.sh   # the whole-transaction path, for comparison
#
# Env: ROWS (default 10000000), SPILL (transaction_spill_bytes; default:
# walguard's own default), BUILD_DIR (default <repo>/build-bench),
# SKIP_BUILD=1, SKIP_SETUP=1, KEEP=1 (keep the work directory), WG_TIMEOUT_S
# (default 3600).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROWS=${ROWS:-10000000}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
WALGUARD=$BUILD_DIR/walguard
MONITORED="ticketing.ticket_tiers,ticketing.ticket_holds,ticketing.orders,ticketing.order_items,ticketing.tickets,reserve.payments,reserve.reservations,reserve.ledger_entries,reserve.availability_calendar,reserve.processed_webhooks"
TIER_KEPT=75000000-0000-4000-8000-0000000000b1
TIER_DRIFTING=75000000-0000-4000-8000-0000000000b2

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

if [ "${SKIP_SETUP:-0}" != 1 ]; then bash scripts/setup.sh >&2; fi
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALGUARD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target walguard >&2
fi
[ -x "$WALGUARD" ] || die "no binary at $WALGUARD"

source scripts/lib/throwaway_pg.sh
WORK=$(mktemp -d /tmp/walguard-bigtxn.XXXXXX)
chmod 0755 "$WORK"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "${EPOCHREALTIME/,/.}"; }
rss_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"; }
wall_s() {
  sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" |
    awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s}'
}

log "starting a throwaway PostgreSQL 15"
pg_start
PGCMD=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo)
pg_sql -c "ALTER SYSTEM SET autovacuum = off" -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
pg_sql -f sql/ticketing_schema.sql -f sql/reserve_schema.sql
pg_sql -c "INSERT INTO ticketing.events (id, title) VALUES ('e4000000-0000-4000-8000-0000000000b0', 'Backfill')" \
  -c "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity) VALUES
      ('$TIER_KEPT', 'e4000000-0000-4000-8000-0000000000b0', 'A', 1, 1000000000, 0),
      ('$TIER_DRIFTING', 'e4000000-0000-4000-8000-0000000000b0', 'B', 1, 1000000000, 0)"

log "starting the embedded Kafka broker"
"$WALGUARD" broker >"$WORK/broker.out" 2>"$WORK/broker.log" &
PIDS+=("$!")
for _ in $(seq 1 100); do grep -q '^bootstrap=' "$WORK/broker.out" && break; sleep 0.1; done
BOOT=$(sed -n 's/^bootstrap=//p' "$WORK/broker.out" | head -n1)
[ -n "$BOOT" ] || die "broker printed no bootstrap line: $(cat "$WORK/broker.log")"

{
  printf '[postgres]\nstatus_interval_ms = 100\n'
  [ -n "${SPILL:-}" ] && printf '[state]\ntransaction_spill_bytes = %s\n' "$SPILL"
} >"$WORK/walguard.toml"
WG_ARGS=(run --config "$WORK/walguard.toml" --pg "$PG_CONNINFO" --brokers "$BOOT" --slot wg --state-dir "$WORK/state")

log "creating slot 'ref' for pg_recvlogical and letting walguard create slot 'wg' (snapshot of the empty tables)"
pg_recvlogical -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo -S ref --create-slot -P wal2json
"$WALGUARD" "${WG_ARGS[@]}" 2>"$WORK/walguard-bootstrap.log" &
WG_PID=$!
PIDS+=("$WG_PID")
for _ in $(seq 1 300); do grep -q "streaming from slot" "$WORK/walguard-bootstrap.log" && break; sleep 0.1; done
grep -q "streaming from slot" "$WORK/walguard-bootstrap.log" || die "walguard did not start streaming"
kill -TERM "$WG_PID"; wait "$WG_PID" || true

log "one transaction inserting $ROWS ticket_holds"
T0=$(now)
"${PGCMD[@]}" <<SQL
BEGIN;
INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, expires_at)
  SELECT CASE WHEN g % 2 = 0 THEN '$TIER_KEPT'::uuid ELSE '$TIER_DRIFTING'::uuid END, 1, 'active', now() + interval '1 day'
  FROM generate_series(1, $ROWS) g;
UPDATE ticketing.ticket_tiers SET reserved_quantity = $((ROWS / 2)) WHERE id = '$TIER_KEPT';
COMMIT;
SQL
LOAD_S=$(awk -v a="$T0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}')
TARGET=$(pg_sql -At -c "SELECT pg_current_wal_flush_lsn()")
log "loaded in ${LOAD_S}s, target $TARGET"

log "reference: pg_recvlogical --endpos=$TARGET"
RECV_OPTS=(-o format-version=2 -o include-xids=1 -o include-timestamp=1 -o include-lsn=1
           -o include-pk=1 -o include-types=0 -o include-type-oids=1 -o "add-tables=$MONITORED")
/usr/bin/time -v -o "$WORK/ref.time" \
  pg_recvlogical -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo -S ref --start "${RECV_OPTS[@]}" \
  -f /dev/null --endpos="$TARGET" --no-loop 2>"$WORK/ref.log" || die "pg_recvlogical: $(cat "$WORK/ref.log")"

log "walguard: resuming on slot 'wg' until confirmed_flush_lsn >= $TARGET"
T0=$(now)
/usr/bin/time -v -o "$WORK/wg.time" "$WALGUARD" "${WG_ARGS[@]}" 2>"$WORK/walguard.log" &
WG_TIME_PID=$!
PIDS+=("$WG_TIME_PID")
DEADLINE=$(( $(date +%s) + ${WG_TIMEOUT_S:-3600} ))
until [ "$(pg_sql -At -c "SELECT confirmed_flush_lsn >= '$TARGET' FROM pg_replication_slots WHERE slot_name = 'wg'")" = t ]; do
  kill -0 "$WG_TIME_PID" 2>/dev/null || die "walguard exited: $(tail -n 5 "$WORK/walguard.log")"
  [ "$(date +%s)" -lt "$DEADLINE" ] || die "walguard did not reach $TARGET in time"
  sleep 0.2
done
WG_S=$(awk -v a="$T0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}')
WG_PID=$(cat "/proc/$WG_TIME_PID/task/$WG_TIME_PID/children" 2>/dev/null | awk '{print $1}')
[ -n "$WG_PID" ] && kill -TERM "$WG_PID"
wait "$WG_TIME_PID" || true
PARTS=$(grep -c "applying it in parts" "$WORK/walguard.log" || true)
DRIFT=$( (kcat -C -b "$BOOT" -t walguard.alerts -o beginning -e -q 2>/dev/null || true) | grep -c tier_reserved_drift || true)
STATE_MB=$(du -sm "$WORK/state" | cut -f1)

awk -v rows="$ROWS" -v load="$LOAD_S" -v rs="$(wall_s "$WORK/ref.time")" -v rr="$(rss_kb "$WORK/ref.time")" \
    -v rc="$(cpu_s "$WORK/ref.time")" -v ws="$WG_S" -v wr="$(rss_kb "$WORK/wg.time")" -v wc="$(cpu_s "$WORK/wg.time")" \
    -v parts="$PARTS" -v drift="$DRIFT" -v state="$STATE_MB" -v spill="${SPILL:-default}" -v cores="$(nproc)" \
    -v rev="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" '
BEGIN {
  printf "\nbulk transaction: ONE transaction of %d inserted ticket_holds (loaded in %.1fs); %d cores; source %s\n", rows, load, cores, rev
  printf "transaction_spill_bytes: %s; walguard applied it in parts: %s; tier_reserved_drift messages: %d; state dir %d MB\n\n", spill, (parts > 0 ? "yes" : "no"), drift, state
  printf "%-16s %10s %12s %12s %11s\n", "", "seconds", "changes/s", "peak RSS", "CPU (u+s)"
  printf "%-16s %10.1f %12.0f %9.1f MiB %10.1fs\n", "pg_recvlogical", rs, rows / rs, rr / 1024, rc
  printf "%-16s %10.1f %12.0f %9.1f MiB %10.1fs\n", "walguard", ws, rows / ws, wr / 1024, wc
  printf "%-16s %10s %11.2fx %11.2fx %10.2fx\n", "walguard/ref", "", (rows / ws) / (rows / rs), wr / rr, (rc > 0 ? wc / rc : 0)
}'
