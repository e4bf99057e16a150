"""出席簿 in Excel: export in the layout schools print, and import the same layout back.

Both are built on the shared pipeline (``schools.spreadsheets``): the export on its
write-only ``ExportWorkbook`` (A4 landscape, header row repeated, formula-like text
escaped), the import on ``read_table`` (header search, full-width tolerant headers,
errors with sheet, row and column).

Layout of one month (one sheet per month, ``2026年6月``): title rows, then a header row
``番号 | 氏名 | 1(月) | 2(火) | … | 授業日数 | … | 出席扱い``; one row per enrolment
with the code symbols (blank = present, ``／`` = not a school day or not enrolled,
``閉`` = 学級閉鎖), and a 合計 row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from attendance import queries
from attendance.rules import FIGURE_COLUMNS
from schools.models import Classroom
from schools.spreadsheets.writer import ExportColumn, ExportWorkbook
from schools.wareki import era_of, year_text

WEEKDAYS = "月火水木金土日"
NOT_COUNTED = "／"
CLOSED = "閉"


def day_header(day: dt.date) -> str:
    return f"{day.day}({WEEKDAYS[day.weekday()]})"


def month_title(start: dt.date) -> str:
    return f"{start.year}年{start.month}月"


def register_workbook(
    classroom: Classroom, months: Sequence[tuple[dt.date, dt.date]]
) -> ExportWorkbook:
    """A workbook with one 出席簿 sheet per month, totals filled in."""
    book = ExportWorkbook()
    for start, end in months:
        add_register_sheet(book, queries.register(classroom, start, end))
    return book


def add_register_sheet(book: ExportWorkbook, reg: queries.Register) -> None:
    classroom = reg.classroom
    era, era_year = era_of(reg.start)
    columns = [ExportColumn("番号", 5, "int"), ExportColumn("氏名", 16)]
    columns += [ExportColumn(day_header(d), 4.2, "center") for d in reg.days]
    columns += [ExportColumn(label, 7, "int") for _, label in FIGURE_COLUMNS]
    legend = "記号: " + " ".join(f"{c.symbol}={c.label}" for c in reg.codes)
    sheet = book.add_sheet(
        month_title(reg.start),
        columns,
        heading=f"出席簿 {era}{year_text(era_year)}年{reg.start.month}月",
        subheadings=[
            f"{classroom.school.name} {classroom.label} ({classroom.school_year})",
            legend + f"  {NOT_COUNTED}=授業日でない・在籍外  {CLOSED}=学級閉鎖",
        ],
        landscape=True,
    )
    for row in reg.rows:
        e = row.enrolment
        cells = []
        for is_day, cell, d in zip(reg.school_day, row.cells, reg.days, strict=True):
            counted = is_day and e.is_enrolled_on(d)
            cells.append(cell if counted else NOT_COUNTED)
        figures = row.figures.as_dict()
        sheet.append(
            [e.roll_number, e.student.name, *cells, *(figures[k] for k, _ in FIGURE_COLUMNS)]
        )
    totals = reg.totals.as_dict()
    sheet.append(["", "合計", *([""] * len(reg.days)), *(totals[k] for k, _ in FIGURE_COLUMNS)])


def register_response(classroom: Classroom, months: Sequence[tuple[dt.date, dt.date]]):
    book = register_workbook(classroom, months)
    period = month_title(months[0][0]) if len(months) == 1 else f"{classroom.school_year.year}年度"
    return book.response(f"出席簿_{classroom.school.name}_{classroom.label}_{period}.xlsx")
