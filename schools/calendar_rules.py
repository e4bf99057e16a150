"""Pure rules of the school calendar (学校暦): school days, closures, national holidays.

No ORM: plain values in, plain values out, so that the services, the read interface
(``schools.calendar``) and the migrations build the same calendar.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import holidays as holidays_lib

ONE_DAY = dt.timedelta(days=1)
NOTE_MAX = 50  # SchoolDate.note


def date_range(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    """Every date from ``start`` to ``end`` inclusive."""
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def school_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """年度 ``year``: 1 April to 31 March (the following February may have 29 days)."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def national_holidays(year: int) -> dict[dt.date, str]:
    """国民の祝日 of a 年度 (April to March), from the ``holidays`` package."""
    start, end = school_year_bounds(year)
    jp = holidays_lib.Japan(years=[year, year + 1], language="ja")
    return {d: name for d, name in sorted(jp.items()) if start <= d <= end}


def school_days(
    start: dt.date,
    end: dt.date,
    *,
    holidays: Iterable[dt.date] = (),
    vacations: Iterable[tuple[dt.date, dt.date]] = (),
    overrides: Mapping[dt.date, bool] | None = None,
    school_closures: Iterable[tuple[dt.date, dt.date]] = (),
) -> list[dt.date]:
    """授業日 of a school between two dates, in order.

    Weekdays, minus national holidays, minus the school's vacations; a single-date
    override wins over all of these (a Saturday event day is a school day, a
    substitute holiday is not); a whole-school closure (臨時休業) removes the day
    whatever the override says.
    """
    holiday_set = set(holidays)
    overrides = overrides or {}
    vacations = list(vacations)
    closures = list(school_closures)
    result = []
    for day in date_range(start, end):
        if day in overrides:
            is_day = overrides[day]
        else:
            is_day = (
                day.weekday() < 5
                and day not in holiday_set
                and not any(a <= day <= b for a, b in vacations)
            )
        if is_day and not any(a <= day <= b for a, b in closures):
            result.append(day)
    return result


@dataclass(frozen=True)
class CalendarDay:
    """One date of a school's year as materialised in ``SchoolDate``."""

    date: dt.date
    is_school_day: bool
    cum: int  # school days from 1 April up to and including this date
    note: str


def year_days(
    year: int,
    *,
    vacations: Iterable[tuple[dt.date, dt.date, str]] = (),
    overrides: Mapping[dt.date, tuple[bool, str]] | None = None,
    school_closures: Iterable[tuple[dt.date, dt.date, str]] = (),
) -> list[CalendarDay]:
    """Every date of 年度 ``year`` with its school-day flag, running count and note.

    ``vacations`` and ``school_closures`` are (start, end, name); ``overrides`` maps a
    date to (is school day, note). The note says why a date is what it is: the
    override's note, then the closure's reason, the holiday's name, the vacation's name.
    """
    start, end = school_year_bounds(year)
    holidays = national_holidays(year)
    vacations = list(vacations)
    closures = list(school_closures)
    overrides = dict(overrides or {})
    days = set(
        school_days(
            start,
            end,
            holidays=holidays,
            vacations=[(a, b) for a, b, _ in vacations],
            overrides={d: is_day for d, (is_day, _) in overrides.items()},
            school_closures=[(a, b) for a, b, _ in closures],
        )
    )
    result = []
    cum = 0
    for day in date_range(start, end):
        is_day = day in days
        cum += is_day
        note = ""
        if day in overrides and overrides[day][1]:
            note = overrides[day][1]
        elif any(a <= day <= b for a, b, _ in closures):
            note = next(r for a, b, r in closures if a <= day <= b)
        elif day in holidays:
            note = holidays[day]
        elif any(a <= day <= b for a, b, _ in vacations):
            note = next(n for a, b, n in vacations if a <= day <= b)
        result.append(CalendarDay(day, is_day, cum, note[:NOTE_MAX]))
    return result


class ClosureKind(enum.StrEnum):
    SCHOOL = "school"  # 臨時休業: not a school day for anyone
    GRADE = "grade"  # 学年閉鎖: not a school day for that grade
    CLASS = "class"  # 学級閉鎖: a school day, counted as 出席停止・忌引等 for that class


@dataclass(frozen=True)
class Closure:
    kind: ClosureKind
    start: dt.date
    end: dt.date
    grade: int | None = None
    classroom_id: int | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def applies_to(self, grade: int | None, classroom_id: int | None) -> bool:
        if self.kind == ClosureKind.SCHOOL:
            return True
        if self.kind == ClosureKind.GRADE:
            return grade is not None and self.grade == grade
        return classroom_id is not None and self.classroom_id == classroom_id


def class_calendar(
    days: Iterable[dt.date],
    closures: Iterable[Closure],
    *,
    grade: int | None,
    classroom_id: int | None,
) -> dict[dt.date, bool]:
    """School days of one class: ``{date: class_closed}``.

    ``days`` are the school's school days; school and grade closures remove dates,
    a class closure keeps the date and flags it.
    """
    relevant = [c for c in closures if c.applies_to(grade, classroom_id)]
    removing = [c for c in relevant if c.kind != ClosureKind.CLASS]
    class_closures = [c for c in relevant if c.kind == ClosureKind.CLASS]
    result: dict[dt.date, bool] = {}
    for day in days:
        if any(c.covers(day) for c in removing):
            continue
        result[day] = any(c.covers(day) for c in class_closures)
    return result
