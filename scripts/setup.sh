#!/usr/bin/env bash
# Installs every build and runtime dependency of walguard on Debian bookworm.
# Run as root (or with sudo available). Idempotent: a second run installs nothing new.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libpq-dev librdkafka-dev libsimdjson-dev librocksdb-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libzstd-dev libxxhash-dev  # the archive's segments: compression, checksum
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-15-wal2json postgresql-client-15
  kcat jq
  clang-14 libclang-rt-14-dev  # the decoder fuzzer (libFuzzer, sanitizer runtimes)
  clang-format clang-tidy-14   # scripts/lint.sh
  docker-compose              # tests/deploy: `docker-compose config` validates docker-compose.yml
  libcpp-httplib-dev          # --http: /metrics, /healthz, /readyz, the status page; the Alertmanager client
  postgresql-15-cron          # tests: the pg_cron rules against the real extension
  prometheus prometheus-alertmanager  # tests: a real Prometheus scrapes walguard, a real Alertmanager receives
  chromium chromium-driver python3-selenium  # tests: the status page in headless Chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The postgresql-common package would otherwise create and start a 'main' cluster we never use.
if [ ! -f /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster = false' /etc/postgresql-common/createcluster.conf; then
  $SUDO mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
