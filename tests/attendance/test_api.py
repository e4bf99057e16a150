"""Attendance API under /api/v1/attendance/: same permissions as the pages."""

from __future__ import annotations

import pytest

from attendance.models import Mark
from tests import factories
from tests.attendance.helpers import D, save, setup_class

BASE = "/api/v1/attendance"


@pytest.fixture
def klass(muni):
    year, school, classroom, ens = setup_class(4)
    teacher = factories.homeroom_teacher(classroom)
    return classroom, ens, teacher.user


def put(client, classroom, body):
    return client.put(f"{BASE}/class-marks/{classroom.pk}/", body, content_type="application/json")


def test_read_and_replace_the_day_marks(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    body = {
        "date": "2026-06-01",
        "marks": [{"enrolment": ens[0].pk, "code": "sick", "note": "発熱"}],
    }
    response = put(client, classroom, body)
    assert response.status_code == 200, response.json()
    assert response.json()["changed"] == 1
    assert response.json()["counts"]["absent"] == 1
    again = put(client, classroom, body)
    assert again.json()["changed"] == 0  # idempotent
    got = client.get(f"{BASE}/class-marks/{classroom.pk}/?date=2026-06-01").json()
    assert got["students"][0]["code"] == "sick" and got["students"][0]["note"] == "発熱"
    # Replace: a student not listed becomes present.
    put(client, classroom, {"date": "2026-06-01", "marks": []})
    assert not Mark.objects.exists()


def test_write_refusals(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    saturday = put(
        client,
        classroom,
        {"date": "2026-06-06", "marks": [{"enrolment": ens[0].pk, "code": "sick"}]},
    )
    assert saturday.status_code == 400
    assert "授業日ではない" in str(saturday.json()["error"])
    bad = put(
        client, classroom, {"date": "2026-06-01", "marks": [{"enrolment": 999999, "code": "sick"}]}
    )
    assert bad.status_code == 400 and "在籍していない" in str(bad.json()["error"])
    assert put(client, classroom, {"date": "nope", "marks": []}).status_code == 400
    other_class = factories.classroom(classroom.school, classroom.school_year, grade=2)
    other_teacher = factories.homeroom_teacher(other_class)
    other = client_for(muni, other_teacher.user)
    denied = put(other, classroom, {"date": "2026-06-01", "marks": []})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    far = factories.homeroom_teacher(factories.classroom(factories.school(), classroom.school_year))
    assert (
        put(client_for(muni, far.user), classroom, {"date": "2026-06-01", "marks": []}).status_code
        == 404
    )
    assert client_for(muni).get(f"{BASE}/class-marks/{classroom.pk}/").status_code in (401, 403)
    assert not Mark.objects.exists()


def test_calendar_student_marks_and_figures(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    save(boe_admin, classroom, D(2026, 6, 1), {ens[0].pk: "sick", ens[1].pk: "late"})
    client = client_for(muni, user)
    cal = client.get(f"{BASE}/calendar/?school={classroom.school.pk}&year=2026").json()
    assert len(cal["dates"]) == 365 and cal["school_days"] > 190
    marks = client.get(f"{BASE}/student-marks/{ens[0].student_id}/?from=2026-04-01&to=2026-06-30")
    assert marks.json()["marks"][0]["code"] == "sick"
    june = client.get(f"{BASE}/figures/?scope=classroom&id={classroom.pk}&year=2026&month=6")
    rows = june.json()["results"]
    assert rows[0]["school_days"] == 22 and rows[0]["absent_days"] == 1
    assert rows[1]["late"] == 1 and rows[1]["present_days"] == 22
    student = client.get(f"{BASE}/figures/?scope=student&id={ens[0].student_id}&year=2026")
    assert student.json()["results"][0]["absent_days"] == 1
    school = client.get(f"{BASE}/figures/?scope=school&id={classroom.school.pk}&month=6&year=2026")
    assert school.json()["results"][0]["school_days"] == 22 * 4
    assert client.get(f"{BASE}/figures/?scope=planet&id=1").status_code == 400


def test_long_absence_api_scope(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    from schools.models import SchoolDate

    days = list(
        SchoolDate.objects.filter(
            school=classroom.school, is_school_day=True, date__lte=D(2026, 11, 26)
        ).values_list("date", flat=True)
    )
    Mark.objects.bulk_create([Mark(enrolment=ens[0], date=d, code="sick") for d in days[:30]])
    boe = client_for(muni, boe_admin).get(f"{BASE}/long-absence/?year=2026").json()
    assert [r["student"] for r in boe["results"]] == [ens[0].student_id]
    assert boe["results"][0]["status"] == "reached"
    assert client_for(muni, user).get(f"{BASE}/long-absence/").status_code == 403
    admin = factories.school_admin(factories.school(), classroom.school_year)
    other = client_for(muni, admin.user).get(f"{BASE}/long-absence/?year=2026").json()
    assert other["results"] == []


def test_class_marks_api_costs_constant_queries(muni, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (5, 40):
        _, _, classroom, ens = setup_class(size, name=f"{size}組")
        teacher = factories.homeroom_teacher(classroom)
        client = client_for(muni, teacher.user)
        client.get(f"{BASE}/class-marks/{classroom.pk}/?date=2026-06-01")
        body = {
            "date": "2026-06-01",
            "marks": [{"enrolment": e.pk, "code": "sick"} for e in ens[::3]],
        }
        with CaptureQueriesContext(connection) as read:
            got = client.get(f"{BASE}/class-marks/{classroom.pk}/?date=2026-06-01")
            assert got.status_code == 200
        with CaptureQueriesContext(connection) as write:
            assert put(client, classroom, body).status_code == 200
        counts.append((len(read.captured_queries), len(write.captured_queries)))
    assert counts[0] == counts[1], counts
