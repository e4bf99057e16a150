"""Benchmark: every municipality of the installation backed up, and a sample restored (issue 13).

    .venv/bin/python -m bench.backup_all [--limit N] [--restore N]

Backs up the installation's municipalities one after another, as the nightly job does
(``tenants.backups.service.backup``, the copy layout), into a throw-away folder, then restores
``--restore`` of them in place. Run it on an installation holding many municipalities (e.g. the
1,800 that ``bench.national`` provisions on its own cluster) to see whether all of them fit in a
night. Goal: all within a night (6 h). The backups it took are deleted afterwards; the
restored municipalities are as they were (each from its own fresh backup).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import setup_django

NIGHT = 6 * 3600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    parser.add_argument("--restore", type=int, default=20, help="how many to restore in place")
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings

    from tenants.backups import service
    from tenants.models import Backup

    actor = "bench-backup-all"
    with tempfile.TemporaryDirectory(prefix="ai-backup-all-") as folder:
        settings.AI_BACKUP_DIR = Path(folder)
        found = service.municipalities()
        found = found[: args.limit] if args.limit else found
        if not found:
            print("no municipality to back up")
            return 1
        start, ok, size, taken = time.perf_counter(), 0, 0, []
        for i, m in enumerate(found, 1):
            backup = service.backup(m, kind=Backup.Kind.MANUAL, actor=actor)
            if backup.status == Backup.Status.OK:
                ok += 1
                size += backup.size or 0
                taken.append((m, backup))
            if i % 100 == 0:
                print(f"  {i} backed up in {time.perf_counter() - start:.0f} s", flush=True)
        seconds = time.perf_counter() - start
        each = seconds / len(found)
        print(
            f"backup of {len(found)} municipalities: {seconds:.1f} s ({each:.3f} s each), "
            f"{ok} ok, {size / 1e6:.0f} MB  target: all within a night: "
            f"{'OK' if seconds <= NIGHT else 'MISSED'}"
        )
        sample = taken[: args.restore]
        if sample:
            start = time.perf_counter()
            for m, backup in sample:
                service.restore_in_place(backup, confirm_schema=m.schema_name, actor=actor)
            seconds = time.perf_counter() - start
            print(
                f"restore in place of {len(sample)}: {seconds:.1f} s "
                f"({seconds / len(sample):.3f} s each; all {len(found)} ≈ "
                f"{seconds / len(sample) * len(found) / 60:.0f} min)"
            )
        Backup.objects.filter(actor=actor).delete()
    return 0


SMOKE_ARGS = ["--limit", "2", "--restore", "1"]

if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
