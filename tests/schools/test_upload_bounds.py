"""Uploads are bounded by what they cost, not only their size (issue 10, finding 4).

A 208 KB workbook holding 5,000,000 shared strings held a worker 35 s and 500 MB inside
openpyxl. The reader now checks the zip's directory and bounded prefixes first: uncompressed
size and ratio, number of parts and sheets, shared strings (declared and counted), the
sheets' used ranges; XML is parsed through defusedxml. Refusals take well under a second.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from bench.synth import shared_strings_bomb
from schools.spreadsheets import bounds
from schools.spreadsheets.reader import Column, Limits, SpreadsheetError, read_table

COLUMNS = [Column("name", "氏名", required=True), Column("number", "番号")]
# Only the shared-string count can refuse (size and ratio checks lifted).
COUNT_ONLY = Limits(max_uncompressed_bytes=10**10, max_compression_ratio=10**9)


DEFAULT = Limits()


def refusal(data: bytes, limits: Limits = DEFAULT) -> tuple[str, float, float]:
    """(message, seconds, peak MB of Python allocations) of refusing ``data``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(SpreadsheetError) as info:
            read_table(data, COLUMNS, limits=limits)
        return str(info.value), time.perf_counter() - started, _peak_mb()
    finally:
        tracemalloc.stop()


def _peak_mb() -> float:
    return tracemalloc.get_traced_memory()[1] / 1024 / 1024


def rewrite(data: bytes, **parts: str | bytes) -> bytes:
    """``data`` (an .xlsx) with some parts replaced or added (path -> content)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def workbook(*rows, sheets: int = 1) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    for n in range(1, sheets):
        wb.create_sheet(f"S{n}")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_five_million_shared_strings_are_refused_fast_and_small():
    data = shared_strings_bomb(5_000_000)
    assert len(data) < 300 * 1024  # small on disk: what a teacher could upload
    message, seconds, peak = refusal(data)
    assert "大きすぎます" in message and "保存し直して" in message
    assert seconds < 0.5 and peak < 20, (seconds, peak)


@pytest.mark.parametrize("declared", [None, 1], ids=["declared", "lying-about-its-count"])
def test_the_shared_strings_are_counted_even_when_the_file_lies(declared):
    message, seconds, peak = refusal(shared_strings_bomb(5_000_000, declared=declared), COUNT_ONLY)
    assert "文字列が多すぎます（300,000個を超えています）" in message
    assert seconds < 0.5 and peak < 20, (seconds, peak)


def test_a_few_shared_strings_under_the_cap_still_read():
    data = shared_strings_bomb(3, sheet_rows=3)
    limits = Limits(max_shared_strings=3)
    with pytest.raises(SpreadsheetError) as info:  # read, then refused for its content only
        read_table(data, COLUMNS, limits=limits)
    assert "見出し行" in str(info.value)
    assert "文字列が多すぎます" in refusal(data, Limits(max_shared_strings=2))[0]


def test_too_many_sheets_are_refused():
    assert "シートが多すぎます（51枚）" in refusal(workbook(["氏名"], ["山田"], sheets=51))[0]
    assert read_table(workbook(["氏名"], ["山田"], sheets=50), COLUMNS).rows[0]["name"] == "山田"


def test_too_many_parts_are_refused():
    data = rewrite(workbook(["氏名"], ["山田"]), **{f"xl/media/{n}.bin": b"" for n in range(1001)})
    assert "部品）が多すぎます" in refusal(data)[0]


def test_a_huge_used_range_is_refused_before_openpyxl_fills_it_with_empty_rows():
    data = workbook(["氏名"], ["山田"])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    import re

    huge = re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:B1048576"', sheet)
    message, seconds, _ = refusal(rewrite(data, **{"xl/worksheets/sheet1.xml": huge}))
    assert "使われている範囲が大きすぎます（1,048,576行×2列）" in message and seconds < 0.5
    # Without a <dimension>, the row numbers themselves are checked.
    bare = re.sub(r"<dimension [^>]*/>", "", sheet).replace(
        "</sheetData>",
        '<row r="900000"><c r="A900000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
    assert "900,000行" in refusal(rewrite(data, **{"xl/worksheets/sheet1.xml": bare}))[0]


def test_a_large_compression_ratio_is_refused():
    data = rewrite(
        workbook(["氏名"], ["山田"]), **{"xl/media/blank.bin": b"\0" * (50 * 1024 * 1024)}
    )
    message, seconds, _ = refusal(data)
    assert "展開すると大きすぎます" in message and seconds < 0.5


def test_xml_is_parsed_with_entity_attacks_defused():
    assert bounds.defused_xml_active()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"'
        ' uniqueCount="1"><si><t>&c;</t></si></sst>'
    )
    data = rewrite(shared_strings_bomb(1, sheet_rows=1), **{"xl/sharedStrings.xml": laughs})
    assert "読めないファイル" in refusal(data)[0]


def test_uploading_the_bomb_to_an_import_page_gives_a_message_fast(
    muni, client_for, principal, school, year
):
    client = client_for(muni, principal)
    bomb = shared_strings_bomb(5_000_000)
    assert client.get("/roster/io/import/").status_code == 200  # warm: templates, session
    started = time.perf_counter()
    response = client.post(
        "/roster/io/import/",
        {
            "school": school.pk,
            "year": year.pk,
            "file": SimpleUploadedFile("名簿.xlsx", bomb),
        },
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert "展開すると大きすぎます" in response.content.decode()
    assert elapsed < 1.0, elapsed
