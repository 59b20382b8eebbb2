#!/usr/bin/env bash
# The microbenchmarks (bench/micro): the wal2json decoder and the engine on
# MemoryKv and on RocksDB, each with its ratio to a reference from the same
# run, as medians of REPS repetitions.
#
#   bash bench/micro.sh                    # REPS=5
#   SKIP_BUILD=1 BUILD_DIR=/work/build-perf-rel bash bench/micro.sh --benchmark_filter=Engine
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DWALGUARD_BENCH=ON >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target walguard_micro_bench >&2
fi
exec "$BUILD_DIR/walguard_micro_bench" --benchmark_repetitions="${REPS:-5}" --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.5 "$@"
