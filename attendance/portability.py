"""Attendance's part of leaving with all the data (see schools/leaving/): its tables, and
the figures of every pupil for each school year (the board's yearly export)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from django.utils import timezone

from attendance import excel
from attendance.models import AttendanceCode, Mark, TakenDay
from schools.leaving import Table
from schools.models import SchoolYear
from schools.permissions import Actor


def tables() -> list[Table]:
    return [Table(AttendanceCode), Table(TakenDay), Table(Mark)]


def workbooks(*, by: Actor, progress: Callable[[str], None]) -> Iterator[tuple[str, bytes]]:
    """出欠の記録 of every pupil, one workbook per school year (the current one up to today:
    a day still to come is not 出席)."""
    today = timezone.localdate()
    for year in SchoolYear.objects.order_by("year"):
        progress(f"{year.year}年度の出欠を書き出しています")
        start, end = excel.counted_period(year, today)
        buffer = io.BytesIO()
        excel.write_municipality_figures(year, start, end, buffer)
        yield f"出欠/出欠の記録_{year.year}年度.xlsx", buffer.getvalue()
