#!/usr/bin/env bash
# Drain benchmark: how fast does `walguard run` drain a backlog of WAL, compared
# with pg_recvlogical reading the same WAL through the same plugin (wal2json,
# same options, same add-tables) into /dev/null, measured in the same run?
# walguard drains it twice, on two slots: with its archive (the default) and
# with `[archive] enabled = false`, so the archive's cost and its bytes per
# change come from the same run too.
#
#   bash bench/drain_vs_recvlogical.sh            # ROWS=200000 TXN_ROWS=100
#   ROWS=50000 TXN_ROWS=20 bash bench/drain_vs_recvlogical.sh
#   ROWS=1000000 bash bench/drain_vs_recvlogical.sh
#   SIZES="200000 1000000" bash bench/drain_vs_recvlogical.sh   # one run per size, then the ratios per size
#
# Env: ROWS (row changes, default 200000), TXN_ROWS (row changes per
# transaction, default 100), FAULT_EVERY (one invariant-breaking transaction
# every N, default 5; 0 = none), BUILD_DIR (default <repo>/build-bench),
# SKIP_BUILD=1 (use the binary already in BUILD_DIR), SKIP_SETUP=1,
# STATUS_MS (walguard postgres.status_interval_ms, default 100; see README),
# KEEP=1 (keep the work directory with logs), PERF=1 (sample walguard with
# perf while it drains; slows it down, for diagnosis only), SIZES (a list of
# ROWS: a whole run per size, each on its own throwaway cluster, so the state
# grows with the size; then one table of the ratios per size), WG_TIMEOUT_S.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# ------------------------------------------------------------------ sizes
if [ -n "${SIZES:-}" ] && [ -z "${DRAIN_ONE_SIZE:-}" ]; then
  SUMMARY=$(mktemp)
  first=1
  for rows in $SIZES; do
    out=$(mktemp)
    skip_build=${SKIP_BUILD:-0}; skip_setup=${SKIP_SETUP:-0}
    [ "$first" = 1 ] || { skip_build=1; skip_setup=1; }
    DRAIN_ONE_SIZE=1 ROWS=$rows SKIP_BUILD=$skip_build SKIP_SETUP=$skip_setup bash "$0" | tee "$out"
    # The rows of one run's table: pg_recvlogical, walguard, walguard/ref.
    awk -v rows="$rows" '
      $1 == "pg_recvlogical" { ref = $3; ref_cpu = $(NF - 1) }
      $1 == "walguard" && $2 != "-arch" { wg = $3; wg_cpu = $(NF - 1) }
      $1 == "walguard/ref" { printf "%10d %14.0f %14.0f %10s %12s %14s %14s\n", rows, ref, wg, $2, $3, $5, wg_cpu }
    ' "$out" >>"$SUMMARY"
    rm -f "$out"
    first=0
  done
  printf '\nper size (each a separate run; ratios walguard / pg_recvlogical from the same run):\n'
  printf '%10s %14s %14s %10s %12s %14s %14s\n' "changes" "ref changes/s" "wg changes/s" "ratio" "RSS ratio" "CPU-eff ratio" "wg changes/CPU-s"
  cat "$SUMMARY"
  rm -f "$SUMMARY"
  exit 0
fi

ROWS=${ROWS:-200000}
TXN_ROWS=${TXN_ROWS:-100}
FAULT_EVERY=${FAULT_EVERY:-5}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
STATUS_MS=${STATUS_MS:-100}
WALGUARD=$BUILD_DIR/walguard
MONITORED="ticketing.ticket_tiers,ticketing.ticket_holds,ticketing.orders,ticketing.order_items,ticketing.tickets,reserve.payments,reserve.reservations,reserve.ledger_entries,reserve.availability_calendar,reserve.processed_webhooks"

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ------------------------------------------------------------------ set-up
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh >&2
  if [ ! -x /usr/bin/time ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >&2
  fi
fi
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALGUARD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target walguard >&2
fi
[ -x "$WALGUARD" ] || die "no binary at $WALGUARD"

# Split one transaction's TXN_ROWS between ticketing (7k+1 changes) and
# reserve (5j changes); see bench/drain_workload.sql.
K=$(( (TXN_ROWS / 2 - 1 + 3) / 7 )); [ "$K" -lt 1 ] && K=1
J=$(( (TXN_ROWS - 7 * K - 1 + 2) / 5 )); [ "$J" -lt 1 ] && J=1
PER_TXN=$(( 7 * K + 1 + 5 * J ))
NTXN=$(( (ROWS + PER_TXN - 1) / PER_TXN ))

source scripts/lib/throwaway_pg.sh
source bench/lib/load_workload.sh
WORK=$(mktemp -d /tmp/walguard-bench.XXXXXX)
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
lsn_num() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || true; }  # utime+stime
rss_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"; }
TICK=$(getconf CLK_TCK)

# ------------------------------------------------------------ 1. services
log "starting a throwaway PostgreSQL 15"
pg_start
PGCMD=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo)
pg_sql -c "ALTER SYSTEM SET synchronous_commit = off" -c "ALTER SYSTEM SET autovacuum = off" \
       -c "SELECT pg_reload_conf()" >/dev/null
pg_sql -f sql/ticketing_schema.sql -f sql/reserve_schema.sql -f bench/drain_workload.sql
pg_sql -c "CALL bench.setup(10)"

log "starting the embedded Kafka broker"
"$WALGUARD" broker >"$WORK/broker.out" 2>"$WORK/broker.log" &
PIDS+=("$!")
for _ in $(seq 1 100); do grep -q '^bootstrap=' "$WORK/broker.out" && break; sleep 0.1; done
BOOT=$(sed -n 's/^bootstrap=//p' "$WORK/broker.out" | head -n1)
[ -n "$BOOT" ] || die "broker printed no bootstrap line: $(cat "$WORK/broker.log")"

# Only the standby-status cadence differs from the defaults: confirmed_flush_lsn,
# which this benchmark polls, moves when walguard reports, so the default
# 10 s cadence would quantise the measurement to 10 s. The second walguard
# runs without its archive.
printf '[postgres]\nstatus_interval_ms = %s\n' "$STATUS_MS" >"$WORK/walguard.toml"
printf '[postgres]\nstatus_interval_ms = %s\n[archive]\nenabled = false\n' "$STATUS_MS" >"$WORK/walguard-noarchive.toml"
wg_args() {  # wg_args SLOT CONFIG -> WG_ARGS
  WG_ARGS=(run --config "$2" --pg "$PG_CONNINFO" --brokers "$BOOT" --slot "$1" --state-dir "$WORK/state-$1")
}

# --------------------------------------------- 2. both slots, before the load
bootstrap() {  # bootstrap SLOT CONFIG: walguard creates its slot and snapshot, then stops
  wg_args "$1" "$2"
  "$WALGUARD" "${WG_ARGS[@]}" 2>"$WORK/walguard-bootstrap-$1.log" &
  WG_PID=$!
  PIDS+=("$WG_PID")
  for _ in $(seq 1 300); do
    grep -q "streaming from slot" "$WORK/walguard-bootstrap-$1.log" && break
    kill -0 "$WG_PID" 2>/dev/null || die "walguard exited during bootstrap: $(tail -n 5 "$WORK/walguard-bootstrap-$1.log")"
    sleep 0.1
  done
  grep -q "streaming from slot" "$WORK/walguard-bootstrap-$1.log" || die "walguard did not start streaming"
  kill -TERM "$WG_PID"; wait "$WG_PID" || true
}
log "creating slot 'ref' for pg_recvlogical and letting walguard create slots 'wg' and 'wgoff' (no archive)"
pg_recvlogical -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo -S ref --create-slot -P wal2json
bootstrap wg "$WORK/walguard.toml"
bootstrap wgoff "$WORK/walguard-noarchive.toml"

# --------------------------------------------------------------- 3. the load
log "loading $NTXN transactions x $PER_TXN row changes (k=$K checkouts + j=$J bookings each)"
LOAD_START=$(now)
load_workload "$NTXN" "$K" "$J" "$FAULT_EVERY" "$WORK/load.log" || die "load: $(cat "$WORK/load.log")"
LOAD_S=$(awk -v a="$LOAD_START" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}')
SUMMARY=$(sed -n 's/.*bench: //p' "$WORK/load.log")
[ -n "$SUMMARY" ] || die "load printed no summary: $(cat "$WORK/load.log")"
for kv in $SUMMARY; do declare "L_${kv%%=*}=${kv#*=}"; done
TARGET=$L_target
# synchronous_commit=off: wait until the WAL writer has flushed it all.
for _ in $(seq 1 200); do
  [ "$(pg_sql -At -c "SELECT pg_current_wal_flush_lsn() >= '$TARGET'")" = t ] && break
  sleep 0.05
done
WAL_START=$(pg_sql -At -c "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'ref'")
WAL_MB=$(awk -v a="$(lsn_num "$WAL_START")" -v b="$(lsn_num "$TARGET")" 'BEGIN {printf "%.1f", (b - a) / 1048576}')
log "loaded ${L_changes} row changes in ${L_txns} transactions (${LOAD_S}s), target $TARGET"

# A poller on one persistent psql session (no process per poll):
# "<active_pid>|<confirmed_flush_lsn >= target>" for a slot.
coproc POLL { exec "${PGCMD[@]}" -At 2>&1; }
PIDS+=("$POLL_PID")
poll() {  # poll SLOT -> sets P_PID P_DONE
  local line
  printf "SELECT coalesce(active_pid, 0) || '|' || CASE WHEN confirmed_flush_lsn >= '%s' THEN 't' ELSE 'f' END FROM pg_replication_slots WHERE slot_name = '%s';\n" \
    "$TARGET" "$1" >&"${POLL[1]}"
  IFS= read -r -t 10 line <&"${POLL[0]}" || die "poller: no answer"
  P_PID=${line%%|*}; P_DONE=${line#*|}
}

# ---------------------------------------------------- 4. pg_recvlogical
log "reference: pg_recvlogical --endpos=$TARGET"
RECV_OPTS=(-o format-version=2 -o include-xids=1 -o include-timestamp=1 -o include-lsn=1
           -o include-pk=1 -o include-types=0 -o include-type-oids=1 -o "add-tables=$MONITORED")
T0=$(now)
/usr/bin/time -v -o "$WORK/ref.time" \
  pg_recvlogical -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo -S ref --start "${RECV_OPTS[@]}" \
  -f /dev/null --endpos="$TARGET" --no-loop 2>"$WORK/ref.log" &
REF_TIME_PID=$!
PIDS+=("$REF_TIME_PID")
REF_SENDER_TICKS=0
while kill -0 "$REF_TIME_PID" 2>/dev/null; do
  poll ref
  if [ "$P_PID" != 0 ]; then t=$(cpu_ticks "$P_PID"); [ -n "$t" ] && REF_SENDER_TICKS=$t; fi
  sleep 0.05
done
wait "$REF_TIME_PID" || die "pg_recvlogical failed: $(cat "$WORK/ref.log")"
# Its exact lifetime, from time(1): the loop above notices the exit only at its next poll.
REF_S=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/ref.time" |
  awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.3f", s}')
REF_RSS=$(rss_kb "$WORK/ref.time"); REF_CPU=$(cpu_s "$WORK/ref.time")

# --------------------------------------------------------------- 5. walguard
# drain SLOT CONFIG: resumes walguard on SLOT until its confirmed_flush_lsn
# reaches the target; sets WG_S WG_RSS WG_CPU WG_SENDER_TICKS WG_STREAMING_S WG_CHANGES.
drain() {
  local slot=$1 log_file="$WORK/walguard-$1.log"
  wg_args "$1" "$2"
  log "walguard: resuming on slot '$slot' until confirmed_flush_lsn >= $TARGET"
  T0=$(now)
  /usr/bin/time -v -o "$WORK/wg-$slot.time" "$WALGUARD" "${WG_ARGS[@]}" 2>"$log_file" &
  WG_TIME_PID=$!
  PIDS+=("$WG_TIME_PID")
  WG_PID=""
  for _ in $(seq 1 100); do
    WG_PID=$(cat "/proc/$WG_TIME_PID/task/$WG_TIME_PID/children" 2>/dev/null | awk '{print $1}')
    [ -n "$WG_PID" ] && break
    sleep 0.01
  done
  [ -n "$WG_PID" ] || die "walguard did not start"
  PIDS+=("$WG_PID")
  PERF_PID=""
  if [ "${PERF:-0}" = 1 ] && [ "$slot" = wg ]; then  # diagnosis only: sampling costs walguard some CPU
    perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$WG_PID" -o "$WORK/perf.data" 2>"$WORK/perf.log" &
    PERF_PID=$!
    PIDS+=("$PERF_PID")
  fi
  WG_SENDER_TICKS=0; WG_STREAMING_S=""; P_DONE=f
  DEADLINE=$(( $(date +%s) + ${WG_TIMEOUT_S:-600} ))
  while [ "$P_DONE" != t ]; do
    kill -0 "$WG_PID" 2>/dev/null || die "walguard exited: $(tail -n 5 "$log_file")"
    [ "$(date +%s)" -lt "$DEADLINE" ] || die "walguard did not reach $TARGET in time: $(tail -n 3 "$log_file")"
    poll "$slot"
    if [ "$P_PID" != 0 ]; then t=$(cpu_ticks "$P_PID"); [ -n "$t" ] && WG_SENDER_TICKS=$t; fi
    if [ -z "$WG_STREAMING_S" ] && grep -q "streaming from slot" "$log_file"; then
      WG_STREAMING_S=$(awk -v a="$T0" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}')
    fi
    [ "$P_DONE" = t ] || sleep 0.05
  done
  T1=$(now)
  WG_S=$(awk -v a="$T0" -v b="$T1" 'BEGIN {printf "%.3f", b - a}')
  if [ -n "$PERF_PID" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
  kill -TERM "$WG_PID"
  wait "$WG_TIME_PID" || true
  if [ -n "$PERF_PID" ]; then
    perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 40 \
      >"$WORK/perf.top" || true
    perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -n 60 \
      >"$WORK/perf.children" || true
    log "perf: self-time top in $WORK/perf.top, inclusive in $WORK/perf.children (set KEEP=1 to keep them)"
  fi
  WG_RSS=$(rss_kb "$WORK/wg-$slot.time"); WG_CPU=$(cpu_s "$WORK/wg-$slot.time")
  WG_CHANGES=$(grep -o 'progress: .*' "$log_file" | tail -n1 | grep -o ' changes=[0-9]*' | cut -d= -f2)
  WG_DELIVERED=$(grep -o 'progress: .*' "$log_file" | tail -n1 | grep -o ' delivered=[0-9]*' | cut -d= -f2)
}

drain wgoff "$WORK/walguard-noarchive.toml"
OFF_S=$WG_S; OFF_RSS=$WG_RSS; OFF_CPU=$WG_CPU; OFF_SENDER_TICKS=$WG_SENDER_TICKS
# The archiving walguard drains last: its progress log gives the delivered count.
drain wg "$WORK/walguard.toml"
# What the drain recorded: the sealed segments (a clean stop seals the tail).
ARCHIVE_BYTES=$(find "$WORK/state-wg/archive" -name '*.wgseg' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}')
ARCHIVE_SEGMENTS=$(find "$WORK/state-wg/archive" -name '*.wgseg' 2>/dev/null | wc -l)

# --------------------------------------------------------------- 6. results
# Both drains publish to the same topics, so each alert is there twice. The
# embedded broker (librdkafka's mock cluster) keeps only the newest 5 MiB of
# each partition: past a few million changes the topics hold fewer messages
# than were published, and the count that tells is walguard's own (the last
# drain's delivered= from its progress log: alerts and commands together).
ALERTS=$( (kcat -C -b "$BOOT" -t walguard.alerts -o beginning -e -q 2>/dev/null || true) | wc -l)
COMMANDS=$( (kcat -C -b "$BOOT" -t walguard.commands -o beginning -e -q 2>/dev/null || true) | wc -l)
DEAD=$( (kcat -C -b "$BOOT" -t walguard.deadletter -o beginning -e -q 2>/dev/null || true) | wc -l)
BY_TYPE=$( (kcat -C -b "$BOOT" -t walguard.alerts -o beginning -e -q 2>/dev/null || true) |
  jq -r 'select(.state=="firing") | .type' 2>/dev/null | sort | uniq -c | awk '{printf "%s%s=%s", sep, $2, $1; sep=" "}')

awk -v rows="$L_changes" -v txns="$L_txns" -v ins="$L_inserts" -v upd="$L_updates" -v faults="$L_faults" \
    -v wal="$WAL_MB" -v load="$LOAD_S" -v per="$PER_TXN" \
    -v rs="$REF_S" -v rr="$REF_RSS" -v rc="$REF_CPU" -v rw="$REF_SENDER_TICKS" \
    -v ws="$WG_S" -v wr="$WG_RSS" -v wc="$WG_CPU" -v ww="$WG_SENDER_TICKS" -v tick="$TICK" \
    -v os="$OFF_S" -v orss="$OFF_RSS" -v oc="$OFF_CPU" -v ow="$OFF_SENDER_TICKS" \
    -v abytes="$ARCHIVE_BYTES" -v asegs="$ARCHIVE_SEGMENTS" \
    -v wstart="${WG_STREAMING_S:-?}" -v wchg="${WG_CHANGES:-?}" -v delivered="${WG_DELIVERED:-?}" \
    -v alerts="$ALERTS" -v cmds="$COMMANDS" -v dead="$DEAD" -v bytype="$BY_TYPE" -v cores="$(nproc)" -v loadavg="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v bin="$WALGUARD" -v rev="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" '
BEGIN {
  printf "\nwalguard drain benchmark: %d row changes (%d inserts, %d updates) in %d transactions of %d, %d invariant-breaking\n",
         rows, ins, upd, txns, per, faults
  printf "WAL %.1f MB, loaded in %.2fs; %d cores; both consumers read wal2json v2 with the same options and add-tables\n", wal, load, cores
  printf "binary %s (source %s)\n\n", bin, rev
  printf "%-16s %9s %12s %11s %11s %15s %14s\n", "", "seconds", "changes/s", "peak RSS", "CPU (u+s)", "changes/CPU-s", "walsender CPU"
  printf "%-16s %9.3f %12.0f %8.1f MB %10.2fs %15.0f %13.2fs\n", "pg_recvlogical", rs, rows / rs, rr / 1024, rc, (rc > 0 ? rows / rc : 0), rw / tick
  printf "%-16s %9.3f %12.0f %8.1f MB %10.2fs %15.0f %13.2fs\n", "walguard", ws, rows / ws, wr / 1024, wc, (wc > 0 ? rows / wc : 0), ww / tick
  printf "%-16s %9.3f %12.0f %8.1f MB %10.2fs %15.0f %13.2fs\n", "walguard -arch", os, rows / os, orss / 1024, oc, (oc > 0 ? rows / oc : 0), ow / tick
  printf "%-16s %9s %11.3fx %10.2fx %10.2fx %14.3fx\n", "walguard/ref", "", (rows / ws) / (rows / rs), wr / rr, (rc > 0 ? wc / rc : 0), (wc > 0 && rc > 0 ? rc / wc : 0)
  printf "%-16s %9s %11.3fx %10.2fx %10.2fx %14.3fx\n", "archive on/off", "", (rows / ws) / (rows / os), wr / orss, (oc > 0 ? wc / oc : 0), (wc > 0 && oc > 0 ? oc / wc : 0)
  printf "\narchive: %d segment(s), %.1f MB, %.1f bytes per row change (WAL: %.1f bytes per row change)\n", asegs, abytes / 1048576, abytes / rows, wal * 1048576 / rows
  printf "\nthroughput ratios < 1 = walguard slower; RSS/CPU ratios > 1 = walguard uses more. Load average at the end: %s\n", loadavg
  printf "walguard: streaming after %ss (included above), applied %s changes, delivered %s messages (alerts and commands)\n", wstart, wchg, delivered
  printf "on the broker (both drains; the embedded broker keeps the newest 5 MiB per partition): %d alerts (firing: %s), %d commands, %d dead letters\n",
         alerts, bytype, cmds, dead
}'
