"""A standby that takes over: the failover of ``bench.failover``, small and bounded in time.

Two throw-away clusters with synchronous replication (``scripts/standby.sh``), Ai served by
gunicorn with ``DATABASE_URL`` naming both hosts; teachers save marks through the API from
several threads, the primary is killed (SIGKILL) mid-burst and the standby promoted. The
same gunicorn workers go on saving on the new primary without a restart, the outage is
answered 503 in the API's JSON shape (never a 500), and every save answered 200 is on the
new primary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_synchronous_standby_takes_over_and_loses_no_answered_save(scratch, free_port):
    out = scratch / "figures.json"
    # Ai's own settings (not the test settings pytest runs with): connections kept for
    # minutes, which is what must survive the failover.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.failover",
            "--replication",
            "sync",
            "--before",
            "3",
            "--promote-after",
            "0.5",
            "--after",
            "5",
            "--threads",
            "4",
            "--workers",
            "2",
            "--dir",
            str(scratch),
            "--ports",
            f"{free_port()},{free_port()}",
            "--http-port",
            str(free_port()),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    [result] = json.loads(out.read_text())
    assert result["answered_200_before_kill"] > 0
    assert result["answered_200_after_kill"] > 0, result  # reconnected, same workers
    assert result["same_gunicorn_workers"]
    assert result["lost"] == 0, result
    assert set(result["statuses_after_kill"]) <= {"200", "503"}, result
    # While no host takes writes: "try again shortly", in the API's shape.
    error = json.loads(result["samples"]["503"])["error"]
    assert error["code"] == "service_unavailable"
    assert "データベースに接続できません" in error["message"]
    assert result["recover_s"] is not None and result["recover_s"] < 30
