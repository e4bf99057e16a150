"""The timetable's part of the year roll-over (年度更新), on the hooks of ``schools.signals``.

- prepared: the school's bell schedules (校時表, with their periods) are copied into the
  preparing year as drafts, and an empty draft weekly timetable starts on the year's first
  day: lessons are not copied, a new year's classes need a new timetable. Rooms belong to
  the school, not to a year, so they carry over as they are. Dates of this year
  (``BellScheduleDay``, daily changes) stay behind.
- prepared, the rules (自動作成の決まり): ``GenerationRules``, ``TeacherLimit`` and
  ``SlotPreference`` belong to the school, not to a year, and carry over as they are;
  ``DoublePeriod`` (2時間続き) hangs on a year's assignment, so each is copied onto the draft
  its assignment became (the signal's ``assignments``: old pk → draft pk) and goes with it
  when the roll-over is cancelled. Teachers' 授業不可 (``Unavailability``) is a year's own
  (a 兼務 or part-time pattern is agreed each spring) and stays behind.
- cancelled: the drafts go (sent before the roster rows are removed).
- confirmed: the drafts become the school's.

Teaching assignments and groups follow their classes in ``schools.rollover`` itself.
Receivers run inside the roll-over's transaction: a failure undoes it.
"""

from __future__ import annotations

from typing import Any

from schools import calendar
from schools.models import SchoolRollover
from timetable.models import BellPeriod, BellSchedule, DoublePeriod, Timetable


def prepared(sender: object, *, rollover: SchoolRollover, **kwargs: Any) -> None:
    school, current, target = rollover.school, rollover.from_year, rollover.to_year
    if not BellSchedule.objects.filter(school=school, school_year=target).exists():
        old = list(
            BellSchedule.objects.filter(school=school, school_year=current).prefetch_related(
                "periods"
            )
        )
        new = BellSchedule.objects.bulk_create(
            BellSchedule(
                school=school,
                school_year=target,
                name=s.name,
                kind=s.kind,
                is_default=s.is_default,
                is_draft=True,
            )
            for s in old
        )
        BellPeriod.objects.bulk_create(
            BellPeriod(schedule=n, number=p.number, start=p.start, end=p.end)
            for s, n in zip(old, new, strict=True)
            for p in s.periods.all()
        )
    start, _ = calendar.year_bounds(target)
    if not Timetable.objects.filter(school=school, school_year=target).exists():
        Timetable.objects.create(school=school, school_year=target, valid_from=start, is_draft=True)
    successors: dict[int, int] = kwargs.get("assignments") or {}
    DoublePeriod.objects.bulk_create(
        DoublePeriod(assignment_id=successors[d.assignment_id], per_week=d.per_week)
        for d in DoublePeriod.objects.filter(assignment_id__in=list(successors))
    )


def cancelled(sender: object, *, rollover: SchoolRollover, **kwargs: Any) -> None:
    school, target = rollover.school, rollover.to_year
    Timetable.objects.filter(school=school, school_year=target, is_draft=True).delete()
    BellSchedule.objects.filter(school=school, school_year=target, is_draft=True).delete()


def confirmed(sender: object, *, rollover: SchoolRollover, **kwargs: Any) -> None:
    school, target = rollover.school, rollover.to_year
    Timetable.objects.filter(school=school, school_year=target, is_draft=True).update(
        is_draft=False
    )
    BellSchedule.objects.filter(school=school, school_year=target, is_draft=True).update(
        is_draft=False
    )
