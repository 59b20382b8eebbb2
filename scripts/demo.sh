#!/usr/bin/env bash
# The walguard demo, on embedded defaults: installs what is missing, builds,
# starts a throwaway Postgres 15, the embedded Kafka broker and walguard,
# plays runbook 000's two training incidents and runbook 002's ledger,
# overbooking, payment and double-charge incidents, shows the alerts and
# commands as a Kafka consumer receives them; the corrective worker applies
# the runbooks' fixes (the double charge after an approval the demo gives) and
# the alerts resolve; then it asks the archive which commit broke the sold-out
# tier (walguard inspect) and replays it. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

bash scripts/setup.sh
LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALGUARD_TESTS=OFF "${LAUNCHER[@]}" >/dev/null
cmake --build build -j"$(nproc)" --target walguard

source scripts/lib/throwaway_pg.sh
WORK=$(mktemp -d /tmp/walguard-demo.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting a throwaway PostgreSQL 15 (wal_level=logical)"
pg_start
pg_sql -f sql/ticketing_schema.sql -f sql/reserve_schema.sql
# walguard connects as its least-privileged role: REPLICATION plus SELECT on
# the monitored tables (README, "Least privilege and secrets").
pg_sql -f sql/walguard_role.sql -f sql/walguard_grants.sql
# The corrective worker's functions, tables and role (sql/runbook/README.md).
pg_sql -f sql/runbook/install.sql
WG_CONNINFO=${PG_CONNINFO/user=walguard_admin/user=walguard}
WORKER_CONNINFO=${PG_CONNINFO/user=walguard_admin/user=walguard_worker}
echo "postgres: $PG_CONNINFO (walguard connects as: $WG_CONNINFO; the worker as: $WORKER_CONNINFO)"

step "Starting the embedded Kafka broker"
coproc BROKER { exec "$ROOT/build/walguard" broker 2>"$WORK/broker.log"; }
PIDS+=("$BROKER_PID")
read -r line <&"${BROKER[0]}"
BOOTSTRAP=${line#bootstrap=}
echo "broker: $BOOTSTRAP"

# With Debian's prometheus-alertmanager installed, walguard also pushes its
# alerts to a local Alertmanager (README, Alertmanager).
AM_FLAGS=()
if command -v prometheus-alertmanager >/dev/null; then
  step "Starting Alertmanager"
  AM_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n' >"$WORK/alertmanager.yml"
  prometheus-alertmanager --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/alertmanager" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= 2>"$WORK/alertmanager.log" &
  PIDS+=("$!")
  AM_FLAGS=(--alertmanager "http://127.0.0.1:$AM_PORT")
  echo "alertmanager: http://127.0.0.1:$AM_PORT (walguard's alerts show there while the demo runs)"
fi

step "Starting walguard run"
"$ROOT/build/walguard" run --pg "$WG_CONNINFO" --brokers "$BOOTSTRAP" --state-dir "$WORK/state" "${AM_FLAGS[@]}" \
  --http 127.0.0.1:9187 2>"$WORK/walguard.log" &
WALGUARD_PID=$!
PIDS+=("$WALGUARD_PID")
for _ in $(seq 1 100); do
  grep -q "streaming from slot" "$WORK/walguard.log" && break
  sleep 0.2
done
grep -E "bootstrap|streaming" "$WORK/walguard.log" | sed 's/^/  walguard: /'
echo "  status page: http://127.0.0.1:9187/  (metrics: http://127.0.0.1:9187/metrics)"

step "Starting the corrective worker (walguard worker): apply mode for every command type that fixes its incident"
# block_unit_availability stays a dry run: it stops new bookings, but which stay
# to move is a person's call (runbook 002, overbooking). refund_duplicate_charge
# always waits for an approval (requires_approval).
cat >"$WORK/worker.toml" <<'TOML'
[worker.modes]
cleanup_expired_ticket_holds = "apply"
reconcile_event_tickets = "apply"
reconcile_issued_quantity = "apply"
ensure_tickets = "apply"
expire_pending_orders = "apply"
recalculate_availability = "apply"
finalize_reservation = "apply"
refund_duplicate_charge = "apply"
TOML
"$ROOT/build/walguard" worker --pg "$WORKER_CONNINFO" --brokers "$BOOTSTRAP" --config "$WORK/worker.toml" \
  --id demo-worker 2>"$WORK/worker.log" &
PIDS+=("$!")
for _ in $(seq 1 150); do  # until the group has given it the commands topic's partitions
  grep -q "assigned [0-9]* partition" "$WORK/worker.log" && break
  sleep 0.2
done
grep -E "joining group|assigned" "$WORK/worker.log" | sed 's/^/  worker: /'

step "Consuming walguard.alerts, walguard.commands and walguard.outcomes with kcat (a real Kafka consumer)"
for topic in alerts commands outcomes; do
  kcat -C -q -u -b "$BOOTSTRAP" -t "walguard.$topic" -o beginning -f '%s\n' >"$WORK/$topic.jsonl" 2>>"$WORK/kcat.log" &
  PIDS+=("$!")
done

show() {  # one summary line per message; a line still being written is skipped until complete
  jq -R -r 'fromjson? | if .alert_id then "  ALERT   \(.state|ascii_upcase) \(.severity) \(.fingerprint)  details=\(.details|tojson)"
            elif .status then "  OUTCOME \(.status|ascii_upcase) \(.type) \(.command_id)  report=\(.report|tojson)\(if .reason then "  reason=\(.reason)" else "" end)"
            else "  COMMAND \(.type) \(.args|tojson) caused_by=\(.caused_by)" end'
}
wait_for() {  # wait_for PATTERN COUNT: until COUNT alert lines match
  for _ in $(seq 1 150); do
    [ "$(grep -c -- "$1" "$WORK/alerts.jsonl" || true)" -ge "$2" ] && return 0
    sleep 0.2
  done
  echo "  (timed out waiting for $1; walguard log follows)"; tail -n 20 "$WORK/walguard.log"; return 1
}
declare -A SEEN=([alerts]=0 [commands]=0 [outcomes]=0)
print_new() {  # complete lines of each topic not shown yet
  local topic total
  for topic in alerts commands outcomes; do
    total=$(grep -c '}$' "$WORK/$topic.jsonl" || true)
    sed -n "$((SEEN[$topic] + 1)),${total}p" "$WORK/$topic.jsonl" | show
    SEEN[$topic]=$total
  done
}

step "Incident 1 (runbook 000, scenario 1): event shown SOLD OUT with 85 tickets stuck in expired holds"
pg_sql -f sql/demo/01_sold_out_incident.sql
wait_for '"state":"firing"' 3
sleep 0.5; print_new

step "The worker applies cleanup_expired_ticket_holds and reconcile_event_tickets: the alerts resolve"
wait_for '"state":"resolved"' 3
sleep 1; print_new

step "Incident 2 (runbook 000, scenario 2): a paid order with no tickets; the worker applies ensure_tickets"
pg_sql -f sql/demo/02_paid_without_tickets.sql
wait_for 'paid_without_tickets.*"state":"resolved"' 1
sleep 1; print_new

step "Reserve Connect incidents (runbook 002): ledger imbalance, overbooking, payment without reservation, double charge"
pg_sql -f sql/demo/04_reserve_incidents.sql
wait_for '"state":"firing"' 8
# finalize_reservation is applied by the worker; the refund waits for a person.
wait_for_outcome() {  # wait_for_outcome PATTERN: until an outcome line matches
  for _ in $(seq 1 150); do
    grep -q -- "$1" "$WORK/outcomes.jsonl" && return 0
    sleep 0.2
  done
  echo "  (timed out waiting for outcome $1; worker log follows)"; tail -n 20 "$WORK/worker.log"; return 1
}
wait_for_outcome '"status":"awaiting_approval"'
wait_for_outcome '"type":"finalize_reservation","status":"applied"'
sleep 1; print_new

step "The double charge waits for a person: walguard approvals, then walguard approve"
"$ROOT/build/walguard" approvals --brokers "$BOOTSTRAP" 2>&1 | sed 's/^/  /'
REFUND=$(jq -R -r 'fromjson? | select(.status == "awaiting_approval") | .command_id' "$WORK/outcomes.jsonl" | head -n 1)
"$ROOT/build/walguard" approve "$REFUND" --by demo-oncall --reason "duplicate confirmed with the guest" \
  --brokers "$BOOTSTRAP" 2>&1 | sed 's/^/  /'
wait_for_outcome '"type":"refund_duplicate_charge","status":"applied"'

step "By hand, as the runbook says (no command can decide these): the balancing ledger entry; cancel the later stay"
pg_sql -f sql/demo/05_reserve_fixes.sql
wait_for '"state":"resolved"' 8
sleep 1; print_new

step "A silent webhook endpoint (404s write no row): card payments wait, no webhook arrives -> webhook_silence"
pg_sql -f sql/demo/06_silent_provider.sql
wait_for 'webhook_silence.*"state":"firing"' 1
sleep 0.5; print_new
pg_sql -f sql/demo/07_webhooks_back.sql
wait_for 'webhook_silence.*"state":"resolved"' 1
step "pg_cron health (simulated with plain tables of pg_cron's shape): the holds cleanup job fails, then succeeds"
pg_sql -f sql/demo/08_cron_job_failing.sql
wait_for 'cron_job_failed.*"state":"firing"' 1
pg_sql -f sql/demo/09_cron_job_recovers.sql
wait_for 'cron_job_failed.*"state":"resolved"' 1
sleep 0.5; print_new

step "Every alert resolved; alert -> applied fix, as measured from the topics (outcome at - alert detected_at)"
still=$(jq -R -r 'fromjson? | select(.alert_id) | "\(.alert_id) \(.state)"' "$WORK/alerts.jsonl" |
  awk '{last[$1]=$2} END {for (a in last) if (last[a] == "firing") n++; print n+0}')
echo "  alerts still firing: $still"
jq -R -s -r '[split("\n")[] | fromjson? ] as $all |
  ($all | map(select(.alert_id and .state == "firing")) | map({key: .alert_id, value: .detected_at}) | from_entries) as $fired |
  ($all | map(select(.caused_by and .command_id)) | map({key: .command_id, value: .caused_by}) | from_entries) as $cause |
  def us: (sub("\\.[0-9]+Z$";"Z")|fromdate) * 1000000 + (capture("\\.(?<f>[0-9]+)Z$").f + "000000" | .[0:6] | tonumber);
  $all[] | select(.status == "applied") | . as $o | ($fired[$cause[$o.command_id] // ""] // null) as $d |
  select($d) | "  \($o.type): \((($o.at|us) - ($d|us)) / 1000 | floor) ms (\($o.reason // "apply mode"))"' \
  "$WORK/alerts.jsonl" "$WORK/commands.jsonl" "$WORK/outcomes.jsonl"
[ "$still" -eq 0 ] || { echo "  some alerts still fire"; exit 1; }

step "Commit-to-alert latency (detected_at - commit_time) of every alert above"
jq -R -r 'fromjson? | select(.alert_id) |
  ((.detected_at|sub("\\.[0-9]+Z$";"Z")|fromdate) - (.commit_time|sub("\\.[0-9]+Z$";"Z")|fromdate)) as $s |
  ((.detected_at|capture("\\.(?<f>[0-9]+)Z$").f|tonumber) - (.commit_time|capture("\\.(?<f>[0-9]+)Z$").f|tonumber)) as $us |
  "  \(.type) \(.state): \(($s*1000000 + $us)/1000) ms"' "$WORK/alerts.jsonl"

step "Stopping walguard (SIGTERM): its last progress line"
kill -TERM "$WALGUARD_PID"; wait "$WALGUARD_PID" || true
grep -E "progress|stopped" "$WORK/walguard.log" | tail -n 3 | sed 's/^/  /'

step "Forensics: the commit that broke the sold-out tier, from walguard's own archive (walguard inspect)"
# The archive recorded every step walguard applied; a clean stop sealed its tail.
TIER=$(jq -R -r 'fromjson? | select(.entity.kind == "tier" and .state == "firing") | .entity.id' \
  "$WORK/alerts.jsonl" | head -n 1)
"$ROOT/build/walguard" inspect --archive "$WORK/state/archive" --entity "tier:$TIER" 2>&1 | sed 's/^/  /'

step "Replay: the archive gives back every alert the live run published (walguard replay)"
"$ROOT/build/walguard" replay --archive "$WORK/state/archive" --out "$WORK/replay.jsonl" 2>&1 | sed 's/^/  /'
transitions() { jq -R -r 'fromjson? | select(.alert_id) | "\(.alert_id) \(.state) \(.lsn) \(.fingerprint)"' | sort -u; }
jq -c 'select(.topic == "walguard.alerts") | .value' "$WORK/replay.jsonl" | transitions >"$WORK/replayed.txt"
transitions <"$WORK/alerts.jsonl" >"$WORK/live.txt"
if diff -u "$WORK/live.txt" "$WORK/replayed.txt" >"$WORK/replay.diff"; then
  echo "  replay = live: the same $(wc -l <"$WORK/live.txt") alert transitions (id, state, lsn, fingerprint)"
else
  echo "  replay differs from the live run:"; sed 's/^/    /' "$WORK/replay.diff"; exit 1
fi
echo
echo "Demo complete: every incident fired and resolved, and the archive replays them."
