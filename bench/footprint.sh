#!/usr/bin/env bash
# Footprint benchmark: walguard's memory and state on disk per million
# tracked rows, and its resume time.
#
#   bash bench/footprint.sh                     # SIZES=1000000
#   SIZES="1000000 10000000" bash bench/footprint.sh
#
# Per size: a throwaway PostgreSQL with SIZE row changes of the drain
# workload (bench/drain_workload.sql: 75 % inserts, so ~0.75 tracked rows
# per change), committed before walguard's slot exists; walguard reads them
# in its bootstrap snapshot. Then: RSS (VmRSS after the snapshot, settled;
# VmHWM, the peak), the state directory's bytes (du; "db": without the
# archive under state/archive), the database's per million rows in the ten
# monitored tables; a restart (SIGTERM, start) timed to
# "streaming from slot" (resume); the RSS after the restart.
# Env: SIZES, BUILD_DIR (default <repo>/build-bench), SKIP_BUILD=1,
# SKIP_SETUP=1, KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
SIZES=${SIZES:-1000000}

if [ -z "${FOOTPRINT_ONE:-}" ]; then
  printf '%10s %12s %10s %12s %12s %12s %12s %12s %10s %12s\n' "changes" "rows" "snap s" "RSS MiB" \
    "peak MiB" "state MiB" "db MiB" "db MiB/M row" "resume s" "RSS resumed"
  first=1
  for size in $SIZES; do
    sb=${SKIP_BUILD:-0}; ss=${SKIP_SETUP:-0}
    [ "$first" = 1 ] || { sb=1; ss=1; }
    FOOTPRINT_ONE=1 ROWS=$size SKIP_BUILD=$sb SKIP_SETUP=$ss bash "$0"
    first=0
  done
  printf 'machine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

WORK=$(mktemp -d /tmp/walguard-footprint.XXXXXX)
chmod 0755 "$WORK"
source bench/lib/loaded_db.sh

log "walguard: bootstrap snapshot of $TRACKED_ROWS rows"
start_walguard walguard-bootstrap
SNAPSHOT_S=$STARTED_S
sleep 5  # settled: the snapshot's batches flushed, streaming idle
RSS=$(status_kb "$WG_PID" VmRSS); HWM=$(status_kb "$WG_PID" VmHWM)
stop_walguard
STATE_B=$(du -sb "$WORK/state" | cut -f1)
ARCHIVE_B=$(du -sb "$WORK/state/archive" 2>/dev/null | cut -f1); ARCHIVE_B=${ARCHIVE_B:-0}
log "restart: resume time"
start_walguard walguard-resume
RESUME_S=$STARTED_S
sleep 2
RSS2=$(status_kb "$WG_PID" VmRSS)
stop_walguard
awk -v c="$ROWS" -v r="$TRACKED_ROWS" -v snap="$SNAPSHOT_S" -v rss="$RSS" -v hwm="$HWM" -v st="$STATE_B" \
    -v res="$RESUME_S" -v rss2="$RSS2" -v ar="$ARCHIVE_B" 'BEGIN {
  printf "%10d %12d %10.1f %12.1f %12.1f %12.1f %12.1f %12.1f %10.2f %12.1f\n", c, r, snap, rss / 1024, hwm / 1024,
         st / 1048576, (st - ar) / 1048576, (st - ar) / 1048576 / (r / 1e6), res, rss2 / 1024 }'
