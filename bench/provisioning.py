"""Benchmark: provisioning a municipality, and one new migration across many municipalities.

    .venv/bin/python -m bench.provisioning [--provision 50] [--migrate 200]

Targets (issue 2): provisioning <= 1 s per municipality however many migrations the
project accumulates (new schemas are cloned from a migrated template); one new
migration across 200 municipalities <= 30 s. Runs against DATABASE_URL or the local
cluster, creates throw-away municipalities (codes 40xxx-47xxx, sub-domains bench-*)
and deletes them at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    BENCH_PASSWORD,
    bench_code,
    setup_django,
    summary,
    throwaway_municipalities,
    timed,
)

PROBE_MIGRATION = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []
    operations = [
        migrations.RunSQL(
            "CREATE TABLE bench_probe_note (id bigserial PRIMARY KEY, body text NOT NULL DEFAULT '')",
            "DROP TABLE bench_probe_note",
        ),
    ]
"""


def provision_many(n: int, start: int, created: list) -> list[float]:
    from tenants import provisioning

    times = []
    for i in range(start, start + n):
        data = provisioning.NewMunicipality(
            name=f"ベンチ市{i}",
            code=bench_code(i),
            subdomain=f"bench-{i}",
            admin_username="admin",
            admin_password=BENCH_PASSWORD,
            admin_name="ベンチ 管理者",
        )
        # Only provisioning itself is timed (leftovers were removed by throwaway_municipalities).
        t0 = time.perf_counter()
        created.append(provisioning.provision(data, actor="bench"))
        times.append(time.perf_counter() - t0)
    return times


def migrate_probe(executor: str) -> float:
    """Run ``migrate_schemas --tenant`` (``executor`` "fast": ``migrate_all``) with one new
    migration in a separate process; seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "ai_bench_probe_migrations"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "0001_probe.py").write_text(PROBE_MIGRATION)
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings_probe")
        env["PYTHONPATH"] = os.pathsep.join([tmp, str(Path.cwd()), env.get("PYTHONPATH", "")])
        if executor == "fast":  # migrate_all: the template by Django, the others by its SQL
            cmd = [sys.executable, "manage.py", "migrate_all", "-v", "1"]
        else:
            cmd = [
                sys.executable,
                "manage.py",
                "migrate_schemas",
                "--tenant",
                "--noinput",
                "-v",
                "0",
                f"--executor={executor}",
            ]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True)
        elapsed = time.perf_counter() - t0
    # Undo, so that the next run (and the real schemas) see no trace of the probe: by SQL,
    # schema by schema (migrating back to zero would cost as long as the run measured).
    from django.db import connection

    from tenants.models import Municipality
    from tenants.provisioning import TEMPLATE_SCHEMA

    schemas = [
        TEMPLATE_SCHEMA,
        *Municipality.objects.exclude(schema_name="public").values_list("schema_name", flat=True),
    ]
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                f'DROP TABLE IF EXISTS "{schema}".bench_probe_note; '
                f"DELETE FROM \"{schema}\".django_migrations WHERE app = 'bench_probe'"
            )
    return elapsed


SMOKE_ARGS = "--provision 1 --migrate 2"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provision", type=int, default=50)
    parser.add_argument("--migrate", type=int, default=200)
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from tenants import provisioning
    from tenants.models import Municipality

    provisioning.ensure_template()
    migrations = len(MigrationLoader(connection).graph.nodes)
    print(f"# provisioning ({migrations} migrations in the project)")
    existing = Municipality.objects.exclude(schema_name="public").count()
    with throwaway_municipalities("provisioning") as created:
        times = provision_many(args.provision, 0, created)
        print(summary(f"provision one municipality (n={args.provision})", times, target=1.0))
        extra = max(0, args.migrate - len(created) - existing)
        t_bulk = timed(lambda: provision_many(extra, args.provision, created))
        total = Municipality.objects.exclude(schema_name="public").count()
        print(f"provisioned {extra} more in {t_bulk:.1f} s; {total} municipalities in the database")
        for executor in ("standard", "multiprocessing"):
            seconds = migrate_probe(executor)
            ok = "OK" if seconds <= 30 else "MISSED"
            print(
                f"one new migration across {total} municipalities ({executor} executor): "
                f"{seconds:.1f} s  target <= 30 s: {ok}"
            )
    print("cleaned up: throw-away municipalities deleted")


if __name__ == "__main__":
    main()
