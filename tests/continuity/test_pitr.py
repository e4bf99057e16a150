"""The whole installation to a moment: ``scripts/pitr.sh`` (pgBackRest) on a throw-away cluster.

Write, note the time, write more, restore to the noted time into a new data folder beside
the original, start it: the first rows are there, the later ones are not, and the original
keeps running with all of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bench.clusters import LocalCluster

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("pgbackrest") is None,
    reason="pgBackRest is not installed (apt-get install pgbackrest)",
)


def pitr(*args: str) -> str:
    out = subprocess.run(
        [str(ROOT / "scripts" / "pitr.sh"), *args],
        env={**os.environ, "PGUSER": "ai"},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_restore_to_a_point_in_time(scratch, free_port):
    original = LocalCluster(scratch / "data", free_port())
    restored = LocalCluster(scratch / "restored", free_port())
    repo = scratch / "backup"
    original.init()
    original.start()
    try:
        original.psql("CREATE DATABASE ai", db="postgres")
        original.psql("CREATE TABLE mark (id int PRIMARY KEY, code text NOT NULL)")
        original.psql("INSERT INTO mark VALUES (1, 'absent'), (2, 'late')")
        common = [
            "--repo",
            str(repo),
            "--port",
            str(original.port),
            "--socket",
            str(original.socket_dir),
        ]
        pitr("setup", "--data", str(original.data), *common)
        assert "full" in pitr("info", *common)

        original.psql("INSERT INTO mark VALUES (3, 'sick')")
        time.sleep(1.1)
        noted = original.psql("SELECT now()")  # between the two writes, by the server's clock
        time.sleep(1.1)
        original.psql("INSERT INTO mark VALUES (4, 'absent')")
        original.psql("UPDATE mark SET code = 'present' WHERE id = 1")
        original.psql("DELETE FROM mark WHERE id = 2")
        pitr("check", *common)  # the last WAL segment is in the repository

        pitr(
            "restore",
            "--repo",
            str(repo),
            "--socket",
            str(original.socket_dir),
            "--to",
            noted,
            "--data",
            str(restored.data),
            "--port",
            str(restored.port),
            "--no-archive",
            "--start",
        )
        for _ in range(600):
            if restored.psql("SELECT pg_is_in_recovery()") == "f":
                break
            time.sleep(0.1)
        rows = restored.psql("SELECT id || ':' || code FROM mark ORDER BY id").split()
        assert rows == ["1:absent", "2:late", "3:sick"]
        assert original.psql("SELECT id || ':' || code FROM mark ORDER BY id").split() == [
            "1:present",
            "3:sick",
            "4:absent",
        ]
    finally:
        restored.destroy()
        original.destroy()
