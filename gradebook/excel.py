"""The gradebook's spreadsheets, on the shared pipeline (schools.spreadsheets).

- the score grid of a teaching assignment: export, fill offline, import back
  (preview, errors with sheet/row/column, all or nothing; unchanged file = no change);
- 成績一覧表 (class grade list) of one or more classes;
- 通知表 (report cards) of a whole class: one sheet per student, or one row per student.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.http import HttpResponse

from gradebook import queries, rules
from gradebook.reportcards import ReportCard
from schools.spreadsheets import (
    CellError,
    Column,
    ExportColumn,
    ExportWorkbook,
    Limits,
    SpreadsheetError,
    parsers,
    read_table,
)

GRID_LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_rows=200)


def response(workbook: ExportWorkbook, filename: str) -> HttpResponse:
    return workbook.response(filename)


# --- the score grid ---------------------------------------------------------------------------


def assessment_header(assessment) -> str:
    """The header of an assessment's column: its title and id, so that two tests of the same
    name never swap (the id is what the import matches)."""
    return f"{assessment.title} #{assessment.pk}"


def grid_workbook(grid: queries.Grid) -> ExportWorkbook:
    book = ExportWorkbook()
    columns = [
        ExportColumn("出席番号", 8, "int"),
        ExportColumn("氏名", 18),
        *[ExportColumn(assessment_header(a), 12, "center") for a in grid.assessments],
    ]
    sheet = book.add_sheet(
        f"{grid.classroom.label}{grid.subject.name}",
        columns,
        heading=f"{grid.classroom.school} {grid.classroom.label} {grid.subject.name} {grid.term.name} 得点",
        subheadings=[
            "空欄 = 未入力、欠 = 欠席 (計算に含めません)。見出し行と出席番号・氏名は変えないでください。",
            "満点: "
            + "、".join(f"{a.title} {rules.format_points(a.max_points)}" for a in grid.assessments),
        ],
        landscape=len(grid.assessments) > 8,
    )
    for row in grid.rows:
        sheet.append(
            [
                row.enrolment.roll_number,
                row.student.name,
                *[score_cell(row.cells[a.pk]) for a in grid.assessments],
            ]
        )
    return book


def score_cell(score) -> int | float | str:
    """A stored score as the spreadsheet should hold it: points as a number cell (SUM and
    AVERAGE work on them), 欠 as text, no score as an empty cell."""
    if score is None:
        return ""
    value = score.value
    if value is None:
        return ""
    if value is rules.ABSENT:
        return rules.ABSENT_MARK
    return int(value) if value == value.to_integral() else float(value)


def _score_text(value) -> str:
    """Whatever openpyxl gives (int, float, str) -> the text a teacher would have typed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class GridPlanCell:
    student_id: int
    assessment_id: int
    roll_number: int
    name: str
    assessment_title: str
    old: str
    new: str
    version: int


@dataclass
class GridPlan:
    changes: list[GridPlanCell] = field(default_factory=list)
    unchanged: int = 0
    errors: list[CellError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    missing_assessments: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def plan_grid_import(data: bytes, grid: queries.Grid, *, filename: str = "") -> GridPlan:
    """Read a filled grid and say what would change; every error names sheet, row and column."""
    columns = [
        Column(
            "roll_number",
            "出席番号",
            aliases=("番号", "no"),
            parser=parsers.integer(1, 999),
            required=True,
        ),
        Column("name", "氏名", aliases=("名前", "name"), parser=parsers.name),
        *[Column(f"a{a.pk}", assessment_header(a), parser=_score_text) for a in grid.assessments],
    ]
    plan = GridPlan()
    try:
        result = read_table(data, columns, limits=GRID_LIMITS, filename=filename)
    except SpreadsheetError as exc:
        plan.errors = list(exc.errors)
        return plan
    plan.ignored_headers = result.ignored_headers
    present = [a for a in grid.assessments if result.has(f"a{a.pk}")]
    plan.missing_assessments = [a.title for a in grid.assessments if a not in present]
    by_roll = {row.enrolment.roll_number: row for row in grid.rows}
    seen: dict[int, int] = {}
    for row in result.rows:
        roll = row.values.get("roll_number")
        if roll is None:
            continue
        # A refused roll number or name still lets every score cell be checked: one preview
        # says everything (the row's scores are not planned).
        student_row = by_roll.get(roll)
        if student_row is None:
            result.reject(row, "roll_number", f"出席番号 {roll} の児童生徒はこの学級にいません。")
        elif roll in seen:
            result.reject(
                row, "roll_number", f"出席番号 {roll} が {seen[roll]} 行目と重複しています。"
            )
            student_row = None
        else:
            seen[roll] = row.number
            name = row.values.get("name")
            if name and _name_key(name) != _name_key(student_row.student.name):
                result.reject(
                    row,
                    "name",
                    f"出席番号 {roll} は「{student_row.student.name}」です"
                    f" (ファイルでは「{name}」)。",
                )
        for a in present:
            if result.cell_failed(row, f"a{a.pk}"):
                continue
            text = row.values.get(f"a{a.pk}") or ""
            try:
                value = rules.parse_score(text, a.max_points)
            except rules.ScoreError as exc:
                result.reject(row, f"a{a.pk}", str(exc))
                continue
            if student_row is None or row.number in result.rejected:
                continue
            current = student_row.cells[a.pk]
            old_value = current.value if current else None
            if rules.format_score(old_value) == rules.format_score(value):
                plan.unchanged += 1
                continue
            plan.changes.append(
                GridPlanCell(
                    student_row.enrolment.student_id,
                    a.pk,
                    roll,
                    student_row.student.name,
                    a.title,
                    rules.format_score(old_value),
                    rules.format_score(value),
                    current.version if current else 0,
                )
            )
    # Messages name a column by its test's title: the 「#id」 of the header is for matching only.
    titles = {
        ref.letter: a.title for a in present if (ref := result.columns.get(f"a{a.pk}")) is not None
    }
    plan.errors = [
        replace(e, header=titles[e.column]) if e.column in titles else e for e in result.errors
    ]
    return plan


def _name_key(name: str) -> str:
    return "".join(name.split())


# --- 成績一覧表 -------------------------------------------------------------------------------


def class_list_workbook(lists: list[queries.ClassList]) -> ExportWorkbook:
    book = ExportWorkbook()
    for cl in lists:
        columns = [ExportColumn("番号", 6, "int"), ExportColumn("氏名", 16)]
        for subject in cl.subjects:
            for vp in rules.VIEWPOINTS:
                columns.append(
                    ExportColumn(
                        f"{subject.short_name or subject.name}{rules.VIEWPOINT_SHORT[vp]}",
                        5,
                        "center",
                    )
                )
            if cl.scales.get(subject.pk):
                columns.append(
                    ExportColumn(f"{subject.short_name or subject.name}評定", 6, "center")
                )
        sheet = book.add_sheet(
            cl.classroom.label,
            columns,
            heading=f"成績一覧表 {cl.classroom.school} {cl.classroom.label} {cl.term.name}",
            subheadings=[
                f"{cl.classroom.school_year} ・ 観点: 知=知識・技能 思=思考・判断・表現 態=主体的に学習に取り組む態度"
                + (" ・ 確定済み" if cl.finalised else " ・ 未確定")
            ],
            landscape=True,
        )
        for enrolment, cells in cl.rows():
            values: list = [enrolment.roll_number, enrolment.student.name]
            for subject, result in cells:
                for vp in rules.VIEWPOINTS:
                    values.append((result.levels[vp] or "") if result else "")
                if cl.scales.get(subject.pk):
                    values.append(result.rating if result and result.rating else "")
            sheet.append(values)
    return book


# --- 通知表 -------------------------------------------------------------------------------------


def _as_of_line(card: ReportCard) -> str:
    """The term is not over: 出欠の記録 counts up to this day."""
    d = card.attendance_as_of
    return f"出欠の記録: {d.year}年{d.month}月{d.day}日現在（今日までの授業日で集計）"


def report_cards_workbook(cards: list[ReportCard], layout: str) -> ExportWorkbook:
    """A whole class's report cards: ``layout`` "sheet" (one sheet per student, like the
    printed card) or "row" (one row per student, for mail merge)."""
    book = ExportWorkbook()
    if not cards:
        return book
    if layout == "row":
        first = cards[0]
        columns = [ExportColumn("番号", 6, "int"), ExportColumn("氏名", 16)]
        for line in first.subjects:
            for vp in rules.VIEWPOINTS:
                columns.append(
                    ExportColumn(f"{line.subject.name} {rules.VIEWPOINT_LABELS[vp]}", 8, "center")
                )
            if line.scale:
                columns.append(ExportColumn(f"{line.subject.name} 評定", 6, "center"))
        attendance_labels = [label for label, _ in first.attendance] if first.attendance else []
        columns += [ExportColumn(label, 8, "int") for label in attendance_labels]
        columns.append(ExportColumn("所見", 60, "wrap"))
        sheet = book.add_sheet(
            f"通知表 {first.classroom.label}",
            columns,
            heading=f"通知表 {first.school} {first.classroom.label} {first.term.name}",
            subheadings=[_as_of_line(first)] if first.attendance_as_of else [],
            landscape=True,
        )
        for card in cards:
            values: list = [card.enrolment.roll_number, card.student.name]
            for line in card.subjects:
                values += [line.levels.get(vp) or "" for vp in rules.VIEWPOINTS]
                if line.scale:
                    values.append(line.rating or "")
            values += [value for _, value in card.attendance] if card.attendance else []
            values.append(card.remark)
            sheet.append(values)
        return book
    for card in cards:
        sheet = book.add_sheet(
            f"{card.enrolment.roll_number} {card.student.name}",
            [
                ExportColumn("教科", 14, "wrap"),  # also 出欠 labels: they wrap
                *[
                    ExportColumn(rules.VIEWPOINT_LABELS[vp], 16, "center")
                    for vp in rules.VIEWPOINTS
                ],
                ExportColumn("評定", 8, "center"),
            ],
            heading=f"通知表 {card.term.name}",
            subheadings=[
                f"{card.school} {card.classroom.label} {card.enrolment.roll_number}番 {card.student.name}",
                f"{card.classroom.school_year}",
                *([_as_of_line(card)] if card.attendance_as_of else []),
            ],
        )
        for line in card.subjects:
            sheet.append(
                [
                    line.subject.name,
                    *[line.levels.get(vp) or "" for vp in rules.VIEWPOINTS],
                    (line.rating or "") if line.scale else "—",
                ]
            )
        sheet.append([])
        if card.attendance:
            for label, value in card.attendance:
                sheet.append([label, value])
        # 所見 spans the table's width, wrapped, in a row as tall as its lines.
        sheet.append(["所見", card.remark], merge_to_end=True)
    return book
