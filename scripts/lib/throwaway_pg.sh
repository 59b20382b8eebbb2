# Sourced by the demo: a throwaway PostgreSQL 15 with wal_level=logical in a
# temporary directory, on 127.0.0.1 at a free port. As root, the server runs
# as the unprivileged 'postgres' user that the Debian package creates.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_as() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  # Bind to port 0 and let the kernel choose; bash only, no python needed.
  local port
  for port in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

pg_start() {
  PG_ROOT=$(mktemp -d /tmp/walguard-pg.XXXXXX)
  chmod 0755 "$PG_ROOT"
  PG_DATA="$PG_ROOT/data"
  PG_PORT=$(free_port)
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_ROOT"
  pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U walguard_admin -A trust --encoding=UTF8 --locale=C >"$PG_ROOT/initdb.log" 2>&1
  cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_ROOT'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
wal_sender_timeout = 20s
CONF
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w start >/dev/null
  PG_CONNINFO="host=127.0.0.1 port=$PG_PORT user=walguard_admin dbname=demo"
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d postgres -c "CREATE DATABASE demo" >/dev/null
}

pg_stop() {
  [ -n "${PG_DATA:-}" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  [ -n "${PG_ROOT:-}" ] && rm -rf "$PG_ROOT"
}

pg_sql() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U walguard_admin -d demo "$@"; }
