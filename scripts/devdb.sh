#!/usr/bin/env bash
# Project-local PostgreSQL for development and tests: `scripts/devdb.sh start|stop|status|url`.
#
# Used only when DATABASE_URL is not set. The cluster lives in .pgdata/ (git-ignored),
# listens on 127.0.0.1:${AI_PGPORT:-54329} (not the system cluster's 5432), and runs as an
# unprivileged user when invoked as root, since PostgreSQL refuses to run as root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${AI_PGPORT:-54329}"
PGDATA="${AI_PGDATA:-$ROOT/.pgdata/data}"
LOG="$(dirname "$PGDATA")/postgres.log"

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  return 1
}

BINDIR="$(find_bindir)" || {
  echo "PostgreSQL server binaries (initdb, pg_ctl) not found." >&2
  echo "Install them with:  sudo apt-get install postgresql   (Debian/Ubuntu: package 'postgresql-15' or newer)" >&2
  echo "or point DATABASE_URL at an existing PostgreSQL server." >&2
  exit 1
}

# As root, run the server as an unprivileged user that can reach the data folder.
RUNAS=()
if [ "$(id -u)" = 0 ]; then
  PGUSER_OS="${AI_PG_OS_USER:-postgres}"
  if ! id "$PGUSER_OS" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
  fi
  RUNAS=(runuser -u "$PGUSER_OS" --)
  # The user must be able to traverse to the data folder; else keep the cluster in /var/tmp.
  mkdir -p "$(dirname "$PGDATA")"
  if ! "${RUNAS[@]}" test -x "$(dirname "$PGDATA")" 2>/dev/null; then
    alt="/var/tmp/ai-pgdata-$(printf '%s' "$ROOT" | sha1sum | cut -c1-10)"
    mkdir -p "$alt"
    PGDATA="$alt/data"; LOG="$alt/postgres.log"
  fi
  chown "$PGUSER_OS" "$(dirname "$PGDATA")"
fi
run() { "${RUNAS[@]}" "$@"; }

cmd="${1:-start}"
case "$cmd" in
  start)
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
      echo "Creating a PostgreSQL cluster in $PGDATA (port $PORT)"
      pwfile="$(mktemp)"; echo "ai" > "$pwfile"; chmod 644 "$pwfile"
      run "$BINDIR/initdb" -D "$PGDATA" -U ai --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
      rm -f "$pwfile"
      cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
CONF
    fi
    if run "$BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      echo "PostgreSQL already running on 127.0.0.1:$PORT"
    else
      # the port asked for now wins over the one written when the cluster was made (a
      # cluster made by CI on another port would otherwise listen where no one looks)
      run "$BINDIR/pg_ctl" -D "$PGDATA" -l "$LOG" -o "-p $PORT" -w -t 60 start >/dev/null
      echo "PostgreSQL started on 127.0.0.1:$PORT (data: $PGDATA, log: $LOG)"
    fi
    # The application database (tests create and drop their own beside it).
    if ! PGPASSWORD=ai "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U ai -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='ai'" | grep -q 1; then
      PGPASSWORD=ai "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U ai -d postgres -qc "CREATE DATABASE ai" 
    fi
    ;;
  stop)
    if [ -s "$PGDATA/PG_VERSION" ] && run "$BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      run "$BINDIR/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null && echo "PostgreSQL stopped."
    else
      echo "PostgreSQL is not running."
    fi
    ;;
  status)
    run "$BINDIR/pg_ctl" -D "$PGDATA" status || true
    ;;
  url)
    echo "postgres://ai:ai@127.0.0.1:$PORT/ai"
    ;;
  *)
    echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
