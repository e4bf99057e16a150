"""PostgreSQL's own tools (Debian's postgresql package) of the server's major version."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from django.db import connection


class ToolMissing(Exception):  # noqa: N818
    pass


def _bindirs(major: int) -> list[Path]:
    dirs = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            dirs.append(Path(out.stdout.strip()))
    return dirs


def tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore`` matching the server (a newer one reads older)."""
    connection.ensure_connection()
    major = connection.pg_version // 10000
    for directory in _bindirs(major):
        if (directory / name).exists():
            return str(directory / name)
    if found := shutil.which(name):
        return found
    raise ToolMissing(f"{name} が見つかりません (apt-get install postgresql-client-{major})。")


def env(database: str | None = None) -> dict[str, str]:
    """libpq's environment for the default database (or ``database`` on the same server)."""
    db = connection.settings_dict  # the test database during tests
    values = {
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": database or str(db["NAME"]),
    }
    return {**os.environ, **{k: v for k, v in values.items() if v}}


def conninfo(database: str | None = None) -> str:
    e = env(database)
    parts = {
        "host": e.get("PGHOST"),
        "port": e.get("PGPORT"),
        "user": e.get("PGUSER"),
        "password": e.get("PGPASSWORD"),
        "dbname": e["PGDATABASE"],
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def run(args: list[str], database: str | None = None) -> None:
    """Run a tool; its stderr becomes the error (it names what failed)."""
    done = subprocess.run(args, env=env(database), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name}: {done.stderr.strip()[-2000:]}")
