"""閲覧範囲 (issue 10): a board may limit teachers to their own classes.

By default ("school") every staff member reads every class of their school, as before (the
rest of the suite). With "own_classes" a teacher who is not a school administrator reads only
the classes they are homeroom of or teach, and those classes' students — on pages, exports
and the API alike, because every lookup is the Actor's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import tenant_context

from schools.audit import AuditEvent
from schools.models import Classroom, Enrolment, SchoolType, Staff, Term
from schools.permissions import READ_SCOPE_OWN_CLASSES, READ_SCOPE_SCHOOL, actor_for_user
from tests import factories

API = "/api/v1"


@dataclass
class TwoClasses:
    one: Classroom  # 1年1組
    two: Classroom  # 1年2組
    term: Term
    homeroom: Staff  # of 1年1組
    maths: Staff  # 教科担任 of 数学 in 1年2組
    admin: Staff
    pupil_one: Enrolment
    pupil_two: Enrolment


@pytest.fixture
def classes(muni) -> TwoClasses:
    year = factories.school_year()
    school = factories.school(school_type=SchoolType.JUNIOR_HIGH)
    one = factories.classroom(school, year, grade=1, name="1組")
    two = factories.classroom(school, year, grade=1, name="2組")
    maths = factories.subject(SchoolType.JUNIOR_HIGH, "数学")
    return TwoClasses(
        one=one,
        two=two,
        term=factories.term(school, year),
        homeroom=factories.homeroom_teacher(one),
        maths=factories.subject_teacher(two, maths),
        admin=factories.school_admin(school, year),
        pupil_one=factories.students(one, 2)[0],
        pupil_two=factories.students(two, 2)[0],
    )


def set_scope(muni, scope: str) -> None:
    muni.read_scope = scope
    muni.save(update_fields=["read_scope"])


def class_urls(c: Classroom, term: Term, student_id: int) -> list[str]:
    """A class's page, 出席簿, 成績一覧表, a student's page, and the API equivalents."""
    return [
        reverse("schools:class-roster", args=[c.pk]),
        reverse("attendance:register", args=[c.pk, 2026, 6]),
        reverse("attendance:register-export", args=[c.pk, 2026, 6]),
        reverse("gradebook:class-list", args=[c.pk, term.pk]),
        reverse("schools_io:export-class", args=[c.pk]),
        reverse("schools:student-detail", args=[student_id]),
        f"{API}/roster/classes/{c.pk}/",
        f"{API}/roster/students/{student_id}/",
        f"{API}/attendance/class-marks/{c.pk}/?date=2026-06-01",
        f"{API}/attendance/student-marks/{student_id}/?from=2026-04-01&to=2026-06-30",
        f"{API}/gradebook/evaluations/?classroom={c.pk}&term={term.pk}",
    ]


def test_own_classes_only_hides_other_classes_from_the_homeroom_teacher(classes, muni, client_for):
    set_scope(muni, READ_SCOPE_OWN_CLASSES)
    client = client_for(muni, classes.homeroom.user)
    for url in class_urls(classes.two, classes.term, classes.pupil_two.student_id):
        assert client.get(url).status_code == 404, url
    for url in class_urls(classes.one, classes.term, classes.pupil_one.student_id):
        assert client.get(url).status_code == 200, url
    # lists agree with the single-object lookups
    listed = {row["id"] for row in client.get(f"{API}/roster/classes/").json()["results"]}
    assert listed == {classes.one.pk}
    students = client.get(f"{API}/roster/students/").json()["results"]
    assert {row["id"] for row in students} == {
        classes.pupil_one.student_id,
        *[e.student_id for e in classes.one.enrolments.all()],
    }
    page = client.get(reverse("schools:school-detail", args=[classes.one.school_id]))
    assert page.status_code == 200
    assert reverse("schools:class-roster", args=[classes.one.pk]) in page.text
    assert reverse("schools:class-roster", args=[classes.two.pk]) not in page.text
    # the whole school's roster is not theirs to read
    roster = reverse("schools:school-roster", args=[classes.one.school_id])
    assert client.get(roster).status_code == 403
    export = reverse("schools_io:export-school", args=[classes.one.school_id]) + "?year=2026"
    assert client.get(export).status_code == 403


def test_own_classes_only_a_subject_teacher_reads_the_classes_they_teach(classes, muni, client_for):
    set_scope(muni, READ_SCOPE_OWN_CLASSES)
    client = client_for(muni, classes.maths.user)
    assert client.get(reverse("schools:class-roster", args=[classes.two.pk])).status_code == 200
    assert client.get(reverse("schools:class-roster", args=[classes.one.pk])).status_code == 404
    student_two = reverse("schools:student-detail", args=[classes.pupil_two.student_id])
    assert client.get(student_two).status_code == 200
    student_one = reverse("schools:student-detail", args=[classes.pupil_one.student_id])
    assert client.get(student_one).status_code == 404


def test_own_classes_only_the_school_administrator_reads_every_class(classes, muni, client_for):
    set_scope(muni, READ_SCOPE_OWN_CLASSES)
    client = client_for(muni, classes.admin.user)
    for c, pupil in ((classes.one, classes.pupil_one), (classes.two, classes.pupil_two)):
        for url in class_urls(c, classes.term, pupil.student_id):
            assert client.get(url).status_code == 200, url
    roster = reverse("schools:school-roster", args=[classes.one.school_id])
    assert client.get(roster).status_code == 200


def test_school_wide_by_default(classes, muni, client_for):
    assert muni.read_scope == READ_SCOPE_SCHOOL
    client = client_for(muni, classes.homeroom.user)
    assert client.get(reverse("schools:class-roster", args=[classes.two.pk])).status_code == 200
    student_two = reverse("schools:student-detail", args=[classes.pupil_two.student_id])
    assert client.get(student_two).status_code == 200
    register = reverse("attendance:register", args=[classes.two.pk, 2026, 6])
    assert client.get(register).status_code == 200
    # grades were never every teacher's: another class's 成績一覧表 stays refused
    grades = reverse("gradebook:class-list", args=[classes.two.pk, classes.term.pk])
    assert client.get(grades).status_code == 403


def test_actor_carries_the_scope_without_a_query_per_check(
    classes, muni, django_assert_num_queries
):
    set_scope(muni, READ_SCOPE_OWN_CLASSES)
    with tenant_context(muni):
        # in a request the tenant row is already loaded: the search path, the roles and the
        # teaching assignments, as without the scope (none for the setting)
        with django_assert_num_queries(3):
            actor = actor_for_user(classes.homeroom.user)
        with django_assert_num_queries(0):
            assert actor.own_classes_only
            assert actor.can_view_classroom(classes.one)
            assert not actor.can_view_classroom(classes.two)
            assert actor.reads_whole_school(classes.one.school_id) is False
    # a job or command in schema_context reads the row once
    assert connection.schema_name == muni.schema_name
    assert actor_for_user(classes.homeroom.user).own_classes_only


def test_the_board_sets_the_scope_and_it_is_audited(classes, muni, client_for, boe_admin):
    url = reverse("accounts:read-scope")
    page = client_for(muni, boe_admin).get(reverse("accounts:security"))
    assert page.status_code == 200 and "閲覧範囲" in page.text
    teacher = client_for(muni, classes.homeroom.user)
    assert teacher.post(url, {"read_scope": READ_SCOPE_SCHOOL}).status_code == 403
    board = client_for(muni, boe_admin)
    assert board.post(url, {"read_scope": "everything"}).status_code == 200  # form error
    response = board.post(url, {"read_scope": READ_SCOPE_OWN_CLASSES})
    assert response.status_code == 302
    muni.refresh_from_db()
    assert muni.read_scope == READ_SCOPE_OWN_CLASSES
    event = AuditEvent.objects.get(action="accounts.read_scope.update")
    assert event.changes["after"] == {"read_scope": READ_SCOPE_OWN_CLASSES}
    # from the next request on, the homeroom teacher reads their own class only
    assert teacher.get(reverse("schools:class-roster", args=[classes.two.pk])).status_code == 404


def main_pages(c: Classroom, term: Term, student_id: int) -> list[str]:
    return [
        reverse("home"),
        reverse("schools:school-detail", args=[c.school_id]),
        reverse("attendance:index"),
        reverse("attendance:day", args=[c.pk, "2026-06-01"]),
        reverse("gradebook:index"),
        *class_urls(c, term, student_id),
    ]


def test_main_pages_make_no_more_queries_with_own_classes_only(classes, muni, client_for):
    """The scope is on the tenant row the middleware loads anyway, and narrows by subqueries."""
    client = client_for(muni, classes.homeroom.user)
    urls = main_pages(classes.one, classes.term, classes.pupil_one.student_id)

    def counts() -> dict[str, int]:
        found = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            found[url] = len(queries)
        return found

    school_wide = counts()
    set_scope(muni, READ_SCOPE_OWN_CLASSES)
    assert counts() == school_wide
