#!/usr/bin/env bash
# Stops the PostgreSQL scripts/start-postgres.sh started (pg_ctl stop, fast mode) and removes its
# data folder unless OPUS_PG_KEEP=1.
set -uo pipefail
base=${OPUS_PG_DIR:-/tmp/opus-postgres}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ -n "$pgbin" ] && [ -s "$base/data/PG_VERSION" ]; then
  as_postgres "$pgbin/pg_ctl" -D "$base/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
fi
[ "${OPUS_PG_KEEP:-0}" = 1 ] || rm -rf "$base"
echo "stop-postgres: stopped"
