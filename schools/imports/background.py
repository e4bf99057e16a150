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

# Counted in rows: the progress page says 「読み込んでいます… (12,000 / 20,000 行)」.
READING = "ファイルを読み込んでいます…"
PLANNING = "登録済みの内容と照合しています…"
WRITING = "登録しています…"
RECORDING = "操作の記録を書いています…"

_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
_CHUNK = 1 << 20
# Never inflate more than this to count rows (a 20,000-row roster's sheet is ~8 MB; the
# reader's own bounds refuse a compression bomb later, this only keeps the count cheap).
_MOST_XML = 64 << 20


def estimated_rows(data: bytes, *, enough: int | None = None) -> int:
    """About how many rows ``data`` has, without parsing it: a CSV's lines; an .xlsx sheet's
    used range, or (a workbook written by a program names none) its ``<row`` elements counted
    in the inflated XML (~40 ms for 20,000 rows); 0 for anything else (the reader says why).
    Counting stops past ``enough`` (all a threshold needs to know)."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                return max(
                    (
                        _sheet_rows(archive, info, enough)
                        for info in archive.infolist()
                        if info.filename.startswith("xl/worksheets/sheet")
                    ),
                    default=0,
                )
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return 0
    if b"\x00" in data[:8192]:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _sheet_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, enough: int | None) -> int:
    with archive.open(info) as member:
        head = member.read(4096)
        found = _DIMENSION.search(head)
        if found and found.group(1):
            return int(found.group(1))
        count, tail, read = 0, b"", len(head)
        chunk = head
        while chunk:
            window = tail + chunk
            count += window.count(b"<row ") + window.count(b"<row>")
            tail = window[-4:]  # shorter than a match: nothing is counted twice
            if read > _MOST_XML or (enough is not None and count > enough):
                break
            chunk = member.read(_CHUNK)
            read += len(chunk)
        return count


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
    progress(0, total, READING)  # the page shows the file's size before the first rows
    return lambda row: progress(row, total and max(total, row), READING)
