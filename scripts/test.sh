#!/usr/bin/env bash
# The walguard test command: installs what is missing, then
#   1. builds once and runs the unit and integration tests (one throwaway
#      Postgres 15 cluster and one embedded Kafka broker shared by all
#      integration tests);
#   2. builds everything again with ASan+UBSan (WALGUARD_SANITIZE) and runs the
#      same tests there; the `walguard` children the integration tests start
#      are that sanitized binary too;
#   3. builds the wal2json decoder fuzzer with clang and runs it for a while.
# Before the build it checks the formatting (clang-format), after it the
# production code with clang-tidy (scripts/lint.sh).
# Any test failure, lint finding, sanitizer report, leak, fuzzer crash or timeout fails it.
#
# Environment (all optional):
#   BUILD_DIR            normal build (default build); the others default to
#                        ${BUILD_DIR}-asan and ${BUILD_DIR}-fuzz
#   ASAN_BUILD_DIR, FUZZ_BUILD_DIR
#   CMAKE_ARGS           extra cmake arguments for the normal and sanitizer builds
#   WALGUARD_CI_NORMAL=0, WALGUARD_CI_SANITIZE=0, WALGUARD_CI_FUZZ=0
#                        skip phase 1, 2 or 3 (local runs only: CI runs all)
#   WALGUARD_FUZZ_SECONDS                        fuzzing time (default 60)
#   WALGUARD_SANITIZE_FILTER   gtest filter of the sanitizer pass (default: all but
#                              the integration suites that mostly wait; '*' for all)
# Arguments are passed to both ctest runs (e.g. `-L unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

absolute() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BUILD_DIR=$(absolute "${BUILD_DIR:-build}")
ASAN_BUILD_DIR=$(absolute "${ASAN_BUILD_DIR:-${BUILD_DIR}-asan}")
FUZZ_BUILD_DIR=$(absolute "${FUZZ_BUILD_DIR:-${BUILD_DIR}-fuzz}")
JOBS=$(nproc)
LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# ---- timing summary, printed however the script ends ----
PHASES=()
phase_start=0
begin() {
  echo "==== $1 ===="
  PHASE=$1
  phase_start=$SECONDS
}
end() { PHASES+=("$(printf '%-22s %5d s' "$PHASE" $((SECONDS - phase_start)))"); }
summary() {
  local rc=$?
  echo "==== timing ===="
  for p in "${PHASES[@]}"; do echo "  $p"; done
  if [ "$rc" -ne 0 ] && [ -n "${PHASE:-}" ]; then echo "  FAILED in: $PHASE"; fi
  printf '  %-22s %5d s\n' total "$SECONDS"
}
trap summary EXIT

begin setup
bash scripts/setup.sh
end

begin format
bash scripts/lint.sh format
end

# ---- 1. normal build and tests ----
if [ "${WALGUARD_CI_NORMAL:-1}" != 0 ]; then
  begin build
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALGUARD_WERROR=ON "${LAUNCHER[@]}" ${CMAKE_ARGS:-}
  cmake --build "$BUILD_DIR" -j"$JOBS"
  end
  begin clang-tidy
  bash scripts/lint.sh tidy "$BUILD_DIR"
  end
  begin ctest
  (cd "$BUILD_DIR" && ctest --output-on-failure -j"$JOBS" "$@")
  end
fi

# ---- 2. ASan + UBSan ----
# Built with clang: its single ASan+UBSan runtime sends UBSan reports to
# log_path too (GCC's separate libubsan writes them to stderr, which for a
# walguard child is a log file nobody reads); at -O1 it builds the tree in a
# few minutes; and CI thereby keeps the tree warning-free under clang as well.
# Reports go to files (one per process) rather than stderr: a child killed
# before anyone looks at its exit code still leaves its report there, and any
# report fails the run.
if [ "${WALGUARD_CI_SANITIZE:-1}" != 0 ]; then
  SAN_LOGS=$ASAN_BUILD_DIR/sanitizer-logs
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1:log_path=$SAN_LOGS/asan"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:report_error_type=1:log_path=$SAN_LOGS/ubsan"
  begin "sanitize build"
  rm -rf "$SAN_LOGS" && mkdir -p "$SAN_LOGS"
  cmake -S . -B "$ASAN_BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" -DWALGUARD_SANITIZE=ON -DWALGUARD_WERROR=ON "${LAUNCHER[@]}" \
    ${CMAKE_ARGS:-}
  cmake --build "$ASAN_BUILD_DIR" -j"$JOBS"
  end
  begin "sanitize ctest"
  san_rc=0
  # The timed workload tests run shorter here: this pass is after memory
  # errors, and the normal pass already ran them at full length. The
  # integration suites that mostly wait on something else (Postgres restarts,
  # a full disk, the SQL functions under concurrency, Prometheus, Chromium,
  # pg_cron's minute, a multi-GB transaction) ran in the normal pass and are
  # left out here (gtest reads GTEST_FILTER; a unit test's own --gtest_filter
  # wins over it). WALGUARD_SANITIZE_FILTER='*' runs them all.
  SANITIZE_FILTER=${WALGUARD_SANITIZE_FILTER:-'-PostgresFaultsTest.*:DiskFullTest.*:RunbookConcurrencyTest.*:Operations.*:AlertmanagerTest.*:PgCron.*:BigTransaction.*'}
  (cd "$ASAN_BUILD_DIR" && GTEST_FILTER=$SANITIZE_FILTER WALGUARD_DIFF_SECONDS=${WALGUARD_DIFF_SECONDS:-10} \
    WALGUARD_HEALTHY_SECONDS=${WALGUARD_HEALTHY_SECONDS:-8} ctest --output-on-failure -j"$JOBS" "$@") || san_rc=$?
  if compgen -G "$SAN_LOGS/*" >/dev/null; then
    for f in "$SAN_LOGS"/*; do
      echo "---- $f"
      head -c 20000 "$f"
    done
    if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$SAN_LOGS"/* >/dev/null; then
      echo "sanitizer reports above (files in $SAN_LOGS)"
      san_rc=1
    fi
  fi
  unset ASAN_OPTIONS UBSAN_OPTIONS
  [ "$san_rc" -eq 0 ]
  end
fi

# ---- 3. libFuzzer on the wal2json decoder and transaction assembler ----
if [ "${WALGUARD_CI_FUZZ:-1}" != 0 ]; then
  begin "fuzz build"
  cmake -S . -B "$FUZZ_BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWALGUARD_FUZZ=ON -DWALGUARD_TESTS=OFF -DWALGUARD_WERROR=ON "${LAUNCHER[@]}"
  cmake --build "$FUZZ_BUILD_DIR" -j"$JOBS" --target decoder_fuzz
  end
  begin "fuzz run"
  work=$FUZZ_BUILD_DIR/fuzz
  mkdir -p "$work/corpus" "$work/artifacts"
  rm -f "$work"/artifacts/*
  fuzz_rc=0
  "$FUZZ_BUILD_DIR/tests/fuzz/decoder_fuzz" -max_total_time="${WALGUARD_FUZZ_SECONDS:-60}" -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict=tests/fuzz/wal2json.dict -artifact_prefix="$work/artifacts/" \
    "$work/corpus" tests/fuzz/corpus >"$work/fuzz.log" 2>&1 || fuzz_rc=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec)' "$work/fuzz.log" || true
  if [ "$fuzz_rc" -ne 0 ] || compgen -G "$work/artifacts/*" >/dev/null; then
    tail -n 80 "$work/fuzz.log"
    echo "decoder_fuzz failed (exit $fuzz_rc); full log: $work/fuzz.log"
    for a in "$work"/artifacts/*; do
      [ -e "$a" ] && echo "crash artifact: $a (reproduce: $FUZZ_BUILD_DIR/tests/fuzz/decoder_fuzz $a)"
    done
    exit 1
  fi
  end
fi
