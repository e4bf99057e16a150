"""Excel workbooks of the timetable, in the shape schools print (A4 landscape, one page).

Through the shared writer (``schools.spreadsheets.ExportWorkbook``): formula-safe text, A4
page set-up fitted to the width, the header row repeated. Cells of the grids read
「国/山田」 (subject's short name / teachers' family names / room), the text the
whole-school grid import (``timetable.imports``) reads back.

The 授業時数 tally is written as numbers (a board adds them up) in 単位時間, shown with
their fraction (「305 1/3」: a 15-minute module is a third of an elementary hour), which is
how the 授業時数 reports of boards write module hours.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from schools.models import School, SchoolYear, Staff
from schools.spreadsheets import ExportColumn, ExportWorkbook
from timetable import queries, rules
from timetable.models import Lesson

WEEKDAY_LABELS = ["月", "火", "水", "木", "金", "土"]
# Row heights (points) that fit the lines of a cell at the body font's 11 points.
LINE_HEIGHT = 15
SEPARATOR = "/"
TEACHER_JOIN = "・"


def slot_header(weekday: int, period: int) -> str:
    return f"{WEEKDAY_LABELS[weekday]}{period}"


def family_name(name: str) -> str:
    """山田 太郎 → 山田 (the part before the first space); a name without a space stays."""
    parts = name.replace("\u3000", " ").split()
    return parts[0] if parts else ""


def teacher_labels(staff: dict[int, str]) -> dict[int, str]:
    """Each teacher's family name, or the full name where two share a family name."""
    families: dict[str, int] = {}
    for name in staff.values():
        families[family_name(name)] = families.get(family_name(name), 0) + 1
    return {
        pk: family_name(name) if families[family_name(name)] == 1 else name.replace(" ", "")
        for pk, name in staff.items()
    }


def subject_label(subject) -> str:
    return subject.short_name or subject.name


def lesson_text(lesson: Lesson, teachers: dict[int, str], *, room: bool = True) -> str:
    """「国/山田」, 「理/佐藤・鈴木/理科室」: what a grid cell says about one lesson."""
    parts = [subject_label(lesson.subject)]
    names = [teachers.get(t, "") for t in getattr(lesson, "teacher_ids", [])]
    names = [n for n in names if n]
    room_name = lesson.room.name if room and lesson.room_id else ""
    if names or room_name:
        parts.append(TEACHER_JOIN.join(names))
    if room_name:
        parts.append(room_name)
    return SEPARATOR.join(parts)


def cell_text(lessons: list[Lesson], teachers: dict[int, str]) -> str:
    """A slot's lessons, one per line (a split class has two)."""
    seen, lines = set(), []
    for x in sorted(lessons, key=lambda x: x.pk):
        if x.pk not in seen:
            seen.add(x.pk)
            lines.append(lesson_text(x, teachers))
    return "\n".join(lines)


def grid_texts(view: queries.Grid) -> dict[int, dict[tuple[int, int], str]]:
    """Every class's cells as the export writes them: {classroom id: {(weekday, period): text}}."""
    teachers = teacher_labels(view.names.teachers)
    return {
        row.classroom.pk: {
            (d, p): cell_text(row.cells.get((d, p), []), teachers)
            for d in view.weekdays
            for p in view.periods
        }
        for row in view.rows
    }


def _height(texts) -> float:
    lines = max([t.count("\n") + 1 for t in texts if t] or [1])
    return LINE_HEIGHT * max(2, lines) + 4


def grid_workbook(view: queries.Grid) -> ExportWorkbook:
    """The whole-school grid: classes × weekday-periods (学級 | 月1 … 金6), one A4 landscape."""
    book = ExportWorkbook()
    columns = [ExportColumn("学級", 10)] + [
        ExportColumn(slot_header(d, p), 7, "center") for d in view.weekdays for p in view.periods
    ]
    valid = view.timetable.valid_from if view.timetable else None
    sheet = book.add_sheet(
        "全校時間割",
        columns,
        heading=f"{view.school.name} 全校時間割（{view.school_year}）",
        subheadings=[f"{valid:%Y/%-m/%-d}から" if valid else "時間割が未作成です"],
        landscape=True,
    )
    texts = grid_texts(view)
    for row in sorted(view.rows, key=lambda r: (r.classroom.grade or 99, r.classroom.name)):
        cells = [texts[row.classroom.pk][(d, p)] for d in view.weekdays for p in view.periods]
        sheet.append([row.classroom.label, *cells], height=_height(cells))
    return book


def week_workbook(week: queries.Week, *, heading: str, subheading: str = "") -> ExportWorkbook:
    """A class's (or a room's) week: periods × weekdays, each cell subject, teachers, room."""
    book = ExportWorkbook()
    columns = [ExportColumn("校時", 8, "center"), ExportColumn("時刻", 12, "center")] + [
        ExportColumn(WEEKDAY_LABELS[d], 20, "center") for d in week.weekdays
    ]
    sheet = book.add_sheet(
        heading[:31],
        columns,
        heading=heading,
        subheadings=[subheading] if subheading else [],
        landscape=True,
    )
    for period, times, by_day in week.table:
        cells = []
        for lessons in by_day:
            lines = []
            for x in sorted({x.pk: x for x in lessons}.values(), key=lambda x: x.pk):
                names = TEACHER_JOIN.join(n for n in getattr(x, "teacher_names", []) if n)
                lines.append(
                    "\n".join(
                        p for p in (x.subject.name, names, x.room.name if x.room_id else "") if p
                    )
                )
            cells.append("\n".join(lines))
        sheet.append([f"{period}校時", times, *cells], height=max(48, _height(cells)))
    return book


def teachers_workbook(
    school: School, school_year: SchoolYear, view: queries.Grid
) -> ExportWorkbook:
    """The teacher list: teachers × weekday-periods, each cell the class and subject taught."""
    book = ExportWorkbook()
    columns = [ExportColumn("教員", 12)] + [
        ExportColumn(slot_header(d, p), 7, "center") for d in view.weekdays for p in view.periods
    ]
    sheet = book.add_sheet(
        "教員別時間割",
        columns,
        heading=f"{school.name} 教員別時間割（{school_year}）",
        landscape=True,
    )
    by_teacher: dict[int, dict[tuple[int, int], dict[int, Lesson]]] = {}
    for row in view.rows:
        for slot, lessons in row.cells.items():
            for x in lessons:
                for t in getattr(x, "teacher_ids", []):
                    by_teacher.setdefault(t, {}).setdefault(slot, {})[x.pk] = x
    staff: list[Staff] = [s for s in view.staff if s.pk in by_teacher]
    for person in staff:
        cells = []
        for d in view.weekdays:
            for p in view.periods:
                lines = []
                for x in by_teacher[person.pk].get((d, p), {}).values():
                    where = x.group.name if x.group_id else x.classroom.label
                    lines.append(f"{where}\n{subject_label(x.subject)}")
                cells.append("\n".join(lines))
        sheet.append([person.name, *cells], height=_height(cells))
    return book


def _number(value: Fraction | int | None) -> float | int | None:
    """A Fraction as a spreadsheet number (an int when whole, so it reads 306 not 306.0)."""
    if value is None:
        return None
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else float(value)


def hours_workbook(
    school: School, school_year: SchoolYear, tally: rules.Tally, *, as_of: dt.date
) -> ExportWorkbook:
    """授業時数 of every class and subject, as a school reports them to its board."""
    book = ExportWorkbook()
    columns = [
        ExportColumn("学級", 10),
        ExportColumn("教科等", 14),
        ExportColumn("標準時数", 10, "hours"),
        ExportColumn("計画時数", 10, "hours"),
        ExportColumn("実施時数", 10, "hours"),
        ExportColumn("実施見込み", 10, "hours"),
        ExportColumn("差（計画−標準）", 14, "hours"),
        ExportColumn("不足見込み", 10, "hours"),
    ]
    sheet = book.add_sheet(
        "授業時数",
        columns,
        heading=f"{school.name} 授業時数（{school_year}）",
        subheadings=[
            f"実施時数は{as_of:%Y/%-m/%-d}まで。単位時間（小学校45分・中学校50分）で、"
            "モジュールは分数（1/3 = 15分）で表します。"
        ],
        landscape=True,
    )
    for c in tally.classes:
        for s in c.subjects:
            sheet.append(
                [
                    c.name,
                    s.subject,
                    _number(s.standard),
                    _number(s.planned),
                    _number(s.held),
                    _number(s.projected),
                    _number(s.planned - s.standard) if s.standard is not None else None,
                    _number(s.shortfall) if s.shortfall else None,
                ]
            )
        sheet.append(
            [
                c.name,
                "計",
                _number(c.standard),
                _number(c.planned),
                _number(c.held),
                _number(c.projected),
                _number(c.planned - c.standard),
                None,
            ]
        )
    return book
