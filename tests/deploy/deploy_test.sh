#!/usr/bin/env bash
# The deployment files, checked without a Docker engine or systemd running
# (ctest entry `deploy`; README "Deployment"):
#   1. docker-compose.yml is valid (Debian's docker-compose `config`);
#   2. every walguard command line in it and in deploy/*.service is accepted
#      by the binary, and every config file they name passes check-config
#      (tests/deploy/command_lines.py), and that check catches a bad flag;
#      the compose stack's walguard run pushes to Alertmanagers that are
#      services of the stack, and its http ports are those Prometheus scrapes;
#   3. check-config rejects a bad file with exit 1 naming the key, and masks
#      a password in the pg conninfo and in a Kafka property; --version
#      prints the revision;
#   4. the Dockerfile's runtime stage installs the package of every shared
#      library the binary links, runs as a non-root user, walguard first;
#   5. systemd-analyze verify accepts the units (skipped without systemd-analyze).
# Usage: deploy_test.sh SOURCE_DIR WALGUARD_BINARY
set -euo pipefail
SRC=$(cd "$1" && pwd)
WALGUARD=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() {
  echo "FAIL $*"
  fails=$((fails + 1))
}
ok() { echo "ok   $*"; }

echo "== docker-compose.yml"
if ! command -v docker-compose >/dev/null; then
  echo "FAIL docker-compose is not installed (scripts/setup.sh installs it)"
  exit 1
fi
# From an empty directory: no .env or override file of the caller's counts.
if (cd "$TMP" && docker-compose -f "$SRC/docker-compose.yml" config -q); then
  ok "docker-compose config -q"
else
  fail "docker-compose config rejects docker-compose.yml"
fi
(cd "$TMP" && docker-compose -f "$SRC/docker-compose.yml" config >"$TMP/compose.yml")

echo "== walguard command lines"
python3 "$SRC/tests/deploy/command_lines.py" "$SRC" "$WALGUARD" "$TMP/compose.yml" || fail "command lines (above)"
# The check itself must catch a flag walguard does not have.
sed 's/^    - run$/    - run\n    - --no-such-flag/' "$TMP/compose.yml" >"$TMP/compose-bad.yml"
if grep -q -- '--no-such-flag' "$TMP/compose-bad.yml" &&
  ! python3 "$SRC/tests/deploy/command_lines.py" "$SRC" "$WALGUARD" "$TMP/compose-bad.yml" >"$TMP/bad.out" 2>&1 &&
  grep -q 'does not list --no-such-flag' "$TMP/bad.out"; then
  ok "an unknown flag in a command line is caught"
else
  fail "an unknown flag in docker-compose.yml was not caught:"
  cat "$TMP/bad.out"
fi

echo "== walguard check-config"
printf '[postgres]\nconninfo = "host=db dbname=app user=walguard"\n[kafka]\nbrokers = "kafka:9092"\nbrokerz = "x"\n' \
  >"$TMP/bad.toml"
if "$WALGUARD" check-config --config "$TMP/bad.toml" >"$TMP/out" 2>"$TMP/err"; then
  fail "check-config accepted a file with an unknown key"
else
  code=$?
  if [ "$code" -eq 1 ] && grep -q 'kafka.brokerz' "$TMP/err"; then
    ok "a bad file exits 1 naming the key: $(cat "$TMP/err")"
  else
    fail "a bad file: exit $code (want 1), stderr: $(cat "$TMP/err") (want the key kafka.brokerz)"
  fi
fi
cat >"$TMP/secret.toml" <<'TOML'
[postgres]
conninfo = "host=db dbname=app user=walguard password=pg-Secret-1"
[kafka]
brokers = "kafka:9092"
[kafka.properties]
"sasl.username" = "walguard"
"sasl.password" = "kafka-Secret-2"
TOML
if "$WALGUARD" check-config --config "$TMP/secret.toml" >"$TMP/out" 2>"$TMP/err"; then
  if grep -q -e 'pg-Secret-1' -e 'kafka-Secret-2' "$TMP/out" "$TMP/err"; then
    fail "check-config printed a secret: $(cat "$TMP/out")"
  elif grep -q '^"sasl.password" = "\*\*\*\*\*\*\*\*"$' "$TMP/out" &&
    grep -q '^conninfo = "host=db dbname=app user=walguard"$' "$TMP/out" &&
    grep -q '^"sasl.username" = "walguard"$' "$TMP/out"; then
    ok "secrets masked in the pg conninfo and in a Kafka property"
  else
    fail "check-config's output lacks the masked settings: $(cat "$TMP/out")"
  fi
else
  fail "check-config rejected a valid file: $(cat "$TMP/err")"
fi
version=$("$WALGUARD" --version)
if [[ "$version" =~ ^walguard\ [0-9]+\.[0-9]+\.[0-9]+\ \(revision\ [^\ ]+\)$ ]]; then
  ok "--version: $version"
else
  fail "--version prints '$version'"
fi

echo "== Dockerfile"
runtime=$(sed -n '/^FROM .* AS runtime/,$p' "$SRC/Dockerfile")
[ -n "$runtime" ] || fail "Dockerfile has no 'FROM ... AS runtime' stage"
grep -q '^FROM debian:bookworm' "$SRC/Dockerfile" || fail "Dockerfile does not build on debian:bookworm"
grep -q '^USER walguard' <<<"$runtime" || fail "the runtime stage does not run as the walguard user"
grep -q '^ENTRYPOINT \["/usr/local/bin/walguard"\]' <<<"$runtime" || fail "walguard is not the entrypoint"
if command -v dpkg >/dev/null && command -v readelf >/dev/null; then
  # The package of every library walguard names (NEEDED), found by ldd's path.
  # A library the binary names but never uses (`ldd -u`: clang links without
  # --as-needed, so the sanitizer build names RocksDB's gflags) is left out:
  # the image's gcc build, like Debian's, links with --as-needed.
  unused=$(ldd -u "$WALGUARD" 2>/dev/null | sed -n 's/^[[:space:]]*\(\/.*\)$/\1/p' || true)
  missing=()
  packages=0
  for lib in $(readelf -d "$WALGUARD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    path=$(ldd "$WALGUARD" | awk -v l="$lib" '$1 == l { print $3 }')
    [ -n "$path" ] || continue
    grep -qxF -- "$path" <<<"$unused" && continue
    pkg=$( (dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null ||
      dpkg -S "/usr$path" 2>/dev/null) | head -1 | cut -d: -f1)
    case "$pkg" in "" | libc6 | libstdc++6 | libgcc-s1) continue ;; esac
    packages=$((packages + 1))
    grep -qw -- "$pkg" <<<"$runtime" || missing+=("$pkg ($lib)")
  done
  if [ "$packages" -lt 5 ]; then
    fail "found the packages of only $packages of walguard's libraries (readelf/ldd/dpkg output changed?)"
  elif [ "${#missing[@]}" -eq 0 ]; then
    ok "the runtime stage installs the package of each of the $packages libraries walguard links"
  else
    fail "the runtime stage lacks ${missing[*]}"
  fi
else
  echo "SKIP the Dockerfile's runtime libraries: no dpkg or readelf here"
fi

echo "== systemd units"
if command -v systemd-analyze >/dev/null; then
  # verify wants the executables to exist: point the copies at this build.
  for unit in "$SRC"/deploy/*.service; do
    sed "s#/usr/local/bin/walguard#$WALGUARD#g" "$unit" >"$TMP/$(basename "$unit")"
  done
  if out=$(systemd-analyze verify "$TMP"/*.service 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify: $(cd "$SRC/deploy" && echo *.service)"
  else
    fail "systemd-analyze verify: $out"
  fi
  for unit in "$SRC"/deploy/*.service; do
    for key in DynamicUser=yes StateDirectory= ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes \
      PrivateTmp=yes RestrictAddressFamilies= MemoryMax= Restart=on-failure RestartPreventExitStatus=2; do
      grep -q "^$key" "$unit" || fail "$(basename "$unit") lacks $key"
    done
  done
else
  echo "SKIP systemd-analyze verify: systemd-analyze is not installed here"
fi

if [ "$fails" -ne 0 ]; then
  echo "deploy: $fails failures"
  exit 1
fi
echo "deploy: all passed"
