"""The shared spreadsheet pipeline (no database): reading, normalising, refusing, writing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from schools.spreadsheets import (
    Column,
    ExportColumn,
    ExportWorkbook,
    Limits,
    SpreadsheetError,
    parsers,
    read_table,
    sheet_names,
)
from schools.spreadsheets.dates import DateInvalid, parse_date
from schools.spreadsheets.normalize import header_key, tidy_spaces, to_hiragana

COLUMNS = [
    Column(
        "roll", "出席番号", aliases=("番号", "no"), parser=parsers.integer(1, 99), required=True
    ),
    Column("name", "氏名", aliases=("名前", "name"), parser=parsers.name, required=True),
    Column("kana", "ふりがな", aliases=("フリガナ", "よみ", "kana"), parser=parsers.kana),
    Column("born", "生年月日", aliases=("birthday",), parser=parsers.date),
]


def xlsx(*rows, merge: str | None = None, title: str = "名簿") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def refused(data: bytes, columns=COLUMNS, **kw) -> str:
    with pytest.raises(SpreadsheetError) as info:
        read_table(data, columns, **kw)
    return str(info.value)


# --- header row ---------------------------------------------------------------------------


def test_header_found_below_merged_title_rows():
    data = xlsx(
        ["令和8年度 1年1組 名簿"],
        ["富士見小学校", None, "担任 山田"],
        [],
        ["番号", "氏名（漢字）", "ﾌﾘｶﾞﾅ※", "生年月日", "備考"],
        [1, "山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", dt.datetime(2019, 5, 3), "メモ"],
        merge="A1:E1",
    )
    result = read_table(data, COLUMNS)
    assert result.header_row == 4
    assert result.sheet == "名簿"
    assert result.columns["kana"].letter == "C"
    assert result.ignored_headers == ["備考"]
    assert result.rows[0].number == 5
    assert result.rows[0].values == {
        "roll": 1,
        "name": "山田 太郎",
        "kana": "やまだ たろう",
        "born": dt.date(2019, 5, 3),
    }


def test_english_headers_and_width_and_case():
    data = xlsx(["No", "NAME", "Ｋａｎａ", " Birthday "], [2, "Ann", "あん", "2019-04-02"])
    row = read_table(data, COLUMNS).rows[0]
    assert row.values == {"roll": 2, "name": "Ann", "kana": "あん", "born": dt.date(2019, 4, 2)}


def test_optional_column_missing_gives_default_and_blank_rows_are_skipped():
    data = xlsx(["出席番号", "氏名"], [1, "A"], [None, None], [2, "B"])
    result = read_table(data, COLUMNS)
    assert [r.number for r in result.rows] == [2, 4]
    assert result.rows[0]["kana"] is None and not result.has("kana")


def test_missing_required_column_names_it():
    message = refused(xlsx(["出席番号", "ふりがな"], [1, "あ"]))
    assert "必須の列「氏名」がありません" in message and "名前" in message


def test_same_column_twice_is_refused():
    message = refused(xlsx(["出席番号", "氏名", "名前"], [1, "A", "B"]))
    assert "列「氏名」が2つあります（B列とC列）" in message


def test_no_header_at_all():
    assert "見出し行が見つかりません" in refused(xlsx(["a", "b"], [1, 2]))


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["𠮷田 太郎", "𡈽屋 花子", "髙橋 一", "山﨑 二郎", "神谷 三", "渡邊 四郎", "Анна Smith"],
)
def test_names_are_never_nfkc_normalised(name):
    # 﨑 (U+FA11) and 神 (U+FA19) are compatibility ideographs NFKC would replace.
    result = read_table(xlsx(["番号", "氏名"], [1, f"  {name}\u3000"]), COLUMNS)
    assert result.rows[0]["name"] == name


def test_names_survive_csv_in_utf8_too():
    data = "番号,氏名\n1,𠮷田　山﨑\n".encode()
    assert read_table(data, COLUMNS).rows[0]["name"] == "𠮷田　山﨑"


def test_spaces_are_tidied_keeping_their_kind():
    assert tidy_spaces("　山田　　太郎 ") == "山田　太郎"
    assert tidy_spaces(" Ann  Lee ") == "Ann Lee"


@pytest.mark.parametrize(
    ("raw", "kana"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ たろう"),
        ("ヤマダ　ハナコ", "やまだ　はなこ"),
        ("ｼﾞｮｰｼﾞ", "じょーじ"),
        ("ヴィ", "ゔぃ"),
        ("やまだ", "やまだ"),
    ],
)
def test_kana_becomes_hiragana(raw, kana):
    assert to_hiragana(raw) == kana or parsers.kana(raw) == kana
    assert parsers.kana(raw) == kana


def test_kana_with_kanji_is_an_error_with_its_cell():
    result = read_table(xlsx(["番号", "氏名", "ふりがな"], [1, "山田", "山田"]), COLUMNS)
    (error,) = result.errors
    assert (error.sheet, error.row, error.column, error.header) == ("名簿", 2, "C", "ふりがな")
    assert "ひらがな" in error.message
    assert 2 in result.rejected and result.valid_rows() == []


def test_full_width_digits_in_numbers():
    result = read_table(xlsx(["番号", "氏名"], ["１２", "A"], [3.0, "B"]), COLUMNS)
    assert [r["roll"] for r in result.rows] == [12, 3]


@pytest.mark.parametrize("bad", ["12番", "1.5", 1.5, "0", 100])
def test_bad_numbers(bad):
    result = read_table(xlsx(["番号", "氏名"], [bad, "A"]), COLUMNS)
    assert result.errors and result.errors[0].column == "A"


def test_header_keys():
    assert header_key(" ﾌﾘｶﾞﾅ※ ") == header_key("フリガナ")
    assert header_key("Ｎｏ．") == "no."


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-04-01", dt.date(2024, 4, 1)),
        ("2024/4/1", dt.date(2024, 4, 1)),
        ("２０２４／４／１", dt.date(2024, 4, 1)),
        ("2024年4月1日", dt.date(2024, 4, 1)),
        ("20240401", dt.date(2024, 4, 1)),
        ("令和6年4月1日", dt.date(2024, 4, 1)),
        ("R6.4.1", dt.date(2024, 4, 1)),
        ("r06/04/01", dt.date(2024, 4, 1)),
        ("H29.5.3", dt.date(2017, 5, 3)),
        ("平成29年5月3日", dt.date(2017, 5, 3)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("S64.1.7", dt.date(1989, 1, 7)),
        (dt.datetime(2024, 4, 1), dt.date(2024, 4, 1)),
        (dt.date(2024, 4, 1), dt.date(2024, 4, 1)),
        (45383, dt.date(2024, 4, 1)),  # an Excel serial in a number cell
    ],
)
def test_dates(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024/2/30", "存在しない日付"),
        ("2023/2/29", "存在しない日付"),
        ("2024/13/1", "存在しない日付"),
        ("平成31年5月1日", "平成にない日付"),
        ("令和元年4月30日", "令和にない日付"),
        ("H0.1.1", "存在しない日付"),
        ("きのう", "日付として読めません"),
        ("4/1", "日付として読めません"),
    ],
)
def test_impossible_dates(text, message):
    with pytest.raises(DateInvalid, match=message):
        parse_date(text)


def test_excel_date_cell_in_a_real_workbook():
    result = read_table(xlsx(["番号", "氏名", "生年月日"], [1, "A", dt.date(2019, 5, 3)]), COLUMNS)
    assert result.rows[0]["born"] == dt.date(2019, 5, 3)


# --- CSV --------------------------------------------------------------------------------------

CSV_TEXT = "番号,氏名,ふりがな\n1,髙橋 花子,ﾀｶﾊｼ ﾊﾅｺ\n"


@pytest.mark.parametrize(
    "data",
    [
        CSV_TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"),
        CSV_TEXT.encode("cp932"),
        CSV_TEXT.replace(",", "\t").encode("utf-8"),
        CSV_TEXT.replace("\n", "\r\n").encode("cp932"),
    ],
    ids=["utf8", "utf8-bom", "cp932", "tab", "crlf-cp932"],
)
def test_csv_encodings(data):
    row = read_table(data, COLUMNS, filename="名簿.csv").rows[0]
    assert row.values["name"] == "髙橋 花子" and row.values["kana"] == "たかはし はなこ"


def test_csv_undecodable():
    assert "文字コード" in refused(b"\x82\xa0\xff\xfe,\x81\n")


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_pdf_renamed():
    assert "PDF" in refused(b"%PDF-1.4\n1 0 obj << >> endobj\n", filename="名簿.xlsx")


def test_refuses_encrypted_workbook():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    encrypted = ole + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100
    assert "パスワード" in refused(encrypted)
    assert ".xls" in refused(ole + "Workbook".encode("utf-16-le"))


def test_refuses_binary_and_broken_zip():
    assert "スプレッドシートではない" in refused(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "Excelブック" in refused(b"PK\x03\x04" + b"garbage" * 20)


def test_refuses_empty_file_and_empty_sheet_and_header_only():
    assert "空" in refused(b"")
    assert "シートが空" in refused(xlsx())
    assert "データがありません" in refused(xlsx(["番号", "氏名"]))


def test_refuses_over_the_row_limit_and_states_it():
    rows = [[i, f"生徒{i}"] for i in range(1, 12)]
    message = refused(xlsx(["番号", "氏名"], *rows), limits=Limits(max_rows=10))
    assert "10行を超えています" in message


def test_refuses_over_the_size_limit_and_states_it():
    message = refused(b"a" * 2048, limits=Limits(max_bytes=1024))
    assert "ファイルが大きすぎます" in message


def test_names_a_sheet_that_does_not_exist():
    assert "シート「出欠」がありません" in refused(xlsx(["番号", "氏名"], [1, "A"]), sheet="出欠")


def test_every_error_is_collected_with_its_place():
    data = xlsx(["番号", "氏名", "生年月日"], ["x", "", "2019/2/30"], [1, "A", "令和9年"])
    result = read_table(data, COLUMNS)
    assert [(e.row, e.column) for e in result.errors] == [(2, "A"), (2, "B"), (2, "C"), (3, "C")]
    assert str(result.errors[0]).startswith("シート「名簿」 2行目 A列「番号」: ")


def test_domain_rejections_and_duplicates():
    data = xlsx(["番号", "氏名"], [1, "A"], [2, "B"], [1, "C"])
    result = read_table(data, COLUMNS)
    result.find_duplicates(lambda r: r["roll"], "roll", lambda r, o: f"{o.number}行目と重複")
    assert [(e.row, e.message) for e in result.errors] == [(2, "4行目と重複"), (4, "2行目と重複")]
    assert [r["name"] for r in result.valid_rows()] == ["B"]


# --- writing ----------------------------------------------------------------------------------


def test_export_escapes_formula_like_text_and_round_trips():
    book = ExportWorkbook()
    sheet = book.add_sheet(
        "1年1組: 名簿/2026",
        [
            ExportColumn("番号", 6, "int"),
            ExportColumn("氏名", 20),
            ExportColumn("生年月日", 12, "date"),
        ],
        heading="令和8年度 名簿",
    )
    names = ["=1+1", "+81 3", "-1", "@SUM(A1)", "𠮷田", "山﨑"]
    for i, name in enumerate(names, start=1):
        sheet.append([i, name, dt.date(2019, 5, i)])
    data = book.to_bytes()
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "1年1組・ 名簿・2026"
    for row in ws.iter_rows(min_row=4):
        assert row[1].data_type == "s"  # text, never a formula
    assert [c.quotePrefix for c in ws["B"][3:]] == [True, True, True, True, False, False]
    # and the pipeline reads back exactly what was written
    result = read_table(data, COLUMNS)
    assert [r["name"] for r in result.rows] == names
    assert result.rows[0]["born"] == dt.date(2019, 5, 1)


def test_write_only_export_of_many_rows_is_streamed():
    book = ExportWorkbook()
    sheet = book.add_sheet("大きい表", [ExportColumn("番号", 6, "int"), ExportColumn("氏名")])
    sheet.extend([i, f"生徒{i}"] for i in range(1, 20001))
    data = book.to_bytes()
    assert len(read_table(data, COLUMNS, limits=Limits(max_rows=20_000)).rows) == 20000


def test_wide_grid_keeps_other_columns_for_the_caller():
    """An attendance- or score-like grid: fixed columns, then one column per day."""
    data = xlsx(
        ["出席番号", "氏名", dt.datetime(2026, 4, 8), dt.datetime(2026, 4, 9), "備考"],
        [1, "𠮷田", "欠", None, ""],
        [2, "髙橋", "遅", "？", "x"],
    )
    result = read_table(data, COLUMNS, keep_other_columns=True)
    assert [(c.letter, c.header) for c in result.other_columns] == [
        ("C", "2026-04-08"),
        ("D", "2026-04-09"),
        ("E", "備考"),
    ]
    assert result.other_columns[0].value == dt.datetime(2026, 4, 8)
    assert result.rows[0].extra == {"2026-04-08": "欠", "2026-04-09": None, "備考": None}
    bad = result.other_columns[1]
    result.reject_at(result.rows[1], bad, "記号「？」は使えません。")
    assert (
        str(result.errors[0]) == "シート「名簿」 3行目 D列「2026-04-09」: 記号「？」は使えません。"
    )
    assert [r.number for r in result.valid_rows()] == [2]


def test_damaged_sheet_xml_is_refused_not_a_crash():
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx(["番号", "氏名"], [1, "A"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # cut in the middle of a row
            target.writestr(item, content)
    assert "シートの内容が壊れていて読めません" in refused(out.getvalue())


def test_a_name_garbled_by_shift_jis_is_refused():
    data = "番号,氏名\n1,𠮷田 太郎\n".encode("cp932", errors="replace")  # 𠮷 -> ?
    result = read_table(data, COLUMNS)
    assert "Shift_JIS" in result.errors[0].message and result.valid_rows() == []


def test_plain_rows_for_very_long_data_sheets_still_escape_formulas():
    book = ExportWorkbook()
    sheet = book.add_sheet("data", [ExportColumn("番号", 6, "int"), ExportColumn("氏名")])
    sheet.append_plain([1, "=cmd|' /C calc'!A0"])
    sheet.append_plain([2, "𠮷田"])
    ws = load_workbook(io.BytesIO(book.to_bytes())).active
    assert ws["B2"].value == "=cmd|' /C calc'!A0" and ws["B2"].data_type == "s"
    assert ws["B3"].value == "𠮷田" and ws["B3"].border.left.style is None


# --- everything at once; formula cells ------------------------------------------------------


def test_every_error_of_every_row_in_one_read():
    data = xlsx(
        ["番号", "氏名", "ふりがな", "生年月日"],
        [1, "山田 花子", "やまだ はなこ", "2019/5/3"],
        ["一", "", "やまだ", "2019/5/3"],  # two errors in one row
        [3, "佐藤 一郎", "さとう いちろう", "2019/13/45"],
        [4, "鈴木 次郎", "すずき じろう", "2019/6/1"],
        [5, "高橋 三郎", "たかはし さぶろう", "昨日"],
    )
    result = read_table(data, COLUMNS)
    where = {(e.row, e.column) for e in result.errors}
    assert where == {(3, "A"), (3, "B"), (4, "D"), (6, "D")}
    assert result.rejected == {3, 4, 6}


def test_a_formula_cell_reads_its_saved_value():
    from tests.xlsx_formulas import with_cached

    data = xlsx(["番号", "氏名"], ["=1+1", "山田 花子"], [3, '="佐藤"&" 一郎"'])
    result = read_table(with_cached(data, {"A2": 2, "B3": "佐藤 一郎"}, "sheet1"), COLUMNS)
    assert result.ok, [str(e) for e in result.errors]
    assert [(r["roll"], r["name"]) for r in result.rows] == [(2, "山田 花子"), (3, "佐藤 一郎")]


def test_a_formula_without_a_saved_value_is_named_not_taken_for_empty():
    data = xlsx(["番号", "氏名", "日付"], [1, "=A1&A1", "=TODAY()"], [2, "山田 花子", None])
    result = read_table(data, COLUMNS[:2], keep_other_columns=True)
    messages = [str(e) for e in result.errors]
    assert messages == [
        "シート「名簿」 2行目 B列「氏名」: 計算式のセルに保存された値がありません。"
        "Excelで開いて保存してから取り込んでください。",
        "シート「名簿」 2行目 C列「日付」: 計算式のセルに保存された値がありません。"
        "Excelで開いて保存してから取り込んでください。",
    ]
    assert "入力してください" not in "".join(messages)
    assert result.rows[0].extra["日付"] is None and result.rejected == {2}


def test_a_formula_whose_saved_result_is_empty_text_is_an_empty_cell():
    from tests.xlsx_formulas import with_cached

    # =IF(...,"") as Excel saves it: t="str" with an empty <v>: a blank cell, not a missing value.
    data = xlsx(["番号", "氏名", "ふりがな"], [1, "山田 花子", '=IF(A2>5,"x","")'])
    result = read_table(with_cached(data, {"C2": ""}), COLUMNS)
    assert result.ok, [str(e) for e in result.errors]
    assert result.rows[0]["kana"] is None


# --- workbooks of several sheets (issue 12: the 自動作成の決まり workbook) ---------------------


def test_sheet_names_lists_a_workbooks_sheets_in_order_and_refuses_what_read_table_refuses():
    wb = Workbook()
    wb.active.title = "学校の決まり"
    wb.create_sheet("希望")
    buffer = io.BytesIO()
    wb.save(buffer)
    assert sheet_names(buffer.getvalue()) == ["学校の決まり", "希望"]
    assert sheet_names("氏名\n山田\n".encode()) == [""]  # a CSV: one unnamed table
    for data, message in ((b"%PDF-1.4", "PDF"), (b"", "空"), (b"PK\x03\x04junk", ".xlsx")):
        with pytest.raises(SpreadsheetError, match=message):
            sheet_names(data)


def test_allow_empty_reads_a_header_without_rows_as_an_empty_table():
    data = xlsx(["出席番号", "氏名"])
    assert "データがありません" in refused(data)
    result = read_table(data, COLUMNS, allow_empty=True)
    assert result.rows == [] and result.ok and result.header_row == 1
