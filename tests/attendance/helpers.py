"""Builders shared by the attendance tests."""

from __future__ import annotations

import datetime as dt

from attendance import queries, services
from attendance.services import MarkInput
from tests import factories

D = dt.date


def setup_class(size: int = 5, grade: int = 1, name: str = "1組"):
    year = factories.school_year(2026)
    school = factories.school()
    classroom = factories.classroom(school, year, grade=grade, name=name)
    enrolments = factories.students(classroom, size)
    services.rebuild_calendar(school, year)
    return year, school, classroom, enrolments


def save(user, classroom, day, marks: dict[int, str], base=None):
    entry = queries.daily_entry(classroom, day)
    return services.save_day_marks(
        user, classroom, day, {k: MarkInput(v) for k, v in marks.items()},
        base=base, valid_codes={c.code for c in entry.codes},
        class_day=(entry.is_school_day, entry.is_closed), enrolments=entry.enrolments,
    )  # fmt: skip
