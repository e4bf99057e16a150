"""Builders shared by the attendance tests."""

from __future__ import annotations

import dataclasses
import datetime as dt

from attendance import queries, services
from attendance.services import MarkInput
from schools import calendar
from schools.permissions import Actor, actor_for_user
from tests import factories

D = dt.date


def setup_class(size: int = 5, grade: int = 1, name: str = "1組"):
    year = factories.school_year(2026)
    school = factories.school()
    classroom = factories.classroom(school, year, grade=grade, name=name)
    enrolments = factories.students(classroom, size)
    calendar.rebuild_calendar(school, year)
    return year, school, classroom, enrolments


def actor_of(user, classroom=None) -> Actor:
    """The user's actor, as the class's 学級担任 when a class is given (services ask it)."""
    actor = actor_for_user(user)
    if classroom is None:
        return actor
    return dataclasses.replace(
        actor, homeroom_classroom_ids=actor.homeroom_classroom_ids | {classroom.pk}
    )


def save(user, classroom, day, marks: dict[int, str], base=None):
    entry = queries.daily_entry(classroom, day)
    return services.save_day_marks(
        classroom,
        day,
        {k: MarkInput(v) for k, v in marks.items()},
        by=actor_of(user, classroom),
        base=base,
        valid_codes={c.code for c in entry.codes},
        class_day=(entry.is_school_day, entry.is_closed),
        enrolments=entry.enrolments,
    )
