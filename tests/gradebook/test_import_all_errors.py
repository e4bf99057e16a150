"""The score grid import says everything at once and says it right: every error of every row
and column in one preview (a refused roll number or name still has its scores checked),
formula cells read by their saved value or named, no internal id in a message."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from gradebook import excel, queries
from gradebook.imports import GridImportRefused, commit_grid_import
from gradebook.models import Score
from schools.permissions import actor_for_user
from schools.spreadsheets import FORMULA_WITHOUT_VALUE
from tests.gradebook.test_excel import _filled, download, grid_url
from tests.xlsx_formulas import no_internal_ids, with_cached


def _header_row(data: bytes) -> int:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return next(r for r in range(1, 10) if ws.cell(r, 1).value == "出席番号")


def test_every_error_of_the_file_in_one_preview(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    data = download(client, grid_url(setup, "gradebook:grid-xlsx"))
    filled = _filled(
        data,
        {
            (1, 3): "abc",  # not a score ...
            (1, 2): "別人 太郎",  # ... and the wrong name: both said
            (2, 1): 99,  # no such roll number ...
            (2, 4): 30,  # ... and its score still checked (満点 20)
            (3, 3): "=50+30",  # a formula never calculated
            (4, 4): 25,
        },
    )
    top = _header_row(data)
    grid = queries.grid(setup.classroom, setup.subject, setup.term)
    plan = excel.plan_grid_import(filled, grid)
    found = {(e.row, e.column): e.message for e in plan.errors}
    assert set(found) == {
        (top + 1, "C"),
        (top + 1, "B"),
        (top + 2, "A"),
        (top + 2, "D"),
        (top + 3, "C"),
        (top + 4, "D"),
    }, found
    assert "点数として読めません" in found[(top + 1, "C")]
    assert "別人 太郎" in found[(top + 1, "B")]
    assert "出席番号 99" in found[(top + 2, "A")]
    assert "満点 20 を超えて" in found[(top + 2, "D")]
    assert found[(top + 3, "C")] == FORMULA_WITHOUT_VALUE
    no_internal_ids([str(e) for e in plan.errors])
    with pytest.raises(GridImportRefused) as refused:
        grid = queries.grid(setup.classroom, setup.subject, setup.term)
        commit_grid_import(grid, filled, by=actor_for_user(setup.teacher.user))
    assert refused.value.messages == [str(e) for e in plan.errors]
    assert not Score.objects.exists()


def test_a_formula_cell_imports_by_its_saved_value(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    data = download(client, grid_url(setup, "gradebook:grid-xlsx"))
    top = _header_row(data)
    filled = with_cached(_filled(data, {(1, 3): "=50+30"}), {f"C{top + 1}": 80})
    grid = queries.grid(setup.classroom, setup.subject, setup.term)
    plan = excel.plan_grid_import(filled, grid)
    assert plan.ok, [str(e) for e in plan.errors]
    assert [(c.roll_number, c.new) for c in plan.changes] == [(1, "80")]
