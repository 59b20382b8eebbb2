#!/usr/bin/env bash
# The walguard test command: installs what is missing, builds once, runs the
# unit tests and the integration tests (one throwaway Postgres 15 cluster and
# one embedded Kafka broker shared by all integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
