"""Gradebook fixtures: a junior high class with a 数学 teacher, a term and assessments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from gradebook.models import Assessment
from schools.models import Classroom, Role, School, SchoolType, Staff, Subject, Term
from schools.permissions import actor_for_user
from tests import factories


@dataclass
class Setup:
    school: School
    classroom: Classroom
    subject: Subject
    term: Term
    teacher: Staff
    admin: Staff
    homeroom: Staff
    enrolments: list
    assessments: list[Assessment]

    @property
    def students(self):
        return [e.student for e in self.enrolments]

    def actor(self, staff: Staff):
        return actor_for_user(staff.user)


def make_term(school: School, year, number: int = 1) -> Term:
    dates = {1: ((4, 6), (7, 19)), 2: ((9, 1), (12, 24)), 3: ((1, 8), (3, 24))}[number]
    y2 = year.year + (1 if number == 3 else 0)
    return Term.objects.create(
        school=school,
        school_year=year,
        number=number,
        name=f"{number}学期",
        start=dt.date(y2, *dates[0]),
        end=dt.date(y2, *dates[1]),
    )


def make_assessments(classroom, subject, term, count: int) -> list[Assessment]:
    weights = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0)]
    return Assessment.objects.bulk_create(
        Assessment(
            classroom=classroom,
            subject=subject,
            term=term,
            title=f"テスト{i + 1}",
            date=term.start + dt.timedelta(days=i),
            max_points=Decimal(100 if i % 2 == 0 else 20),
            weight_knowledge=weights[i % 4][0],
            weight_thinking=weights[i % 4][1],
            weight_attitude=weights[i % 4][2],
            sort_order=i + 1,
        )
        for i in range(count)
    )


def build(students: int = 5, assessments: int = 3, school_type=SchoolType.JUNIOR_HIGH, grade=1):
    year = factories.school_year()
    school = factories.school(school_type=school_type)
    classroom = factories.classroom(school, year, grade=grade)
    subject = factories.subject(
        school_type, "数学" if school_type == SchoolType.JUNIOR_HIGH else "算数"
    )
    term = make_term(school, year)
    teacher = factories.staff()
    factories.give_role(teacher, Role.SUBJECT, classroom=classroom, subject=subject)
    admin = factories.school_admin(school, year)
    homeroom = factories.homeroom_teacher(classroom)
    enrolments = factories.students(classroom, students)
    return Setup(
        school,
        classroom,
        subject,
        term,
        teacher,
        admin,
        homeroom,
        enrolments,
        make_assessments(classroom, subject, term, assessments),
    )


@pytest.fixture
def setup(muni) -> Setup:
    return build()


@pytest.fixture
def builder(muni):
    return build
