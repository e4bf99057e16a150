"""Benchmark: back up and restore one municipality of 10,000 students (issue 13).

    .venv/bin/python -m bench.backup [--students 10000] [--schools 30] [--keep]

Provisions a throw-away municipality (sub-domain ``bench-backup``), fills it with the
attendance bench's generator (roster, calendars, a year of marks), then times:
the backup (one snapshot: COPY per table + sequences + public rows, into one file), the
restore in place (the template cloned under a temporary name, the COPY loaded before keys
and indexes, in one transaction; then the swap) and the restore beside it as a new
municipality. Goal: backup and restore <= 10 s each.
Prints the file's size and the restore's steps. Deletes everything at the end (``--keep``
keeps the municipality for another run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import bench_code, provision_bench, setup_django

SUBDOMAIN = "bench-backup"
CODE_INDEX = 7911

SMOKE_ARGS = "--students 300 --schools 2"


def _municipality(n_schools: int, n_students: int):
    from django_tenants.utils import schema_context

    from bench import attendance_data
    from schools.models import Student
    from tenants.models import Municipality

    found = Municipality.objects.filter(code=bench_code(CODE_INDEX)).first()
    if found is not None:
        with schema_context(found.schema_name):
            if Student.objects.count() == n_students:
                return found
    found = provision_bench("ベンチ復元市", SUBDOMAIN, bench_code(CODE_INDEX), "bench:backup")
    t = time.perf_counter()
    with schema_context(found.schema_name):
        attendance_data.generate(n_schools, n_students)
    print(f"generated {n_students:,} students in {time.perf_counter() - t:.1f} s")
    return found


def _rows(schema: str) -> int:
    from tenants.backups import service

    return sum(service.row_counts(schema).values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings
    from django.db import connection

    from tenants import provisioning
    from tenants.backups import service
    from tenants.models import Backup, Municipality

    with tempfile.TemporaryDirectory(prefix="ai-bench-backup-") as folder:
        settings.AI_BACKUP_DIR = Path(folder)
        municipality = _municipality(args.schools, args.students)
        connection.set_schema_to_public()
        rows = _rows(municipality.schema_name)
        copy = None
        try:
            t = time.perf_counter()
            record = service.backup(municipality, kind=Backup.Kind.MANUAL, actor="bench")
            backup_s = time.perf_counter() - t
            if record.status != Backup.Status.OK:
                raise SystemExit(f"backup failed: {record.error}")
            print(
                f"backup: {backup_s:.2f} s, {rows:,} rows, file {record.size / 1e6:.1f} MB"
                f"  target <= 10 s: {'OK' if backup_s <= 10 else 'MISSED'}"
            )
            done = service.restore_in_place(
                record, confirm_schema=municipality.schema_name, actor="bench"
            )
            print(
                f"restore in place: {done.seconds:.2f} s  target <= 10 s:"
                f" {'OK' if done.seconds <= 10 else 'MISSED'}  steps {done.steps}"
            )
            assert _rows(municipality.schema_name) == rows
            new = service.restore_as_new(record, subdomain=f"{SUBDOMAIN}-copy", actor="bench")
            copy = new.municipality
            print(f"restore as new: {new.seconds:.2f} s  steps {new.steps}")
            assert _rows(copy.schema_name) == rows
        finally:
            for m in Municipality.objects.filter(
                schema_name__in=[provisioning.schema_name_for(f"{SUBDOMAIN}-copy")]
                + ([] if args.keep else [municipality.schema_name])
            ):
                provisioning.delete(m, confirm_schema=m.schema_name, actor="bench:backup")
            Backup.objects.filter(actor="bench").delete()


if __name__ == "__main__":
    main()
