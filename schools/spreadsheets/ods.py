"""Reading an OpenDocument spreadsheet (.ods, LibreOffice Calc's own format) as an .xlsx is read.

``reader.read_table`` sends a zip whose first entry is the ODS mimetype here; what comes back
is what ``_open_xlsx`` gives for the same sheet saved as .xlsx: the sheet's title, its rows as
``(row number, values)`` and the names of the other sheets. A cell reads as openpyxl reads it
(data-only): a number as int or float, a date as ``datetime``, a time as ``time``, a boolean as
bool, text as str (paragraphs joined by a line break, ``<text:s>`` as spaces, comments left
out), an error as its text (``#DIV/0!``), an empty or covered cell as None. A formula reads as
its saved value (``office:value``…); one without a saved value (written by a program, never
calculated) reads as ``FormulaWithoutValue``, which the reader reports at its row and column.

Cost: ``content.xml`` is streamed through expat (C) in 64 KB chunks with a small state machine,
never built into a tree; only rows with content are yielded, and a run of repeated empty rows
or cells (``table:number-rows-repeated="1048576"``, what Calc writes after the last used row)
is skipped by arithmetic, never expanded. The zip is bounded before parsing exactly as an .xlsx
is (``bounds.check``: parts, unzipped size, ratio), the bytes really inflated are counted, and
content past the sheet bounds of ``Limits`` (rows, columns) or too many sheets are refused. The
XML may not declare a DTD (so no entity can expand), as ``defusedxml`` refuses for openpyxl.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from typing import Any
from xml.parsers import expat

from schools.spreadsheets import bounds
from schools.spreadsheets.reader import CellError, FormulaWithoutValue, Limits, SpreadsheetError

MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
CHUNK = 64 * 1024

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"

# Element and attribute names as expat gives them with namespace_separator=" ".
T_TABLE = f"{_TABLE} table"
T_ROW = f"{_TABLE} table-row"
T_CELL = f"{_TABLE} table-cell"
T_COVERED = f"{_TABLE} covered-table-cell"
T_P = f"{_TEXT} p"
T_S = f"{_TEXT} s"
T_TAB = f"{_TEXT} tab"
T_BREAK = f"{_TEXT} line-break"
T_ANNOTATION = f"{_OFFICE} annotation"
A_NAME = f"{_TABLE} name"
A_ROWS_REPEATED = f"{_TABLE} number-rows-repeated"
A_COLUMNS_REPEATED = f"{_TABLE} number-columns-repeated"
A_FORMULA = f"{_TABLE} formula"
A_VALUE_TYPE = f"{_OFFICE} value-type"
A_CALC_VALUE_TYPE = f"{_CALCEXT} value-type"
A_VALUE = f"{_OFFICE} value"
A_DATE = f"{_OFFICE} date-value"
A_TIME = f"{_OFFICE} time-value"
A_BOOLEAN = f"{_OFFICE} boolean-value"
A_STRING = f"{_OFFICE} string-value"
A_SPACES = f"{_TEXT} c"

UNREADABLE = (
    "OpenDocument形式（.ods）として読めないファイルです。"
    "ファイルが壊れていないか、別の形式ではないか確かめてください。"
)
DAMAGED = "シートの内容が壊れていて読めません。LibreOffice Calcで開いて保存し直してください。"
ENCRYPTED = (
    "パスワードで保護（暗号化）されたファイルは読み込めません。"
    "LibreOffice Calcでパスワードを解除して保存し直してから取り込んでください。"
)

_BOOLEAN_FORMULAS = ("of:=TRUE()", "of:=FALSE()")
_INTEGER = re.compile(r"-?\d+")
_DURATION = re.compile(
    r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?", re.IGNORECASE
)


def is_ods(data: bytes) -> bool:
    """A zip whose first (stored) entry is the ODS mimetype, as the OpenDocument standard asks."""
    return data.startswith(b"PK\x03\x04") and MIMETYPE in data[:200]


def open_ods(
    data: bytes, sheet: str | None, limits: Limits
) -> tuple[str, Iterator[tuple[int, Sequence[Any]]], list[str]]:
    """The sheet's title, its rows (lazily, only those with content) and the other sheets."""
    archive, titles = _open(data, limits)
    if sheet is not None:
        if sheet not in titles:
            raise SpreadsheetError(
                f"シート「{sheet}」がありません（あるシート: {'、'.join(titles)}）。"
            )
        index = titles.index(sheet)
    elif titles:
        index = 0
    else:
        raise SpreadsheetError("ブックにワークシートがありません。")
    title = titles[index]
    others = [t for t in titles if t != title]
    return title, _rows(archive, index, title, limits), others


def sheet_titles(data: bytes, limits: Limits) -> list[str]:
    """The names of the sheets, in order (bounded and refused as ``open_ods`` does)."""
    archive, titles = _open(data, limits)
    archive.close()
    return titles


def _open(data: bytes, limits: Limits) -> tuple[zipfile.ZipFile, list[str]]:
    costs = limits.workbook_costs()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        bounds.check(archive, costs)
        names = set(archive.namelist())
        if "content.xml" not in names:
            raise SpreadsheetError(UNREADABLE)
        if "META-INF/manifest.xml" in names and b"encryption-data" in _head(
            archive, "META-INF/manifest.xml", costs
        ):
            raise SpreadsheetError(ENCRYPTED)
        titles = sheet_names(archive, costs)
    except bounds.TooCostly as exc:
        raise SpreadsheetError(f"{exc}{limits.describe()}。") from None
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError(UNREADABLE) from exc
    except (NotImplementedError, RuntimeError) as exc:  # unknown compression, encrypted member
        raise SpreadsheetError(UNREADABLE) from exc
    if len(titles) > costs.max_sheets:
        raise SpreadsheetError(
            f"シートが多すぎます（{len(titles):,}枚）。{costs.max_sheets}枚までのブックにしてください。"
            f"{limits.describe()}。"
        )
    return archive, titles


def _head(archive: zipfile.ZipFile, name: str, costs: bounds.WorkbookCosts) -> bytes:
    with archive.open(name) as member:
        return member.read(min(CHUNK, costs.max_uncompressed_bytes))


def _stream(archive: zipfile.ZipFile, name: str, costs: bounds.WorkbookCosts) -> Iterator[bytes]:
    """The member in chunks; refused once more than allowed really came out of the inflater."""
    produced = 0
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            produced += len(chunk)
            if produced > costs.max_uncompressed_bytes:
                raise bounds.TooCostly(bounds.inflates(produced))
            yield chunk


_TABLE_PREFIX = re.compile(rb'xmlns:([A-Za-z_][\w.-]*)="' + _TABLE.encode() + rb'"')


def sheet_names(archive: zipfile.ZipFile, costs: bounds.WorkbookCosts) -> list[str]:
    """The sheets' names in order, found by a bytes scan of ``content.xml`` (no XML parse),
    stopping past ``max_sheets`` + 1 (the caller refuses)."""
    names: list[str] = []
    tag: re.Pattern[bytes] | None = None
    tail = b""
    for chunk in _stream(archive, "content.xml", costs):
        data = tail + chunk
        if tag is None:
            found = _TABLE_PREFIX.search(data)
            if found is None:
                tail = data[-8192:]  # the root's declarations may straddle two chunks
                continue
            prefix = re.escape(found.group(1))
            tag = re.compile(rb"<" + prefix + rb":table[\s>/][^>]*?" + prefix + rb':name="([^"]*)"')
        # Keep a tail so that a tag cut by the chunk boundary is seen once (whole in the next).
        cut = max(len(data) - 16384, 0)
        last = 0
        for match in tag.finditer(data, 0, len(data)):
            if match.start() >= cut:
                break
            names.append(html.unescape(match.group(1).decode("utf-8", "replace")))
            last = match.end()
        tail = data[max(cut, last) :]
        if len(names) > costs.max_sheets:
            return names
    if tag is not None:
        names.extend(
            html.unescape(m.group(1).decode("utf-8", "replace")) for m in tag.finditer(tail)
        )
    return names


class _Stop(Exception):
    """The sheet has been read: stop feeding the rest of content.xml."""


class _SheetReader:
    """The expat handlers: rows of the ``index``-th top-level table, pushed to ``ready``."""

    def __init__(self, index: int, limits: Limits) -> None:
        costs = limits.workbook_costs()
        self.index = index
        self.width = limits.max_columns
        self.max_rows = costs.max_sheet_rows
        self.max_columns = costs.max_sheet_columns
        self.ready: list[tuple[int, Sequence[Any]]] = []
        self.tables = 0  # top-level tables started so far
        self.depth = 0  # table:table nesting
        self.reading = False
        self.row_number = 0  # rows passed so far in the sheet
        self.row_repeat = 1
        self.cells: list[Any] | None = None  # the current row's values (up to ``width``)
        self.column = 0  # columns passed so far in the current row
        self.row_has_content = False
        self.cell: dict[str, str] | None = None
        self.cell_repeat = 1
        self.cell_depth = 0  # elements open inside the cell
        self.paragraphs: list[str] = []
        self.text: list[str] | None = None  # the paragraph being read
        self.p_depth = 0  # the cell depth of the paragraph being read
        self.skip = 0  # inside a comment: its text is not the cell's

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.cell is not None:
            self.cell_depth += 1
            if self.skip:
                self.skip += 1
            elif name == T_ANNOTATION:
                self.skip = 1
            elif self.text is not None:
                if name == T_S:
                    self.text.append(" " * _count(attributes.get(A_SPACES)))
                elif name == T_TAB:
                    self.text.append("\t")
                elif name == T_BREAK:
                    self.text.append("\n")
            elif name == T_P and self.cell_depth == 1:
                self.text = []
                self.p_depth = 1
            return
        if name == T_TABLE:
            self.depth += 1
            if self.depth == 1:
                self.reading = self.tables == self.index
                self.tables += 1
            return
        if not self.reading or self.depth != 1:
            return
        if name == T_ROW:
            self.row_repeat = _count(attributes.get(A_ROWS_REPEATED))
            self.cells = []
            self.column = 0
            self.row_has_content = False
        elif name in (T_CELL, T_COVERED) and self.cells is not None:
            self.cell = attributes
            self.cell_repeat = _count(attributes.get(A_COLUMNS_REPEATED))
            self.cell_depth = 0
            self.paragraphs = []
            self.text = None

    def characters(self, data: str) -> None:
        if self.text is not None and not self.skip:
            self.text.append(data)

    def end(self, name: str) -> None:
        if self.cell is not None:
            if self.cell_depth == 0:  # the cell itself
                self._cell_done()
                return
            if self.skip:
                self.skip -= 1
            elif self.text is not None and self.cell_depth == self.p_depth and name == T_P:
                self.paragraphs.append("".join(self.text))
                self.text = None
            self.cell_depth -= 1
            return
        if name == T_TABLE:
            self.depth -= 1
            if self.depth == 0 and self.reading:
                raise _Stop
            return
        if name == T_ROW and self.reading and self.depth == 1 and self.cells is not None:
            self._row_done()

    def _cell_done(self) -> None:
        attributes = self.cell or {}
        self.cell = None
        value = cell_value(attributes, self.paragraphs)
        start, self.column = self.column, self.column + self.cell_repeat
        if value is None:
            return
        if self.column > self.max_columns:
            self._too_wide(self.column)
        self.row_has_content = True
        cells = self.cells if self.cells is not None else []
        if start >= self.width:
            return
        if len(cells) < start:
            cells.extend([None] * (start - len(cells)))
        cells.extend([value] * (min(self.column, self.width) - start))

    def _row_done(self) -> None:
        first = self.row_number + 1
        self.row_number += self.row_repeat
        if self.row_has_content:
            if self.row_number > self.max_rows:
                self._too_long(self.row_number)
            values = tuple(self.cells or ())
            self.ready.extend((number, values) for number in range(first, self.row_number + 1))
        self.cells = None

    def _too_long(self, rows: int) -> None:
        costs = bounds.WorkbookCosts(0, 0, 0, 0, 0, self.max_rows, self.max_columns)
        bounds.refuse_extent(rows, 0, costs)

    def _too_wide(self, columns: int) -> None:
        costs = bounds.WorkbookCosts(0, 0, 0, 0, 0, self.max_rows, self.max_columns)
        bounds.refuse_extent(self.row_number + 1, columns, costs)


def _count(value: str | None) -> int:
    """A repeat count (``number-*-repeated``, ``text:c``): at least 1, digits only."""
    if value and value.isdigit():
        return max(int(value), 1)
    return 1


def cell_value(attributes: dict[str, str], paragraphs: list[str]) -> Any:
    """What openpyxl (data-only) would give for the same cell of the sheet saved as .xlsx."""
    kind = attributes.get(A_VALUE_TYPE)
    formula = attributes.get(A_FORMULA)
    shown = "\n".join(paragraphs)
    if kind in ("float", "percentage", "currency"):
        raw = attributes.get(A_VALUE)
        if raw is None:
            return FormulaWithoutValue(formula) if formula else (shown or None)
        if formula in _BOOLEAN_FORMULAS:
            # Calc opens an .xlsx boolean cell as =TRUE() with the number 1: still a boolean.
            return _number(raw, shown) == 1
        return _number(raw, shown)
    if kind == "date":
        raw = attributes.get(A_DATE)
        if raw is None:
            return FormulaWithoutValue(formula) if formula else (shown or None)
        return _date(raw)
    if kind == "time":
        raw = attributes.get(A_TIME)
        if raw is None:
            return FormulaWithoutValue(formula) if formula else (shown or None)
        return _time(raw)
    if kind == "boolean":
        raw = attributes.get(A_BOOLEAN)
        if raw is None:
            return FormulaWithoutValue(formula) if formula else (shown or None)
        return raw.strip().lower() in ("true", "1")
    if kind == "string":
        if attributes.get(A_CALC_VALUE_TYPE) == "error":
            return shown  # openpyxl reads an error cell as its text, "#DIV/0!"
        text = attributes.get(A_STRING, shown)
        return text if text != "" else None
    if formula:
        # A text result may be saved without a type (Calc writes ="" so); no paragraph at all
        # means nothing was saved.
        return (shown or None) if paragraphs else FormulaWithoutValue(formula)
    return shown or None  # a cell without a type is empty, unless a writer left text in it


def _number(raw: str, shown: str) -> Any:
    raw = raw.strip()
    try:
        # As openpyxl: digits only make an int, anything else a float.
        return int(raw) if _INTEGER.fullmatch(raw) else float(raw)
    except ValueError:
        return shown or raw


def _date(raw: str) -> Any:
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw
    return value.replace(tzinfo=None)


def _time(raw: str) -> Any:
    found = _DURATION.fullmatch(raw.strip())
    if found is None:
        return raw
    sign, days, hours, minutes, seconds = found.groups()
    delta = dt.timedelta(
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        # openpyxl rounds a time to the millisecond
        milliseconds=round(float(seconds or 0) * 1000),
    )
    if sign:
        delta = -delta
    if dt.timedelta(0) <= delta < dt.timedelta(days=1):
        return (dt.datetime.min + delta).time()
    return delta


def _rows(
    archive: zipfile.ZipFile, index: int, title: str, limits: Limits
) -> Iterator[tuple[int, Sequence[Any]]]:
    costs = limits.workbook_costs()
    reader = _SheetReader(index, limits)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    # No DTD, so no entity of any kind (what defusedxml refuses for openpyxl's parts).
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        try:
            for chunk in _stream(archive, "content.xml", costs):
                parser.Parse(chunk, False)
                if reader.ready:
                    yield from reader.ready
                    reader.ready.clear()
            parser.Parse(b"", True)
        except _Stop:
            pass
        yield from reader.ready
    except bounds.TooCostly as exc:
        raise SpreadsheetError(CellError(f"{exc}{limits.describe()}。", sheet=title)) from None
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, OSError, ValueError) as exc:
        raise SpreadsheetError(CellError(DAMAGED, sheet=title)) from exc
    finally:
        archive.close()


def _refuse_dtd(*_: Any) -> None:
    raise ValueError("a DTD in content.xml")
