"""The school calendar (学校暦): its one public interface, its services and its lifecycle.

Other apps (attendance, the gradebook, the coming timetable) read the calendar through the
functions of the first section and never through its models. The calendar is materialised
per school and date (``SchoolDate``, with a running count of school days) when a school is
created, when a year is opened and at roll-over (the receivers at the end), and rebuilt by
the services that change it: a read never writes.

Set-based reports may join the tables ``schools_schooldate`` (date, is_school_day, cum) and
``schools_closure`` in SQL: those columns are part of this interface too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet

from schools import audit
from schools import calendar_rules as rules
from schools.models import (
    CalendarOverride,
    Classroom,
    Closure,
    School,
    SchoolDate,
    SchoolYear,
    Vacation,
)

if TYPE_CHECKING:
    from schools.permissions import Actor

# 校時: until the timetable owns the bell schedules, every school has this many periods a day.
DEFAULT_PERIODS_PER_DAY = 6


# --- read interface ---------------------------------------------------------------------


def year_bounds(school_year: SchoolYear) -> tuple[dt.date, dt.date]:
    """First and last date of a 年度 (1 April to 31 March)."""
    return rules.school_year_bounds(school_year.year)


def in_year(school_year: SchoolYear, day: dt.date) -> bool:
    start, end = year_bounds(school_year)
    return start <= day <= end


def periods_per_day(school: School) -> int:
    """校時 a day at the school: the one place this number comes from."""
    return DEFAULT_PERIODS_PER_DAY


def has_calendar(school: School, school_year: SchoolYear) -> bool:
    return SchoolDate.objects.filter(school=school, school_year=school_year).exists()


def school_dates(school: School, school_year: SchoolYear) -> list[SchoolDate]:
    """Every date of the school's year, in order, with its school-day flag and note (1 query)."""
    return list(SchoolDate.objects.filter(school=school, school_year=school_year).order_by("date"))


def school_day_dates(
    school_ids: Iterable[int], school_year: SchoolYear
) -> dict[int, list[dt.date]]:
    """授業日 of each school's year as plain dates, in order (1 query for all the schools, no
    rows: the board's tally reads them for every school of the municipality)."""
    result: dict[int, list[dt.date]] = {pk: [] for pk in school_ids}
    for school_id, day in (
        SchoolDate.objects.filter(
            school_id__in=list(result), school_year=school_year, is_school_day=True
        )
        .order_by("school_id", "date")
        .values_list("school_id", "date")
    ):
        result[school_id].append(day)
    return result


def vacations(school: School, school_year: SchoolYear) -> QuerySet[Vacation]:
    return Vacation.objects.filter(school=school, school_year=school_year)


def overrides(school: School, school_year: SchoolYear) -> QuerySet[CalendarOverride]:
    return CalendarOverride.objects.filter(school=school, date__range=year_bounds(school_year))


def closures(school: School, school_year: SchoolYear) -> QuerySet[Closure]:
    """The closures (臨時休業・学年閉鎖・学級閉鎖) registered for the school's year."""
    return Closure.objects.filter(school=school, school_year=school_year).select_related(
        "classroom"
    )


def closures_by_school(
    school_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, list[rules.Closure]]:
    """Closures of each school overlapping [start, end], as plain values (1 query)."""
    result: dict[int, list[rules.Closure]] = {pk: [] for pk in school_ids}
    for c in Closure.objects.filter(school_id__in=list(result), start__lte=end, end__gte=start):
        result[c.school_id].append(
            rules.Closure(rules.ClosureKind(c.kind), c.start, c.end, c.grade, c.classroom_id)
        )
    return result


def closures_of(school: School | int, start: dt.date, end: dt.date) -> list[rules.Closure]:
    """Closures of a school overlapping [start, end], as plain values (1 query)."""
    school_id = school if isinstance(school, int) else school.pk
    return [
        rules.Closure(rules.ClosureKind(c.kind), c.start, c.end, c.grade, c.classroom_id)
        for c in Closure.objects.filter(school_id=school_id, start__lte=end, end__gte=start)
    ]


@dataclass
class ClassCalendar:
    """The school's dates of a range with what they are for one class."""

    dates: dict[dt.date, SchoolDate]
    closures: list[rules.Closure]
    class_days: dict[dt.date, bool]  # school days of the class -> class closed?

    def is_school_day(self, day: dt.date) -> bool:
        return day in self.class_days

    def is_closed(self, day: dt.date) -> bool:
        return self.class_days.get(day, False)

    def note(self, day: dt.date) -> str:
        for c in self.closures:
            if c.covers(day) and c.kind != rules.ClosureKind.SCHOOL:
                return "学年閉鎖" if c.kind == rules.ClosureKind.GRADE else "学級閉鎖"
        row = self.dates.get(day)
        return row.note if row else ""

    def previous_school_day(self, day: dt.date) -> dt.date | None:
        earlier = [d for d in self.class_days if d < day]
        return max(earlier) if earlier else None

    def next_school_day(self, day: dt.date) -> dt.date | None:
        later = [d for d in self.class_days if d > day]
        return min(later) if later else None


def class_calendar(classroom: Classroom, start: dt.date, end: dt.date) -> ClassCalendar:
    """The calendar of one class between two dates (2 queries; empty if none is built)."""
    dates = {
        d.date: d
        for d in SchoolDate.objects.filter(school_id=classroom.school_id, date__range=(start, end))
    }
    found = closures_of(classroom.school_id, start, end)
    days = sorted(d for d, row in dates.items() if row.is_school_day)
    class_days = rules.class_calendar(days, found, grade=classroom.grade, classroom_id=classroom.pk)
    return ClassCalendar(dates, found, class_days)


def school_days(classroom: Classroom, start: dt.date, end: dt.date) -> list[dt.date]:
    """授業日 of a class between two dates (grade and school closures removed), in order."""
    return sorted(class_calendar(classroom, start, end).class_days)


def class_day(classroom: Classroom, day: dt.date) -> ClassCalendar:
    """One date of a class's calendar with the closures covering it (1 query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sd.is_school_day, sd.note, sd.cum, sd.school_year_id, cl.kind, cl.start,"
            ' cl."end", cl.grade, cl.classroom_id FROM schools_schooldate sd'
            " LEFT JOIN schools_closure cl ON cl.school_id = sd.school_id"
            ' AND sd.date BETWEEN cl.start AND cl."end"'
            " WHERE sd.school_id = %s AND sd.date = %s",
            [classroom.school_id, day],
        )
        rows = cursor.fetchall()
    if not rows:
        return ClassCalendar({}, [], {})
    is_day, note, cum, year_id = rows[0][:4]
    row = SchoolDate(
        school_id=classroom.school_id,
        school_year_id=year_id,
        date=day,
        is_school_day=is_day,
        cum=cum,
        note=note,
    )
    found = [
        rules.Closure(rules.ClosureKind(kind), start, end, grade, classroom_id)
        for *_, kind, start, end, grade, classroom_id in rows
        if kind is not None
    ]
    class_days = rules.class_calendar(
        [day] if is_day else [], found, grade=classroom.grade, classroom_id=classroom.pk
    )
    return ClassCalendar({day: row}, found, class_days)


# --- building (services and lifecycle only, never a read) ---------------------------------


def rebuild_calendar(school: School, school_year: SchoolYear) -> None:
    """Materialise ``SchoolDate`` for every date of the school's year (delete + one insert)."""
    start, end = year_bounds(school_year)
    days = rules.year_days(
        school_year.year,
        vacations=Vacation.objects.filter(school=school, school_year=school_year).values_list(
            "start", "end", "name"
        ),
        overrides={
            o.date: (o.is_school_day, o.note)
            for o in CalendarOverride.objects.filter(school=school, date__range=(start, end))
        },
        school_closures=Closure.objects.filter(
            school=school, school_year=school_year, kind=Closure.Kind.SCHOOL
        ).values_list("start", "end", "reason"),
    )
    SchoolDate.objects.filter(school=school, school_year=school_year).delete()
    SchoolDate.objects.bulk_create(
        SchoolDate(
            school=school,
            school_year=school_year,
            date=d.date,
            is_school_day=d.is_school_day,
            cum=d.cum,
            note=d.note,
        )
        for d in days
    )


def ensure_calendars(school_year: SchoolYear, schools: list[School] | None = None) -> int:
    """Build the default calendar of the schools (all by default) that have none for the year."""
    built = set(
        SchoolDate.objects.filter(school_year=school_year)
        .values_list("school_id", flat=True)
        .distinct()
    )
    count = 0
    for school in schools if schools is not None else School.objects.all():
        if school.pk not in built:
            rebuild_calendar(school, school_year)
            count += 1
    return count


# --- services (学校管理者): one per user action, with its audit record ---------------------


def _check(by: Actor, school: School, school_year: SchoolYear) -> None:
    by.require(by.can_manage_school(school.pk), "学校暦を変更する権限がありません。")
    if school_year.is_read_only:
        raise ValidationError("過年度の学校暦は変更できません。")


def _check_in_year(school_year: SchoolYear, *days: dt.date) -> None:
    for day in days:
        if not in_year(school_year, day):
            raise ValidationError(f"{day:%Y-%m-%d} は{school_year}の期間外です。")


@transaction.atomic
def add_vacation(
    school: School, school_year: SchoolYear, *, by: Actor, name: str, start: dt.date, end: dt.date
) -> Vacation:
    """長期休業 (夏季休業 …): its dates stop being school days."""
    _check(by, school, school_year)
    _check_in_year(school_year, start, end)
    if start > end:
        raise ValidationError("終了日は開始日以降にしてください。")
    vacation = Vacation.objects.create(
        school=school, school_year=school_year, name=name, start=start, end=end
    )
    rebuild_calendar(school, school_year)
    audit.record(
        by,
        "schools.vacation.add",
        vacation,
        school=school,
        changes={"name": name, "start": str(start), "end": str(end)},
    )
    return vacation


@transaction.atomic
def delete_vacation(vacation: Vacation, *, by: Actor) -> None:
    school, school_year = vacation.school, vacation.school_year
    _check(by, school, school_year)
    audit.record(
        by,
        "schools.vacation.delete",
        vacation,
        school=school,
        changes={"name": vacation.name, "start": str(vacation.start), "end": str(vacation.end)},
    )
    vacation.delete()
    rebuild_calendar(school, school_year)


@transaction.atomic
def set_override(
    school: School,
    school_year: SchoolYear,
    *,
    by: Actor,
    date: dt.date,
    is_school_day: bool,
    note: str = "",
) -> CalendarOverride:
    """Make one date a school day (土曜授業) or not (振替休業日)."""
    _check(by, school, school_year)
    _check_in_year(school_year, date)
    override, _ = CalendarOverride.objects.update_or_create(
        school=school, date=date, defaults={"is_school_day": is_school_day, "note": note}
    )
    rebuild_calendar(school, school_year)
    audit.record(
        by,
        "schools.calendar_override.set",
        override,
        school=school,
        changes={"date": str(date), "is_school_day": is_school_day, "note": note},
    )
    return override


@transaction.atomic
def delete_override(override: CalendarOverride, school_year: SchoolYear, *, by: Actor) -> None:
    """Undo a one-date change (``school_year``: the year of its date, rebuilt afterwards)."""
    school = override.school
    _check(by, school, school_year)
    _check_in_year(school_year, override.date)
    audit.record(
        by,
        "schools.calendar_override.delete",
        override,
        school=school,
        changes={"date": str(override.date), "is_school_day": override.is_school_day},
    )
    override.delete()
    rebuild_calendar(school, school_year)


@transaction.atomic
def add_closure(
    school: School,
    school_year: SchoolYear,
    *,
    by: Actor,
    kind: str,
    start: dt.date,
    end: dt.date,
    reason: str,
    grade: int | None = None,
    classroom: Classroom | None = None,
) -> Closure:
    """臨時休業 / 学年閉鎖 / 学級閉鎖. Closures of one kind and scope must not overlap."""
    _check(by, school, school_year)
    _check_in_year(school_year, start, end)
    if start > end:
        raise ValidationError("終了日は開始日以降にしてください。")
    if not reason:
        raise ValidationError("理由を入力してください。")
    if kind not in Closure.Kind.values:
        raise ValidationError("種類を選んでください。")
    if kind == Closure.Kind.GRADE and grade not in school.grades:
        raise ValidationError("学年を選んでください。")
    if kind == Closure.Kind.CLASS:
        if classroom is None or classroom.school_id != school.pk:
            raise ValidationError("学級を選んでください。")
        grade = classroom.grade
    else:
        classroom = None
    if kind == Closure.Kind.SCHOOL:
        grade = None
    overlapping = Closure.objects.filter(school=school, start__lte=end, end__gte=start).exclude(
        kind=Closure.Kind.SCHOOL
    )
    if kind != Closure.Kind.SCHOOL and overlapping.filter(grade=grade).exists():
        raise ValidationError("同じ期間に、この学年・学級の閉鎖がすでに登録されています。")
    closure = Closure.objects.create(
        school=school,
        school_year=school_year,
        kind=kind,
        grade=grade,
        classroom=classroom,
        start=start,
        end=end,
        reason=reason,
    )
    if kind == Closure.Kind.SCHOOL:
        rebuild_calendar(school, school_year)
    audit.record(
        by,
        "schools.closure.add",
        closure,
        school=school,
        changes={
            "kind": kind,
            "start": str(start),
            "end": str(end),
            "grade": grade,
            "classroom": classroom.pk if classroom else None,
            "reason": reason,
        },
    )
    return closure


@transaction.atomic
def delete_closure(closure: Closure, *, by: Actor) -> None:
    school, school_year, kind = closure.school, closure.school_year, closure.kind
    _check(by, school, school_year)
    audit.record(
        by,
        "schools.closure.delete",
        closure,
        school=school,
        changes={"kind": kind, "start": str(closure.start), "end": str(closure.end)},
    )
    closure.delete()
    if kind == Closure.Kind.SCHOOL:
        rebuild_calendar(school, school_year)


# --- lifecycle: the calendar exists before anyone reads it --------------------------------


def on_school_created(sender, school: School, **kwargs) -> None:
    """A new school gets the default calendar of every year that is not archived."""
    for school_year in SchoolYear.objects.exclude(state=SchoolYear.State.ARCHIVED):
        ensure_calendars(school_year, [school])


def on_school_year_opened(sender, school_year: SchoolYear, **kwargs) -> None:
    """A newly opened year gets every school's default calendar."""
    ensure_calendars(school_year)


def on_rollover_prepared(sender, rollover, **kwargs) -> None:
    """年度更新 into the preparing year: the school's calendar of that year exists."""
    ensure_calendars(rollover.to_year, [rollover.school])


def connect() -> None:
    """Called from ``SchoolsConfig.ready()``."""
    from schools import signals

    signals.school_created.connect(on_school_created, dispatch_uid="calendar.school_created")
    signals.school_year_opened.connect(
        on_school_year_opened, dispatch_uid="calendar.school_year_opened"
    )
    signals.rollover_prepared.connect(
        on_rollover_prepared, dispatch_uid="calendar.rollover_prepared"
    )
