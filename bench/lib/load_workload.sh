# shellcheck shell=bash
# Sourced by the benchmarks that load bench/drain_workload.sql's workload.
#
#   load_workload NTXN K J FAULT_EVERY LOG
#
# Commits NTXN transactions of bench.load a chunk of LOAD_CHUNK_TXNS (default
# 2000) at a time, each chunk a CALL from a new psql session, and writes to
# LOG one summary line for the whole load, as one CALL would print it:
#   bench: changes=... inserts=... updates=... txns=... faults=... target=<LSN>
# Fails with the failing chunk's output in LOG.
# The target is the last chunk's: the WAL insert position after the last
# COMMIT. Why chunks: one session's cached plans, made while the tables were
# small, made one CALL of the whole load superlinear (drain_workload.sql).
# Needs pg_sql (scripts/lib/throwaway_pg.sh) and log.
load_workload() {
  local ntxn=$1 k=$2 j=$3 fault_every=$4 out=$5
  local chunk=${LOAD_CHUNK_TXNS:-2000} first=0 n line kv
  local changes=0 inserts=0 updates=0 txns=0 faults=0 target="" last_log=$SECONDS
  while [ "$first" -lt "$ntxn" ]; do
    n=$(( ntxn - first < chunk ? ntxn - first : chunk ))
    # The summary is a NOTICE: psql prints it on stderr.
    if ! pg_sql -c "CALL bench.load($n, $k, $j, $fault_every, $first)" >"$out" 2>&1; then return 1; fi
    line=$(sed -n 's/.*bench: //p' "$out")
    [ -n "$line" ] || return 1
    for kv in $line; do
      case ${kv%%=*} in
        changes) changes=$(( changes + ${kv#*=} )) ;;
        inserts) inserts=$(( inserts + ${kv#*=} )) ;;
        updates) updates=$(( updates + ${kv#*=} )) ;;
        txns) txns=$(( txns + ${kv#*=} )) ;;
        faults) faults=$(( faults + ${kv#*=} )) ;;
        target) target=${kv#*=} ;;
      esac
    done
    first=$(( first + n ))
    if [ $(( SECONDS - last_log )) -ge 60 ]; then
      log "load: $first of $ntxn transactions committed"
      last_log=$SECONDS
    fi
  done
  echo "bench: changes=$changes inserts=$inserts updates=$updates txns=$txns faults=$faults target=$target" >"$out"
}
