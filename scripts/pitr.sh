#!/usr/bin/env bash
# The whole installation to any moment: continuous archiving of the PostgreSQL cluster with
# pgBackRest (Debian package pgbackrest), and restore to a point in time.
#
#   scripts/pitr.sh setup   --data DIR --repo DIR [--port 5432] [--socket /var/run/postgresql]
#                           [--stanza ai] [--retention 2]
#   scripts/pitr.sh backup  --repo DIR [--type full|diff|incr]
#   scripts/pitr.sh check   --repo DIR
#   scripts/pitr.sh info    --repo DIR
#   scripts/pitr.sh restore --repo DIR --to "2026-11-30 09:15:00+09" --data NEWDIR
#                           [--port PORT] [--no-archive] [--start]
#
# setup    writes REPO/pgbackrest.conf (the repository, where WAL and backups go: put it on
#          another disk or machine, e.g. an NFS mount, or set repo1-type=s3 there), turns on
#          archive_mode and points archive_command at pgBackRest (ALTER SYSTEM; the cluster
#          is restarted once), creates the stanza, checks that WAL reaches the repository,
#          and takes the first full backup.
# backup   a full (weekly, say) or differential/incremental (daily) backup; with the archived
#          WAL in between, any moment since the oldest kept full backup can be restored.
#          Old backups go by repo1-retention-full (--retention full backups kept).
# check    forces a WAL switch and waits until that segment is in the repository.
# restore  rebuilds the cluster as it was at --to (recovery_target_time, then promote) into
#          NEWDIR: an empty folder, or the cluster's own data folder after it is stopped and
#          moved aside. --port runs the copy beside the original, --no-archive keeps it from
#          archiving into the repository (a copy to look at), --start starts it.
#
# Run as the cluster's OS user (postgres); as root, pgBackRest and pg_ctl run as
# AI_PG_OS_USER (default postgres). The database user is PGUSER (default postgres), over
# the Unix socket (pgBackRest does not use TCP for a local cluster).
set -euo pipefail

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_ctl" ]; then
    pg_config --bindir; return
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  return 1
}
BINDIR="$(find_bindir)" || { echo "pg_ctl not found: apt-get install postgresql" >&2; exit 1; }
command -v pgbackrest >/dev/null || { echo "pgbackrest not found: apt-get install pgbackrest" >&2; exit 1; }

OS_USER="${AI_PG_OS_USER:-postgres}"
RUNAS=()
[ "$(id -u)" = 0 ] && RUNAS=(runuser -u "$OS_USER" --)
as_owner() { "${RUNAS[@]}" "$@"; }

usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd="${1:-}"; shift || true
DATA="" REPO="" PORT="5432" SOCKET="/var/run/postgresql" STANZA="ai" RETENTION=2
TYPE="full" TO="" NO_ARCHIVE=0 START=0 NEWPORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --repo) REPO="$2"; shift 2 ;;
    --port) PORT="$2"; NEWPORT="$2"; shift 2 ;;
    --socket) SOCKET="$2"; shift 2 ;;
    --stanza) STANZA="$2"; shift 2 ;;
    --retention) RETENTION="$2"; shift 2 ;;
    --type) TYPE="$2"; shift 2 ;;
    --to) TO="$2"; shift 2 ;;
    --no-archive) NO_ARCHIVE=1; shift ;;
    --start) START=1; shift ;;
    *) usage ;;
  esac
done
[ -n "$REPO" ] || usage
CONF="$REPO/pgbackrest.conf"
# Every pgBackRest call names the file: the archive_command and restore_command run by the
# server have no environment of ours.
pgbr() { as_owner pgbackrest "--config=$CONF" "--stanza=$STANZA" "$@"; }
sql() {
  as_owner "$BINDIR/psql" -h "$SOCKET" -p "$PORT" -U "${PGUSER:-postgres}" -d postgres \
    -v ON_ERROR_STOP=1 -tAqc "$1"
}

case "$cmd" in
  setup)
    [ -n "$DATA" ] || usage
    mkdir -p "$REPO"
    [ ${#RUNAS[@]} -eq 0 ] || chown "$OS_USER" "$REPO"
    chmod 750 "$REPO"
    as_owner tee "$CONF" >/dev/null <<CONF
[global]
repo1-path=$REPO/repo
repo1-retention-full=$RETENTION
log-path=$REPO/log
lock-path=$REPO/lock
spool-path=$REPO/spool
log-level-console=warn
log-level-file=info
start-fast=y
compress-type=gz

[$STANZA]
pg1-path=$DATA
pg1-port=$PORT
pg1-socket-path=$SOCKET
pg1-user=${PGUSER:-postgres}
CONF
    sql "ALTER SYSTEM SET archive_mode = 'on'" >/dev/null
    sql "ALTER SYSTEM SET archive_command = 'pgbackrest --config=$CONF --stanza=$STANZA archive-push %p'" >/dev/null
    sql "ALTER SYSTEM SET wal_level = 'replica'" >/dev/null
    # archive_mode is read at start only.
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 120 restart -l "$DATA/../$(basename "$DATA").log" >/dev/null
    pgbr stanza-create
    pgbr check
    pgbr --type=full backup
    echo "archiving to $REPO/repo (stanza $STANZA); first full backup taken"
    ;;
  backup)
    pgbr "--type=$TYPE" backup
    ;;
  check)
    pgbr check
    ;;
  info)
    pgbr info
    ;;
  restore)
    [ -n "$DATA" ] && [ -n "$TO" ] || usage
    if [ -e "$DATA/PG_VERSION" ]; then
      echo "$DATA holds a cluster: stop it and move it aside first (or restore elsewhere)" >&2; exit 1
    fi
    mkdir -p "$DATA"
    [ ${#RUNAS[@]} -eq 0 ] || chown "$OS_USER" "$DATA" "$(dirname "$DATA")"
    chmod 700 "$DATA"
    pgbr "--pg1-path=$DATA" --type=time "--target=$TO" --target-action=promote restore
    extra=""
    [ -n "$NEWPORT" ] && extra+="port = $NEWPORT"$'\n'
    [ "$NO_ARCHIVE" = 1 ] && extra+="archive_mode = 'off'"$'\n'
    [ -z "$extra" ] || printf '%s' "$extra" | as_owner tee -a "$DATA/postgresql.auto.conf" >/dev/null
    if [ "$START" = 1 ]; then
      as_owner "$BINDIR/pg_ctl" -D "$DATA" -w -t 300 start -l "$DATA/../$(basename "$DATA").log" >/dev/null
      echo "restored to $TO and started: $DATA"
    else
      echo "restored to $TO: start it with pg_ctl -D $DATA start (it replays WAL up to then)"
    fi
    ;;
  *) usage ;;
esac
