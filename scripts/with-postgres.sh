#!/usr/bin/env bash
# Runs a command with a temporary PostgreSQL cluster and KEEL_TEST_PG_URL set.
#
# Usage: scripts/with-postgres.sh CMD [ARG...]
#   e.g. scripts/with-postgres.sh node --import tsx --test test/db/database.test.ts
#
# Owns: a throwaway cluster (initdb into a temp dir, trust auth, listening on
# 127.0.0.1 only, unix socket in the temp dir), one database `keel_test`, and
# removing all of it on exit, whatever CMD does. Must not touch any other
# cluster: it never uses the default data directory or socket directory.
#
# Environment:
#   KEEL_PG_PORT  TCP port of the temporary cluster (default 54329, or the next free one of 54329..54338)
#   KEEL_PG_BIN   PostgreSQL bin directory (default: newest /usr/lib/postgresql/*/bin)
# Exit status: CMD's, or 2 when the cluster could not be started.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

port="${KEEL_PG_PORT:-54329}"
bin="${KEEL_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL binaries not found (set KEEL_PG_BIN)" >&2
  exit 2
fi

dir="$(mktemp -d /tmp/keel-pg.XXXXXX)"
# initdb refuses to run as root: run the server tools as `postgres` when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi

cleanup() {
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  echo "with-postgres: initdb failed" >&2
  exit 2
fi
# Without an explicit KEEL_PG_PORT, a busy 54329 (another run in parallel) moves us up a port.
attempts=1
[ -z "${KEEL_PG_PORT:-}" ] && attempts=10
started=0
for _ in $(seq "$attempts"); do
  if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off" start >/dev/null 2>&1; then
    started=1
    break
  fi
  port=$((port + 1))
done
if [ "$started" -ne 1 ]; then
  cat "$dir/server.log" >&2 || true
  echo "with-postgres: could not start PostgreSQL on 127.0.0.1 (ports busy? set KEEL_PG_PORT)" >&2
  exit 2
fi
as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres keel_test

export KEEL_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/keel_test"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $KEEL_TEST_PG_URL" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
