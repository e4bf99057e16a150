"""The timetable's part of the year roll-over: bell schedules, groups and assignments follow
as drafts, an empty draft timetable starts the new year; prepare → cancel → prepare → confirm."""

from __future__ import annotations

import datetime as dt

from schools import calendar, rollover
from schools.models import TeachingAssignment, TeachingGroup
from schools.permissions import actor_for_user
from tests import factories as f
from timetable import services
from timetable.models import BellSchedule, Lesson, Room, Timetable


def test_prepare_cancel_prepare_confirm(muni, boe_admin):
    year = f.school_year(2026)
    school = f.school()
    calendar.rebuild_calendar(school, year)
    by = actor_for_user(boe_admin)
    for name, default in (("通常", True), ("短縮", False)):
        services.save_bell_schedule(
            by=by,
            school=school,
            school_year=year,
            name=name,
            is_default=default,
            periods=[(n, f"{8 + n}:00", f"{8 + n}:{45 if default else 40}") for n in (1, 2, 3)],
        )
    services.save_room(by=by, school=school, name="体育館", kind="gym", capacity=2)
    timetable = services.create_timetable(by=by, school=school, school_year=year)
    c1, c2 = (f.classroom(school, year, grade=4, name=f"{n}組") for n in (1, 2))
    c6 = f.classroom(school, year, grade=6, name="1組")
    pupils = [e.student for e in f.students(c1, 2)] + [e.student for e in f.students(c2, 1)]
    f.students(c6, 1)
    pe = f.subject(name="体育")
    combined = TeachingGroup.objects.create(
        school=school, school_year=year, kind="combined", name="4年合同体育"
    )
    combined.classes.set([c1, c2])
    leaving = TeachingGroup.objects.create(
        school=school, school_year=year, kind="combined", name="6年体育"
    )
    leaving.classes.set([c6])  # graduates: not copied
    split = TeachingGroup.objects.create(
        school=school, school_year=year, kind="split", name="算数少人数A"
    )
    split.students.set(pupils[:2])
    teacher = f.staff()
    assignment = TeachingAssignment.objects.create(
        school=school, school_year=year, group=combined, subject=pe, weekly_periods=3
    )
    assignment.teachers.set([teacher])
    services.replace_class_week(
        by=by,
        timetable=timetable,
        classroom=c1,
        lessons=[{"weekday": 0, "period": 1, "subject": pe.pk, "teachers": [teacher.pk]}],
    )

    def drafts() -> dict[str, object]:
        return {
            "bells": sorted(
                (s.name, s.is_default, s.is_draft, [p.number for p in s.periods.all()])
                for s in BellSchedule.objects.filter(school=school, school_year__year=2027)
            ),
            "timetables": [
                (t.valid_from, t.is_draft, t.lessons.count())
                for t in Timetable.objects.filter(school=school, school_year__year=2027)
            ],
            "groups": sorted(
                (g.name, g.is_draft, sorted(c.label for c in g.classes.all()), g.students.count())
                for g in TeachingGroup.objects.filter(school=school, school_year__year=2027)
            ),
            "group_assignments": [
                (a.group.name, a.is_draft, [t.pk for t in a.teachers.all()])
                for a in TeachingAssignment.objects.filter(
                    school=school, school_year__year=2027, group__isnull=False
                )
            ],
        }

    record = rollover.rollover_school(school, by=by)
    prepared = drafts()
    assert prepared == {
        "bells": [("短縮", False, True, [1, 2, 3]), ("通常", True, True, [1, 2, 3])],
        "timetables": [(dt.date(2027, 4, 1), True, 0)],  # a new year needs a new timetable
        "groups": [("4年合同体育", True, ["5年1組", "5年2組"], 0), ("算数少人数A", True, [], 2)],
        "group_assignments": [("4年合同体育", True, [teacher.pk])],
    }
    # This year is untouched; rooms belong to the school and are not copied.
    assert Lesson.objects.filter(timetable=timetable).count() == 1
    assert Room.objects.filter(school=school).count() == 1

    rollover.cancel_rollover(record, by=by)
    assert drafts() == {"bells": [], "timetables": [], "groups": [], "group_assignments": []}
    assert BellSchedule.objects.filter(school=school, school_year=year).count() == 2

    record = rollover.rollover_school(school, by=by)
    assert drafts() == prepared
    rollover.confirm_rollover(record, by=by)
    confirmed = drafts()
    assert confirmed == {
        "bells": [("短縮", False, False, [1, 2, 3]), ("通常", True, False, [1, 2, 3])],
        "timetables": [(dt.date(2027, 4, 1), False, 0)],
        "groups": [
            ("4年合同体育", False, ["5年1組", "5年2組"], 0),
            ("算数少人数A", False, [], 2),
        ],
        "group_assignments": [("4年合同体育", False, [teacher.pk])],
    }
