"""Roster and staff imports say everything at once and say it right: every error of every row
and column in one preview, formula cells read by their saved value (or named when they have
none), and no message naming an internal id. Nothing is written by a refused import."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from schools.imports import (
    ImportRefused,
    commit_staff_import,
    plan_roster_import,
    plan_staff_import,
)
from schools.models import Student
from schools.permissions import actor_for_user
from schools.spreadsheets import FORMULA_WITHOUT_VALUE
from tests.schools.roster_files import xlsx
from tests.schools.test_roster_import_staff import HEADER as STAFF_HEADER
from tests.xlsx_formulas import no_internal_ids, with_cached

GOOD = [1, "1組", 1, "山田 花子", "やまだ はなこ", "女", "2019/5/3", "S0001"]


def where(plan) -> dict[tuple[int | None, str], str]:
    return {(e.row, e.column): e.message for e in plan.errors}


def test_roster_every_error_of_the_file_in_one_preview(school, year, classroom):
    rows = [
        GOOD,
        [9, "1組", 2, "佐藤 一郎", "さとう いちろう", "男", "2019/13/45", "S0002"],  # 2 errors
        [1, "9組", 3, "鈴木 次郎", "すずき じろう", "男", "2019/6/1", "S0003"],  # no such class
        [1, "1組", 4, "高橋 三郎", "たかはし さぶろう", "?", "2019/7/1", "S0004"],  # sex
        [1, "1組", 5, "=B2&B2", "いとう しろう", "男", "2019/8/1", "S0005"],  # no saved value
    ]
    plan = plan_roster_import(school, year, xlsx(rows), filename="名簿.xlsx")
    found = where(plan)
    assert {(3, "A"), (3, "G"), (4, "B"), (5, "F"), (6, "D")} <= set(found), found
    assert found[(6, "D")] == FORMULA_WITHOUT_VALUE
    assert "9組" in found[(4, "B")]
    no_internal_ids([str(e) for e in plan.errors])
    assert not Student.objects.exists()


def test_roster_formula_cells_import_by_their_saved_value(school, year, classroom):
    rows = [GOOD, [1, "1組", "=C2+1", '="佐藤"&" 一郎"', "さとう いちろう", "男", "", "S0002"]]
    data = with_cached(xlsx(rows), {"C3": 2, "D3": "佐藤 一郎"})
    plan = plan_roster_import(school, year, data, filename="名簿.xlsx")
    assert plan.ok, [str(e) for e in plan.errors]
    assert {(p.values["roll_number"], p.values["name"]) for p in plan.rows} == {
        (1, "山田 花子"),
        (2, "佐藤 一郎"),
    }


@pytest.fixture
def admin(boe_admin):
    return actor_for_user(boe_admin)


def test_staff_every_error_of_the_file_in_one_preview(admin, year, school, classroom):
    rows = [
        # A kana that is not kana and an unknown school: both said (the role is still checked).
        ["山﨑 一郎", "山崎", "yamasaki", "T001", "どこか小学校", "学校管理者", "校長", "", ""],
        ["𠮷田 花子", "よしだ はなこ", "yoshida", "T002", "", "魔法使い", "", "", ""],
        [
            "髙木 三郎",
            "たかぎ さぶろう",
            "takagi",
            "",
            "富士見小学校",
            "学級担任",
            "",
            "9年9組",
            "",
        ],
        ["=A2", "いとう", "ito", "", "", "", "", "", ""],
    ]
    data = xlsx(rows, header=STAFF_HEADER)
    plan = plan_staff_import(year, data, filename="教職員.xlsx")
    found = where(plan)
    assert {(2, "B"), (2, "E"), (3, "F"), (4, "H"), (5, "A")} <= set(found), found
    assert found[(5, "A")] == FORMULA_WITHOUT_VALUE
    messages = [str(e) for e in plan.errors]
    no_internal_ids(messages)
    with pytest.raises(ImportRefused) as refused:
        commit_staff_import(year, data, by=admin, filename="教職員.xlsx")
    assert [str(e) for e in refused.value.errors] == messages
    assert not get_user_model().objects.filter(username="yamasaki").exists()


def test_the_api_preview_returns_the_same_errors(
    muni, client_for, principal, school, year, classroom
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = [
        [9, "1組", 2, "佐藤 一郎", "さとう いちろう", "男", "2019/13/45", "S0002"],
        [1, "1組", 5, "=B2&B2", "いとう しろう", "男", "2019/8/1", "S0005"],
    ]
    data = xlsx(rows)
    plan = plan_roster_import(school, year, data, filename="名簿.xlsx")
    file = SimpleUploadedFile("名簿.xlsx", data)
    body = (
        client_for(muni, principal)
        .post("/api/v1/roster/imports/", {"school": school.pk, "year": 2026, "file": file})
        .json()
    )
    assert not body["ok"] and body["token"] == ""
    assert [(e["row"], e["column"], e["message"]) for e in body["errors"]] == [
        (e.row, e.column, e.message) for e in plan.errors
    ]
    assert (3, "D", FORMULA_WITHOUT_VALUE) in [
        (e["row"], e["column"], e["message"]) for e in body["errors"]
    ]
    assert not Student.objects.exists()
