#!/usr/bin/env bash
# Replay throughput from the archive, one core, with the cost split by stage
# (bench/replay/replay_bench.cc), and beside it the reference measured in the
# same run: `zstd -d` of the same segments' frames into /dev/null.
#
#   bash bench/replay_throughput.sh                  # CHANGES=5000000
#   CHANGES=1000000 SKIP_BUILD=1 BUILD_DIR=/work/build-perf-rel bash bench/replay_throughput.sh
#
# Env: CHANGES (row changes in the archive, default 5000000), BUILD_DIR
# (default <repo>/build-bench, configured Release with WALGUARD_BENCH=ON),
# SKIP_BUILD=1. Everything runs pinned to one core (taskset -c 0).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CHANGES=${CHANGES:-5000000}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

command -v zstd >/dev/null || { log "zstd missing (apt-get install zstd)"; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DWALGUARD_BENCH=ON >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target walguard_replay_bench >&2
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/walguard-replay-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

taskset -c 0 "$BUILD_DIR/walguard_replay_bench" --changes "$CHANGES" --dir "$WORK/archive" --keep | tee "$WORK/out"

# A segment is an 80-byte header, one zstd frame and an 8-byte checksum
# (ingest/archive.cc): the frames alone, concatenated, are one zstd stream.
for f in "$WORK"/archive/*.wgseg; do
  size=$(stat -c %s "$f")
  tail -c +81 "$f" | head -c $((size - 88))
done >"$WORK/frames.zst"
t0=${EPOCHREALTIME/,/.}
taskset -c 0 zstd -d -q -c "$WORK/frames.zst" >/dev/null
t1=${EPOCHREALTIME/,/.}
awk -v a="$t0" -v b="$t1" '
  $1 == "replay" && $2 ~ /^[0-9.]+$/ { replay_s = $2 }
  /^archive: / { changes = $4 }
  END {
    zs = b - a
    printf "\nreference: zstd -d of the same frames, one core: %.2f s, %.0f changes/s\n", zs, changes / zs
    printf "replay / zstd -d throughput: %.3f (1.0 = replay as fast as decompressing the archive)\n", zs / replay_s
  }' "$WORK/out"
