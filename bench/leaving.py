"""Benchmark: leaving with all the data — the whole download of a realistic municipality, and
its archive imported into an empty one.

    .venv/bin/python -m bench.leaving [--schools 30] [--students 10000] [--runs 1] [--no-import]

Uses (and generates the first time) the bench municipality of ``bench.attendance_data``
(roster, calendars, a year of marks at realistic rates) at the size asked for. Measures:

- the machine-readable archive alone (every table's CSV and datapackage.json);
- the whole download (workbooks per area + archive + OneRoster), as the job writes it;
- the archive imported into a new, empty municipality (provisioned and deleted here).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import zipfile

from bench.common import bench_code, peak_rss_mb, provision_bench, setup_django

TARGET_SUBDOMAIN = "bench-leaving"
TARGET_CODE_INDEX = 7902


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=30)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-import", action="store_true", help="skip the import")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from bench import attendance_data
    from schools.leaving import archive, bundle
    from schools.permissions import Actor
    from tenants import provisioning

    source = attendance_data.ensure(args.schools, args.students)
    by = Actor.system("bench:leaving")
    with tempfile.TemporaryDirectory() as folder:
        archive_path = os.path.join(folder, "archive.zip")
        bundle_path = os.path.join(folder, "all.zip")
        with schema_context(source.schema_name):
            municipality = bundle.current_municipality()
            for _ in range(args.runs):
                t = time.perf_counter()
                with (
                    transaction.atomic(),
                    zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as target,
                ):
                    counts = archive.write_archive(target, municipality=municipality)
                seconds = time.perf_counter() - t
                print(
                    f"archive: {len(counts)} tables, {sum(counts.values()):,} rows,"
                    f" {_mb(os.path.getsize(archive_path))} in {seconds:.1f} s"
                )
            for _ in range(args.runs):
                t = time.perf_counter()
                with transaction.atomic(), open(bundle_path, "wb") as target:
                    summary = bundle.write_bundle(target, by=by, municipality=municipality)
                seconds = time.perf_counter() - t
                print(
                    f"whole download: {summary['workbooks']} workbooks + archive + OneRoster,"
                    f" {_mb(os.path.getsize(bundle_path))} in {seconds:.1f} s"
                    f" (peak RSS {peak_rss_mb():.0f} MB)"
                )
        if args.no_import:
            return
        connection.set_schema_to_public()
        code = bench_code(TARGET_CODE_INDEX)
        target = provision_bench("ベンチ移行先市", TARGET_SUBDOMAIN, code, "bench:leaving")
        try:
            with schema_context(target.schema_name), open(bundle_path, "rb") as source_file:
                t = time.perf_counter()
                loaded = archive.import_archive(source_file, by=by)
                seconds = time.perf_counter() - t
            print(
                f"import into an empty municipality: {sum(loaded.values()):,} rows"
                f" in {seconds:.1f} s (one transaction)"
            )
        finally:
            connection.set_schema_to_public()
            provisioning.delete(target, confirm_schema=target.schema_name, actor="bench:leaving")


# The smallest run that still goes through every step (``bench.run --smoke``).
SMOKE_ARGS = "--schools 2 --students 300"


if __name__ == "__main__":
    main()
