"""Builders of the rows tests need: real rows in the current municipality's schema.

The one place tests make data (see tests/conftest.py for the suite's fixture style): one
plain function per kind of row, sensible defaults, keyword overrides; scenarios several
tests share (``gradebook_class``) are built from these and wrapped as fixtures by the
directory's ``conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model

from gradebook.models import Assessment
from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    Term,
)
from schools.permissions import actor_for_user

_seq = itertools.count(1)
PASSWORD = "test-pass-2026"


def school_year(year: int = 2026, state: str = SchoolYear.State.CURRENT) -> SchoolYear:
    obj, _ = SchoolYear.objects.get_or_create(year=year, defaults={"state": state})
    return obj


def school(name: str | None = None, school_type: str = SchoolType.ELEMENTARY, **kw) -> School:
    n = next(_seq)
    return School.objects.create(
        name=name or f"テスト第{n}小学校",
        school_type=school_type,
        mext_code=kw.pop("mext_code", f"B1{n:011d}"),
        **kw,
    )


def classroom(
    school: School, year: SchoolYear, grade: int = 1, name: str = "1組", **kw
) -> Classroom:
    return Classroom.objects.create(school=school, school_year=year, grade=grade, name=name, **kw)


def students(classroom: Classroom, count: int, start: dt.date | None = None) -> list[Enrolment]:
    """``count`` students enrolled in ``classroom`` with roll numbers 1..count."""
    start = start or classroom.school_year.start
    result = []
    for i in range(1, count + 1):
        n = next(_seq)
        student = Student.objects.create(
            name=f"生徒 {n}号",
            kana=f"せいと {n:05d}",
            student_number=f"S{n:07d}",
            birth_date=dt.date(classroom.school_year.year - 6 - (classroom.grade or 1), 5, 1),
        )
        result.append(
            Enrolment.objects.create(
                student=student,
                classroom=classroom,
                school=classroom.school,
                school_year=classroom.school_year,
                grade=classroom.grade or 1,
                roll_number=i,
                enrolled_on=start,
            )
        )
    return result


def staff(name: str | None = None, username: str | None = None) -> Staff:
    n = next(_seq)
    user = get_user_model().objects.create_user(username or f"teacher{n}", password=PASSWORD)
    return Staff.objects.create(user=user, name=name or f"教員 {n}", kana=f"きょういん {n:05d}")


def give_role(
    staff: Staff, role: str, *, school=None, year=None, classroom=None, subject=None, **kw
):
    if role == Role.SUBJECT:  # 教科担任 is a teaching assignment (担当)
        return teach(staff, classroom, subject, **kw)
    if classroom is not None:
        school = school or classroom.school
        year = year or classroom.school_year
    return RoleAssignment.objects.create(
        staff=staff,
        role=role,
        school=school,
        school_year=year,
        classroom=classroom,
        subject=subject,
        **kw,
    )


def teach(
    staff: Staff | None,
    classroom: Classroom,
    subject: Subject,
    *,
    weekly_periods: object = 0,
    is_draft: bool = False,
) -> TeachingAssignment:
    """担当: ``staff`` (one more teacher, or none) teaches ``subject`` in ``classroom``."""
    assignment, _ = TeachingAssignment.objects.get_or_create(
        classroom=classroom,
        subject=subject,
        defaults={
            "school": classroom.school,
            "school_year": classroom.school_year,
            "weekly_periods": weekly_periods,
            "is_draft": is_draft,
        },
    )
    if staff is not None:
        assignment.teachers.add(staff)
    return assignment


def subject(school_type: str = SchoolType.ELEMENTARY, name: str = "国語") -> Subject:
    return Subject.objects.get(school_type=school_type, name=name)


def homeroom_teacher(classroom: Classroom) -> Staff:
    teacher = staff()
    give_role(teacher, Role.HOMEROOM, classroom=classroom)
    return teacher


def school_admin(school: School, year: SchoolYear) -> Staff:
    admin = staff()
    give_role(
        admin, Role.SCHOOL_ADMIN, school=school, year=year, title=RoleAssignment.Title.PRINCIPAL
    )
    return admin


def subject_teacher(classroom: Classroom, subject: Subject) -> Staff:
    """A 教科担任 of ``subject`` in ``classroom``."""
    teacher = staff()
    teach(teacher, classroom, subject)
    return teacher


TERM_DATES = {1: ((4, 6), (7, 19)), 2: ((9, 1), (12, 24)), 3: ((1, 8), (3, 24))}


def term(school: School, year: SchoolYear, number: int = 1) -> Term:
    """学期 ``number`` of a three-term year."""
    start, end = TERM_DATES[number]
    y2 = year.year + (1 if number == 3 else 0)
    return Term.objects.create(
        school=school,
        school_year=year,
        number=number,
        name=f"{number}学期",
        start=dt.date(y2, *start),
        end=dt.date(y2, *end),
    )


# --- gradebook ---------------------------------------------------------------------------


def assessments(classroom: Classroom, subject: Subject, term: Term, count: int) -> list[Assessment]:
    """``count`` assessments of 100 or 20 points weighing on the three 観点 in turn."""
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


# gradebook_class() takes counts named after these builders.
_students, _assessments = students, assessments


@dataclass
class GradebookClass:
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


def gradebook_class(
    students: int = 5,
    assessments: int = 3,
    school_type: str = SchoolType.JUNIOR_HIGH,
    grade: int = 1,
) -> GradebookClass:
    """A class with a 数学 (算数) teacher, its principal, homeroom teacher, term 1 and assessments."""
    year = school_year()
    sch = school(school_type=school_type)
    klass = classroom(sch, year, grade=grade)
    subj = subject(school_type, "数学" if school_type == SchoolType.JUNIOR_HIGH else "算数")
    first = term(sch, year)
    teacher = subject_teacher(klass, subj)
    admin = school_admin(sch, year)
    homeroom = homeroom_teacher(klass)
    enrolments = _students(klass, students)
    made = _assessments(klass, subj, first, assessments)
    return GradebookClass(sch, klass, subj, first, teacher, admin, homeroom, enrolments, made)
