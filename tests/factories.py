"""Small builders of roster rows for tests (real rows in the current municipality's schema)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

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
)

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
