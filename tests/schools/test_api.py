"""Roster API under /api/v1/roster/: scope by role, writes by administrators only."""

from __future__ import annotations

import pytest

from schools.models import Enrolment, Role, RoleAssignment, School, Student
from tests import factories as f


@pytest.fixture
def foreign(other_school, year):
    c = f.classroom(other_school, year, grade=2)
    f.students(c, 2)
    return c


def test_anonymous_gets_401(muni, client_for):
    response = client_for(muni).get("/api/v1/roster/schools/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_teacher_reads_own_school_only(muni, client_for, teacher, classroom, foreign, school):
    f.students(classroom, 3)
    client = client_for(muni, teacher)
    schools = client.get("/api/v1/roster/schools/").json()["results"]
    assert [s["id"] for s in schools] == [school.pk]
    classes = client.get("/api/v1/roster/classes/?year=2026&grade=1").json()["results"]
    assert [c["label"] for c in classes] == ["1年1組"]
    students = client.get(f"/api/v1/roster/students/?classroom={classroom.pk}").json()
    assert students["count"] == 3
    assert students["results"][0]["enrolments"][0]["classroom_label"] == "1年1組"
    assert client.get(f"/api/v1/roster/classes/{foreign.pk}/").status_code == 404
    foreign_student = foreign.enrolments.first().student_id
    assert client.get(f"/api/v1/roster/students/{foreign_student}/").status_code == 404
    assert client.get(f"/api/v1/roster/students/?school={foreign.school_id}").json()["count"] == 0
    assert client.get("/api/v1/roster/classes/?grade=x").status_code == 400


def test_teacher_cannot_write(muni, client_for, teacher, classroom, school):
    client = client_for(muni, teacher)
    response = client.post(
        "/api/v1/roster/students/",
        {"classroom": classroom.pk, "name": "山田", "kana": "やまだ", "enrolled_on": "2026-04-06"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    response = client.post(
        "/api/v1/roster/schools/",
        {"name": "x", "school_type": "elementary", "mext_code": "B119210000053"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Student.objects.exists() and School.objects.count() == 1


def test_principal_enrols_and_assigns_homeroom(muni, client_for, principal, classroom, school):
    client = client_for(muni, principal)
    response = client.post(
        "/api/v1/roster/students/",
        {
            "classroom": classroom.pk,
            "name": "𠮷田 髙",
            "kana": "よしだ たか",
            "enrolled_on": "2026-04-06",
            "entry": "admission",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "𠮷田 髙"
    dup = client.post(
        "/api/v1/roster/students/",
        {
            "classroom": classroom.pk,
            "name": "b",
            "kana": "b",
            "roll_number": 1,
            "enrolled_on": "2026-04-06",
        },
        content_type="application/json",
    )
    assert dup.status_code == 400 and "roll_number" in dup.json()["error"]["fields"]
    teacher = f.staff()
    response = client.post(
        "/api/v1/roster/roles/",
        {"staff": teacher.pk, "role": "homeroom", "classroom": classroom.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    # A school admin cannot make anyone a BoE administrator.
    response = client.post(
        "/api/v1/roster/roles/",
        {"staff": teacher.pk, "role": "boe_admin"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(staff=teacher, role=Role.BOE_ADMIN).exists()


def test_boe_admin_creates_school_and_class(muni, client_for, boe_admin, year):
    client = client_for(muni, boe_admin)
    bad = client.post(
        "/api/v1/roster/schools/",
        {"name": "新中", "school_type": "junior_high", "mext_code": "B119210000061"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "mext_code" in bad.json()["error"]["fields"]
    ok = client.post(
        "/api/v1/roster/schools/",
        {"name": "新中", "school_type": "junior_high", "mext_code": "C119210000061"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    school_id = ok.json()["id"]
    response = client.post(
        "/api/v1/roster/classes/",
        {"school": school_id, "year": 2026, "grade": 3, "name": "2組"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["label"] == "3年2組"
    years = client.get("/api/v1/roster/years/").json()["results"]
    assert years[0]["label"] == "令和8年度 (2026)"
    staff = client.get("/api/v1/roster/staff/").json()["results"]
    assert any(r["role"] == "boe_admin" for s in staff for r in s["roles"])


def test_other_municipality_token_scope(muni, other_muni, client_for, boe_admin, classroom):
    # A session of 富士吉田市 means nothing on 遠野市's host.
    client = client_for(muni, boe_admin)
    client.defaults["HTTP_HOST"] = other_muni.domains.get(is_primary=True).domain
    assert client.get("/api/v1/roster/classes/").status_code == 401


def test_student_list_query_count_is_constant(muni, client_for, principal, school, year):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = f.classroom(school, year, grade=2)
    big = f.classroom(school, year, grade=3)
    f.students(small, 3)
    f.students(big, 30)
    client = client_for(muni, principal)
    counts = []
    for c in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/roster/students/?classroom={c.pk}").status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    assert Enrolment.objects.count() == 33


def test_openapi_schema_lists_roster_resources(muni, client_for, boe_admin):
    response = client_for(muni, boe_admin).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "roster/schools",
        "roster/years",
        "roster/terms",
        "roster/classes",
        "roster/students",
        "roster/staff",
        "roster/roles",
    ):
        assert f"/api/v1/{path}/" in text


def test_terms_and_transfer_out_through_the_api(
    muni, client_for, principal, teacher, school, classroom
):
    e = f.students(classroom, 1)[0]
    body = {
        "school": school.pk,
        "year": 2026,
        "terms": [
            {"name": "前期", "start": "2026-04-01", "end": "2026-10-09"},
            {"name": "後期", "start": "2026-10-13", "end": "2027-03-31"},
        ],
    }
    assert (
        client_for(muni, teacher)
        .post("/api/v1/roster/terms/set/", body, content_type="application/json")
        .status_code
        == 403
    )
    client = client_for(muni, principal)
    response = client.post("/api/v1/roster/terms/set/", body, content_type="application/json")
    assert response.status_code == 200 and [t["name"] for t in response.json()] == ["前期", "後期"]
    body["terms"][1]["start"] = "2026-10-01"
    response = client.post("/api/v1/roster/terms/set/", body, content_type="application/json")
    assert response.status_code == 400 and "重なって" in response.content.decode()
    url = f"/api/v1/roster/students/{e.student_id}/transfer-out/"
    response = client.post(
        url, {"enrolment": e.pk, "left_on": "2026-09-30"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["enrolments"][0]["exit"] == "transfer_out"
    again = client.post(
        url, {"enrolment": e.pk, "left_on": "2026-10-30"}, content_type="application/json"
    )
    assert again.status_code == 400 and "既に" in again.content.decode()
