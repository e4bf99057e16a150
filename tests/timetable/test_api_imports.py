"""Whole-school timetable import through the API: upload → preview (JSON) → commit."""

from __future__ import annotations

import io

import pytest

from tests.timetable.test_excel import _book, _grid_bytes, _header_row, _week_of
from tests.timetable.test_services import build

pytestmark = pytest.mark.django_db
URL = "/api/v1/timetable/grid-imports/"


def test_preview_then_commit_and_refusals(muni, client_for):
    b = build(3)
    wb = _book(_grid_bytes(b))
    ws = wb.active
    top = _header_row(ws)
    row = next(
        r for r in range(top + 1, top + 5) if ws.cell(row=r, column=1).value == b.classes[1].label
    )
    ws.cell(row=row, column=2).value = "算数"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "grid.xlsx"
    admin = client_for(muni, b.admin.user)
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.post(URL, {"school": b.school.pk, "file": buffer}).status_code == 403
    buffer.seek(0)
    body = admin.post(URL, {"school": b.school.pk, "year": 2026, "file": buffer}).json()
    assert body["ok"] and body["counts"]["changed"] == 1
    assert (
        body["rows"][0]["classroom"] == b.classes[1].label
        and "月1:" in body["rows"][0]["changes"][0]
    )
    before = _week_of(b, b.classes[1])
    stolen = teacher.post(
        URL + "commit/", {"token": body["token"]}, content_type="application/json"
    )
    assert stolen.status_code == 403 and _week_of(b, b.classes[1]) == before
    done = admin.post(URL + "commit/", {"token": body["token"]}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert _week_of(b, b.classes[1]) != before
    bad = io.BytesIO(b"not a spreadsheet")
    bad.name = "x.xlsx"
    refused = admin.post(URL, {"school": b.school.pk, "file": bad}).json()
    assert not refused["ok"] and refused["errors"]
