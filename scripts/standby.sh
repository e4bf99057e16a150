#!/usr/bin/env bash
# A standby that takes over: streaming replication of the whole PostgreSQL cluster of Ai.
#
#   scripts/standby.sh create  --primary HOST:PORT --data DIR --port PORT [--name standby1] [--sync]
#   scripts/standby.sh promote --data DIR --port PORT
#   scripts/standby.sh status  --primary HOST:PORT
#
# create   (on the standby's machine) copies the primary with pg_basebackup -R (a physical
#          replication slot named --name keeps the WAL the standby has not received yet),
#          starts the copy as a hot standby on --port, and with --sync makes the primary wait,
#          at every commit, until the standby has the transaction on disk
#          (synchronous_standby_names = 'FIRST 1 ("name")'): a save answered 200 is then on
#          both machines, and nothing answered is lost when the primary dies.
# promote  turns the standby into the primary (pg_ctl promote) and clears its own
#          synchronous_standby_names (alone, it must not wait for a standby it does not have).
#          Ai finds it by itself when DATABASE_URL names both hosts with
#          target_session_attrs=read-write (README, "Continuity").
# status   what the primary sees of its standbys (pg_stat_replication).
#
# Connection: PGUSER (default ai) and PGPASSWORD or ~/.pgpass; the user needs the
# REPLICATION attribute (the superuser ai of scripts/devdb.sh has it) and pg_hba.conf a
# "host replication" line for the standby's address. Run as the clusters' OS user; as root,
# the server programs run as AI_PG_OS_USER (default postgres), like scripts/devdb.sh.
set -euo pipefail

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_basebackup" ]; then
    pg_config --bindir; return
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_basebackup" ] && { echo "$d"; return; }
  done
  command -v pg_basebackup >/dev/null 2>&1 && { dirname "$(command -v pg_basebackup)"; return; }
  return 1
}
BINDIR="$(find_bindir)" || { echo "pg_basebackup not found: apt-get install postgresql" >&2; exit 1; }
export PGUSER="${PGUSER:-ai}"

RUNAS=()
if [ "$(id -u)" = 0 ]; then
  RUNAS=(runuser -u "${AI_PG_OS_USER:-postgres}" --)
fi
as_owner() { "${RUNAS[@]}" "$@"; }

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd="${1:-}"; shift || true
PRIMARY="" DATA="" PORT="" NAME="standby1" SYNC=0
while [ $# -gt 0 ]; do
  case "$1" in
    --primary) PRIMARY="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    --sync) SYNC=1; shift ;;
    --async) SYNC=0; shift ;;
    *) usage ;;
  esac
done
[[ "$NAME" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "--name: lower-case letters, digits, _" >&2; exit 2; }

primary_sql() {
  "$BINDIR/psql" -h "${PRIMARY%:*}" -p "${PRIMARY##*:}" -d postgres -v ON_ERROR_STOP=1 -tAqc "$1"
}
local_sql() {
  "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -tAqc "$1"
}

case "$cmd" in
  create)
    [ -n "$PRIMARY" ] && [ -n "$DATA" ] && [ -n "$PORT" ] || usage
    if [ -e "$DATA/PG_VERSION" ]; then echo "$DATA already holds a cluster" >&2; exit 1; fi
    mkdir -p "$(dirname "$DATA")"
    [ ${#RUNAS[@]} -eq 0 ] || chown "${AI_PG_OS_USER:-postgres}" "$(dirname "$DATA")"
    # The slot: the primary keeps every WAL segment until this standby has received it.
    primary_sql "SELECT pg_create_physical_replication_slot('$NAME')
                 WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$NAME')" >/dev/null
    as_owner "$BINDIR/pg_basebackup" -h "${PRIMARY%:*}" -p "${PRIMARY##*:}" -D "$DATA" \
      -R -X stream -S "$NAME" --checkpoint=fast
    # Its own port and name (the name is what synchronous_standby_names waits for), and never
    # the primary's wait for a standby: after a promotion it is alone.
    as_owner tee -a "$DATA/postgresql.auto.conf" >/dev/null <<CONF
port = $PORT
cluster_name = '$NAME'
hot_standby = on
synchronous_standby_names = ''
CONF
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$DATA/../$NAME.log" -w -t 120 start >/dev/null
    if [ "$SYNC" = 1 ]; then
      primary_sql "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (\"$NAME\")'" >/dev/null
    else
      primary_sql "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
    fi
    primary_sql "SELECT pg_reload_conf()" >/dev/null
    want=$([ "$SYNC" = 1 ] && echo sync || echo async)
    for _ in $(seq 1 120); do
      state="$(primary_sql "SELECT state || ' ' || sync_state FROM pg_stat_replication
                            WHERE application_name = '$NAME'" || true)"
      [ "$state" = "streaming $want" ] && break
      sleep 0.5
    done
    [ "$state" = "streaming $want" ] || { echo "standby $NAME not streaming ($state)" >&2; exit 1; }
    echo "standby $NAME streaming from $PRIMARY on port $PORT ($want), data $DATA"
    ;;
  promote)
    [ -n "$DATA" ] && [ -n "$PORT" ] || usage
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -w -t 60 promote >/dev/null
    local_sql "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
    local_sql "SELECT pg_reload_conf()" >/dev/null
    echo "promoted: $DATA (port $PORT) is the primary"
    ;;
  status)
    [ -n "$PRIMARY" ] || usage
    primary_sql "SELECT application_name, state, sync_state, replay_lag FROM pg_stat_replication"
    ;;
  *) usage ;;
esac
