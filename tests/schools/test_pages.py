"""Roster pages through the municipality's host: who sees what, forms, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools.models import AuditEvent, Enrolment, Role, SchoolYear, Student
from tests import factories as f
from tests.schools.conftest import subject_teacher


def test_anonymous_is_sent_to_login(muni, client_for, classroom):
    response = client_for(muni).get(f"/roster/classes/{classroom.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_teacher_home_lists_own_classes_and_teaching(
    muni, client_for, classroom, teacher, school, year
):
    other = f.classroom(school, year, grade=2, name="3組")
    subject_teacher(other, f.subject())
    f.give_role(teacher.staff, Role.SUBJECT, classroom=other, subject=f.subject(name="算数"))
    page = client_for(muni, teacher).get("/").content.decode()
    assert "担任している学級" in page and "1年1組" in page
    assert "担当している授業" in page and "2年3組" in page and "算数" in page


def test_class_roster_sorted_by_roll_number_then_kana(muni, client_for, classroom, teacher):
    # 𠮷 (U+20BB7) sorts after 髙 and 安 by code point: the roster follows roll numbers.
    for roll, (name, kana) in enumerate(
        [
            ("𠮷田 花子", "よしだ はなこ"),
            ("髙橋 一郎", "たかはし いちろう"),
            ("安藤 茜", "あんどう あかね"),
        ],
        start=1,
    ):
        Enrolment.objects.create(
            student=Student.objects.create(name=name, kana=kana),
            classroom=classroom,
            school=classroom.school,
            school_year=classroom.school_year,
            grade=1,
            roll_number=roll,
            enrolled_on=dt.date(2026, 4, 6),
        )
    page = client_for(muni, teacher).get(f"/roster/classes/{classroom.pk}/").content.decode()
    assert page.index("𠮷田 花子") < page.index("髙橋 一郎") < page.index("安藤 茜")
    assert "@media print" not in page  # print CSS lives in the style sheets
    assert "roster.css" in page


def test_other_school_is_404_and_manage_is_403(
    muni, client_for, school, other_school, year, teacher, classroom
):
    foreign = f.classroom(other_school, year, grade=1)
    e = f.students(foreign, 1)[0]
    client = client_for(muni, teacher)
    assert client.get(f"/roster/classes/{foreign.pk}/").status_code == 404
    assert client.get(f"/roster/students/{e.student_id}/").status_code == 404
    assert client.get(f"/roster/schools/{other_school.pk}/").status_code == 404
    assert client.get(f"/roster/enrolments/{e.pk}/transfer-out/").status_code == 404
    # Own school, but a homeroom teacher may not manage it.
    assert client.get(f"/roster/classes/{classroom.pk}/enrol/").status_code == 403
    assert client.get(f"/roster/schools/{school.pk}/rollover/").status_code == 403
    assert client.get("/roster/staff/").status_code == 403
    assert client.get("/roster/years/").status_code == 403


def test_user_without_role_sees_nothing(muni, client_for, classroom, no_role_user):
    client = client_for(muni, no_role_user)
    assert "まだ役割が割り当てられていません" in client.get("/").content.decode()
    assert client.get("/roster/").status_code == 403
    assert client.get(f"/roster/classes/{classroom.pk}/").status_code == 404


def test_other_municipality_host_does_not_know_the_user(
    muni, other_muni, client_for, classroom, teacher
):
    # The session belongs to 富士吉田市; on 遠野市's host the user is anonymous.
    client = client_for(muni, teacher)
    client.defaults["HTTP_HOST"] = other_muni.domains.get(is_primary=True).domain
    response = client.get(f"/roster/classes/{classroom.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_principal_enrols_and_transfers_out(muni, client_for, classroom, principal):
    client = client_for(muni, principal)
    response = client.post(
        f"/roster/classes/{classroom.pk}/enrol/",
        {
            "name": "𠮷野 髙子",
            "kana": "よしの たかこ",
            "sex": "F",
            "entry": "transfer_in",
            "enrolled_on": "2026-06-01",
            "roll_number": "",
        },
    )
    assert response.status_code == 302
    e = Enrolment.objects.get(classroom=classroom)
    assert e.student.name == "𠮷野 髙子" and e.entry == "transfer_in"
    page = client.get(f"/roster/classes/{classroom.pk}/").content.decode()
    assert "𠮷野 髙子" in page
    bad = client.post(
        f"/roster/enrolments/{e.pk}/transfer-out/",
        {"exit": "transfer_out", "left_on": "2026-05-01"},
    )
    assert bad.status_code == 200 and "在籍開始日" in bad.content.decode()
    ok = client.post(
        f"/roster/enrolments/{e.pk}/transfer-out/",
        {"exit": "transfer_out", "left_on": "2026-07-20"},
    )
    assert ok.status_code == 302
    e.refresh_from_db()
    assert e.left_on == dt.date(2026, 7, 20)


def test_boe_admin_registers_school_with_validated_code(muni, client_for, boe_admin, year):
    client = client_for(muni, boe_admin)
    bad = client.post(
        "/roster/schools/new/",
        {"name": "新小", "school_type": "elementary", "mext_code": "C119210000010"},
    )
    assert bad.status_code == 200 and "B1" in bad.content.decode()
    ok = client.post(
        "/roster/schools/new/",
        {"name": "新小", "school_type": "elementary", "mext_code": "B119210000045"},
    )
    assert ok.status_code == 302
    assert "新小" in client.get("/roster/").content.decode()


def test_boe_admin_sets_terms_from_preset(muni, client_for, boe_admin, school, year):
    client = client_for(muni, boe_admin)
    page = client.get(f"/roster/schools/{school.pk}/terms/2026/?preset=3").content.decode()
    assert "2026-04-01" in page and "3学期" in page
    data = {
        "name_1": "前期",
        "start_1": "2026-04-01",
        "end_1": "2026-10-09",
        "name_2": "後期",
        "start_2": "2026-10-13",
        "end_2": "2027-03-31",
    }
    assert client.post(f"/roster/schools/{school.pk}/terms/2026/", data).status_code == 302
    assert "後期" in client.get(f"/roster/schools/{school.pk}/").content.decode()


def test_archived_year_pages_read_only(muni, client_for, principal, school):
    old = f.school_year(2025, SchoolYear.State.ARCHIVED)
    c = f.classroom(school, old, grade=1)
    f.students(c, 2)
    client = client_for(muni, principal)
    page = client.get(f"/roster/classes/{c.pk}/").content.decode()
    assert "生徒" in page and "入学・転入" not in page
    response = client.post(
        f"/roster/classes/{c.pk}/enrol/",
        {"name": "x", "kana": "x", "entry": "admission", "enrolled_on": "2025-05-01"},
    )
    assert response.status_code == 200 and "過年度" in response.content.decode()


def test_rollover_page_runs_and_confirms(muni, client_for, principal, school, classroom):
    f.students(classroom, 3)
    client = client_for(muni, principal)
    assert (
        client.post(f"/roster/schools/{school.pk}/rollover/", {"action": "prepare"}).status_code
        == 302
    )
    page = client.get(f"/roster/schools/{school.pk}/rollover/").content.decode()
    assert "仮年度更新済み" in page and "2年1組" in page and "下書き" in page
    client.post(f"/roster/schools/{school.pk}/rollover/", {"action": "confirm"})
    assert "確定" in client.get(f"/roster/schools/{school.pk}/rollover/").content.decode()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("page", ["class", "school", "student"])
def test_roster_pages_cost_constant_queries(muni, client_for, principal, school, year, page):
    small = f.classroom(school, year, grade=2, name="1組")
    big = f.classroom(school, year, grade=3, name="1組")
    f.students(small, 5)
    f.students(big, 40)
    f.homeroom_teacher(big)
    client = client_for(muni, principal)
    if page == "class":
        assert _count(client, f"/roster/classes/{small.pk}/") == _count(
            client, f"/roster/classes/{big.pk}/"
        )
    elif page == "school":
        few = _count(client, f"/roster/schools/{school.pk}/roster/")
        f.students(f.classroom(school, year, grade=4, name="1組"), 35)
        assert _count(client, f"/roster/schools/{school.pk}/roster/") == few
    else:
        student = small.enrolments.first().student
        few = _count(client, f"/roster/students/{student.pk}/")
        later = f.school_year(2025, SchoolYear.State.ARCHIVED)
        Enrolment.objects.create(
            student=student,
            classroom=f.classroom(school, later, grade=1),
            school=school,
            school_year=later,
            grade=1,
            roll_number=1,
            enrolled_on=later.start,
        )
        assert _count(client, f"/roster/students/{student.pk}/") == few


def test_principal_adds_a_draft_role_for_next_year(muni, client_for, principal, school, classroom):
    f.students(classroom, 2)
    client = client_for(muni, principal)
    client.post(f"/roster/schools/{school.pk}/rollover/", {"action": "prepare"})
    new_class = school.classrooms.get(school_year__year=2027, grade=1, name="1組")
    newcomer = f.staff("転任 先生")
    response = client.post(
        f"/roster/schools/{school.pk}/rollover/",
        {"action": "add_role", "staff": newcomer.pk, "role": "homeroom", "classroom": new_class.pk},
    )
    assert response.status_code == 302
    role = newcomer.roles.get()
    assert role.is_draft and role.classroom == new_class
    # A class of another school cannot be chosen.
    foreign = f.classroom(f.school(), new_class.school_year, grade=1)
    client.post(
        f"/roster/schools/{school.pk}/rollover/",
        {"action": "add_role", "staff": newcomer.pk, "role": "homeroom", "classroom": foreign.pk},
    )
    assert newcomer.roles.count() == 1


def test_principal_renumbers_a_class_teacher_may_not(
    muni, client_for, principal, teacher, classroom
):
    f.students(classroom, 3)
    assert (
        client_for(muni, teacher).post(f"/roster/classes/{classroom.pk}/renumber/").status_code
        == 403
    )
    response = client_for(muni, principal).post(f"/roster/classes/{classroom.pk}/renumber/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="schools.classroom.renumber").count() == 1


def test_boe_viewer_reads_everything_changes_nothing(muni, client_for, classroom):
    viewer = f.staff()
    f.give_role(viewer, Role.BOE_VIEWER)
    client = client_for(muni, viewer.user)
    assert client.get(f"/roster/classes/{classroom.pk}/").status_code == 200
    assert client.get(f"/roster/schools/{classroom.school_id}/roster/").status_code == 200
    assert client.get(f"/roster/classes/{classroom.pk}/enrol/").status_code == 403
    assert client.get("/roster/staff/").status_code == 403
    assert client.post("/roster/years/", {"year": 2027}).status_code == 403


def test_principal_changes_class_from_student_page(
    muni, client_for, principal, school, year, classroom
):
    e = f.students(classroom, 1)[0]
    other = f.classroom(school, year, grade=1, name="2組")
    client = client_for(muni, principal)
    assert "学級変更" in client.get(f"/roster/students/{e.student_id}/").content.decode()
    response = client.post(
        f"/roster/enrolments/{e.pk}/change-class/", {"classroom": other.pk, "on": "2026-06-01"}
    )
    assert response.status_code == 302
    assert other.enrolments.get().student_id == e.student_id
