"""Reading one table from an uploaded .xlsx or .csv file: see the package docstring."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from schools.spreadsheets import bounds
from schools.spreadsheets.bounds import WorkbookCosts
from schools.spreadsheets.normalize import header_key, header_key_without_brackets
from schools.spreadsheets.parsers import CellInvalid, Parser, text

# --- the declarative spec ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table to import.

    ``field``: the key of the parsed value in ``Row.values``; ``label``: the
    Japanese header shown in messages and written by exports; ``aliases``:
    other headers accepted (Japanese and English; width, case and spaces do
    not matter); ``parser``: see ``schools.spreadsheets.parsers``;
    ``required``: the header must be present and every row must have a
    value; otherwise a missing column or blank cell gives ``default``.
    """

    field: str
    label: str
    aliases: Sequence[str] = ()
    parser: Parser = text
    required: bool = False
    default: Any = None

    def header_keys(self) -> tuple[str, ...]:
        return tuple(header_key(a) for a in (self.label, self.field, *self.aliases))


@dataclass(frozen=True)
class Limits:
    """What a single upload may hold. The messages and the pages state these figures."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 20_000
    max_columns: int = 100
    # The header row is searched for in this many first non-blank rows.
    header_search_rows: int = 20
    # What an .xlsx may cost once unzipped, checked before openpyxl parses it (bounds.py).
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_compression_ratio: int = 200
    max_zip_entries: int = 1_000
    max_sheets: int = 50
    max_shared_strings: int = 300_000
    max_sheet_columns: int = 2_000

    def workbook_costs(self) -> WorkbookCosts:
        return WorkbookCosts(
            max_uncompressed_bytes=self.max_uncompressed_bytes,
            max_compression_ratio=self.max_compression_ratio,
            max_entries=self.max_zip_entries,
            max_sheets=self.max_sheets,
            max_shared_strings=self.max_shared_strings,
            # A used range may run past the data (title rows, blank lines, a stray cell),
            # but not without bound: openpyxl yields every row of it.
            max_sheet_rows=max(10_000, 2 * self.max_rows + self.header_search_rows),
            max_sheet_columns=self.max_sheet_columns,
        )

    @property
    def max_megabytes(self) -> int:
        return self.max_bytes // (1024 * 1024)

    def describe(self) -> str:
        return (
            f"ファイルの大きさは{self.max_megabytes}MBまで、データは{self.max_rows:,}行まで"
            "（.xlsx、.ods または .csv）"
        )


DEFAULT_LIMITS = Limits()


# --- formula cells -------------------------------------------------------------------

FORMULA_WITHOUT_VALUE = (
    "計算式のセルに保存された値がありません。Excelで開いて保存してから取り込んでください。"
)


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell whose workbook holds no saved result (written by a program, never
    opened in a spreadsheet). The reader reports it; it is never taken for an empty cell."""

    formula: str

    def __str__(self) -> str:
        return ""


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """An error with where it is: sheet, row (as Excel numbers it), column letter and header."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # letter, e.g. "C"
    header: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"シート「{self.sheet}」")
        if self.row is not None:
            parts.append(f"{self.row}行目")
        if self.column:
            parts.append(f"{self.column}列" + (f"「{self.header}」" if self.header else ""))
        elif self.header:
            parts.append(f"「{self.header}」")
        return " ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SpreadsheetError(Exception):
    """The file as a whole is refused (not a spreadsheet, encrypted, empty, no such column...)."""

    def __init__(self, errors: CellError | str | Iterable[CellError]):
        if isinstance(errors, str):
            errors = [CellError(errors)]
        elif isinstance(errors, CellError):
            errors = [errors]
        self.errors: list[CellError] = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    @property
    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]


@dataclass
class Row:
    """One data row: its spreadsheet row number and the parsed values by field."""

    number: int
    values: dict[str, Any]
    # Raw cells of the columns the spec does not name, by header (``keep_other_columns``).
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, field_name: str) -> Any:
        return self.values[field_name]

    def get(self, field_name: str, default: Any = None) -> Any:
        return self.values.get(field_name, default)


@dataclass(frozen=True)
class ColumnRef:
    letter: str
    header: str  # as written in the file
    value: Any = None  # the raw header cell (a date, for a grid with one column per day)


@dataclass
class ParseResult:
    """What ``read_table`` found. Domain code adds its own errors with ``reject``.

    ``rows`` holds every non-blank data row (a cell that did not parse is None
    there, and the row's number is in ``rejected``); rows rejected by domain
    rules stay too, so that further checks can still report on them.
    ``valid_rows()`` gives the rows without any error.
    """

    sheet: str
    header_row: int
    columns: dict[str, ColumnRef]
    rows: list[Row] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)
    ignored_headers: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    # With ``keep_other_columns``: the columns the spec does not name, in file order.
    other_columns: list[ColumnRef] = field(default_factory=list)
    # (row number, field) of every cell already reported, so later rules need not repeat it.
    failed: set[tuple[int, str]] = field(default_factory=set)
    # The workbook's other worksheets, which were not read (say so on the preview page).
    other_sheets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def has(self, field_name: str) -> bool:
        """Was this (optional) column present in the file?"""
        return field_name in self.columns

    def error_at(self, row: Row | int | None, field_name: str | None, message: str) -> CellError:
        number = row.number if isinstance(row, Row) else row
        ref = self.columns.get(field_name) if field_name else None
        header = ref.header if ref else (self.labels.get(field_name, "") if field_name else "")
        return CellError(
            message, sheet=self.sheet, row=number, column=ref.letter if ref else "", header=header
        )

    def reject_at(self, row: Row | int, column: ColumnRef, message: str) -> None:
        """Like ``reject``, for one of ``other_columns`` (e.g. a date or assessment column)."""
        number = row.number if isinstance(row, Row) else row
        self.errors.append(
            CellError(
                message, sheet=self.sheet, row=number, column=column.letter, header=column.header
            )
        )
        self.rejected.add(number)

    def reject(self, row: Row | int, field_name: str | None, message: str) -> None:
        """Record a domain error on a row (and a column); the row will not be imported."""
        error = self.error_at(row, field_name, message)
        self.errors.append(error)
        if error.row is not None:
            self.rejected.add(error.row)
            if field_name:
                self.failed.add((error.row, field_name))

    def cell_failed(self, row: Row | int, field_name: str) -> bool:
        """Was an error already reported for this row and column?"""
        number = row.number if isinstance(row, Row) else row
        return (number, field_name) in self.failed

    def valid_rows(self) -> list[Row]:
        return [r for r in self.rows if r.number not in self.rejected]

    def errors_by_row(self) -> dict[int | None, list[CellError]]:
        grouped: dict[int | None, list[CellError]] = {}
        for error in self.errors:
            grouped.setdefault(error.row, []).append(error)
        return grouped

    def find_duplicates(
        self, key: Callable[[Row], Any], field_name: str, message: Callable[[Row, Row], str]
    ) -> None:
        """Reject every row whose ``key`` (when not None) was already seen in an earlier row."""
        seen: dict[Any, Row] = {}
        for row in self.rows:
            k = key(row)
            if k is None:
                continue
            if k in seen:
                first = seen[k]
                if first.number not in self.rejected:
                    self.reject(first, field_name, message(first, row))
                self.reject(row, field_name, message(row, first))
            else:
                seen[k] = row


# --- reading -----------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def read_table(
    file: IO[bytes] | bytes,
    columns: Sequence[Column],
    *,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    filename: str = "",
    keep_other_columns: bool = False,
    progress: Callable[[int], object] | None = None,
    allow_empty: bool = False,
) -> ParseResult:
    """Read the first (or the named) sheet of ``file`` into typed rows.

    Raises ``SpreadsheetError`` when the file as a whole cannot be used; cell
    errors are collected in the result instead, so one upload reports them all.
    ``keep_other_columns`` keeps the raw cells of columns the spec does not name
    in ``Row.extra`` (wide grids: one column per day, per assessment...); the
    caller parses them and reports with ``ParseResult.reject_at``.
    ``progress(row_number)`` is called every ``PROGRESS_ROWS`` rows read (a job's progress).
    ``allow_empty``: a header row with no data under it is an empty table, not an error (a
    list that may be empty, such as a workbook's sheet of wishes).
    """
    data = file if isinstance(file, bytes) else _read_limited(file, limits)
    if len(data) > limits.max_bytes:
        raise SpreadsheetError(_too_big(len(data), limits))
    if not data.strip():
        raise SpreadsheetError("ファイルが空です。")
    sheet_name, rows, others = _open(data, sheet, limits, filename)
    if progress is not None:
        rows = _reporting(rows, progress)
    result = _parse(sheet_name, rows, columns, limits, keep_other_columns, allow_empty)
    result.other_sheets = others
    return result


def sheet_names(data: bytes, *, limits: Limits = DEFAULT_LIMITS, filename: str = "") -> list[str]:
    """The worksheets of an .xlsx or .ods, in order (a CSV is one unnamed table: ``[""]``).

    Refused with ``SpreadsheetError`` as ``read_table`` refuses the file; for imports whose
    workbook has one sheet per kind of row (read each with ``read_table(..., sheet=)``)."""
    if len(data) > limits.max_bytes:
        raise SpreadsheetError(_too_big(len(data), limits))
    if not data.strip():
        raise SpreadsheetError("ファイルが空です。")
    if not data.startswith(_ZIP):
        _open(data, None, limits, filename)  # refuses .xls, PDF, binaries with their message
        return [""]
    title, rows, others = _open(data, None, limits, filename)
    rows.close()
    return [title, *others]


PROGRESS_ROWS = 500


def _reporting(
    rows: Iterator[tuple[int, Sequence[Any]]], progress: Callable[[int], object]
) -> Iterator[tuple[int, Sequence[Any]]]:
    """The same rows, telling ``progress`` the sheet's row number every ``PROGRESS_ROWS`` rows."""
    for count, (number, values) in enumerate(rows, 1):
        if count % PROGRESS_ROWS == 0:
            progress(number)
        yield number, values


def _read_limited(file: IO[bytes], limits: Limits) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > limits.max_bytes:
        raise SpreadsheetError(_too_big(size, limits))
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limits.max_bytes + 1)
    return data


def _too_big(size: int, limits: Limits) -> str:
    return (
        f"ファイルが大きすぎます（{size / 1024 / 1024:.1f}MB）。"
        f"{limits.max_megabytes}MBまでにしてください。{limits.describe()}。"
    )


def _open(
    data: bytes, sheet: str | None, limits: Limits, filename: str
) -> tuple[str, Iterator[tuple[int, Sequence[Any]]], list[str]]:
    if data.startswith(_OLE):
        if _ENCRYPTION_INFO in data:
            raise SpreadsheetError(
                "パスワードで保護（暗号化）されたブックは読み込めません。"
                "Excelでパスワードを解除して保存し直してから取り込んでください。"
            )
        raise SpreadsheetError(
            "Excel 97-2003形式（.xls）のファイルには対応していません。"
            "Excelで「Excelブック（.xlsx）」として保存し直してください。"
        )
    if data.startswith(b"%PDF"):
        raise SpreadsheetError(
            "PDFファイルは取り込めません。Excel（.xlsx）またはCSVファイルを選んでください。"
        )
    if data.startswith(_ZIP):
        if _ODS_MIMETYPE in data[:200]:
            # OpenDocument (LibreOffice Calc's own format) starts with its mimetype entry;
            # ods imports this module, hence the late import.
            from schools.spreadsheets import ods

            return ods.open_ods(data, sheet, limits)
        return _open_xlsx(data, sheet, limits)
    if b"\x00" in data[:8192]:
        raise SpreadsheetError(
            "スプレッドシートではないファイルです。Excel（.xlsx）またはCSVファイルを選んでください。"
        )
    return (*_open_csv(data, filename), [])


def _open_xlsx(
    data: bytes, sheet: str | None, limits: Limits
) -> tuple[str, Iterator[tuple[int, Sequence[Any]]], list[str]]:
    unreadable = (
        "Excelブック（.xlsx）として読めないファイルです。"
        "ファイルが壊れていないか、別の形式ではないか確かめてください。"
    )
    try:
        # What the workbook costs, from its zip directory and bounded prefixes, before parsing.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bounds.check(archive, limits.workbook_costs())
    except bounds.TooCostly as exc:
        raise SpreadsheetError(f"{exc}{limits.describe()}。") from None
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError(unreadable) from exc
    except (NotImplementedError, RuntimeError) as exc:  # unknown compression, encrypted member
        raise SpreadsheetError(unreadable) from exc
    try:
        # read_only streams the sheet; data_only gives a formula's cached value, never the formula.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise SpreadsheetError(
            "Excelブック（.xlsx）として読めないファイルです。"
            "ファイルが壊れていないか、別の形式ではないか確かめてください。"
        ) from exc
    except Exception as exc:  # openpyxl raises a variety of errors on foreign zip files
        raise SpreadsheetError("Excelブック（.xlsx）として読めないファイルです。") from exc
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            raise SpreadsheetError(
                f"シート「{sheet}」がありません（あるシート: {'、'.join(workbook.sheetnames)}）。"
            )
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.worksheets[0] if workbook.worksheets else None
        if worksheet is None:
            raise SpreadsheetError("ブックにワークシートがありません。")

    # A formula without a saved value reads as None with data_only: the sheet's XML says
    # which cells those are, so they are reported, never taken for empty cells.
    missing = formulas_without_value(data, worksheet.title)
    rows_with_missing = {r for r, _ in missing}

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            values = worksheet.iter_rows(max_col=limits.max_columns, values_only=True)
            for number, row in enumerate(values, start=1):
                if number in rows_with_missing:
                    row = _with_formulas(number, row, missing, limits.max_columns)
                yield number, row
        except SpreadsheetError:
            raise
        except Exception as exc:  # a damaged sheet is found only while streaming it
            raise SpreadsheetError(
                CellError(
                    "シートの内容が壊れていて読めません。Excelで開いて保存し直してください。",
                    sheet=worksheet.title,
                )
            ) from exc
        finally:
            workbook.close()

    others = [ws.title for ws in workbook.worksheets if ws.title != worksheet.title]
    return worksheet.title, rows(), others


# The sheet XML, read with patterns (the members are bounded by bounds.check): a formula cell
# (an <f> element) whose <v> is empty or absent and whose type says no string/bool/error result.
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL = re.compile(rb"<" + _P + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _P + rb"c>)", re.S)
_HAS_F = re.compile(rb"<" + _P + rb"f\b")
_VALUE = re.compile(rb"<" + _P + rb"v>(.*?)</" + _P + rb"v>", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_SHEET = re.compile(rb"<" + _P + rb"sheet\b[^>]*>")
_REL = re.compile(rb"<" + _P + rb"Relationship\b[^>]*>")


def _attribute(tag: bytes, name: bytes) -> str | None:
    found = re.search(rb"(?:^|\s)" + name + rb'="([^"]*)"', tag)
    return html.unescape(found.group(1).decode("utf-8", "replace")) if found else None


def _sheet_member(archive: zipfile.ZipFile, title: str) -> str | None:
    """The zip member of the worksheet called ``title`` (workbook.xml → its relationship)."""
    rid = next(
        (
            _attribute(tag, rb"r:id") or _attribute(tag, rb"[\w]+:id")
            for tag in _SHEET.findall(archive.read("xl/workbook.xml"))
            if _attribute(tag, b"name") == title
        ),
        None,
    )
    if rid is None:
        return None
    for tag in _REL.findall(archive.read("xl/_rels/workbook.xml.rels")):
        if _attribute(tag, b"Id") == rid:
            target = _attribute(tag, b"Target") or ""
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def formulas_without_value(data: bytes, title: str) -> set[tuple[int, int]]:
    """(row, 0-based column) of every formula cell of sheet ``title`` with no saved value."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = _sheet_member(archive, title)
            if member is None or member not in archive.namelist():
                return set()
            xml = archive.read(member)
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, ValueError, RuntimeError):
        return set()
    if not _HAS_F.search(xml):
        return set()
    missing: set[tuple[int, int]] = set()
    for attributes, body in _CELL.findall(xml):
        if not body or not _HAS_F.search(body):
            continue
        kind = _TYPE.search(attributes)
        if kind and kind.group(1) in (b"str", b"s", b"b", b"e", b"inlineStr"):
            continue  # a saved text (possibly empty), boolean or error result
        value = _VALUE.search(body)
        if value and value.group(1).strip():
            continue
        ref = _REF.search(attributes)
        if ref:
            missing.add((int(ref.group(2)), column_index_from_string(ref.group(1).decode()) - 1))
    return missing


def _with_formulas(
    number: int, values: Sequence[Any], missing: set[tuple[int, int]], width: int
) -> Sequence[Any]:
    """The row's values with ``FormulaWithoutValue`` in each formula cell without a saved one."""
    columns = [c for r, c in missing if r == number and c < width]
    if not columns:
        return values
    out = list(values) + [None] * max(0, max(columns) + 1 - len(values))
    for c in columns:
        if out[c] is None:
            out[c] = FormulaWithoutValue("=")
    return tuple(out)


def _open_csv(data: bytes, filename: str) -> tuple[str, Iterator[tuple[int, Sequence[Any]]]]:
    if data.startswith(b"\xef\xbb\xbf"):
        content = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                content = data.decode("cp932")
            except UnicodeDecodeError:
                raise SpreadsheetError(
                    "CSVファイルの文字コードを読み取れません。"
                    "UTF-8 または Shift_JIS（Excelの「CSV」）で保存してください。"
                ) from None
    first_line = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    name = filename.rsplit("/", 1)[-1] or "CSV"

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            raise SpreadsheetError(f"CSVファイルの形式が正しくありません（{exc}）。") from exc

    return name, rows()


def _header_text(value: Any) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(" \u3000\t\r\n"))


def _parse(
    sheet: str,
    rows: Iterator[tuple[int, Sequence[Any]]],
    columns: Sequence[Column],
    limits: Limits,
    keep_other_columns: bool = False,
    allow_empty: bool = False,
) -> ParseResult:
    header_number, header, mapping = _find_header(sheet, rows, columns, limits)
    result = ParseResult(
        sheet=sheet,
        header_row=header_number,
        columns={
            col.field: ColumnRef(get_column_letter(i + 1), str(header[i]).strip())
            for i, col in mapping.items()
        },
        labels={col.field: col.label for col in columns},
    )
    others = [
        (i, ColumnRef(get_column_letter(i + 1), _header_text(v), v))
        for i, v in enumerate(header)
        if i not in mapping and not _blank(v)
    ]
    if keep_other_columns:
        result.other_columns = [ref for _, ref in others]
    else:
        result.ignored_headers = [ref.header for _, ref in others]
    present = list(mapping.items())
    absent = [c for c in columns if c.field not in result.columns]
    count = 0
    for number, values in rows:
        if all(_blank(v) for v in values):
            continue
        count += 1
        if count > limits.max_rows:
            raise SpreadsheetError(
                CellError(
                    f"データが{limits.max_rows:,}行を超えています。"
                    f"ファイルを分けて取り込んでください。{limits.describe()}。",
                    sheet=sheet,
                )
            )
        parsed: dict[str, Any] = {c.field: c.default for c in absent}
        bad = False
        for index, column in present:
            value = values[index] if index < len(values) else None
            if isinstance(value, FormulaWithoutValue):
                result.errors.append(result.error_at(number, column.field, FORMULA_WITHOUT_VALUE))
                result.failed.add((number, column.field))
                parsed[column.field] = None
                bad = True
                continue
            if _blank(value):
                if column.required:
                    result.errors.append(
                        result.error_at(number, column.field, f"{column.label}を入力してください。")
                    )
                    result.failed.add((number, column.field))
                    bad = True
                parsed[column.field] = column.default
                continue
            try:
                parsed[column.field] = column.parser(value)
            except CellInvalid as exc:
                result.errors.append(result.error_at(number, column.field, str(exc)))
                result.failed.add((number, column.field))
                parsed[column.field] = None
                bad = True
        row = Row(number, parsed)
        if keep_other_columns:
            row.extra = {}
            for i, ref in others:
                value = None if i >= len(values) or _blank(values[i]) else values[i]
                if isinstance(value, FormulaWithoutValue):
                    result.reject_at(number, ref, FORMULA_WITHOUT_VALUE)
                    result.failed.add((number, ref.header))
                    value = None
                    bad = True
                row.extra[ref.header] = value
        result.rows.append(row)
        if bad:
            result.rejected.add(number)
    if count == 0 and not allow_empty:
        raise SpreadsheetError(
            CellError(f"見出し行（{header_number}行目）の下にデータがありません。", sheet=sheet)
        )
    return result


def _find_header(
    sheet: str,
    rows: Iterator[tuple[int, Sequence[Any]]],
    columns: Sequence[Column],
    limits: Limits,
) -> tuple[int, Sequence[Any], dict[int, Column]]:
    """The first row that names every required column (title rows above it are skipped)."""
    required = [c for c in columns if c.required]
    best: tuple[int, Sequence[Any], dict[int, Column]] | None = None
    seen = 0
    for number, values in rows:
        if all(_blank(v) for v in values):
            continue
        seen += 1
        mapping, duplicates = _match_headers(sheet, number, values, columns)
        if all(c in mapping.values() for c in required):
            if duplicates:
                raise SpreadsheetError(duplicates)
            return number, values, mapping
        if best is None or len(mapping) > len(best[2]):
            best = (number, values, mapping)
        if seen >= limits.header_search_rows:
            break
    if seen == 0:
        raise SpreadsheetError(CellError("シートが空です（データがありません）。", sheet=sheet))
    wanted = "、".join(f"「{c.label}」" for c in required)
    if best is None or len(best[2]) < 2:
        raise SpreadsheetError(
            CellError(
                f"見出し行が見つかりません。先頭{limits.header_search_rows}行以内に、"
                f"{wanted}などの列見出しを1行にまとめて置いてください。",
                sheet=sheet,
            )
        )
    number, _, mapping = best
    return_errors = [
        CellError(
            f"必須の列「{c.label}」がありません"
            f"（見出しの例: {'、'.join(dict.fromkeys((c.label, *c.aliases)))}）。",
            sheet=sheet,
            row=number,
        )
        for c in required
        if c not in mapping.values()
    ]
    raise SpreadsheetError(return_errors)


def _match_headers(
    sheet: str, number: int, values: Sequence[Any], columns: Sequence[Column]
) -> tuple[dict[int, Column], list[CellError]]:
    exact: dict[str, Column] = {}
    for column in columns:
        for key in column.header_keys():
            exact.setdefault(key, column)
    mapping: dict[int, Column] = {}
    duplicates: list[CellError] = []
    for index, value in enumerate(values):
        if _blank(value) or not isinstance(value, str):
            continue
        column = exact.get(header_key(value)) or exact.get(header_key_without_brackets(value))
        if column is None:
            continue
        if column in mapping.values():
            first = next(get_column_letter(i + 1) for i, c in mapping.items() if c is column)
            duplicates.append(
                CellError(
                    f"列「{column.label}」が2つあります（{first}列と"
                    f"{get_column_letter(index + 1)}列）。どちらか一方にしてください。",
                    sheet=sheet,
                    row=number,
                )
            )
            continue
        mapping[index] = column
    return mapping, duplicates
