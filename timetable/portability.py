"""The timetable's part of leaving with all the data (see schools/leaving/): its tables, and
the whole-school grid of every timetable (the layout the grid import reads back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from schools.leaving import Table
from schools.permissions import Actor
from timetable import excel, queries
from timetable.models import (
    BellPeriod,
    BellSchedule,
    BellScheduleDay,
    DailyChange,
    DoublePeriod,
    GenerationRules,
    Lesson,
    Room,
    SchoolSubject,
    SlotPreference,
    StandardHours,
    TeacherLimit,
    Timetable,
    Unavailability,
)


def tables() -> list[Table]:
    return [
        Table(model)
        for model in (
            BellSchedule,
            BellPeriod,
            BellScheduleDay,
            Room,
            Timetable,
            Lesson,
            DailyChange,
            StandardHours,
            SchoolSubject,
            Unavailability,
            # 自動作成の決まり
            GenerationRules,
            TeacherLimit,
            DoublePeriod,
            SlotPreference,
        )
    ]


def workbooks(*, by: Actor, progress: Callable[[str], None]) -> Iterator[tuple[str, bytes]]:
    """全校時間割: one workbook per timetable (a school has one per 学期 if it changes)."""
    timetables = Timetable.objects.select_related("school", "school_year").order_by(
        "school_year__year", "school__mext_code", "valid_from"
    )
    for timetable in timetables:
        school, year = timetable.school, timetable.school_year
        progress(f"{year.year}年度 {school.name}の時間割を書き出しています")
        view = queries.grid(school, year, timetable=timetable, date=timetable.valid_from)
        name = f"時間割/{year.year}年度/全校時間割_{school.name}_{timetable.valid_from:%m%d}.xlsx"
        yield name, excel.grid_workbook(view).to_bytes()
