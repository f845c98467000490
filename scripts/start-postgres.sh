#!/usr/bin/env bash
# Brings up a private PostgreSQL for Opus (tests, development): initdb into a data folder, start
# on 127.0.0.1 only, then a role and a database. Idempotent: a server already up is left as it is.
# Installs the Debian package when missing (needs root). Stop it with scripts/stop-postgres.sh
# (pg_ctl stop). Prints the connection string.
#   OPUS_PG_DIR      data folder parent (default /tmp/opus-postgres; postgres must be able to reach it)
#   OPUS_PG_PORT     port on 127.0.0.1 (default 55432)
#   OPUS_PG_USER / OPUS_PG_PASSWORD / OPUS_PG_DATABASE   (default opus / opus-test / opus)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${OPUS_PG_DIR:-/tmp/opus-postgres}
port=${OPUS_PG_PORT:-55432}
user=${OPUS_PG_USER:-opus}
password=${OPUS_PG_PASSWORD:-opus-test}
database=${OPUS_PG_DATABASE:-opus}
started=$(date +%s.%N)

say() { echo "start-postgres: $*"; }
fail() { echo "start-postgres: $*" >&2; exit 1; }

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ]; then
  [ "$(id -u)" = 0 ] || fail "PostgreSQL is not installed; run as root to install it"
  say "installing postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# initdb and pg_ctl refuse to run as root: run them as postgres when we are root.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
owner=$([ "$(id -u)" = 0 ] && echo postgres || id -un)
data=$base/data

if [ ! -s "$data/PG_VERSION" ]; then
  install -d -o "$owner" -m 0700 "$base"
  as_postgres "$pgbin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 || fail "initdb failed; see $base/initdb.log"
fi

if as_postgres "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  say "already running ($data)"
else
  # fsync off: a test database need not survive a power cut, and it is much faster.
  as_postgres "$pgbin/pg_ctl" -D "$data" -l "$base/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base -c fsync=off -c max_connections=300" \
    start >/dev/null || fail "PostgreSQL did not start; see $base/server.log"
fi

psql_admin() { as_postgres psql -h "$base" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAX "$@"; }
# The role may create databases: the tests make one per server they start.
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]; then
  psql_admin -c "CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE \"$database\" OWNER \"$user\""
fi

say "up in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s on 127.0.0.1:$port"
say "connection string: Host=127.0.0.1;Port=$port;Database=$database;Username=$user;Password=$password"
say "stop it with: $here/stop-postgres.sh  (runs: pg_ctl -D $data -m fast stop)"
