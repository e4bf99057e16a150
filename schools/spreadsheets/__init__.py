"""The shared spreadsheet pipeline: every import and export of Ai goes through it.

Importing (roster, staff, attendance, grades, timetables) is declarative::

    from schools.spreadsheets import Column, SpreadsheetError, parsers, read_table

    COLUMNS = [
        Column("grade", "学年", aliases=("grade",), parser=parsers.integer(1, 9), required=True),
        Column("roll_number", "出席番号", aliases=("番号", "no"), parser=parsers.integer(1, 999),
               required=True),
        Column("name", "氏名", aliases=("名前", "name"), parser=parsers.name, required=True),
        Column("kana", "ふりがな", aliases=("フリガナ", "よみ", "kana"), parser=parsers.kana),
        Column("birth_date", "生年月日", aliases=("birthday",), parser=parsers.date),
    ]

    try:
        result = read_table(upload, COLUMNS, limits=Limits(max_rows=20_000))
    except SpreadsheetError as exc:      # the file as a whole is refused
        show(exc.errors)                  # [CellError(message, sheet, row, column, header)]
    else:
        for row in result.rows:           # Row(number=<Excel row>, values={field: typed value})
            if bad(row):
                result.reject(row, "roll_number", "出席番号が重複しています。")
        result.errors                     # every CellError: cell parsing + your own rejections
        result.valid_rows()               # rows without any error

What ``read_table`` does (so each app does not):

1. **Sniffs the content**, not the file name: .xlsx (zip) is read with
   openpyxl in read-only, data-only mode (the first worksheet, or ``sheet=``;
   ``ParseResult.other_sheets`` names the others, so a page can say they were
   not read); an .ods (LibreOffice Calc) is read the same way, cell for cell
   (``schools.spreadsheets.ods``); CSV is decoded as UTF-8 (with or without BOM) or
   cp932 (Shift_JIS, what Japanese Excel writes), comma- or tab-separated.
   Refused with a Japanese message (``SpreadsheetError``): a PDF or any binary
   file, an encrypted workbook or an old .xls (OLE/CFB signature), an empty
   file or sheet, a file over ``Limits.max_bytes`` or ``Limits.max_rows``
   (``Limits.describe()`` states the limits for pages and messages).
2. **Finds the header row** among the first 20 non-blank rows (title rows and
   merged title cells above it are skipped): the first row naming every
   required column. Headers match ``Column.label``, ``field`` and ``aliases``
   whatever their width, case, spaces, ※/* marks or bracketed notes
   (「ﾌﾘｶﾞﾅ※」 = ふりがな, 「氏名（漢字）」 = 氏名). Missing required columns
   and a column given twice are refused; unknown columns are listed in
   ``ParseResult.ignored_headers``.
3. **Parses every cell** (``schools.spreadsheets.parsers``) and collects every
   error with sheet, row, column letter, header and message. Normalisation is
   per kind: ``name`` only tidies spaces (never NFKC: 𠮷, 𡈽, 髙 are kept) and
   refuses a 「?」 left by a Shift_JIS save;
   ``kana`` turns half-width and full-width katakana into hiragana;
   ``integer`` accepts full-width digits; ``code`` folds width; ``date``
   accepts Excel dates, 2024-04-01, 2024/4/1, 令和6年4月1日, 令和元年, R6.4.1,
   H29.5.3 (see ``schools.spreadsheets.dates``) and refuses impossible dates.
4. **Reads a formula cell by its saved value** (data-only). A formula without a
   saved value (a workbook written by a program, never opened in a spreadsheet)
   reads as None with data-only: the sheet's XML tells it from an empty cell
   (``reader.formulas_without_value``; no second parse), and the cell is reported (``FORMULA_WITHOUT_VALUE``, with row and column; in
   ``Row.extra`` it is None and already rejected), never as 「入力してください」.

Wide grids (one column per day or per assessment): ``read_table(...,
keep_other_columns=True)`` keeps the raw cells of the columns the spec does not
name in ``Row.extra`` (by header) and lists them in ``ParseResult.other_columns``
(``ColumnRef(letter, header, value)``: ``value`` is the raw header cell, e.g. a
date); parse them with ``parsers`` and report with ``result.reject_at(row, ref,
message)``.

Then the app's own service builds a *plan* from ``result`` (create / update /
unchanged / rejected) for the preview, and commits the same plan in one
transaction with bulk operations only when there is no error at all.

Exporting: ``ExportWorkbook`` (write-only openpyxl) with ``add_sheet(title,
[ExportColumn(label, width, kind)], heading=..., subheadings=[...])``: A4
page set-up, the header row repeated on every printed page, borders, dates as
real date cells. Text that a spreadsheet would run as a formula (starting
with =, +, -, @) is written as a text cell with Excel's quote prefix, so it
is displayed and read back exactly as stored, never executed.
``ExportWorkbook.response(filename)`` gives the download (Japanese file names).
"""

from schools.spreadsheets import parsers
from schools.spreadsheets.dates import DateInvalid, parse_date
from schools.spreadsheets.parsers import CellInvalid
from schools.spreadsheets.reader import (
    DEFAULT_LIMITS,
    FORMULA_WITHOUT_VALUE,
    CellError,
    Column,
    ColumnRef,
    FormulaWithoutValue,
    Limits,
    ParseResult,
    Row,
    SpreadsheetError,
    read_table,
    sheet_names,
)
from schools.spreadsheets.writer import (
    FORMULA_TRIGGERS,
    XLSX_CONTENT_TYPE,
    ExportColumn,
    ExportSheet,
    ExportWorkbook,
    escape_formula_csv,
    is_formula_like,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FORMULA_TRIGGERS",
    "FORMULA_WITHOUT_VALUE",
    "XLSX_CONTENT_TYPE",
    "CellError",
    "CellInvalid",
    "Column",
    "ColumnRef",
    "DateInvalid",
    "ExportColumn",
    "ExportSheet",
    "ExportWorkbook",
    "FormulaWithoutValue",
    "Limits",
    "ParseResult",
    "Row",
    "SpreadsheetError",
    "escape_formula_csv",
    "is_formula_like",
    "parse_date",
    "parsers",
    "read_table",
    "sheet_names",
]
