"""The 出席簿 import says everything at once and says it right: every error of every row and
day column in one preview (a refused roll number or name still has its days checked), formula
cells read by their saved value or named, pupils named rather than internal ids."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from attendance.excel import commit_register_import, plan_register_import
from attendance.models import Mark
from schools.spreadsheets import FORMULA_WITHOUT_VALUE
from tests import factories
from tests.attendance.helpers import D, actor_of, save, setup_class
from tests.attendance.test_excel import cell, exported
from tests.xlsx_formulas import no_internal_ids, with_cached


@pytest.fixture
def klass(muni):
    year, school, classroom, ens = setup_class(5)
    teacher = factories.homeroom_teacher(classroom)
    return classroom, ens, teacher.user


def to_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_every_error_of_the_file_in_one_preview(muni, client_for, klass):
    classroom, ens, user = klass
    book = exported(client_for(muni, user), classroom)
    ws = book["2026年6月"]
    cell(ws, 1, 2).value = "X"  # unknown symbol ...
    ws.cell(row=cell(ws, 1, 2).row, column=2).value = "別人 太郎"  # ... and the wrong name
    roll3 = cell(ws, 3, 6)
    roll3.value = "病"  # a Saturday: its day still checked although ...
    ws.cell(row=roll3.row, column=1).value = 99  # ... no such pupil
    cell(ws, 2, 7).value = "病"  # Sunday
    cell(ws, 4, 3).value = '=IF(1,"病","")'  # a formula never calculated
    formula = cell(ws, 4, 3).coordinate
    plan = plan_register_import(classroom, to_bytes(book), filename="出席簿.xlsx")
    rows = {roll: cell(ws, roll, 1).row for roll in (1, 2, 4)}
    found = {(e.row, e.column): e.message for e in plan.errors}
    letter = {day: cell(ws, 1, day).column_letter for day in (2, 6, 7)}
    assert "記号「X」は使えません" in found[(rows[1], letter[2])]
    assert "氏名が違います" in found[(rows[1], "B")]
    assert "番号99の児童生徒はいません" in found[(roll3.row, "A")]
    assert "6月6日は授業日ではない" in found[(roll3.row, letter[6])]
    assert "6月7日は授業日ではない" in found[(rows[2], letter[7])]
    assert found[(rows[4], formula.rstrip("0123456789"))] == FORMULA_WITHOUT_VALUE
    assert len(plan.errors) == 6, [str(e) for e in plan.errors]
    no_internal_ids([str(e) for e in plan.errors])
    with pytest.raises(ValidationError) as refused:
        commit_register_import(classroom, to_bytes(book), by=actor_of(user, classroom))
    assert len(refused.value.messages) == 6
    assert not Mark.objects.exists()


def test_a_formula_cell_imports_by_its_saved_value(muni, client_for, klass):
    classroom, ens, user = klass
    book = exported(client_for(muni, user), classroom)
    ws = book["2026年6月"]
    target = cell(ws, 2, 3)
    target.value = '=IF(1,"病","")'
    sheet = f"sheet{book.sheetnames.index('2026年6月') + 1}"
    data = with_cached(to_bytes(book), {target.coordinate: "病"}, sheet)
    plan = plan_register_import(classroom, data, filename="出席簿.xlsx")
    assert plan.ok, [str(e) for e in plan.errors]
    assert [(c.enrolment.pk, c.date, c.new) for c in plan.changes] == [
        (ens[1].pk, D(2026, 6, 3), "sick")
    ]


def test_a_mark_for_a_pupil_not_enrolled_names_the_pupil(muni, klass, boe_admin):
    classroom, ens, user = klass
    other = factories.classroom(classroom.school, classroom.school_year, grade=2, name="1組")
    stranger = factories.students(other, 1)[0]
    with pytest.raises(ValidationError) as refused:
        save(boe_admin, classroom, D(2026, 6, 1), {stranger.pk: "sick"})
    (message,) = refused.value.messages
    assert f"2年1組 1番 {stranger.student.name}" in message
    no_internal_ids([message])
