"""Builders of roster spreadsheets for the import and export tests (real .xlsx and .csv bytes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

HEADER = ["学年", "組", "出席番号", "氏名", "ふりがな", "性別", "生年月日", "学籍番号"]


def xlsx(rows: Sequence[Sequence], header: Sequence = HEADER, title_rows: Sequence = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "名簿"
    for title in title_rows:
        ws.append(list(title))
    if title_rows:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence], header: Sequence = HEADER, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
