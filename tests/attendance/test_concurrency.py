"""Two teachers saving the same class at the same moment, on two real connections.

The rows are committed (threads cannot see a test transaction) in the test
municipality 多摩市 and removed at the end.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from attendance import queries, services
from attendance.models import Mark
from attendance.services import MarkInput
from schools import calendar
from schools.models import School
from tests import factories
from tests.attendance.helpers import actor_of
from tests.conftest import _municipality

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def committed_class(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        tama = _municipality("tama")
        with schema_context(tama.schema_name):
            year = factories.school_year(2026)
            school = factories.school(name="並行保存小学校", mext_code="B9000000000C1")
            classroom = factories.classroom(school, year, grade=4, name="3組")
            enrolments = []
            from schools.models import Enrolment, Student

            for i in range(1, 5):
                student = Student.objects.create(name=f"並行 {i}", kana=f"へいこう {i}")
                enrolments.append(
                    Enrolment.objects.create(
                        student=student,
                        classroom=classroom,
                        school=school,
                        school_year=year,
                        grade=4,
                        roll_number=i,
                        enrolled_on=year.start,
                    )
                )
            calendar.rebuild_calendar(school, year)
            teachers = [factories.staff(username=f"heiko-{n}").user for n in (1, 2)]
        try:
            yield tama, classroom, enrolments, teachers
        finally:
            with schema_context(tama.schema_name):
                Mark.objects.filter(enrolment__classroom=classroom).delete()
                School.objects.filter(pk=school.pk).delete()
                Student.objects.filter(name__startswith="並行 ").delete()
                for user in teachers:
                    user.delete()


def _save_at_once(tama, classroom, jobs) -> list[Exception]:
    barrier = threading.Barrier(len(jobs))
    errors: list[Exception] = []

    def run(user, marks):
        try:
            with schema_context(tama.schema_name):
                entry = queries.save_context(classroom, DAY)
                barrier.wait(timeout=10)
                services.save_day_marks(
                    classroom,
                    DAY,
                    marks,
                    by=actor_of(user, classroom),
                    base={},
                    valid_codes={c.code for c in entry.codes},
                    class_day=(entry.is_school_day, entry.is_closed),
                    enrolments=entry.enrolments,
                )
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


def test_two_teachers_at_once_lose_nothing(committed_class, django_db_blocker):
    tama, classroom, ens, (first, second) = committed_class
    with django_db_blocker.unblock():
        for _ in range(5):  # several rounds to make the overlap likely
            errors = _save_at_once(
                tama,
                classroom,
                [
                    (first, {ens[0].pk: MarkInput("sick"), ens[1].pk: MarkInput("late")}),
                    (second, {ens[2].pk: MarkInput("absent"), ens[3].pk: MarkInput("early")}),
                ],
            )
            assert errors == []
            with schema_context(tama.schema_name):
                assert dict(
                    Mark.objects.filter(enrolment__classroom=classroom).values_list(
                        "enrolment_id", "code"
                    )
                ) == {ens[0].pk: "sick", ens[1].pk: "late", ens[2].pk: "absent", ens[3].pk: "early"}
                Mark.objects.filter(enrolment__classroom=classroom).delete()


def test_the_same_student_at_once_gives_one_mark_and_no_error(committed_class, django_db_blocker):
    tama, classroom, ens, (first, second) = committed_class
    with django_db_blocker.unblock():
        errors = _save_at_once(
            tama,
            classroom,
            [
                (first, {ens[0].pk: MarkInput("sick")}),
                (second, {ens[0].pk: MarkInput("late")}),
            ],
        )
        assert errors == []
        with schema_context(tama.schema_name):
            codes = list(Mark.objects.filter(enrolment=ens[0]).values_list("code", flat=True))
        assert codes in (["sick"], ["late"])
