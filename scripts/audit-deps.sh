#!/usr/bin/env bash
# Dependency audit of the lock file: known vulnerabilities in what Ai installs (issue 10).
#
#   scripts/audit-deps.sh            # CI: .venv/bin/pip-audit (dev extras) against requirements.lock
#   AUDIT_REQUIRED=1 scripts/audit-deps.sh   # fail (instead of skip) when no database is reachable
#
# pip-audit needs a vulnerability database online: OSV (api.osv.dev) or PyPI's JSON API
# (pypi.org/pypi/<name>/json, which carries a "vulnerabilities" list). A machine behind a
# package mirror may reach neither; then the audit is skipped with a clear message (exit 0),
# or fails with AUDIT_REQUIRED=1. Every package of the lock is audited as pinned (--no-deps:
# the lock is already resolved) and a package that cannot be audited fails the run (--strict).
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK="${LOCK:-requirements.lock}"
PIP_AUDIT="${PIP_AUDIT:-.venv/bin/pip-audit}"
PROBE_TIMEOUT="${PROBE_TIMEOUT:-10}"

if [ ! -x "$PIP_AUDIT" ]; then
  echo "audit-deps: $PIP_AUDIT not found (pip install -e '.[dev]' or the lock installs it)" >&2
  exit 1
fi

osv_reachable() {
  curl -fsS --max-time "$PROBE_TIMEOUT" -o /dev/null -H 'Content-Type: application/json' \
    -d '{"package":{"name":"django","ecosystem":"PyPI"},"version":"5.2"}' \
    https://api.osv.dev/v1/query 2>/dev/null
}

pypi_reachable() {
  # A mirror may answer /simple/ but not the JSON API; the JSON must list vulnerabilities.
  curl -fsS --max-time "$PROBE_TIMEOUT" https://pypi.org/pypi/django/5.2/json 2>/dev/null \
    | grep -q '"vulnerabilities"'
}

service=""
if osv_reachable; then
  service=osv
elif pypi_reachable; then
  service=pypi
fi

if [ -z "$service" ]; then
  message="audit-deps: SKIPPED: no vulnerability database reachable from this machine (api.osv.dev: no answer; pypi.org JSON API: no answer or no vulnerability data). Run it where one of them is reachable."
  if [ "${AUDIT_REQUIRED:-0}" = 1 ]; then
    echo "$message" >&2
    exit 1
  fi
  echo "$message"
  exit 0
fi

echo "audit-deps: auditing $LOCK ($(grep -cE '^[A-Za-z0-9_.-]+==' "$LOCK") pinned packages) against $service"
exec "$PIP_AUDIT" --requirement "$LOCK" --no-deps --disable-pip --strict \
  --vulnerability-service "$service" --progress-spinner off --desc
