"""Staff import (教職員の取り込み): accounts, roles (兼務), idempotence, refusals, permissions."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.imports import ImportRefused, commit_staff_import, plan_staff_import
from schools.models import AuditEvent, Role, RoleAssignment, Staff
from schools.permissions import actor_for_user
from schools.queries import staff_roles
from tests import factories as f
from tests.schools.roster_files import xlsx

HEADER = ["氏名", "ふりがな", "ログインID", "職員番号", "学校", "役割", "職名", "学級", "教科"]


@pytest.fixture
def rows(school, classroom):
    return [
        [
            "山﨑 一郎",
            "ﾔﾏｻｷ ｲﾁﾛｳ",
            "yamasaki",
            "T001",
            "富士見小学校",
            "学校管理者",
            "校長",
            "",
            "",
        ],
        [
            "𠮷田 花子",
            "よしだ はなこ",
            "yoshida",
            "T002",
            "富士見小学校",
            "学級担任",
            "",
            "1年1組",
            "",
        ],
        # 兼務: the same person also teaches 音楽 in 1年1組
        ["𠮷田 花子", "よしだ はなこ", "yoshida", "T002", "", "教科担任", "", "1年1組", "音楽"],
        ["髙木 三郎", "たかぎ さぶろう", "takagi", "", "", "", "", "", ""],
    ]


def commit(user, year, data, **kw):
    return commit_staff_import(year, data, by=actor_for_user(user), filename="教職員.xlsx", **kw)


def test_accounts_and_roles_created_once(boe_admin, year, classroom, rows):
    data = xlsx(rows, header=HEADER)
    plan = plan_staff_import(year, data)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts() == {
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "roles_add": 3,
        "roles_existing": 0,
        "rejected": 0,
    }
    commit(boe_admin, year, data)
    yoshida = Staff.objects.get(user__username="yoshida")
    assert yoshida.name == "𠮷田 花子"
    assert Staff.objects.get(staff_number="T001").kana == "やまさき いちろう"
    # 教科担任 is a teaching assignment (担当): staff_roles lists roles and assignments together.
    assert {(r.role, r.classroom_id) for r in staff_roles(yoshida)} == {
        (Role.HOMEROOM, classroom.pk),
        (Role.SUBJECT, classroom.pk),
    }
    principal = RoleAssignment.objects.get(staff__user__username="yamasaki")
    assert (principal.role, principal.title, principal.school_year) == (
        Role.SCHOOL_ADMIN,
        RoleAssignment.Title.PRINCIPAL,
        year,
    )
    # No password column: the new accounts cannot log in until one is set.
    assert not get_user_model().objects.get(username="takagi").has_usable_password()
    assert actor_for_user(yoshida.user).is_homeroom_of(classroom.pk)
    assert AuditEvent.objects.filter(action="schools.staff.import").count() == 1
    again = commit(boe_admin, year, data)
    assert again.counts()["unchanged"] == 3 and again.counts()["roles_add"] == 0
    assert len(staff_roles(Staff.objects.get(user__username="yoshida"))) == 2


def test_update_by_login_id_keeps_password(boe_admin, year, classroom, rows):
    existing = f.staff(name="旧姓 花子", username="Yoshida")
    header_with_password = [*HEADER, "初期パスワード"]
    data = xlsx([[*rows[1], "Very-new-pass-2026"]], header=header_with_password)
    plan = plan_staff_import(year, data)
    assert plan.counts()["update"] == 1 and plan.ignored_passwords == 1
    commit(boe_admin, year, data)
    existing.refresh_from_db()
    assert existing.name == "𠮷田 花子"
    assert existing.user.check_password(f.PASSWORD)  # the import never changes a password


def test_new_account_with_a_weak_password_is_refused(boe_admin, year, classroom):
    data = xlsx(
        [["新 人", "しん じん", "newbie", "", "", "", "", "", "", "1234"]],
        header=[*HEADER, "初期パスワード"],
    )
    plan = plan_staff_import(year, data)
    assert plan.errors and plan.errors[0].header == "初期パスワード"


def test_errors_name_row_and_column_and_nothing_is_written(boe_admin, year, classroom, rows):
    bad = [
        ["誰 か", "だれ か", "someone", "", "富士見小学校", "学校管理者", "", "", ""],
        ["誰 か", "だれ か", "other", "", "", "学級担任", "", "9年9組", ""],
        ["誰 か", "だれ か", "third", "", "", "教科担任", "", "1年1組", "数学"],
        ["誰 か", "だれ か", "fourth", "", "ない学校", "学校管理者", "校長", "", ""],
        ["誰 か", "だれ か", "fifth", "", "", "校務員", "", "", ""],
    ]
    plan = plan_staff_import(year, xlsx(bad, header=HEADER))
    messages = [str(e) for e in plan.errors]
    assert any("2行目" in m and "職名を入力" in m for m in messages)
    assert any("3行目" in m and "9年9組" in m for m in messages)
    assert any("4行目" in m and "数学" in m for m in messages)
    assert any("5行目" in m and "ない学校" in m for m in messages)
    assert any("6行目" in m and "F列「役割」" in m for m in messages)
    with pytest.raises(ImportRefused):
        commit(boe_admin, year, xlsx(bad, header=HEADER))
    assert not Staff.objects.filter(user__username__in=["someone", "other"]).exists()


def test_same_login_with_different_names_and_clashing_staff_numbers(boe_admin, year, classroom):
    f.staff(username="taken").__class__.objects.filter(user__username="taken").update(
        staff_number="T900"
    )
    rows = [
        ["甲 一", "こう いち", "a1", "T1", "", "", "", "", ""],
        ["乙 二", "おつ に", "a1", "T1", "", "", "", "", ""],
        ["丙 三", "へい さん", "a3", "T900", "", "", "", "", ""],
    ]
    messages = [str(e) for e in plan_staff_import(year, xlsx(rows, header=HEADER)).errors]
    assert any("3行目" in m and "氏名が違います" in m for m in messages)
    assert any("4行目" in m and "別の教職員" in m for m in messages)


def test_pages_preview_and_confirm(
    muni, client_for, boe_admin, year, classroom, rows, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(muni, boe_admin)
    assert client.get("/roster/io/import/staff/").status_code == 200
    file = SimpleUploadedFile("教職員.xlsx", xlsx(rows, header=HEADER))
    response = client.post("/roster/io/import/staff/", {"year": year.pk, "file": file})
    html = response.content.decode()
    assert "追加する役割" in html and "山﨑 一郎" in html and "パスワード未設定" in html
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert client.post("/roster/io/import/staff/confirm/", fields).status_code == 302
    assert Staff.objects.filter(user__username="yamasaki").exists()


def test_only_the_board_imports_staff(muni, client_for, principal, teacher, year):
    for user in (principal, teacher):
        assert client_for(muni, user).get("/roster/io/import/staff/").status_code == 403
    with pytest.raises(Exception, match="教育委員会の管理者"):
        commit(principal, year, xlsx([["a", "あ", "x", "", "", "", "", "", ""]], header=HEADER))


def test_staff_export_round_trips(muni, client_for, boe_admin, year, classroom, rows):
    commit(boe_admin, year, xlsx(rows, header=HEADER))
    response = client_for(muni, boe_admin).get(f"/roster/io/export/staff.xlsx?year={year.year}")
    plan = plan_staff_import(year, response.content)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["create"] == plan.counts()["update"] == plan.counts()["roles_add"] == 0


def test_the_confirmation_message_counts_the_new_accounts(
    client_for, muni, boe_admin, year, classroom, rows
):
    """The counts after the commit are those of the plan (a created person is still 新規)."""
    client = client_for(muni, boe_admin)
    preview = client.post(
        "/roster/io/import/staff/",
        {"year": year.pk, "file": SimpleUploadedFile("教職員.xlsx", xlsx(rows, header=HEADER))},
    )
    fields = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode())
    )
    done = client.post("/roster/io/import/staff/confirm/", fields, follow=True)
    assert "教職員を取り込みました: 新規 3名" in done.content.decode()
