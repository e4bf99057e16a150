"""Reading .ods uploads (issue 9, LibreOffice users), on hand-made files: every kind of cell,
repeated rows and columns, merged cells, formulas with and without a saved value, and what an
.ods may cost (zip bomb, a million repeated rows, entity attacks) refused or read in bounded
time and memory. The same files made by LibreOffice itself: tests/test_libreoffice_ods.py.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.spreadsheets import FORMULA_WITHOUT_VALUE, ods, parsers
from schools.spreadsheets.reader import DEFAULT_LIMITS, Column, Limits, SpreadsheetError, read_table

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
    'office:version="1.3"'
)
COLUMNS = [
    Column("name", "氏名", required=True),
    Column("number", "番号", parser=parsers.integer(1, 999)),
    Column("birth", "生年月日", parser=parsers.date),
]


def content(*tables: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<office:document-content {NAMESPACES}>'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )


def table(name: str, *rows: str) -> str:
    return f'<table:table table:name="{name}">{"".join(rows)}</table:table>'


def row(*cells: str, repeat: int = 1) -> str:
    extra = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{extra}>{''.join(cells)}</table:table-row>"


def s(text: str, repeat: int = 1) -> str:
    extra = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{extra}><text:p>{text}</text:p></table:table-cell>'


def n(value: str) -> str:
    return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'


def empty(repeat: int = 1) -> str:
    extra = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-cell{extra}/>"


def ods_file(xml: str, *, manifest: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), ods.MIMETYPE, compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", xml)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f"{manifest}</manifest:manifest>",
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def rows_of(data: bytes, sheet: str | None = None) -> dict[int, tuple]:
    title, rows, _ = ods.open_ods(data, sheet, Limits())
    return {number: values for number, values in rows}


def test_every_kind_of_cell_reads_as_openpyxl_reads_the_xlsx():
    cells = row(
        n("12"),
        n("7.5"),
        '<table:table-cell office:value-type="percentage" office:value="0.25"/>',
        '<table:table-cell office:value-type="currency" office:currency="JPY" office:value="1500"/>',
        '<table:table-cell office:value-type="date" office:date-value="2019-05-03"/>',
        '<table:table-cell office:value-type="date" office:date-value="2019-05-03T08:30:00"/>',
        '<table:table-cell office:value-type="time" office:time-value="PT10H30M00S"/>',
        '<table:table-cell office:value-type="time" office:time-value="PT26H00M00S"/>',
        '<table:table-cell office:value-type="boolean" office:boolean-value="true"/>',
        '<table:table-cell table:formula="of:=TRUE()" office:value-type="float" office:value="1"/>',
    )
    text = row(
        '<table:table-cell office:value-type="string"><text:p><text:s text:c="2"/>渡邉<text:s/>'
        "一郎<text:tab/>x</text:p><text:p>二行目<text:line-break/>三</text:p>"
        "<office:annotation><text:p>メモは値ではない</text:p></office:annotation></table:table-cell>",
        '<table:table-cell office:value-type="string" office:string-value="保存値"><text:p>表示</text:p></table:table-cell>',
        '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value=""'
        ' calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>',
        '<table:table-cell table:formula="of:=&quot;&quot;"><text:p/></table:table-cell>',
        '<table:table-cell office:value-type="string"><text:p></text:p></table:table-cell>',
        s("𠮷"),
    )
    got = rows_of(ods_file(content(table("名簿", cells, text))))
    assert got[1] == (
        12,
        7.5,
        0.25,
        1500,
        dt.datetime(2019, 5, 3),
        dt.datetime(2019, 5, 3, 8, 30),
        dt.time(10, 30),
        dt.timedelta(hours=26),
        True,
        True,
    )
    assert type(got[1][0]) is int and type(got[1][3]) is int
    assert got[2] == ("  渡邉 一郎\tx\n二行目\n三", "保存値", "#DIV/0!", None, None, "𠮷")


def test_repeats_merges_and_groups_keep_excel_row_and_column_numbers():
    xml = content(
        table(
            "名簿",
            '<table:table-column table:number-columns-repeated="16384"/>',
            row(
                '<table:table-cell office:value-type="string" table:number-columns-spanned="3">'
                "<text:p>令和8年度 名簿</text:p></table:table-cell>",
                '<table:covered-table-cell table:number-columns-repeated="2"/>',
                empty(16381),
            ),
            row(empty(16384), repeat=3),  # rows 2-4
            "<table:table-header-rows>"
            + row(s("氏名"), s("番号"), s("生年月日"))
            + "</table:table-header-rows>",
            "<table:table-row-group>"
            + row(s("山田"), n("1"), empty(2), s("x", repeat=3))
            + "</table:table-row-group>",
            row(s("同じ"), n("2"), repeat=2),  # rows 7 and 8
            row(empty(16384), repeat=1048568),  # what Calc writes after the last used row
        )
    )
    got = rows_of(ods_file(xml))
    assert got == {
        1: ("令和8年度 名簿",),
        5: ("氏名", "番号", "生年月日"),
        6: ("山田", 1, None, None, "x", "x", "x"),
        7: ("同じ", 2),
        8: ("同じ", 2),
    }
    result = read_table(ods_file(xml), COLUMNS)
    assert result.header_row == 5 and [r.number for r in result.rows] == [6, 7, 8]
    assert result.columns["number"].letter == "B"


def test_a_formula_without_a_saved_value_is_named_at_its_row_and_column():
    xml = content(
        table(
            "名簿",
            row(s("氏名"), s("番号"), s("生年月日"), s("備考")),
            row(s("山田"), '<table:table-cell table:formula="of:=[.B3]+1"/>', empty(), n("1")),
            row(s("佐藤"), '<table:table-cell table:formula="of:=1+1" office:value-type="float"/>'),
            row(
                s("鈴木"),
                '<table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"/>',
                empty(),
                '<table:table-cell table:formula="of:=NOW()"/>',
            ),
        )
    )
    result = read_table(ods_file(xml), COLUMNS, keep_other_columns=True)
    messages = [(e.row, e.column, e.message) for e in result.errors]
    assert (2, "B", FORMULA_WITHOUT_VALUE) in messages
    assert (3, "B", FORMULA_WITHOUT_VALUE) in messages
    assert (4, "D", FORMULA_WITHOUT_VALUE) in messages  # an unnamed column (Row.extra) too
    assert len(messages) == 3
    assert result.rows[2].values["number"] == 2  # a saved value is read
    assert "入力してください" not in str(result.errors)


def test_sheets_are_chosen_by_name_and_the_others_listed():
    xml = content(
        table("4月", row(s("氏名")), row(s("一"))),
        table("5&amp;6月", row(s("氏名")), row(s("二"))),
    )
    data = ods_file(xml)
    assert ods.sheet_titles(data, Limits()) == ["4月", "5&6月"]
    result = read_table(data, [Column("name", "氏名", required=True)], sheet="5&6月")
    assert result.sheet == "5&6月" and result.rows[0]["name"] == "二"
    assert result.other_sheets == ["4月"]
    first = read_table(data, [Column("name", "氏名", required=True)])
    assert first.sheet == "4月" and first.rows[0]["name"] == "一"
    with pytest.raises(
        SpreadsheetError, match="シート「6月」がありません（あるシート: 4月、5&6月）"
    ):
        read_table(data, [Column("name", "氏名", required=True)], sheet="6月")


def test_errors_carry_the_sheet_row_and_column():
    xml = content(table("名簿", row(s("氏名"), s("番号")), row(empty(), s("千"))))
    result = read_table(ods_file(xml), COLUMNS)
    assert [str(e) for e in result.errors] == [
        "シート「名簿」 2行目 A列「氏名」: 氏名を入力してください。",
        f"シート「名簿」 2行目 B列「番号」: {result.errors[1].message}",
    ]


def cost(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[object, float, float]:
    """(the result or the refusal message, seconds, peak MB of Python allocations)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        try:
            outcome: object = read_table(data, COLUMNS, limits=limits)
        except SpreadsheetError as exc:
            outcome = str(exc)
        return outcome, time.perf_counter() - started, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_a_million_repeated_empty_rows_and_columns_cost_nothing():
    xml = content(
        table(
            "名簿",
            row(s("氏名"), s("番号"), empty(16382)),
            row(s("山田"), n("1"), empty(16382)),
            *[row(empty(16384), repeat=1048574) for _ in range(1)],
            row(empty(16384), repeat=1_000_000_000),  # a count no sheet has: still nothing
        )
    )
    result, seconds, peak = cost(ods_file(xml))
    assert not isinstance(result, str) and [r.number for r in result.rows] == [2]
    assert seconds < 0.5 and peak < 5, (seconds, peak)


def test_content_repeated_past_the_sheet_bounds_is_refused_fast():
    for body in (
        row(s("山田"), n("1"), repeat=1048575),  # a filled row, repeated a million times
        row(s("山田"), s("x", repeat=16000)),  # a filled cell, repeated past 2,000 columns
        row(empty(16384), repeat=50_000) + row(s("遠い")),  # content far below
    ):
        xml = content(table("名簿", row(s("氏名"), s("番号")), body))
        message, seconds, peak = cost(ods_file(xml))
        assert isinstance(message, str) and "使われている範囲が大きすぎます" in message, message
        assert seconds < 0.5 and peak < 5, (seconds, peak)


def test_a_zip_bomb_and_too_many_sheets_are_refused_before_parsing():
    bomb = content(table("名簿", row(s("氏名")), row(s("a" * 5_000_000))))
    message, seconds, peak = cost(ods_file(bomb))
    assert "展開すると大きすぎます" in message and seconds < 1.5 and peak < 5, (seconds, peak)
    many = content(*[table(f"S{i}", row(s("氏名"))) for i in range(60)])
    message, _, _ = cost(ods_file(many))
    assert "シートが多すぎます（51枚）" in message or "シートが多すぎます（60枚）" in message
    parts = ods_file(
        content(table("名簿", row(s("氏名")))),
        extra={f"Pictures/{i}.png": b"" for i in range(1200)},
    )
    assert "部品" in cost(parts)[0]


def test_entities_are_refused_and_damage_is_named():
    laughs = (
        '<!DOCTYPE office:document-content [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    xml = content(table("名簿", row(s("氏名")), row(s("&c;"))), doctype=laughs)
    assert "壊れていて読めません" in cost(ods_file(xml))[0]
    whole = content(table("名簿", row(s("氏名")), row(s("山田"))))
    cut = whole[: whole.index("山田") + 1]  # a file cut short inside the sheet
    assert "壊れていて読めません" in cost(ods_file(cut))[0]
    assert "OpenDocument形式（.ods）として読めない" in cost(ods_file("")[:-200] + b"\0" * 10)[0]
    encrypted = ods_file(
        content(table("名簿", row(s("氏名")))),
        manifest='<manifest:file-entry manifest:full-path="content.xml">'
        "<manifest:encryption-data/></manifest:file-entry>",
    )
    assert "パスワードで保護" in cost(encrypted)[0]
    assert "ワークシートがありません" in cost(ods_file(content()))[0]


def test_an_ods_bomb_uploaded_to_an_import_page_gives_a_message_fast(
    muni, client_for, principal, school, year, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(muni, principal)
    bomb = ods_file(
        content(
            table(
                "名簿",
                row(s("氏名"), s("x", repeat=10)),
                row(empty(), repeat=2**31),
                row(s("a"), repeat=2**31),
            )
        )
    )
    assert client.get("/roster/io/import/").status_code == 200
    started = time.perf_counter()
    response = client.post(
        "/roster/io/import/",
        {"school": school.pk, "year": year.pk, "file": SimpleUploadedFile("名簿.ods", bomb)},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert "使われている範囲が大きすぎます" in response.content.decode()
    assert elapsed < 1.0, elapsed


def ods_table(rows: list[list[object]]) -> bytes:
    """Python values as a one-sheet .ods, cells typed as Calc types them."""

    def cell(value: object) -> str:
        if value is None:
            return empty()
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        if isinstance(value, int):
            return n(str(value))
        return s(str(value))

    return ods_file(content(table("名簿", *[row(*map(cell, values)) for values in rows])))


def test_the_api_previews_and_commits_an_ods_as_an_xlsx(
    muni, client_for, principal, school, year, classroom, settings, tmp_path
):
    from schools.models import Enrolment
    from tests.schools.roster_files import HEADER, xlsx

    settings.MEDIA_ROOT = tmp_path
    rows = [
        [1, "1組", 1, "𠮷田　太郎", "ﾖｼﾀﾞ ﾀﾛｳ", "男", dt.date(2019, 5, 3), "S0001"],
        [1, "1組", 2, "髙橋 花子", "たかはし はなこ", "女", "R1.6.1", "S0002"],
        [1, "1組", 3, "山田 三郎", "やまだ さぶろう", "男", "2019/2/30", "S0003"],
    ]
    client = client_for(muni, principal)

    def preview(data: bytes, name: str) -> dict:
        file = SimpleUploadedFile(name, data)
        response = client.post(
            "/api/v1/roster/imports/", {"school": school.pk, "year": 2026, "file": file}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        return {k: v for k, v in body.items() if k not in ("token", "filename", "fingerprint")}

    bad = preview(ods_table([["令和8年度 名簿"], HEADER, *rows]), "名簿.ods")
    assert bad == preview(xlsx(rows, title_rows=[["令和8年度 名簿"]]), "名簿.xlsx")
    assert [(e["row"], e["column"]) for e in bad["errors"]] == [(5, "G")]
    good = ods_table([HEADER, *rows[:2]])
    file = SimpleUploadedFile("名簿.ods", good)
    body = client.post(
        "/api/v1/roster/imports/", {"school": school.pk, "year": 2026, "file": file}
    ).json()
    assert body["ok"] and body["counts"]["create"] == 2
    done = client.post(
        "/api/v1/roster/imports/commit/", {"token": body["token"]}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["committed"]
    assert set(
        Enrolment.objects.filter(classroom=classroom).values_list("student__name", "roll_number")
    ) == {("𠮷田　太郎", 1), ("髙橋 花子", 2)}


def test_every_upload_form_accepts_ods_and_says_so(muni, client_for, boe_admin):
    from django.urls import reverse

    from tests import factories
    from tests.attendance.helpers import setup_class
    from tests.timetable.test_services import build

    client = client_for(muni, boe_admin)
    for url in ("/roster/io/import/", "/roster/io/import/staff/"):
        html = client.get(url).content.decode()
        assert 'accept=".xlsx,.ods,.csv"' in html and "（.ods）" in html, url
    _, _, classroom, _ = setup_class(2)
    teacher = client_for(muni, factories.homeroom_teacher(classroom).user)
    html = teacher.get(f"/attendance/class/{classroom.pk}/register/2026/6/").content.decode()
    assert 'accept=".xlsx,.ods,.csv"' in html and ".xlsx・.ods" in html
    g = factories.gradebook_class()
    grid = reverse("gradebook:grid-import", args=[g.classroom.pk, g.subject.pk, g.term.pk])
    html = client_for(muni, g.teacher.user).get(grid).content.decode()
    assert 'accept=".xlsx,.ods,.csv"' in html and ".ods" in html
    b = build(1)
    url = f"/timetable/schools/{b.school.pk}/import/?year=2026"
    html = client_for(muni, b.admin.user).get(url).content.decode()
    assert 'accept=".xlsx,.ods,.csv"' in html and ".ods" in html
