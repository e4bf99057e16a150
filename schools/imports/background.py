"""Which imports run as a job (tenants.jobs), and what a job's progress says.

A small file stays instant in the request (no waiting page for 35 rows); a file above
``settings.AI_IMPORT_JOB_ROWS`` rows (estimated without parsing) or
``settings.AI_IMPORT_JOB_BYTES`` bytes is read, planned and committed by a worker while the
page shows its progress. The plan, its checks and the commit are the same functions either
way: only where they run changes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from io import BytesIO

from django.conf import settings

# ctx.progress of a job: (done, total or None, message); raises jobs.Cancelled when asked to.
Progress = Callable[[int, int | None, str], object]

READING = "ファイルを読み込んでいます（行）…"
PLANNING = "登録済みの名簿と照合しています（行）…"
WRITING = "登録しています（行）…"

_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
_ROW_BYTES = 120  # an .xlsx row of a roster, uncompressed, when the sheet names no size


def estimated_rows(data: bytes) -> int:
    """About how many rows ``data`` has: a CSV's lines, an .xlsx sheet's used range (from the
    sheet's first bytes, not parsed); 0 for anything else (the reader says what is wrong)."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                most = 0
                for info in archive.infolist():
                    if not info.filename.startswith("xl/worksheets/sheet"):
                        continue
                    with archive.open(info) as member:
                        head = member.read(2048)
                    found = _DIMENSION.search(head)
                    rows = (
                        int(found.group(1))
                        if found and found.group(1)
                        else info.file_size // _ROW_BYTES
                    )
                    most = max(most, rows)
                return most
        except (zipfile.BadZipFile, OSError, ValueError):
            return 0
    if b"\x00" in data[:8192]:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def runs_as_job(data: bytes) -> bool:
    """Whether importing ``data`` goes through a job (the setting's rows or bytes exceeded)."""
    return (
        len(data) > settings.AI_IMPORT_JOB_BYTES
        or estimated_rows(data) > settings.AI_IMPORT_JOB_ROWS
    )


def reading(progress: Progress | None, data: bytes) -> Callable[[int], object] | None:
    """The reader's hook (rows read so far) as a job's progress of the file's rows."""
    if progress is None:
        return None
    total = estimated_rows(data) or None
    return lambda row: progress(row, total and max(total, row), READING)
