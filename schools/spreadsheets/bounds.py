"""What a workbook will cost, checked from its zip directory before openpyxl parses it.

A small .xlsx can expand to gigabytes: a 208 KB file held 5,000,000 shared strings and
kept a worker 35 s and 500 MB inside openpyxl. Everything here reads the zip's directory
and at most a bounded prefix of a few members (streamed, never inflated whole), so a
refusal costs milliseconds and a few megabytes whatever the file claims to hold.
openpyxl itself parses XML through ``defusedxml`` (installed as a dependency; see
``defused_xml_active``), so entity expansion and external entities are refused too.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string

CHUNK = 64 * 1024
_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_ROW_NUMBER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br=\"(\d+)\"")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref=\"([^\"]+)\"")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_UNIQUE_COUNT = re.compile(rb"\buniqueCount=\"(\d{1,18})\"")
_PREFIXED_SST = re.compile(rb"<[A-Za-z_][\w.-]*:sst\b")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b")
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


@dataclass(frozen=True)
class WorkbookCosts:
    """Upper bounds of what a workbook may hold; ``Limits`` derives them (see reader.py)."""

    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_entries: int
    max_sheets: int
    max_shared_strings: int
    max_sheet_rows: int
    max_sheet_columns: int


class TooCostly(Exception):
    """The workbook would cost more than allowed; the message is for the user, in Japanese."""


def defused_xml_active() -> bool:
    """True when openpyxl parses through defusedxml (it does whenever defusedxml is importable)."""
    from openpyxl.xml import DEFUSEDXML

    return bool(DEFUSEDXML)


def check(archive: zipfile.ZipFile, costs: WorkbookCosts) -> None:
    """Raise ``TooCostly`` when the workbook exceeds ``costs``; read only bounded prefixes."""
    entries = archive.infolist()
    if len(entries) > costs.max_entries:
        raise TooCostly(
            f"ブックの中身（{len(entries):,}個の部品）が多すぎます。"
            f"{costs.max_entries:,}個までのブックにしてください。"
        )
    total = 0
    for info in entries:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > costs.max_compression_ratio:
            raise TooCostly(_inflates(info.file_size))
    if total > costs.max_uncompressed_bytes:
        raise TooCostly(_inflates(total))
    names = {info.filename for info in entries}
    sheets = [n for n in names if _WORKSHEET.match(n)]
    declared = (
        _count(archive, "xl/workbook.xml", _SHEET, costs.max_sheets, costs)
        if ("xl/workbook.xml" in names)
        else 0
    )
    if max(len(sheets), declared) > costs.max_sheets:
        raise TooCostly(
            f"シートが多すぎます（{max(len(sheets), declared):,}枚）。"
            f"{costs.max_sheets}枚までのブックにしてください。"
        )
    if "xl/sharedStrings.xml" in names:
        strings = _shared_strings(archive, costs)
        if strings > costs.max_shared_strings:
            raise TooCostly(
                f"ブックに含まれる文字列が多すぎます（{costs.max_shared_strings:,}個を超えています）。"
                "必要なシートと行だけを新しいブックに貼り付けて保存し直してください。"
            )
    for name in sorted(sheets):
        _check_sheet(archive, name, costs)


def _inflates(size: int) -> str:
    return (
        f"ブックを展開すると大きすぎます（{size / 1024 / 1024:,.0f}MB）。"
        "必要なシートと行だけを新しいブックに貼り付けて保存し直してください。"
    )


def _stream(archive: zipfile.ZipFile, name: str, costs: WorkbookCosts) -> Iterator[bytes]:
    """The member's bytes in chunks, refusing once more than allowed came out of the inflater.

    The directory's sizes can lie; this counts what really comes out.
    """
    produced = 0
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            produced += len(chunk)
            if produced > costs.max_uncompressed_bytes:
                raise TooCostly(_inflates(produced))
            yield chunk


def _count(
    archive: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], cap: int, costs: WorkbookCosts
) -> int:
    """Occurrences of ``pattern`` in the member, stopping as soon as ``cap`` is exceeded."""
    count = 0
    tail = b""
    for chunk in _stream(archive, name, costs):
        data = tail + chunk
        # Keep a short tail so that a tag split across two chunks is still seen, once.
        cut = max(len(data) - 64, 0)
        count += len(pattern.findall(data, 0, cut)) if cut else 0
        tail = data[cut:]
        if count > cap:
            return count
    return count + len(pattern.findall(tail))


def _shared_strings(archive: zipfile.ZipFile, costs: WorkbookCosts) -> int:
    """What ``uniqueCount`` declares, or (it may lie) the ``<si>`` counted up to the cap."""
    name = "xl/sharedStrings.xml"
    head = next(_stream(archive, name, costs), b"")[:4096]
    declared = _UNIQUE_COUNT.search(head)
    if declared is not None and int(declared.group(1)) > costs.max_shared_strings:
        return int(declared.group(1))
    if _PREFIXED_SST.search(head):  # <x:sst>: rare, a regular expression (slower) is needed
        return _count(archive, name, _SI, costs.max_shared_strings, costs)
    count = 0
    tail = b""
    for chunk in _stream(archive, name, costs):
        data = tail + chunk
        cut = max(len(data) - 8, 0)
        # bytes.count is ten times faster than a regular expression here.
        count += sum(data.count(tag, 0, cut) for tag in (b"<si>", b"<si ", b"<si/"))
        tail = data[cut:]
        if count > costs.max_shared_strings:
            return count
    return count + sum(tail.count(tag) for tag in (b"<si>", b"<si ", b"<si/"))


def _check_sheet(archive: zipfile.ZipFile, name: str, costs: WorkbookCosts) -> None:
    """The used range (``<dimension>``) bounds what openpyxl will produce; without one, the
    row numbers themselves do (openpyxl fills the gaps between rows with empty ones)."""
    head = b""
    for chunk in _stream(archive, name, costs):
        head += chunk
        if b"<sheetData" in head or len(head) > 4 * CHUNK:
            break
    found = _DIMENSION.search(head)
    if found is not None:
        rows, columns = _extent(found.group(1).decode("ascii", "replace"))
        _refuse_extent(rows, columns, costs)
        return
    highest = 0
    tail = b""
    for chunk in _stream(archive, name, costs):
        data = tail + chunk
        cut = max(len(data) - 64, 0)
        for match in _ROW_NUMBER.finditer(data, 0, cut):
            highest = max(highest, int(match.group(1)))
        tail = data[cut:]
        _refuse_extent(highest, 0, costs)
    for match in _ROW_NUMBER.finditer(tail):
        highest = max(highest, int(match.group(1)))
    _refuse_extent(highest, 0, costs)


def _extent(ref: str) -> tuple[int, int]:
    last = ref.split(":")[-1]
    match = _CELL_REF.match(last)
    if match is None:
        return 0, 0
    try:
        return int(match.group(2)), column_index_from_string(match.group(1).upper())
    except ValueError:
        return 0, 0


def _refuse_extent(rows: int, columns: int, costs: WorkbookCosts) -> None:
    if rows > costs.max_sheet_rows or columns > costs.max_sheet_columns:
        raise TooCostly(
            "シートの使われている範囲が大きすぎます"
            f"（{rows:,}行{f'×{columns:,}列' if columns else ''}）。"
            f"{costs.max_sheet_rows:,}行・{costs.max_sheet_columns:,}列までにしてください"
            "（空の行や列に書式だけが残っていないか確かめてください）。"
        )


# --- for the .ods reader (schools/spreadsheets/ods.py): the same figures and messages --------


def inflates(size: int) -> str:
    """The message for a part that unzips to ``size`` bytes, more than allowed."""
    return _inflates(size)


def refuse_extent(rows: int, columns: int, costs: WorkbookCosts) -> None:
    """Raise ``TooCostly`` when content lies past ``costs.max_sheet_rows``/``_columns``."""
    _refuse_extent(rows, columns, costs)
