"""The timetable's models, services and queries against real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools import calendar
from schools.models import AuditEvent, School, SchoolType, SchoolYear, Staff
from schools.permissions import Actor, actor_for_user
from tests import factories as f
from timetable import queries, rules, services
from timetable.models import DailyChange, Lesson, Room, Timetable

SUBJECTS = ["国語", "算数", "国語", "体育", "算数", "生活"]
MONDAY = dt.date(2026, 6, 1)


@dataclass
class Built:
    school: School
    year: SchoolYear
    admin: Staff
    timetable: Timetable
    classes: list
    homerooms: list
    music: Staff
    gym: Room
    by: Actor


def build(n_classes: int = 2) -> Built:
    year = f.school_year(2026)
    school = f.school()
    calendar.rebuild_calendar(school, year)
    admin = f.school_admin(school, year)
    by = actor_for_user(admin.user)
    services.save_bell_schedule(
        by=by,
        school=school,
        school_year=year,
        name="通常",
        is_default=True,
        periods=[(n, f"{8 + n}:00", f"{8 + n}:45") for n in range(1, 7)],
    )
    gym = services.save_room(by=by, school=school, name="体育館", kind="gym", capacity=2)
    timetable = services.create_timetable(by=by, school=school, school_year=year)
    music_subject = f.subject(name="音楽")
    music = f.staff(name="音楽 専科")
    subjects = {s: f.subject(name=s) for s in set(SUBJECTS)}
    classes, homerooms = [], []
    for i in range(n_classes):
        c = f.classroom(school, year, grade=1 + i % 6, name=f"{1 + i // 6}組")
        classes.append(c)
        homerooms.append(f.homeroom_teacher(c))
        f.teach(music, c, music_subject, weekly_periods=1)
        f.teach(None, c, subjects["国語"], weekly_periods=8)
        lessons = []
        music_slot = (i % 5, 1 + (i // 5) % 6)
        for wd in range(5):
            for p in range(1, 7):
                if (wd, p) == music_slot:
                    lessons.append(
                        {
                            "weekday": wd,
                            "period": p,
                            "subject": music_subject.pk,
                            "teachers": [music.pk],
                        }
                    )
                    continue
                name = SUBJECTS[(wd + p) % len(SUBJECTS)]
                lessons.append(
                    {
                        "weekday": wd,
                        "period": p,
                        "subject": subjects[name].pk,
                        "teachers": [homerooms[-1].pk],
                        "room": gym.pk if name == "体育" else None,
                    }
                )
        result = services.replace_class_week(
            by=by, timetable=timetable, classroom=c, lessons=lessons
        )
        assert result.clashes == [] or n_classes > 2  # a gym of two holds two classes
    return Built(school, year, admin, timetable, classes, homerooms, music, gym, by)


def test_bell_schedules_and_rooms(muni):
    b = build(1)
    normal = queries.default_bell(b.school, b.year)
    assert normal.name == "通常" and [p.minutes for p in normal.periods.all()] == [45] * 6
    with pytest.raises(ValidationError, match="重なって"):
        services.save_bell_schedule(
            by=b.by,
            school=b.school,
            school_year=b.year,
            name="短縮",
            periods=[(1, "8:45", "9:30"), (2, "9:20", "10:00")],
        )
    short = services.save_bell_schedule(
        by=b.by,
        school=b.school,
        school_year=b.year,
        name="短縮",
        kind="short",
        periods=[(n, f"{8 + n}:00", f"{8 + n}:40") for n in range(1, 5)],
    )
    assert not short.is_default and queries.default_bell(b.school, b.year) == normal
    with pytest.raises(ValidationError):
        services.save_room(by=b.by, school=b.school, name="体育館")
    with pytest.raises(PermissionDenied):
        services.save_room(by=actor_for_user(b.homerooms[0].user), school=b.school, name="理科室")
    assert AuditEvent.objects.filter(action="timetable.bell_schedule.create").count() == 2


def test_replace_class_week_returns_clashes_as_warnings_and_refuses_bad_input(muni):
    b = build(2)
    first, second = b.classes
    japanese = f.subject(name="国語")
    # The homeroom teacher of the first class put into the second class on Monday 1:
    result = services.replace_class_week(
        by=b.by,
        timetable=b.timetable,
        classroom=second,
        lessons=[
            {"weekday": 0, "period": 2, "subject": japanese.pk, "teachers": [b.homerooms[0].pk]}
        ],
    )
    kinds = {c.kind for c in result.clashes}
    assert rules.ClashKind.TEACHER in kinds and rules.ClashKind.ASSIGNMENT in kinds
    assert Lesson.objects.filter(timetable=b.timetable, classroom=second).count() == 1
    for bad in (
        {"weekday": 7, "period": 1, "subject": japanese.pk},
        {"weekday": 0, "period": 9, "subject": japanese.pk},
        {"weekday": 0, "period": 6, "length": 2, "subject": japanese.pk},
        {"weekday": 0, "period": 1, "subject": f.subject(SchoolType.JUNIOR_HIGH, "数学").pk},
        {"weekday": 0, "period": 1, "subject": japanese.pk, "teachers": ["x"]},
        {"weekday": "月", "period": 1, "subject": japanese.pk},
    ):
        with pytest.raises(ValidationError):
            services.replace_class_week(
                by=b.by, timetable=b.timetable, classroom=second, lessons=[bad]
            )
    # Nothing of the refused calls was written.
    assert Lesson.objects.filter(timetable=b.timetable, classroom=second).count() == 1
    with pytest.raises(PermissionDenied):
        services.replace_class_week(
            by=actor_for_user(b.homerooms[0].user),
            timetable=b.timetable,
            classroom=first,
            lessons=[],
        )


def test_elementary_homeroom_lessons_are_not_outside_assignments(muni):
    b = build(2)
    grid = queries.grid(b.school, b.year, date=MONDAY)
    assert grid.clashes == []
    row = grid.rows[0]
    music = next(p for p in row.placements if p.subject == "音楽")
    assert (music.assigned, music.placed) == (1, 1)
    japanese = next(p for p in row.placements if p.subject == "国語" and p.classroom)
    assert japanese.assigned == 8 and japanese.placed == 10


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_grid_and_teacher_week_cost_a_constant_number_of_queries(muni):
    small = build(2)
    small_grid = _count(lambda: queries.grid(small.school, small.year, date=MONDAY))
    small_week = _count(lambda: queries.teacher_week(small.music, small.year, MONDAY))
    small_class = _count(lambda: queries.class_week(small.classes[0], MONDAY))
    large = build(30)
    large_grid = _count(lambda: queries.grid(large.school, large.year, date=MONDAY))
    large_week = _count(lambda: queries.teacher_week(large.music, large.year, MONDAY))
    large_class = _count(lambda: queries.class_week(large.classes[0], MONDAY))
    assert small_grid == large_grid <= 16, (small_grid, large_grid)
    assert small_week == large_week <= 8, (small_week, large_week)
    assert small_class == large_class <= 8
    week = queries.teacher_week(large.music, large.year, MONDAY)
    assert sum(len(v) for v in week.cells.values()) == 30


def test_daily_changes_my_day_and_substitutes(muni):
    b = build(2)
    first = b.classes[0]
    # Monday 1 of the first class is music (the 専科); its homeroom teacher has 2-6.
    lesson = Lesson.objects.get(timetable=b.timetable, classroom=first, weekday=0, period=2)
    teacher = b.homerooms[0]
    suggestions, names = queries.substitute_suggestions(b.school, MONDAY, teacher)
    assert len(suggestions) == 5  # the homeroom teacher's five Monday lessons (one is music)
    sup = suggestions[0].supervisors
    assert sup and all(c.teacher != teacher.pk for c in sup)
    helper = b.homerooms[1]
    services.add_daily_change(
        by=b.by,
        school=b.school,
        date=MONDAY,
        kind="self_study",
        lesson=lesson.pk,
        absent=teacher.pk,
        teachers=[b.music.pk],
        note="出張",
    )
    services.add_daily_change(
        by=b.by,
        school=b.school,
        date=MONDAY,
        kind="cancel",
        lesson=Lesson.objects.get(timetable=b.timetable, classroom=first, weekday=0, period=3).pk,
    )
    with pytest.raises(ValidationError):
        services.add_daily_change(
            by=b.by,
            school=b.school,
            date=MONDAY,
            kind="substitute",
            lesson=lesson.pk,
            absent=helper.pk,
            teachers=[b.music.pk],
        )
    with pytest.raises(ValidationError):  # a Tuesday lesson on a Monday
        services.add_daily_change(
            by=b.by,
            school=b.school,
            date=MONDAY,
            kind="cancel",
            lesson=Lesson.objects.get(
                timetable=b.timetable, classroom=first, weekday=1, period=1
            ).pk,
        )
    view = queries.school_day(b.school, MONDAY)
    first_lessons = [x for x in view.day.lessons if first.pk in x.group.classrooms]
    assert len(first_lessons) == 5
    self_study = next(x for x in first_lessons if x.period == 2)
    assert self_study.status == rules.LessonStatus.SELF_STUDY
    assert b.music.pk in self_study.teachers
    ((school, day, _),) = queries.my_day(b.music, MONDAY)
    assert {x.period for x in day.lessons} == {1, 2}
    assert DailyChange.objects.filter(school=b.school, date=MONDAY).count() == 2


def test_hours_tally_from_the_calendar_and_a_second_term_timetable(muni):
    b = build(1)
    tally = queries.hours_tally(b.school, b.year, as_of=dt.date(2026, 7, 1))
    (hours,) = tally.classes
    assert hours.planned > 900 and hours.held > 0
    music = hours.subject("音楽")
    assert music.standard == 68 and music.shortfall > 0
    assert any("音楽" in w for w in tally.warnings)
    # A second-term timetable without music from September: fewer music hours planned.
    services.create_timetable(
        by=b.by,
        school=b.school,
        school_year=b.year,
        valid_from=dt.date(2026, 9, 1),
        copy_from=b.timetable,
        name="2学期",
    )
    later = queries.hours_tally(b.school, b.year, as_of=dt.date(2026, 7, 1))
    assert later.classes[0].subject("音楽").planned == music.planned


def test_a_teacher_of_two_schools_clashes_across_them(muni):
    """兼務: one person in both timetables; the same period at both schools is a clash."""
    a = build(1)
    other = f.school()
    calendar.rebuild_calendar(other, a.year)
    by = Actor.system("test")
    tt = services.create_timetable(by=by, school=other, school_year=a.year)
    c = f.classroom(other, a.year, grade=3)
    music = f.subject(name="音楽")
    f.teach(a.music, c, music, weekly_periods=1)
    monday_first = {"weekday": 0, "period": 1, "subject": music.pk, "teachers": [a.music.pk]}
    result = services.replace_class_week(by=by, timetable=tt, classroom=c, lessons=[monday_first])
    assert [x.kind for x in result.clashes] == [rules.ClashKind.TEACHER]
    assert "音楽 専科" in result.clashes[0].message
    week = queries.teacher_week(a.music, a.year, MONDAY)
    assert len(week.cell(0, 1)) == 2  # both schools' lessons in the one week
