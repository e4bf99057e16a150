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
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import openpyxl
from django.core.exceptions import ValidationError
from django.utils import timezone

from attendance import figures, queries, rules
from attendance.rules import FIGURE_COLUMNS, CodeDef
from schools import audit
from schools.calendar import class_calendar, year_bounds
from schools.models import Classroom, Enrolment, SchoolYear
from schools.permissions import Actor
from schools.spreadsheets import ods, parsers
from schools.spreadsheets.parsers import CellInvalid
from schools.spreadsheets.reader import CellError, Column, Limits, SpreadsheetError, read_table
from schools.spreadsheets.writer import ExportColumn, ExportWorkbook, is_formula_like
from schools.wareki import era_of, year_text

WEEKDAYS = "月火水木金土日"
NOT_COUNTED = "／"
CLOSED = "閉"


def day_header(day: dt.date) -> str:
    return f"{day.day}({WEEKDAYS[day.weekday()]})"


def month_title(start: dt.date) -> str:
    return f"{start.year}年{start.month}月"


def register_workbook(
    classroom: Classroom, months: Sequence[tuple[dt.date, dt.date]], today: dt.date | None = None
) -> ExportWorkbook:
    """A workbook with one 出席簿 sheet per month, totals filled in.

    With ``today`` (what the pages and downloads pass) the figures and 累計 count only the
    school days up to it (``rules.as_of``) and each sheet says 「…現在」; without it, the whole
    period counts (a register being planned, the benchmarks).
    """
    book = ExportWorkbook()
    for start, end in months:
        add_register_sheet(book, queries.register(classroom, start, end, today))
    return book


# The rows below the pupils: their names mark them so the import skips them.
TOTAL_ROW = "合計"
DAY_PRESENT_ROW = "出席数 (日計)"
DAY_ABSENT_ROW = "欠席数 (日計)"
SUMMARY_ROWS = frozenset({TOTAL_ROW, DAY_PRESENT_ROW, DAY_ABSENT_ROW})
# 累計 (from April to this month's end), the figures a 出席簿 carries beside the month's.
TO_DATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("school_days", "累計 授業日数"),
    ("absent_days", "累計 欠席日数"),
    ("present_days", "累計 出席日数"),
)
SEALS = ("担任印", "校長印")


def add_register_sheet(book: ExportWorkbook, reg: queries.Register) -> None:
    classroom = reg.classroom
    era, era_year = era_of(reg.start)
    columns = [ExportColumn("番号", 5, "int"), ExportColumn("氏名", 16)]
    columns += [ExportColumn(day_header(d), 4.2, "center") for d in reg.days]
    columns += [ExportColumn(label, 7, "center") for _, label in FIGURE_COLUMNS]
    columns += [ExportColumn(label, 7, "center") for _, label in TO_DATE_COLUMNS]
    legend = "記号: " + " ".join(f"{c.symbol}={c.label}" for c in queries.legend_codes(reg))
    subheadings = [f"{classroom.school.name} {classroom.label} ({classroom.school_year})"]
    if reg.today is not None:
        subheadings.append("集計: " + rules.as_of_text(reg.counted_until, reg.end))
    sheet = book.add_sheet(
        month_title(reg.start),
        columns,
        heading=f"出席簿 {era}{year_text(era_year)}年{reg.start.month}月",
        subheadings=[
            *subheadings,
            legend + f"  {NOT_COUNTED}=授業日でない・在籍外  {CLOSED}=学級閉鎖",
        ],
        landscape=True,
    )
    to_date, to_date_total = queries.register_to_date(reg)
    for row in reg.rows:
        e = row.enrolment
        cells = []
        for is_day, cell, d in zip(reg.school_day, row.cells, reg.days, strict=True):
            counted = is_day and e.is_enrolled_on(d)
            cells.append(cell if counted else NOT_COUNTED)
        figures = row.figures.as_dict()
        year = to_date.get(e.pk, row.figures).as_dict()
        sheet.append(
            [
                e.roll_number,
                e.student.name,
                *cells,
                *(figures[k] for k, _ in FIGURE_COLUMNS),
                *(year[k] for k, _ in TO_DATE_COLUMNS),
            ]
        )
    totals = reg.totals.as_dict()
    year_totals = to_date_total.as_dict()
    days = queries.register_day_totals(reg)
    blank_figures = [""] * (len(FIGURE_COLUMNS) + len(TO_DATE_COLUMNS))
    sheet.append(
        [
            "",
            TOTAL_ROW,
            *([""] * len(reg.days)),
            *(totals[k] for k, _ in FIGURE_COLUMNS),
            *(year_totals[k] for k, _ in TO_DATE_COLUMNS),
        ]
    )
    sheet.append(["", DAY_PRESENT_ROW, *(_count(t.present) for t in days), *blank_figures])
    sheet.append(["", DAY_ABSENT_ROW, *(_count(t.absent) for t in days), *blank_figures])
    # 担任印 / 校長印 under the figures, as on the printed 様式.
    sheet.append_seals(SEALS, first_column=len(columns) - 2 * len(SEALS) + 1)


def _count(value: int | None) -> int | str:
    return NOT_COUNTED if value is None else value


def register_export(
    classroom: Classroom,
    *,
    by: Actor,
    month: tuple[int, int] | None = None,
    today: dt.date | None = None,
):
    """The 出席簿 of one month, or of the whole year (a sheet per month), as a download.

    Figures count the school days up to ``today`` (default: the server's today), as the
    pages do: a day still to come is not 出席. Recorded in the audit trail (who took which
    class's register).
    """
    by.require(by.can_view_classroom(classroom))
    today = today or timezone.localdate()
    if month is not None:
        months = [queries.month_bounds(*month)]
        period = month_title(months[0][0])
        action, params = "attendance.register.export", {"year": month[0], "month": month[1]}
    else:
        months = [
            queries.month_bounds(y, m)
            for y, m in queries.school_year_months(classroom.school_year.year)
        ]
        period = f"{classroom.school_year.year}年度"
        action, params = "attendance.year_figures.export", {"year": classroom.school_year.year}
    book = register_workbook(classroom, months, today)
    audit.record_export(by, action, classroom, school=classroom.school, params=params)
    return book.response(f"出席簿_{classroom.school.name}_{classroom.label}_{period}.xlsx")


# --- import: the same layout back ------------------------------------------------------

IMPORT_LIMITS = Limits(max_bytes=5 * 1024 * 1024, max_rows=200, max_columns=60)
_MONTH_SHEET = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月")
IGNORED_CELLS = {NOT_COUNTED, "/", CLOSED, "―", "-"}


@dataclass
class MarkChange:
    enrolment: Enrolment
    date: dt.date
    old: str  # "" = present
    new: str


@dataclass
class RegisterPlan:
    """What an uploaded 出席簿 would change (preview), or why it is refused."""

    classroom: Classroom
    filename: str = ""
    sheets: list[str] = field(default_factory=list)
    changes: list[MarkChange] = field(default_factory=list)
    unchanged: int = 0
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fingerprint(self) -> str:
        text = "|".join(f"{c.enrolment.pk}:{c.date}:{c.old}>{c.new}" for c in self.changes)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _symbol_parser(code_list: Sequence[CodeDef]):
    """A cell of a day column: blank (present), a symbol, a code, or ／ 閉 (not counted)."""
    lookup: dict[str, str] = {}
    for c in code_list:
        for alias in (c.symbol, c.code, c.label):
            lookup.setdefault(unicodedata.normalize("NFKC", alias).strip(), c.code)
    allowed = "、".join(c.symbol for c in code_list)

    def parse(value) -> str:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if text in IGNORED_CELLS or unicodedata.normalize("NFKC", NOT_COUNTED) == text:
            return "-"
        if text in lookup:
            return lookup[text]
        raise CellInvalid(f"記号「{value}」は使えません（使える記号: {allowed}、空欄=出席）。")

    return parse


def _month_of(sheet: str, fallback: tuple[int, int] | None) -> tuple[int, int] | None:
    match = _MONTH_SHEET.match(sheet)
    if match:
        return int(match.group(1)), int(match.group(2))
    return fallback


def plan_register_import(
    classroom: Classroom,
    data: bytes,
    *,
    filename: str = "",
    fallback_month: tuple[int, int] | None = None,
) -> RegisterPlan:
    """Read every month sheet of an uploaded register and compare it with the stored marks."""
    plan = RegisterPlan(classroom, filename)
    code_list = queries.codes()
    try:
        sheet_names = _sheet_names(data, filename)
    except SpreadsheetError as exc:
        plan.errors.extend(exc.errors)
        return plan
    year_start, year_end = year_bounds(classroom.school_year)
    single = len(sheet_names) == 1
    for sheet in sheet_names:
        ym = _month_of(sheet or "", fallback_month if single else None)
        if ym is None or not 1 <= ym[1] <= 12:
            plan.errors.append(
                CellError(
                    "シート名から月が分かりません。「2026年6月」のようなシート名にしてください。",
                    sheet=sheet or "",
                )
            )
            continue
        start, end = queries.month_bounds(*ym)
        if not (year_start <= start and end <= year_end):
            plan.errors.append(
                CellError(
                    f"{ym[0]}年{ym[1]}月は{classroom.school_year}の月ではありません。",
                    sheet=sheet or "",
                )
            )
            continue
        _plan_month(plan, classroom, data, sheet, start, end, code_list, filename)
    return plan


def _sheet_names(data: bytes, filename: str = "") -> list[str | None]:
    if ods.is_ods(data):  # LibreOffice Calc's own format: read as an .xlsx is
        return list(ods.sheet_titles(data, IMPORT_LIMITS))
    if data.startswith(b"PK\x03\x04"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        except Exception as exc:  # the pipeline gives the proper message below
            read_table(
                data, [Column("x", "x", required=True)], limits=IMPORT_LIMITS, filename=filename
            )
            raise SpreadsheetError("Excelブック（.xlsx）として読めないファイルです。") from exc
        names = list(book.sheetnames)
        book.close()
        return names
    return [None]  # CSV: one table


_DAY_HEADER = re.compile(r"^(\d{1,2})\s*[(（]\s*([月火水木金土日])\s*[)）]$")


def month_mismatch(headers: Sequence[str], start: dt.date, classroom: Classroom) -> str:
    """Why a sheet's day headers (「1(月)」…) do not belong to the month of ``start``, or "".

    A header that names a day and weekday the month does not have (June's 「1(月)」 on the
    October page, whose 1st is a Thursday) means the file is another month's register: it
    is refused whole rather than applied to the wrong days.
    """
    named = []
    for header in headers:
        match = _DAY_HEADER.match(unicodedata.normalize("NFKC", str(header)).strip())
        if match:
            named.append((int(match.group(1)), match.group(2)))
    wrong = [(d, w) for d, w in named if _weekday_of(start.year, start.month, d) != w]
    if not wrong:
        return ""
    fits = [
        (y, m)
        for y, m in queries.school_year_months(classroom.school_year.year)
        if all(_weekday_of(y, m, day) == weekday for day, weekday in named)
    ]
    first = f"{wrong[0][0]}({wrong[0][1]})"
    guess = "、".join(f"{y}年{m}月" for y, m in fits[:3])
    return (
        f"このファイルは{start.year}年{start.month}月の出席簿ではありません"
        f"（見出しの「{first}」の曜日が{start.month}月の暦と合いません"
        + (f"。{guess}の出席簿のようです" if guess else "")
        + f"）。{start.month}月の出席簿を出力して記入するか、その月のページから取り込んでください。"
    )


def _weekday_of(year: int, month: int, day: int) -> str:
    try:
        return WEEKDAYS[dt.date(year, month, day).weekday()]
    except ValueError:
        return ""


def _plan_month(plan, classroom, data, sheet, start, end, code_list, filename) -> None:
    days = list(rules.date_range(start, end))
    parser = _symbol_parser(code_list)
    columns = [
        Column(
            "roll_number",
            "番号",
            aliases=("出席番号", "No"),
            parser=parsers.integer(1, 999),
            required=True,
        ),
        # parsers.name refuses the 「?」 a Shift_JIS save leaves of 𠮷 and says why.
        Column("name", "氏名", aliases=("名前",), parser=parsers.name),
        *(
            Column(f"d{d.day}", day_header(d), aliases=(str(d.day), f"{d.day}日"), parser=parser)
            for d in days
        ),
    ]
    try:
        result = read_table(data, columns, sheet=sheet, limits=IMPORT_LIMITS, filename=filename)
    except SpreadsheetError as exc:
        plan.errors.extend(exc.errors)
        return
    sheet_name = result.sheet
    # Every header, matched or not: 「1(月)」 also matches a month's 1st by its day alone.
    headers = [ref.header for ref in result.columns.values()] + list(result.ignored_headers)
    mismatch = month_mismatch(headers, start, classroom)
    if mismatch:
        plan.errors.append(CellError(mismatch, sheet=sheet_name or ""))
        return
    plan.sheets.append(sheet_name)
    # The 合計 and 日計 rows and the seal boxes have no roll number: not an error.
    totals = {
        r.number
        for r in result.rows
        if (r.get("name") or "").strip() in SUMMARY_ROWS
        or not any(v not in (None, "") for v in r.values.values())
    }
    result.errors = [e for e in result.errors if e.row not in totals]
    reg_calendar = class_calendar(classroom, start, end)
    enrolments = {e.roll_number: e for e in queries.class_enrolments(classroom, start, end)}
    stored = queries.marks_of([e.pk for e in enrolments.values()], start, end)
    seen: set[int] = set()
    for row in result.rows:
        if row.number in totals:
            continue
        roll = row.get("roll_number")
        if roll is None:
            continue
        # A refused roll number or name still lets every day cell be checked: one preview
        # says everything (the row's marks are not planned).
        enrolment = enrolments.get(roll)
        if enrolment is None:
            result.reject(
                row, "roll_number", f"{classroom.label}に番号{roll}の児童生徒はいません（この月）。"
            )
        elif roll in seen:
            result.reject(row, "roll_number", f"番号{roll}の行が2つあります。")
            enrolment = None
        else:
            seen.add(roll)
            name = (row.get("name") or "").replace("\u3000", " ").strip()
            stored_name = enrolment.student.name.replace("\u3000", " ").replace(" ", "")
            if name and name.replace(" ", "") != stored_name:
                result.reject(
                    row, "name", f"番号{roll}は「{enrolment.student.name}」です。氏名が違います。"
                )
        for d in days:
            if f"d{d.day}" not in result.columns:
                continue
            value = row.get(f"d{d.day}")
            if value == "-":
                continue
            new = value or ""
            enrolled = enrolment is None or enrolment.is_enrolled_on(d)
            counted = reg_calendar.is_school_day(d) and enrolled
            if not counted or reg_calendar.is_closed(d):
                if new:
                    why = (
                        "在籍期間外"
                        if reg_calendar.is_school_day(d) and not reg_calendar.is_closed(d)
                        else "学級閉鎖"
                        if reg_calendar.is_closed(d)
                        else "授業日ではない"
                    )
                    result.reject(
                        row, f"d{d.day}", f"{d.month}月{d.day}日は{why}ため入力できません。"
                    )
                continue
            if enrolment is None or row.number in result.rejected:
                continue
            old_mark = stored.get(enrolment.pk, {}).get(d)
            old = old_mark.code if old_mark else ""
            if old == new:
                plan.unchanged += 1
            else:
                plan.changes.append(MarkChange(enrolment, d, old, new))
    plan.errors.extend(result.errors)


def commit_register_import(
    classroom: Classroom,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    fallback_month: tuple[int, int] | None = None,
    expected_fingerprint: str = "",
) -> RegisterPlan:
    """Plan again and write every change in one transaction, or nothing."""
    from attendance import services

    plan = plan_register_import(classroom, data, filename=filename, fallback_month=fallback_month)
    if not plan.ok:
        raise ValidationError([str(e) for e in plan.errors])
    if expected_fingerprint and plan.fingerprint() != expected_fingerprint:
        raise ValidationError(
            "確認のあとで出欠が変更されました。もう一度読み込んで確認してください。"
        )
    services.apply_imported_marks(
        classroom, [(c.enrolment.pk, c.date, c.new) for c in plan.changes], by=by
    )
    return plan


# --- the whole municipality's yearly figures (streamed) ---------------------------------

MUNICIPALITY_COLUMNS = [
    ExportColumn("学校コード", 16),
    ExportColumn("学校名", 18),
    ExportColumn("学年", 5, "int"),
    ExportColumn("学級", 10),
    ExportColumn("番号", 5, "int"),
    ExportColumn("氏名", 16),
    ExportColumn("ふりがな", 18),
    *(ExportColumn(label, 9, "int") for _, label in FIGURE_COLUMNS),
]


def counted_period(school_year: SchoolYear, today: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days a yearly export counts: the current year up to ``today``, another year whole."""
    start, end = year_bounds(school_year)
    if today is not None and school_year.state == SchoolYear.State.CURRENT:
        end = min(end, today)
    return start, end


def write_municipality_figures(
    school_year,
    start: dt.date,
    end: dt.date,
    target,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> int:
    """Every student's 指導要録 figures of the year into ``target`` (a path or file), streamed.

    One aggregate query read through a server-side cursor in chunks, written row by row
    with openpyxl's write-only mode: memory stays flat whatever the municipality's size.
    ``progress(done, total, message)`` is told after every chunk (a job's progress bar).
    Returns the number of rows.
    """
    report = progress or (lambda done, total, message: None)
    from django.db import connection, transaction

    sql, named, keys = figures.figures_table_sql(school_year, start, end, group="enrolment")
    ordered = f"""
WITH t AS ({sql})
SELECT sc.mext_code, sc.name, en.grade,
       CASE WHEN cr.is_special_needs OR cr.grade IS NULL THEN cr.name
            ELSE cr.grade || '年' || cr.name END,
       en.roll_number, st.name, st.kana,
       t.school_days, t.suspended_days, t.required_days, t.absent_days, t.present_days,
       t.late, t.early, t.deemed_present, count(*) OVER () AS total
FROM t JOIN schools_enrolment en ON en.id = t.id
JOIN schools_student st ON st.id = en.student_id
JOIN schools_school sc ON sc.id = en.school_id
JOIN schools_classroom cr ON cr.id = en.classroom_id
ORDER BY sc.school_type, sc.mext_code, cr.is_special_needs, cr.grade, cr.sort_order, cr.name,
         en.roll_number
"""
    book = ExportWorkbook()
    sheet = book.add_sheet(
        f"{school_year.year}年度 出欠の記録",
        MUNICIPALITY_COLUMNS,
        heading=f"出欠の記録 (指導要録) {school_year}",
        subheadings=[
            f"{start:%Y年%-m月%-d日}〜{end:%Y年%-m月%-d日}  集計: "
            + rules.as_of_text(end, year_bounds(school_year)[1], whole="年度末")
        ],
        landscape=True,
    )
    count = 0
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        with connection.cursor() as settings_cursor:  # a server-side cursor runs one query
            figures.report_settings(settings_cursor)
        report(0, None, "集計しています")
        cursor.execute(ordered, named)
        total = None
        while rows := cursor.fetchmany(5000):
            total = rows[0][-1]  # the window count: how many rows in all
            for row in rows:
                # Plain cells (no per-cell style) keep 260,000 rows fast; text that a
                # spreadsheet would run as a formula is still written as escaped text.
                sheet.ws.append([sheet._cell(v) if is_formula_like(v) else v for v in row[:-1]])
            count += len(rows)
            report(count, total, "書き出しています")
    report(count, total, "ファイルを保存しています")
    book.workbook.save(target)
    return count


def export_municipality_figures(
    school_year: SchoolYear,
    target,
    *,
    by: Actor,
    today: dt.date | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> int:
    """The board's export of every student's figures of a year (to date in the current year).

    Run as a job (attendance/jobs.py): asks the actor, writes the workbook into ``target``
    telling ``progress`` as it goes, and records the export.
    """
    by.require(by.sees_whole_municipality, "市全体の出力は教育委員会の職員のみができます。")
    start, end = counted_period(school_year, today)
    count = write_municipality_figures(school_year, start, end, target, progress)
    audit.record_export(
        by,
        "attendance.municipality_figures.export",
        school_year,
        params={"year": school_year.year, "from": str(start), "to": str(end), "rows": count},
    )
    return count
