"""The roster's part of leaving with all the data (see schools/leaving/): its tables and its
workbooks (全校名簿 per school and year, 教職員一覧, schools and classes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from schools import excel
from schools.leaving import Table
from schools.models import (
    AuditEvent,
    CalendarOverride,
    Classroom,
    Closure,
    Enrolment,
    RoleAssignment,
    School,
    SchoolDate,
    SchoolRollover,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    TeachingGroup,
    Term,
    Vacation,
)
from schools.permissions import Actor
from schools.spreadsheets.writer import ExportColumn, ExportWorkbook

Progress = Callable[[str], None]


def tables() -> list[Table]:
    return [
        Table(model)
        for model in (
            SchoolYear,
            School,
            Term,
            Subject,
            Classroom,
            Student,
            Enrolment,
            Staff,
            RoleAssignment,
            TeachingGroup,
            TeachingAssignment,
            SchoolRollover,
            Vacation,
            CalendarOverride,
            Closure,
            SchoolDate,
            AuditEvent,
        )
    ]


def excluded() -> dict[str, str]:
    return {
        "schools_pendingupload": "取り込みの確認待ちのファイル (アップロードした本人のみ、24時間で消える)",
    }


def _schools_and_classes() -> ExportWorkbook:
    book = ExportWorkbook()
    schools = book.add_sheet(
        "学校",
        [
            ExportColumn("学校コード", 16),
            ExportColumn("学校名", 28),
            ExportColumn("ふりがな", 28),
            ExportColumn("学校種", 12),
            ExportColumn("運営中", 8, "center"),
        ],
        heading="学校の一覧",
    )
    for school in School.objects.order_by("school_type", "mext_code"):
        schools.append(
            [
                school.mext_code,
                school.name,
                school.kana,
                school.get_school_type_display(),
                "○" if school.is_active else "",
            ]
        )
    classes = book.add_sheet(
        "学級",
        [
            ExportColumn("年度", 8, "int"),
            ExportColumn("学校コード", 16),
            ExportColumn("学校名", 28),
            ExportColumn("学年", 6, "int"),
            ExportColumn("学級名", 12),
            ExportColumn("特別支援学級", 10, "center"),
            ExportColumn("在籍数", 8, "int"),
        ],
        heading="学級の一覧",
    )
    counts: dict[int, int] = {}
    for classroom_id in Enrolment.objects.values_list("classroom_id", flat=True).iterator(5000):
        counts[classroom_id] = counts.get(classroom_id, 0) + 1
    for c in Classroom.objects.select_related("school", "school_year").order_by(
        "school_year__year", "school__mext_code", "is_special_needs", "grade", "sort_order", "name"
    ):
        classes.append(
            [
                c.school_year.year,
                c.school.mext_code,
                c.school.name,
                c.grade,
                c.name,
                "○" if c.is_special_needs else "",
                counts.get(c.pk, 0),
            ]
        )
    return book


def workbooks(*, by: Actor, progress: Progress) -> Iterator[tuple[str, bytes]]:
    """名簿: schools and classes, 教職員一覧, and 全校名簿 of every school and year."""
    progress("名簿を書き出しています")
    yield "名簿/学校と学級.xlsx", _schools_and_classes().to_bytes()
    book, _ = excel.staff_workbook(None, None)
    yield "名簿/教職員一覧.xlsx", book.to_bytes()
    for year in SchoolYear.objects.order_by("year"):
        for school in School.objects.filter(classrooms__school_year=year).distinct():
            book, filename = excel.school_roster_workbook(school, year)
            yield f"名簿/{year.year}年度/{filename}", book.to_bytes()
