"""Demo attendance: each school's calendar and realistic marks for the year so far.

Calendar: spring, summer and winter vacations, a Saturday open day with its substitute
holiday, one class closure (学級閉鎖) for influenza and a typhoon closure (臨時休業).
Marks from 1 April until today at realistic rates (about 1-3 % of days absent, a few
late or early), plus a few students on course for long absence (長期欠席). Seeding
twice changes nothing (the vacations are the marker); marks go in with one
``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from attendance.models import Mark
from schools import calendar
from schools.models import (
    CalendarOverride,
    Classroom,
    Closure,
    Enrolment,
    School,
    SchoolDate,
    SchoolYear,
    Vacation,
)

DEMO_YEAR = 2026
D = dt.date

VACATIONS = (
    ("春季休業", D(2026, 4, 1), D(2026, 4, 6)),
    ("夏季休業", D(2026, 7, 21), D(2026, 8, 31)),
    ("冬季休業", D(2026, 12, 25), D(2027, 1, 7)),
    ("学年末休業", D(2027, 3, 25), D(2027, 3, 31)),
)
OVERRIDES = (
    (D(2026, 6, 13), True, "土曜授業 (授業参観)"),
    (D(2026, 6, 15), False, "振替休業日"),
)


def seed(municipality) -> None:
    # Every school has a calendar for every year before anyone reads it (pages never build one).
    for year in SchoolYear.objects.all():
        calendar.ensure_calendars(year)
    school_year = SchoolYear.objects.filter(year=DEMO_YEAR).first()
    if school_year is None:
        return
    today = min(timezone.localdate(), school_year.end)
    rng = random.Random(f"attendance-{municipality.code}")
    schools = list(School.objects.filter(classrooms__school_year=school_year).distinct())
    for school in schools:
        if Vacation.objects.filter(school=school, school_year=school_year).exists():
            continue
        Vacation.objects.bulk_create(
            [
                Vacation(school=school, school_year=school_year, name=n, start=a, end=b)
                for n, a, b in VACATIONS
            ]
        )
        CalendarOverride.objects.bulk_create(
            [
                CalendarOverride(school=school, date=d, is_school_day=s, note=n)
                for d, s, n in OVERRIDES
            ]
        )
        calendar.rebuild_calendar(school, school_year)
    if not schools or Mark.objects.filter(date__gte=school_year.start).exists():
        return
    _closures(schools[0], school_year, rng)
    for school in schools:
        calendar.rebuild_calendar(school, school_year)
    _marks(school_year, today, rng)


def _closures(school: School, school_year: SchoolYear, rng: random.Random) -> None:
    Closure.objects.create(
        school=school,
        school_year=school_year,
        kind=Closure.Kind.SCHOOL,
        start=D(2026, 9, 8),
        end=D(2026, 9, 8),
        reason="台風接近のため臨時休業",
    )
    classroom = (
        Classroom.objects.filter(school=school, school_year=school_year, grade__isnull=False)
        .order_by("-grade", "name")
        .first()
    )
    if classroom is not None:
        Closure.objects.create(
            school=school,
            school_year=school_year,
            kind=Closure.Kind.CLASS,
            classroom=classroom,
            grade=classroom.grade,
            start=D(2026, 11, 16),
            end=D(2026, 11, 18),
            reason="インフルエンザによる学級閉鎖",
        )


# (code, probability on a school day) for an ordinary student
ORDINARY = (
    ("sick", 0.018),
    ("absent", 0.004),
    ("late", 0.012),
    ("early", 0.006),
    ("suspended", 0.002),
    ("mourning", 0.0008),
)


def _marks(school_year: SchoolYear, today: dt.date, rng: random.Random) -> None:
    days_by_school: dict[int, list[dt.date]] = {}
    for school_id, date in SchoolDate.objects.filter(
        school_year=school_year, is_school_day=True, date__lte=today
    ).values_list("school_id", "date"):
        days_by_school.setdefault(school_id, []).append(date)
    closed = {
        (c.classroom_id, d)
        for c in Closure.objects.filter(school_year=school_year, kind=Closure.Kind.CLASS)
        for d in _range(c.start, c.end)
    }
    enrolments = list(
        Enrolment.objects.filter(school_year=school_year).order_by(
            "school_id", "classroom_id", "roll_number"
        )
    )
    # A few students drift into long absence (不登校 often grows after the summer).
    watch = set(rng.sample(range(len(enrolments)), k=min(4, len(enrolments))))
    rows = []
    for i, e in enumerate(enrolments):
        days = [
            d
            for d in days_by_school.get(e.school_id, [])
            if e.is_enrolled_on(d) and (e.classroom_id, d) not in closed
        ]
        flu_week = rng.random() < 0.08  # インフルエンザで出席停止 for a few days
        flu_start = rng.randrange(len(days)) if days and flu_week else -1
        for n, day in enumerate(days):
            if 0 <= flu_start <= n < flu_start + 4:
                rows.append(Mark(enrolment=e, date=day, code="suspended", note="インフルエンザ"))
                continue
            if i in watch:
                rate = 0.08 if day.month < 9 else 0.35
                if rng.random() < rate:
                    rows.append(
                        Mark(enrolment=e, date=day, code="absent" if rng.random() < 0.6 else "sick")
                    )
                    continue
            roll = rng.random()
            acc = 0.0
            for code, p in ORDINARY:
                acc += p
                if roll < acc:
                    note = "発熱" if code == "sick" and rng.random() < 0.4 else ""
                    rows.append(Mark(enrolment=e, date=day, code=code, note=note))
                    break
    Mark.objects.bulk_create(rows, batch_size=5000)


def _range(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)
