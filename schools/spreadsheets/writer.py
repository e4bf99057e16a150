"""Styled .xlsx exports in openpyxl's write-only mode (constant memory for long lists)."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell whose text begins with one of these is run as a formula by a spreadsheet
# when typed in (CSV/formula injection): =, +, -, @ and the tab / CR that some apps honour.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

FONT_NAME = "游ゴシック"
_thin = Side(style="thin", color="808080")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_BODY_FONT = Font(name=FONT_NAME, size=11)
_HEAD_FONT = Font(name=FONT_NAME, size=11, bold=True)
_TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
_SUB_FONT = Font(name=FONT_NAME, size=11)
_HEAD_FILL = PatternFill("solid", fgColor="E8EEF4")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center")
_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
# Row heights (points) for wrapped text: neither Excel nor LibreOffice fits a merged cell, and
# a height written by Ai is what prints. A line of 11 pt text takes about 1.4 em in the CJK
# fonts both use (游ゴシック, Noto Sans CJK); the margin keeps descenders off the border.
LINE_HEIGHT = 1.45
ROW_PADDING = 4.0


def display_width(text: str) -> float:
    """The text's width in column-width units (a full-width character counts about two)."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.1 for ch in text)


def line_count(value: Any, width: float) -> int:
    """How many lines ``value`` takes when wrapped in a column ``width`` characters wide."""
    if value is None or value == "":
        return 1
    usable = max(width - 1.0, 1.0)  # the cell's inner padding
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(value).split("\n"))


def row_height(lines: int, size: float = 11) -> float:
    """Points a row needs for ``lines`` lines of text of ``size`` points."""
    return round(lines * size * LINE_HEIGHT + ROW_PADDING, 1)


_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def escape_formula_csv(value: Any) -> Any:
    """For CSV output: prefix a formula-like text with an apostrophe (OWASP advice)."""
    return "'" + value if is_formula_like(value) else value


@dataclass(frozen=True)
class ExportColumn:
    """A column of an export: header label, width (in characters) and kind of value.

    ``kind``: ``"text"`` (default), ``"int"``, ``"date"`` (written as a real date
    cell shown as 2024/4/1), ``"center"`` (short text such as 男/女, wrapped),
    ``"wrap"`` (long text such as 所見, wrapped, top-aligned) or
    ``"hours"`` (a number shown with a fraction, 305 1/3: modules of a third of an hour).
    Rows with wrapped cells get the height their longest cell needs (``row_height``).
    """

    label: str
    width: float = 12
    kind: str = "text"


class ExportSheet:
    """One sheet: optional title rows, a header row that repeats on every printed page, rows."""

    def __init__(
        self,
        workbook: ExportWorkbook,
        title: str,
        columns: Sequence[ExportColumn],
        *,
        heading: str = "",
        subheadings: Sequence[str] = (),
        landscape: bool = False,
    ):
        self.columns = list(columns)
        self._styles: dict[str, Any] = {}
        ws = workbook.workbook.create_sheet(_sheet_title(title, workbook.used_titles))
        self.ws = ws
        for index, column in enumerate(self.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        # A4, fitted to the page width, header row repeated on each page.
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.print_options.horizontalCentered = True
        last = get_column_letter(max(len(self.columns), 1))
        merge = len(self.columns) > 1
        # The sheet's header XML (views, panes) is written with the first row: set it now.
        title_rows = (1 if heading else 0) + len(subheadings)
        self.header_row = title_rows + (2 if title_rows else 1)
        ws.freeze_panes = f"A{self.header_row + 1}"
        ws.print_title_rows = f"{self.header_row}:{self.header_row}"
        row = 0
        if heading:
            row += 1
            ws.row_dimensions[row].height = row_height(1, _TITLE_FONT.size)
            ws.append([self._cell(heading, font=_TITLE_FONT, alignment=_LEFT)])
            if merge:
                ws.merged_cells.add(f"A{row}:{last}{row}")
        for text in subheadings:
            row += 1
            ws.append([self._cell(text, font=_SUB_FONT, alignment=_LEFT)])
            if merge:
                ws.merged_cells.add(f"A{row}:{last}{row}")
        if heading or subheadings:
            row += 1
            ws.append([])
        # Header labels wrap (出席停止・忌引等の日数 in a narrow column): the row fits them.
        ws.row_dimensions[self.header_row].height = row_height(
            max((line_count(c.label, c.width) for c in self.columns), default=1)
        )
        ws.append(
            [
                self._cell(c.label, font=_HEAD_FONT, fill=_HEAD_FILL, alignment=_CENTER)
                for c in self.columns
            ]
        )
        self.row_count = 0

    def _cell(self, value: Any, *, font=None, fill=None, alignment=None, number_format=None):
        cell = WriteOnlyCell(self.ws, value=value)
        if is_formula_like(value):
            # Stored as text, shown as text, and still text if the user edits the cell:
            # a name such as "=HYPERLINK(...)" is never run, and reads back unchanged.
            cell.data_type = "s"
            cell.quotePrefix = True
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if alignment is not None:
            cell.alignment = alignment
        if number_format is not None:
            cell.number_format = number_format
        return cell

    def _body_style(self, kind: str):
        """The style of a body cell of ``kind``, registered once in the workbook.

        Assigning fonts and borders cell by cell costs a style lookup each; copying a
        ready ``StyleArray`` keeps a 10,000-row export fast.
        """
        style = self._styles.get(kind)
        if style is None:
            template = WriteOnlyCell(self.ws)
            template.font = _BODY_FONT
            template.border = _BORDER
            template.alignment = {"text": _LEFT, "wrap": _WRAP}.get(kind, _CENTER)
            if kind == "date":
                template.number_format = "yyyy/m/d"
            elif kind == "hours":
                # A number the board can add up, shown as 305 1/3 (Excel and LibreOffice).
                template.number_format = "#,### ?/?;-#,### ?/?;0"
            style = self._styles[kind] = template._style
        return style

    def append(
        self,
        values: Sequence[Any],
        *,
        height: float | None = None,
        merge_to_end: bool = False,
    ) -> None:
        """One bordered row; ``height`` (points) overrides the fitted height of wrapped cells.

        ``merge_to_end``: the row's last value spans to the last column (a 所見 under a table).
        """
        if height is None:
            height = self.fitted_height(values, merge_to_end=merge_to_end)
        row_number = self.header_row + self.row_count + 1
        if height is not None:
            # openpyxl writes a row's dimensions with the row: set them before appending.
            self.ws.row_dimensions[row_number].height = height
        if merge_to_end and 0 < len(values) < len(self.columns):
            first = get_column_letter(len(values))
            last = get_column_letter(len(self.columns))
            self.ws.merged_cells.add(f"{first}{row_number}:{last}{row_number}")
        cells = []
        for index, (column, value) in enumerate(zip(self.columns, values, strict=False)):
            kind = (
                column.kind if column.kind in ("int", "center", "date", "hours", "wrap") else "text"
            )
            if merge_to_end and index == len(values) - 1 and len(values) < len(self.columns):
                kind = "wrap"
            cell = WriteOnlyCell(self.ws, value=value)
            cell._style = copy(self._body_style(kind))
            if is_formula_like(value):
                cell.data_type = "s"  # text, never a formula (see _cell)
                cell.quotePrefix = True
            cells.append(cell)
        self.ws.append(cells)
        self.row_count += 1

    def fitted_height(self, values: Sequence[Any], *, merge_to_end: bool = False) -> float | None:
        """The height a row of wrapped cells needs, or None when one line fits (the default)."""
        lines = 1
        for index, (column, value) in enumerate(zip(self.columns, values, strict=False)):
            width = column.width
            wrapped = column.kind in ("center", "wrap")
            if merge_to_end and index == len(values) - 1 and len(values) < len(self.columns):
                width = sum(c.width for c in self.columns[index:])
                wrapped = True
            if wrapped:
                lines = max(lines, line_count(value, width))
        return row_height(lines) if lines > 1 else None

    def append_seals(
        self, labels: Sequence[str], *, first_column: int, span: int = 2, height: float = 42
    ) -> None:
        """Seal boxes (担任印, 校長印 …) below the table: a label row and a tall empty box,
        each ``span`` columns wide, from column ``first_column`` (1-based)."""
        self.ws.append([])
        self.row_count += 1
        for kind in ("label", "box"):
            row_number = self.header_row + self.row_count + 1
            if kind == "box":
                self.ws.row_dimensions[row_number].height = height
            cells: list[Any] = [None] * (first_column - 1)
            for index, label in enumerate(labels):
                start = first_column + index * span
                for offset in range(span):
                    text = label if kind == "label" and offset == 0 else None
                    cells.append(
                        self._cell(
                            text,
                            font=_HEAD_FONT if kind == "label" else None,
                            alignment=_CENTER,
                        )
                    )
                    cells[-1].border = _BORDER
                self.ws.merged_cells.add(
                    f"{get_column_letter(start)}{row_number}:"
                    f"{get_column_letter(start + span - 1)}{row_number}"
                )
            self.ws.append(cells)
            self.row_count += 1

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for values in rows:
            self.append(values)

    def append_plain(self, values: Sequence[Any]) -> None:
        """A row without borders or fonts: for data sheets of hundreds of thousands of rows.

        Formula-like text is still written as escaped text (the one cell that needs it).
        """
        self.ws.append([self._cell(v) if is_formula_like(v) else v for v in values])
        self.row_count += 1


class ExportWorkbook:
    """A write-only workbook of ``ExportSheet``s: ``add_sheet(...)``, append rows, ``response()``."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.used_titles: set[str] = set()

    def add_sheet(self, title: str, columns: Sequence[ExportColumn], **kwargs) -> ExportSheet:
        return ExportSheet(self, title, columns, **kwargs)

    def to_bytes(self) -> bytes:
        if not self.workbook.worksheets:
            self.workbook.create_sheet("Sheet1")
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()

    def response(self, filename: str) -> HttpResponse:
        """A download; ``filename`` may be Japanese (sent as RFC 5987 ``filename*``)."""
        response = HttpResponse(self.to_bytes(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["Cache-Control"] = "no-store"  # personal data: do not keep copies in caches
        return response


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, no []:*?/\\, unique in the book."""
    base = _SHEET_TITLE_BAD.sub("・", title).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate in used:
        suffix = f"({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate
