"""Roster exports: printed layout, formula escaping, exotic names, round trip and permissions."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from schools.imports import plan_roster_import
from schools.models import AuditEvent, Enrolment, Role, Staff, Student
from tests import factories as f


def workbook_of(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


@pytest.fixture
def roster(classroom):
    enrolments = f.students(classroom, 3)
    special = [
        ("𠮷田 太郎", "よしだ たろう"),
        ('=HYPERLINK("http://evil","x")', "いこーる"),
        ("@SUM(A1)", "あっと"),
    ]
    for e, (name, kana) in zip(enrolments, special, strict=True):
        Student.objects.filter(pk=e.student_id).update(name=name, kana=kana, sex="M")
    return enrolments


def test_class_roster_layout_and_escaping(muni, client_for, teacher, classroom, roster):
    book = workbook_of(
        client_for(muni, teacher).get(f"/roster/io/export/class/{classroom.pk}.xlsx")
    )
    ws = book.active
    assert ws.title == "1年1組"
    assert "令和8年度 (2026) 1年1組 学級名簿" in ws["A1"].value
    assert "富士見小学校" in ws["A2"].value and "担任" in ws["A2"].value
    header = [c.value for c in ws[4]]
    assert header[:8] == [
        "学年",
        "組",
        "出席番号",
        "氏名",
        "ふりがな",
        "性別",
        "生年月日",
        "学籍番号",
    ]
    assert ws.print_title_rows == "$4:$4"
    assert ws.freeze_panes == "A5"  # the header stays in view while scrolling
    assert ws.page_setup.paperSize == 9  # A4
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert [r[2] for r in rows] == [1, 2, 3]
    assert rows[0][3] == "𠮷田 太郎"  # outside the BMP, kept
    formula = ws.cell(row=6, column=4)
    assert formula.value == '=HYPERLINK("http://evil","x")'
    assert formula.data_type == "s" and formula.quotePrefix  # text, never run
    assert ws.cell(row=7, column=4).data_type == "s"
    assert isinstance(rows[0][6], dt.datetime)  # a real date cell
    # Taking a copy of personal data is logged (who, what, when).
    event = AuditEvent.objects.get(action="schools.class_roster.export")
    assert event.actor == teacher and event.target_id == str(classroom.pk)


def test_exported_school_roster_imports_back_unchanged(
    muni, client_for, principal, school, year, classroom, roster
):
    second = f.classroom(school, year, grade=2, name="1組")
    f.students(second, 2)
    response = client_for(muni, principal).get(f"/roster/io/export/school/{school.pk}.xlsx")
    assert (
        "全校名簿" in response["Content-Disposition"]
        or "filename*" in response["Content-Disposition"]
    )
    plan = plan_roster_import(school, year, response.content, filename="全校名簿.xlsx")
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["unchanged"] == 5
    assert plan.counts()["create"] == plan.counts()["update"] == 0


def test_transfer_dates_round_trip(muni, client_for, principal, school, year, classroom):
    e = f.students(classroom, 1)[0]
    Enrolment.objects.filter(pk=e.pk).update(
        entry=Enrolment.Entry.TRANSFER_IN,
        enrolled_on=dt.date(2026, 9, 1),
        left_on=dt.date(2027, 1, 31),
        exit=Enrolment.Exit.TRANSFER_OUT,
    )
    response = client_for(muni, principal).get(f"/roster/io/export/school/{school.pk}.xlsx")
    plan = plan_roster_import(school, year, response.content)
    assert plan.ok and plan.counts()["unchanged"] == 1


def test_class_export_costs_the_same_queries_for_5_and_40_students(
    muni, client_for, teacher, classroom, school, year
):
    big = f.classroom(school, year, grade=1, name="2組")
    f.students(classroom, 5)
    f.students(big, 40)
    f.give_role(Staff.objects.get(user=teacher), Role.HOMEROOM, classroom=big)
    client = client_for(muni, teacher)
    counts = []
    for c in (classroom, big):
        with CaptureQueriesContext(connection) as ctx:
            book = workbook_of(client.get(f"/roster/io/export/class/{c.pk}.xlsx"))
        counts.append(len(ctx.captured_queries))
        assert book.active.max_row == 4 + (5 if c == classroom else 40)
    assert counts[0] == counts[1]


def test_other_school_class_is_not_found(muni, client_for, other_school, year, classroom):
    stranger = f.school_admin(other_school, year).user
    client = client_for(muni, stranger)
    assert client.get(f"/roster/io/export/class/{classroom.pk}.xlsx").status_code == 404
    assert client.get(f"/roster/io/export/school/{classroom.school_id}.xlsx").status_code == 404


def test_other_municipality_and_anonymous(muni, other_muni, client_for, classroom):
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    with schema_context(other_muni.schema_name):
        boe = get_user_model().objects.get(username="boe-admin")
    # The BoE administrator of 遠野市 on its own host does not find 富士吉田市's class.
    other = client_for(other_muni, boe)
    assert other.get(f"/roster/io/export/class/{classroom.pk}.xlsx").status_code == 404
    anonymous = client_for(muni).get(f"/roster/io/export/class/{classroom.pk}.xlsx")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_staff_list_for_the_board_and_for_a_school(
    muni, client_for, boe_admin, principal, teacher, school, year, classroom
):
    book = workbook_of(client_for(muni, boe_admin).get("/roster/io/export/staff.xlsx"))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[3][:4] == ("氏名", "ふりがな", "ログインID", "職員番号")
    names = {r[2] for r in rows[4:]}
    assert {"boe-admin", principal.username, teacher.username} <= names
    own = workbook_of(
        client_for(muni, principal).get(f"/roster/io/export/staff.xlsx?school={school.pk}")
    )
    listed = [r for r in own.active.iter_rows(min_row=5, values_only=True)]
    assert {r[2] for r in listed} == {principal.username, teacher.username}
    assert ("学級担任", "1年1組") in {(r[5], r[7]) for r in listed}
    # A teacher sees neither the municipality's list nor the school's.
    assert client_for(muni, teacher).get("/roster/io/export/staff.xlsx").status_code == 403
    response = client_for(muni, teacher).get(f"/roster/io/export/staff.xlsx?school={school.pk}")
    assert response.status_code == 403


def test_malformed_ids_are_not_found_never_a_500(muni, client_for, boe_admin, school):
    client = client_for(muni, boe_admin)
    assert client.get(f"/roster/io/export/school/{school.pk}.xlsx?year=abc").status_code == 404
    assert client.get("/roster/io/export/staff.xlsx?school=1;drop").status_code == 404
    assert client.get("/roster/io/import/?school=x&year=y").status_code == 200
    response = client.post("/roster/io/import/confirm/", {"school": "x", "year": "1"})
    assert response.status_code == 404
