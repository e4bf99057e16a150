"""Read models of attendance for pages, exports and the API (reads only: nothing here writes).

Class pages (a few dozen students) read the rows they need in a constant number of
queries and apply ``rules.figures`` day by day. Municipality-wide reports (every
student, the long-absence watch, rates per month) aggregate in one SQL statement
(``figures.py``), which gives the same numbers (tested). The calendar comes from
``schools.calendar``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from attendance import rules
from attendance.models import AttendanceCode, Mark
from attendance.rules import CodeDef, Figure, Figures, Span
from schools import calendar
from schools.calendar import ClassCalendar
from schools.models import Classroom, Enrolment


def codes(active_only: bool = True) -> list[CodeDef]:
    """The municipality's codes (1 query); the default table if none is configured.

    The one registry of 出欠記号: the entry page's buttons and keys, the 出席簿's legend and
    symbols, the imports' parsers and ``GET /api/v1/attendance/codes/`` all read it.
    """
    qs = AttendanceCode.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    rows = [
        CodeDef(c.code, c.symbol, c.label, Figure(c.figure), c.key, c.sort_order, c.is_active)
        for c in qs.order_by("sort_order", "code")
    ]
    return rows or list(rules.DEFAULT_CODES)


def legend_codes(reg: Register) -> list[CodeDef]:
    """The 出席簿's legend: the codes in use, and a retired one only where a mark shows it."""
    shown = {cell for row in reg.rows for cell in row.cells}
    return [c for c in reg.codes if c.active or c.symbol in shown]


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, nxt - rules.ONE_DAY


def school_year_months(year: int) -> list[tuple[int, int]]:
    return [(year + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(12)]


# --- daily entry ------------------------------------------------------------------------


def class_enrolments(classroom: Classroom, start: dt.date, end: dt.date) -> list[Enrolment]:
    """Enrolments of a class overlapping a range, by roll number (1 query)."""
    return list(
        Enrolment.objects.filter(classroom=classroom, enrolled_on__lte=end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .select_related("student")
        .order_by("roll_number")
    )


def marks_of(
    enrolment_ids: Sequence[int], start: dt.date, end: dt.date, period: int | None = 0
) -> dict[int, dict[dt.date, Mark]]:
    """Marks by enrolment and date (1 query)."""
    qs = Mark.objects.filter(enrolment_id__in=list(enrolment_ids), date__range=(start, end))
    if period is not None:
        qs = qs.filter(period=period)
    result: dict[int, dict[dt.date, Mark]] = defaultdict(dict)
    for m in qs:
        result[m.enrolment_id][m.date] = m
    return result


@dataclass
class EntryRow:
    enrolment: Enrolment
    code: str = ""
    note: str = ""


@dataclass
class DailyEntry:
    classroom: Classroom
    day: dt.date
    calendar: ClassCalendar
    rows: list[EntryRow]
    codes: list[CodeDef]
    enrolments: list[Enrolment] = field(default_factory=list)

    @property
    def is_school_day(self) -> bool:
        return self.calendar.is_school_day(self.day)

    @property
    def is_closed(self) -> bool:
        return self.calendar.is_closed(self.day)

    @property
    def counts(self) -> dict[str, int]:
        by_code = {c.code: c for c in self.codes}
        figures = [by_code[r.code].figure for r in self.rows if r.code in by_code]
        return {
            "enrolled": len(self.rows),
            "absent": figures.count(Figure.ABSENT),
            "suspended": figures.count(Figure.SUSPENDED),
            "late": figures.count(Figure.LATE),
            "early": figures.count(Figure.EARLY),
            "present": len(self.rows)
            - figures.count(Figure.ABSENT)
            - figures.count(Figure.SUSPENDED),
        }


def daily_entry(classroom: Classroom, day: dt.date, period: int = 0) -> DailyEntry:
    """The daily entry page of a class (constant: 5 queries)."""
    start, end = calendar.year_bounds(classroom.school_year)
    year_calendar = calendar.class_calendar(classroom, start, end)
    enrolments = class_enrolments(classroom, day, day)
    marks = marks_of([e.pk for e in enrolments], day, day, period)
    rows = []
    for e in enrolments:
        m = marks.get(e.pk, {}).get(day)
        rows.append(EntryRow(e, m.code if m else "", m.note if m else ""))
    return DailyEntry(classroom, day, year_calendar, rows, codes(), enrolments)


def save_context(classroom: Classroom, day: dt.date, period: int = 0) -> DailyEntry:
    """What a save needs (no year calendar, no marks): 3 queries."""
    day_calendar = calendar.class_day(classroom, day)
    enrolments = class_enrolments(classroom, day, day)
    return DailyEntry(
        classroom, day, day_calendar, [EntryRow(e) for e in enrolments], codes(), enrolments
    )


# --- register (出席簿) and class figures ------------------------------------------------


@dataclass
class RegisterRow:
    enrolment: Enrolment
    cells: list[str]  # per day: symbol, "" present, "―" not counted, "閉" class closed
    figures: Figures
    notes: dict[dt.date, str] = field(default_factory=dict)


@dataclass
class Register:
    classroom: Classroom
    start: dt.date
    end: dt.date
    days: list[dt.date]
    school_day: list[bool]
    day_notes: list[str]
    rows: list[RegisterRow]
    codes: list[CodeDef]
    totals: Figures
    # The last day the figures count (None: the month has not started yet, nothing counted).
    counted_until: dt.date | None = None
    # The date the figures were counted as of (None: the whole period, as before).
    today: dt.date | None = None


def _spans(enrolments: Iterable[Enrolment]) -> dict[int, list[Span]]:
    return {e.pk: [Span(e.enrolled_on, e.left_on, e.grade, e.classroom_id)] for e in enrolments}


def register(
    classroom: Classroom, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Register:
    """出席簿 of a class for a range (a month): constant 6 queries.

    With ``today``, the figures count only the school days up to it (``rules.as_of``).
    """
    counted = rules.as_of((start, end), today) if today is not None else (start, end)
    cal = calendar.class_calendar(classroom, start, end)
    code_list = codes(active_only=False)
    symbols = {c.code: c.symbol for c in code_list}
    enrolments = class_enrolments(classroom, start, end)
    marks = marks_of([e.pk for e in enrolments], start, end)
    days = list(rules.date_range(start, end))
    school_days = sorted(cal.class_days)
    rows = []
    total = Figures()
    for e in enrolments:
        span = _spans([e])[e.pk]
        day_marks = {d: m.code for d, m in marks.get(e.pk, {}).items()}
        cells = []
        for d in days:
            status = rules.day_status(
                d, class_days=cal.class_days, spans=span, mark=day_marks.get(d)
            )
            if status is None:
                cells.append("")
            elif status == "closed":
                cells.append("閉")
            else:
                cells.append(symbols.get(status, "") if status else "")
        f = (
            rules.figures(
                school_days=school_days,
                spans=span,
                marks=day_marks,
                codes=code_list,
                closures=cal.closures,
                period=counted,
            )
            if counted
            else Figures()
        )
        total = total + f
        notes = {d: m.note for d, m in marks.get(e.pk, {}).items() if m.note}
        rows.append(RegisterRow(e, cells, f, notes))
    return Register(
        classroom,
        start,
        end,
        days,
        [cal.is_school_day(d) for d in days],
        [cal.note(d) for d in days],
        rows,
        code_list,
        total,
        counted[1] if counted else None,
        today,
    )


@dataclass
class DayTotal:
    """One day's count on the 出席簿's 日計 rows (None on a day that is not a school day)."""

    present: int | None
    absent: int | None


def register_day_totals(reg: Register) -> list[DayTotal]:
    """日計: per day, how many pupils were present and absent (出席停止 counts as neither)."""
    figure_of = {c.symbol: c.figure for c in reg.codes}
    totals = []
    for index, (day, is_day) in enumerate(zip(reg.days, reg.school_day, strict=True)):
        if not is_day:
            totals.append(DayTotal(None, None))
            continue
        present = absent = 0
        for row in reg.rows:
            cell = row.cells[index]
            if cell == "閉" or not row.enrolment.is_enrolled_on(day):
                continue
            figure = figure_of.get(cell)
            if figure == rules.Figure.ABSENT:
                absent += 1
            elif figure != rules.Figure.SUSPENDED:
                present += 1
        totals.append(DayTotal(present, absent))
    return totals


def register_to_date(reg: Register) -> tuple[dict[int, Figures], Figures]:
    """累計: each enrolment's figures from the school year's first day to the month's end
    (up to the register's ``today`` when it has one), and the class's (constant queries: one
    more register over the longer range)."""
    year_start, _ = calendar.year_bounds(reg.classroom.school_year)
    whole = register(reg.classroom, min(year_start, reg.start), reg.end, reg.today)
    return {row.enrolment.pk: row.figures for row in whole.rows}, whole.totals


@dataclass
class YearRow:
    enrolment: Enrolment
    months: list[Figures]
    year: Figures


def class_year_figures(
    classroom: Classroom, today: dt.date | None = None
) -> tuple[list[tuple[int, int]], list[YearRow]]:
    """指導要録 figures per student of a class, by month and for the year (constant queries).

    With ``today``, only the school days up to it count (``rules.as_of``): a month still to
    come has no school days yet.
    """
    start, end = calendar.year_bounds(classroom.school_year)
    counted = rules.as_of((start, end), today) if today is not None else (start, end)
    cal = calendar.class_calendar(classroom, start, end)
    code_list = codes(active_only=False)
    enrolments = class_enrolments(classroom, start, end)
    marks = marks_of([e.pk for e in enrolments], start, end)
    school_days = sorted(cal.class_days)
    months = school_year_months(classroom.school_year.year)
    rows = []
    for e in enrolments:
        span = _spans([e])[e.pk]
        day_marks = {d: m.code for d, m in marks.get(e.pk, {}).items()}
        per_month = []
        for y, m in months:
            period = rules.within(month_bounds(y, m), counted)
            per_month.append(
                rules.figures(
                    school_days=school_days,
                    spans=span,
                    marks=day_marks,
                    codes=code_list,
                    closures=cal.closures,
                    period=period,
                )
                if period
                else Figures()
            )
        year = sum(per_month, Figures())
        rows.append(YearRow(e, per_month, year))
    return months, rows


# --- a student's marks (API) --------------------------------------------------------------


@dataclass(frozen=True)
class StudentMark:
    date: dt.date
    period: int
    code: str
    note: str
    classroom_id: int


def student_marks(
    student_id: int, start: dt.date, end: dt.date, *, school_ids: Iterable[int] | None = None
) -> list[StudentMark]:
    """A student's marks between two dates, in the schools given (all when None): 1 query."""
    qs = Mark.objects.filter(enrolment__student_id=student_id, date__range=(start, end))
    if school_ids is not None:
        qs = qs.filter(enrolment__school_id__in=list(school_ids))
    return [
        StudentMark(date, period, code, note, classroom_id)
        for date, period, code, note, classroom_id in qs.order_by("date", "period").values_list(
            "date", "period", "code", "note", "enrolment__classroom_id"
        )
    ]


# --- today's attendance, per class (home page, the board's overview) ----------------------


@dataclass(frozen=True)
class ClassToday:
    """One class on a date: is it a school day for it, is it closed, was attendance saved."""

    classroom: Classroom
    is_school_day: bool
    taken: bool
    closed: str = ""  # 「学級閉鎖」 / 「学年閉鎖」 when a closure covers the class that day
    note: str = ""  # the school calendar's note of the day (休日の名前, 夏季休業…)

    @property
    def missing(self) -> bool:
        """出欠が未入力: a school day, the class not closed, students enrolled, nothing saved."""
        return self.is_school_day and not self.closed and not self.taken

    @property
    def state(self) -> str:
        """What a card says: "closed", "taken", "missing" or "off" (not a school day)."""
        if self.is_school_day and self.closed:
            return "closed"
        if self.taken:
            return "taken"
        return "missing" if self.missing else "off"


_CLOSED_LABELS = {"class": "学級閉鎖", "grade": "学年閉鎖"}


def _today_states(qs, day: dt.date) -> list[ClassToday]:
    """``qs`` (classrooms) with the day's state of each: one query."""
    from django.db.models import Subquery

    from attendance.models import TakenDay
    from schools.models import Closure, SchoolDate

    date_row = SchoolDate.objects.filter(
        school_id=OuterRef("school_id"), school_year_id=OuterRef("school_year_id"), date=day
    )
    # A whole-school 臨時休業 is already not a school day in SchoolDate; a grade's or a
    # class's closure is not, so it is looked up here.
    closure = Closure.objects.filter(
        school_id=OuterRef("school_id"), start__lte=day, end__gte=day
    ).filter(
        Q(kind="class", classroom_id=OuterRef("pk")) | Q(kind="grade", grade=OuterRef("grade"))
    )
    qs = qs.select_related("school", "school_year").annotate(
        day_on=Exists(date_row.filter(is_school_day=True)),
        day_note=Subquery(date_row.values("note")[:1]),
        closed_kind=Subquery(closure.order_by("-kind").values("kind")[:1]),
        taken_on=Exists(TakenDay.objects.filter(classroom=OuterRef("pk"), date=day)),
    )
    return [
        ClassToday(
            c,
            c.day_on,
            c.taken_on,
            _CLOSED_LABELS.get(c.closed_kind or "", ""),
            c.day_note or "",
        )
        for c in qs.order_by("school__mext_code", "grade", "sort_order", "name")
    ]


def classes_today(school_ids: Iterable[int] | None, day: dt.date) -> list[ClassToday]:
    """The current year's classes with students on ``day`` (None = every school), whether the
    day is a school day of their school, whether the class is closed (学級閉鎖 / 学年閉鎖) and
    whether their attendance was saved (any period): one query, whatever the number of
    schools and classes."""
    from schools.models import SchoolYear

    qs = Classroom.objects.filter(
        school_year__state=SchoolYear.State.CURRENT, school__is_active=True
    )
    if school_ids is not None:
        qs = qs.filter(school_id__in=list(school_ids))
    enrolled = Enrolment.objects.filter(classroom=OuterRef("pk"), enrolled_on__lte=day).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=day)
    )
    return _today_states(qs.filter(Exists(enrolled)), day)


def classrooms_today(classroom_ids: Iterable[int], day: dt.date) -> list[ClassToday]:
    """The given classes' state on ``day`` (a homeroom teacher's card): one query."""
    return _today_states(Classroom.objects.filter(pk__in=list(classroom_ids)), day)
