#!/usr/bin/env bash
# Latency benchmark: Postgres commit -> alert consumed from Kafka, under a
# steady pgbench load, beside the same commits' Postgres commit ->
# pg_recvlogical receipt measured in the same run (the ceiling set by
# Postgres + wal2json on this machine at that load).
#
#   bash bench/latency.sh                       # RATES="10 500 max", DURATION=30 s per rate
#   RATES="10 max" DURATION=60 bash bench/latency.sh
#   SKIP_BUILD=1 BUILD_DIR=/work/build-bench bash bench/latency.sh
#
# One walguard (defaults, synchronous_commit=on on the server) runs through
# every phase. Per phase: pgbench runs bench/latency/healthy.pgbench (one
# pgbench transaction = a checkout, a booking and a balanced ledger write:
# three commits) at RATE tx/s (`max`: no rate limit, CLIENTS clients) while
# bench.inject commits a two-row ledger imbalance every 200 ms. Each firing
# ledger_imbalance alert is stamped on receipt by a kcat consumer with
# fetch.wait.max.ms=5 (the embedded broker otherwise holds an empty fetch
# for 500 ms); its latency is receipt - its commit_time (the source commit
# timestamp walguard copies from wal2json). The reference: pg_recvlogical
# on its own slot, same plugin options, every commit record ("action":"C")
# stamped on receipt, receipt - its timestamp.
#
# Env: RATES, DURATION (s per phase), CLIENTS (default 4), BUILD_DIR
# (default <repo>/build-bench), SKIP_BUILD=1, SKIP_SETUP=1, KEEP=1,
# WG_CONFIG_EXTRA (TOML lines appended to walguard's config, e.g.
# "max_batch_ms = 5"), BASELINE (another walguard binary, e.g. an older
# build: it runs beside the first through the same phases, on its own slot
# and alerts topic, so the two are compared under the same load at the same
# time; each also loads the machine for the other).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RATES=${RATES:-"10 500 max"}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-4}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
WALGUARD=$BUILD_DIR/walguard
MONITORED="ticketing.ticket_tiers,ticketing.ticket_holds,ticketing.orders,ticketing.order_items,ticketing.tickets,reserve.payments,reserve.reservations,reserve.ledger_entries,reserve.availability_calendar,reserve.processed_webhooks"
INJECT_MS=200

log() { printf '[latency %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

if [ "${SKIP_SETUP:-0}" != 1 ]; then bash scripts/setup.sh >&2; fi
for tool in kcat pgbench pg_recvlogical python3; do command -v "$tool" >/dev/null || die "$tool missing"; done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DWALGUARD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target walguard >&2
fi
[ -x "$WALGUARD" ] || die "no binary at $WALGUARD"

source scripts/lib/throwaway_pg.sh
WORK=$(mktemp -d /tmp/walguard-latency.XXXXXX)
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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICK=$(getconf CLK_TCK)

log "starting a throwaway PostgreSQL 15 (synchronous_commit=on)"
pg_start
pg_sql -c "ALTER SYSTEM SET synchronous_commit = on" -c "ALTER SYSTEM SET max_connections = 100" \
       -c "SELECT pg_reload_conf()" >/dev/null
pg_sql -f sql/ticketing_schema.sql -f sql/reserve_schema.sql -f bench/latency/workload.sql
pg_sql -c "CALL bench.setup(50)"

log "starting the embedded Kafka broker"
"$WALGUARD" broker >"$WORK/broker.out" 2>"$WORK/broker.log" &
PIDS+=("$!")
for _ in $(seq 1 100); do grep -q '^bootstrap=' "$WORK/broker.out" && break; sleep 0.1; done
BOOT=$(sed -n 's/^bootstrap=//p' "$WORK/broker.out" | head -n1)
[ -n "$BOOT" ] || die "broker printed no bootstrap line: $(cat "$WORK/broker.log")"

log "creating slot 'ref' for pg_recvlogical"
pg_recvlogical -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo -S ref --create-slot -P wal2json
start_walguard() {  # start_walguard NAME BINARY: slot, state and alerts topic named NAME; sets WG_PID
  printf '%s\n[kafka]\nalerts_topic = "alerts.%s"\ncommands_topic = "commands.%s"\n' "${WG_CONFIG_EXTRA:-}" "$1" "$1" \
    >"$WORK/$1.toml"
  "$2" run --config "$WORK/$1.toml" --pg "$PG_CONNINFO" --brokers "$BOOT" --slot "$1" \
    --state-dir "$WORK/state-$1" 2>"$WORK/$1.log" &
  WG_PID=$!
  PIDS+=("$WG_PID")
  for _ in $(seq 1 300); do
    grep -q "streaming from slot" "$WORK/$1.log" && break
    kill -0 "$WG_PID" 2>/dev/null || die "walguard $1 exited: $(tail -n 5 "$WORK/$1.log")"
    sleep 0.1
  done
  grep -q "streaming from slot" "$WORK/$1.log" || die "walguard $1 did not start streaming"
  # Its alerts, stamped on receipt.
  kcat -C -u -b "$BOOT" -t "alerts.$1" -o beginning -X fetch.wait.max.ms=5 -X topic.metadata.refresh.interval.ms=1000 \
    -f '%s\n' 2>"$WORK/kcat-$1.log" > >(python3 bench/latency/stamp.py "$WORK/alerts-$1.stamps" '"ledger_imbalance"') &
  PIDS+=("$!")
}
NAMES=(wg)
log "starting walguard ($WALGUARD) on slot 'wg'"
start_walguard wg "$WALGUARD"
WG_PIDS=("$WG_PID")
if [ -n "${BASELINE:-}" ]; then
  log "starting the baseline walguard ($BASELINE) on slot 'base'"
  start_walguard base "$BASELINE"
  NAMES+=(base)
  WG_PIDS+=("$WG_PID")
fi

RECV_OPTS=(-o format-version=2 -o include-xids=1 -o include-timestamp=1 -o include-lsn=1
           -o include-pk=1 -o include-types=0 -o include-type-oids=1 -o "add-tables=$MONITORED")
pg_recvlogical -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo -S ref --start "${RECV_OPTS[@]}" -f - \
  2>"$WORK/ref.log" > >(python3 bench/latency/stamp.py "$WORK/ref.stamps" '"action":"C"') &
PIDS+=("$!")
sleep 2

for rate in $RATES; do
  n=$(( DURATION * 1000 / INJECT_MS ))
  rate_args=(-R "$rate"); [ "$rate" = max ] && rate_args=()
  log "phase $rate tx/s: pgbench -c $CLIENTS for ${DURATION}s, $n incidents every ${INJECT_MS} ms"
  cpu0=(); for pid in "${WG_PIDS[@]}"; do cpu0+=("$(cpu_ticks "$pid")"); done
  start=$(now)
  pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -c "$CLIENTS" -j 2 -T "$DURATION" "${rate_args[@]}" \
    -f bench/latency/healthy.pgbench demo >"$WORK/pgbench-$rate.log" 2>&1 &
  PGB=$!
  pg_sql -c "CALL bench.inject($n, $INJECT_MS)"
  end=$(now)
  wait "$PGB" || die "pgbench: $(tail -n 5 "$WORK/pgbench-$rate.log")"
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench-$rate.log" | head -n1)
  for i in "${!NAMES[@]}"; do
    cpu=$(awk -v a="${cpu0[$i]}" -v b="$(cpu_ticks "${WG_PIDS[$i]}")" -v s="$start" -v e="$(now)" -v t="$TICK" \
      'BEGIN {printf "%.0f", 100 * (b - a) / t / (e - s)}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$start" "$end" "$n" "${tps:-?}" "$cpu" >>"$WORK/phases-${NAMES[$i]}.tsv"
  done
  sleep 3  # the last alerts of the phase
  for pid in "${WG_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "a walguard exited (logs in $WORK)"; done
done
sleep 5
for pid in "${WG_PIDS[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done

for name in "${NAMES[@]}"; do
  label=$WALGUARD; [ "$name" = base ] && label=$BASELINE
  printf '\n%s (%s): commit -> alert consumed, and commit -> pg_recvlogical receipt (ref), same run:\n' "$name" "$label"
  python3 bench/latency/analyze.py "$WORK/alerts-$name.stamps" "$WORK/ref.stamps" "$WORK/phases-$name.tsv"
  printf '%s at exit: %s\n' "$name" "$(grep -o 'txns=[0-9]*' "$WORK/$name.log" | tail -n1) $(grep -o 'commits=.*' "$WORK/$name.log" | tail -n1)"
done
printf 'machine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
