#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then destroy it.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# The cluster lives in /tmp/pgflow-pg.XXXXXX, listens on a free port on
# 127.0.0.1 with trust auth, and has an empty database `pgflow`. CMD runs as
# the invoking user with DATABASE_URL and PGHOST/PGPORT/PGUSER/PGDATABASE set.
# The cluster is stopped and its directory removed on every exit path (success,
# failure, CTRL-C, TERM); the script exits with CMD's exit code.
#
# PostgreSQL refuses to run as root, so when invoked as root the server runs as
# the `postgres` OS user; any other user runs it directly.
#
# Env: PG_MAJOR (15), PGBIN, PGFLOW_SKIP_INSTALL=1 (do not run `make install`),
#      PGFLOW_PG_SETTINGS="name=value ..." extra server settings,
#      PGFLOW_KEEP_LOG=path copy the server log there before cleanup.
set -euo pipefail

(($#)) || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PG_MAJOR="${PG_MAJOR:-15}"
PGBIN="${PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}"

log() { echo "with-postgres: $*" >&2; }

# The server loads the extension's files from the sharedir: put the current
# build there (a no-op when already up to date).
if [[ -z "${PGFLOW_SKIP_INSTALL:-}" ]]; then
  make -C "$ROOT" --no-print-directory -s install
fi

if [[ $(id -u) == 0 ]]; then
  # cd /: the invoking directory may be unreadable for postgres (initdb warns).
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi

# One temp dir holds the data dir, the logs and the socket; removing it is the cleanup.
tmpdir="$(mktemp -d /tmp/pgflow-pg.XXXXXX)"
[[ $(id -u) == 0 ]] && chown postgres: "$tmpdir"
datadir="$tmpdir/data"
pglog="$tmpdir/postgres.log"
started=false

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e  # cleanup must run to the end whatever fails in it
  # The pid file, not $started: a start that timed out may still leave a server.
  if [[ -f "$datadir/postmaster.pid" ]]; then
    # fast: disconnect clients (a hung test may still hold connections);
    # immediate as a last resort so cleanup never hangs.
    as_pg "$PGBIN/pg_ctl" -D "$datadir" -m fast -t 30 -w stop >/dev/null 2>&1 \
      || as_pg "$PGBIN/pg_ctl" -D "$datadir" -m immediate -w stop >/dev/null 2>&1
  fi
  # Expected errors from tests fill the log; show only signs of a server in trouble.
  if ((rc != 0)) && grep -qE 'PANIC|FATAL|terminated by signal' "$pglog" 2>/dev/null; then
    log "exit code $rc; server trouble in the log:"
    grep -E -A3 'PANIC|FATAL|terminated by signal' "$pglog" | tail -n 40 >&2
  fi
  [[ -n "${PGFLOW_KEEP_LOG:-}" && -f "$pglog" ]] && cp "$pglog" "$PGFLOW_KEEP_LOG"
  rm -rf "$tmpdir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --no-sync only skips flushing initdb's own files (the cluster is thrown away);
# the running server keeps fsync on.
as_pg "$PGBIN/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 \
  --locale=C --no-sync --no-instructions >"$tmpdir/initdb.log" 2>&1 \
  || { cat "$tmpdir/initdb.log" >&2; exit 1; }

# Settings for tests: many connections (workers, pools, LISTEN), a socket in
# the temp dir (no dependency on /var/run/postgresql), predictable messages.
cat >>"$datadir/postgresql.conf" <<EOF

# --- added by scripts/with-postgres.sh ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmpdir'
max_connections = 200
lc_messages = 'C'
timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_min_error_statement = error
log_checkpoints = off
EOF
for kv in ${PGFLOW_PG_SETTINGS:-}; do echo "${kv%%=*} = '${kv#*=}'" >>"$datadir/postgresql.conf"; done

# Pick a free port; another cluster may grab it between the probe and the bind,
# so retry with a new one.
for attempt in 1 2 3 4 5; do
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if as_pg "$PGBIN/pg_ctl" -D "$datadir" -l "$pglog" -o "-p $port" -w -t 60 start >/dev/null; then
    started=true
    break
  fi
  log "start on port $port failed (attempt $attempt)"
  tail -n 5 "$pglog" >&2 || true
  as_pg "$PGBIN/pg_ctl" -D "$datadir" -m immediate stop >/dev/null 2>&1 || true
done
$started || { log "could not start PostgreSQL"; exit 1; }

export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres PGDATABASE=pgflow
export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/pgflow"
unset PGPASSWORD PGSERVICE PGOPTIONS

"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c 'create database pgflow' >/dev/null
log "PostgreSQL $PG_MAJOR on $DATABASE_URL (data in $tmpdir)"

# Not exec: the EXIT trap must run after CMD to stop the server.
set +e
"$@"
rc=$?
set -e
exit "$rc"
