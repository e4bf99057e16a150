"""The whole-school timetable import says everything at once: a refused class still has its
lesson cells checked, formula cells read by their saved value or named, no internal id."""

from __future__ import annotations

import io

import pytest

from schools.spreadsheets import FORMULA_WITHOUT_VALUE
from tests.timetable.test_excel import _book, _grid_bytes, _header_row
from tests.timetable.test_services import build
from tests.xlsx_formulas import no_internal_ids, with_cached
from timetable import imports
from timetable.models import Lesson

pytestmark = pytest.mark.django_db


def _save(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_every_error_of_the_file_in_one_preview(muni):
    b = build(3)
    wb = _book(_grid_bytes(b))
    ws = wb.active
    top = _header_row(ws)
    ws.cell(row=top + 1, column=2).value = "魔法"  # B: unknown subject ...
    ws.cell(row=top + 1, column=3).value = "国/だれか"  # ... C: and an unknown teacher
    ws.cell(row=top + 2, column=1).value = "9年9組"  # unknown class ...
    ws.cell(row=top + 2, column=4).value = "錬金術"  # ... D: its lessons still checked
    ws.cell(row=top + 3, column=5).value = '="国"'  # E: a formula never calculated
    data = _save(wb)
    before = Lesson.objects.count()
    plan = imports.plan_grid_import(b.school, b.year, data, filename="g.xlsx")
    found = {(e.row, e.column): e.message for e in plan.errors}
    assert set(found) == {
        (top + 1, "B"),
        (top + 1, "C"),
        (top + 2, "A"),
        (top + 2, "D"),
        (top + 3, "E"),
    }, found
    assert "教科「錬金術」" in found[(top + 2, "D")]
    assert found[(top + 3, "E")] == FORMULA_WITHOUT_VALUE
    no_internal_ids([str(e) for e in plan.errors])
    with pytest.raises(imports.ImportRefused):
        imports.commit_grid_import(b.school, b.year, data, by=b.by)
    assert Lesson.objects.count() == before


def test_a_formula_cell_imports_by_its_saved_value(muni):
    b = build(2)
    wb = _book(_grid_bytes(b))
    ws = wb.active
    top = _header_row(ws)
    ws.cell(row=top + 1, column=2).value = '="算"&"数"'
    data = with_cached(_save(wb), {f"B{top + 1}": "算数"})
    plan = imports.plan_grid_import(b.school, b.year, data, filename="g.xlsx")
    assert plan.ok, [str(e) for e in plan.errors]
    assert len(plan.changed) == 1
