"""Read models of attendance for pages, exports, reports and the API.

Class pages (a few dozen students) read the rows they need in a constant number of
queries and apply ``rules.figures`` day by day. Municipality-wide reports (every
student, the long-absence watch, rates per month) aggregate in one SQL statement
(``figures_sql``) built on ``SchoolDate.cum``, which gives the same numbers (tested).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from attendance import rules
from attendance.models import AttendanceCode, Closure, Mark, SchoolDate
from attendance.rules import CodeDef, Figure, Figures, Span
from schools.models import Classroom, Enrolment, School, SchoolYear


def codes(active_only: bool = True) -> list[CodeDef]:
    """The municipality's codes (1 query); the default table if none is configured."""
    qs = AttendanceCode.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    rows = [
        CodeDef(c.code, c.symbol, c.label, Figure(c.figure), c.key, c.sort_order)
        for c in qs.order_by("sort_order", "code")
    ]
    return rows or list(rules.DEFAULT_CODES)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, nxt - rules.ONE_DAY


def school_year_months(year: int) -> list[tuple[int, int]]:
    return [(year + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(12)]


# --- calendar of one class --------------------------------------------------------------


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


def closures_of(school_id: int, start: dt.date, end: dt.date) -> list[rules.Closure]:
    return [
        rules.Closure(rules.ClosureKind(c.kind), c.start, c.end, c.grade, c.classroom_id)
        for c in Closure.objects.filter(school_id=school_id, start__lte=end, end__gte=start)
    ]


def class_calendar(classroom: Classroom, start: dt.date, end: dt.date) -> ClassCalendar:
    """2 queries (3 the first time a school's calendar is built)."""
    from attendance.services import ensure_calendar

    ensure_calendar(classroom.school, classroom.school_year)
    dates = {
        d.date: d
        for d in SchoolDate.objects.filter(school_id=classroom.school_id, date__range=(start, end))
    }
    closures = closures_of(classroom.school_id, start, end)
    days = [d for d, row in dates.items() if row.is_school_day]
    class_days = rules.class_calendar(
        sorted(days), closures, grade=classroom.grade, classroom_id=classroom.pk
    )
    return ClassCalendar(dates, closures, class_days)


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
    start, end = rules.school_year_bounds(classroom.school_year.year)
    calendar = class_calendar(classroom, start, end)
    enrolments = class_enrolments(classroom, day, day)
    marks = marks_of([e.pk for e in enrolments], day, day, period)
    rows = []
    for e in enrolments:
        m = marks.get(e.pk, {}).get(day)
        rows.append(EntryRow(e, m.code if m else "", m.note if m else ""))
    return DailyEntry(classroom, day, calendar, rows, codes(), enrolments)


def _day_and_closures(
    school_id: int, day: dt.date
) -> tuple[SchoolDate | None, list[rules.Closure]]:
    """One date of a school's calendar with the closures covering it (1 query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sd.is_school_day, sd.note, sd.cum, sd.school_year_id, cl.kind, cl.start,"
            ' cl."end", cl.grade, cl.classroom_id FROM attendance_schooldate sd'
            " LEFT JOIN attendance_closure cl ON cl.school_id = sd.school_id"
            ' AND sd.date BETWEEN cl.start AND cl."end"'
            " WHERE sd.school_id = %s AND sd.date = %s",
            [school_id, day],
        )
        rows = cursor.fetchall()
    if not rows:
        return None, []
    is_day, note, cum, year_id = rows[0][:4]
    row = SchoolDate(school_id=school_id, school_year_id=year_id, date=day,
                     is_school_day=is_day, cum=cum, note=note)  # fmt: skip
    closures = [
        rules.Closure(rules.ClosureKind(kind), start, end, grade, classroom_id)
        for *_, kind, start, end, grade, classroom_id in rows
        if kind is not None
    ]
    return row, closures


def save_context(classroom: Classroom, day: dt.date, period: int = 0) -> DailyEntry:
    """What a save needs (no year calendar, no marks): 3 queries."""
    from attendance.services import ensure_calendar

    row, closures = _day_and_closures(classroom.school_id, day)
    if row is None:
        ensure_calendar(classroom.school, classroom.school_year)
        row, closures = _day_and_closures(classroom.school_id, day)
    days = [day] if row is not None and row.is_school_day else []
    class_days = rules.class_calendar(days, closures, grade=classroom.grade,
                                      classroom_id=classroom.pk)  # fmt: skip
    calendar = ClassCalendar({day: row} if row else {}, closures, class_days)
    enrolments = class_enrolments(classroom, day, day)
    return DailyEntry(classroom, day, calendar, [EntryRow(e) for e in enrolments], codes(),
                      enrolments)  # fmt: skip


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


def _spans(enrolments: Iterable[Enrolment]) -> dict[int, list[Span]]:
    return {e.pk: [Span(e.enrolled_on, e.left_on, e.grade, e.classroom_id)] for e in enrolments}


def register(classroom: Classroom, start: dt.date, end: dt.date) -> Register:
    """出席簿 of a class for a range (a month): constant 6 queries."""
    calendar = class_calendar(classroom, start, end)
    code_list = codes(active_only=False)
    symbols = {c.code: c.symbol for c in code_list}
    enrolments = class_enrolments(classroom, start, end)
    marks = marks_of([e.pk for e in enrolments], start, end)
    days = list(rules.date_range(start, end))
    school_days = sorted(calendar.class_days)
    rows = []
    total = Figures()
    for e in enrolments:
        span = _spans([e])[e.pk]
        day_marks = {d: m.code for d, m in marks.get(e.pk, {}).items()}
        cells = []
        for d in days:
            status = rules.day_status(d, class_days=calendar.class_days, spans=span,
                                      mark=day_marks.get(d))  # fmt: skip
            if status is None:
                cells.append("")
            elif status == "closed":
                cells.append("閉")
            else:
                cells.append(symbols.get(status, "") if status else "")
        f = rules.figures(school_days=school_days, spans=span, marks=day_marks, codes=code_list,
                          closures=calendar.closures)  # fmt: skip
        total = total + f
        notes = {d: m.note for d, m in marks.get(e.pk, {}).items() if m.note}
        rows.append(RegisterRow(e, cells, f, notes))
    return Register(
        classroom, start, end, days,
        [calendar.is_school_day(d) for d in days], [calendar.note(d) for d in days],
        rows, code_list, total,
    )  # fmt: skip


@dataclass
class YearRow:
    enrolment: Enrolment
    months: list[Figures]
    year: Figures


def class_year_figures(classroom: Classroom) -> tuple[list[tuple[int, int]], list[YearRow]]:
    """指導要録 figures per student of a class, by month and for the year (constant queries)."""
    start, end = rules.school_year_bounds(classroom.school_year.year)
    calendar = class_calendar(classroom, start, end)
    code_list = codes(active_only=False)
    enrolments = class_enrolments(classroom, start, end)
    marks = marks_of([e.pk for e in enrolments], start, end)
    school_days = sorted(calendar.class_days)
    months = school_year_months(classroom.school_year.year)
    rows = []
    for e in enrolments:
        span = _spans([e])[e.pk]
        day_marks = {d: m.code for d, m in marks.get(e.pk, {}).items()}
        per_month = [
            rules.figures(
                school_days=school_days,
                spans=span,
                marks=day_marks,
                codes=code_list,
                closures=calendar.closures,
                period=month_bounds(y, m),
            )  # fmt: skip
            for y, m in months
        ]
        year = sum(per_month, Figures())
        rows.append(YearRow(e, per_month, year))
    return months, rows


# --- set-based figures (whole schools, the municipality) --------------------------------


GROUPS = {
    "enrolment": ["e.id"],
    "student": ["e.student_id", "e.school_id"],
    "classroom": ["e.classroom_id"],
    "school": ["e.school_id"],
    "school_month": ["e.school_id", "e.month"],
    "student_month": ["e.student_id", "e.school_id", "e.month"],
    "month": ["e.month"],
}


def figures_sql(
    school_year: SchoolYear,
    start: dt.date,
    end: dt.date,
    *,
    group: str = "student",
    by_month: bool = False,
    where: str = "",
    params: Sequence = (),
    code_list: Sequence[CodeDef] | None = None,
    per_figure: bool = False,
) -> tuple[str, dict]:
    """SQL computing figures for every enrolment of the year in [start, end], grouped.

    Columns: the group keys, then 授業日数, days of class closure, then one count per code
    (in ``code_list`` order), or with ``per_figure`` one count per ``Figure`` (in enum
    order). ``where`` narrows enrolments (alias ``en``).
    """
    code_list = list(code_list if code_list is not None else codes(active_only=False))
    if per_figure:
        column_codes = [rules.codes_feeding(code_list, f) for f in Figure]
    else:
        column_codes = [[c.code] for c in code_list]
    keys = GROUPS[group]
    if "e.month" in keys:
        by_month = True
    months = (
        "SELECT generate_series(date_trunc('month', %(p0)s::date), %(p1)s::date,"
        " interval '1 month')::date AS m"
        if by_month
        else "SELECT %(p0)s::date AS m"
    )
    month_end = "(m.m + interval '1 month - 1 day')::date" if by_month else "%(p1)s::date"
    mark_month = "date_trunc('month', mk.date)::date" if by_month else "%(p0)s::date"
    # ``where`` uses positional %s: name its parameters (it appears twice below).
    named_where = where
    for i in range(len(params)):
        named_where = named_where.replace("%s", f"%(w{i})s", 1)
    where = named_where
    # Each mark's code becomes a column number once (a join to a tiny VALUES list), so the
    # counts compare integers instead of matching every code list on every mark.
    code_index = [(code, i) for i, codes in enumerate(column_codes) for code in codes]
    code_join = (
        "JOIN (VALUES "
        + ", ".join(f"(%(cc{j})s, {i})" for j, (_, i) in enumerate(code_index))
        + ") AS cf(code, k) ON cf.code = mk.code"
        if code_index
        else ""
    )
    code_cols = ", ".join(
        f"count(*) FILTER (WHERE cf.k = {i}) AS c{i}" for i in range(len(column_codes))
    )
    code_sums = ", ".join(
        f"SUM(COALESCE(mc.c{i}, 0) - COALESCE(mx.c{i}, 0))::int AS c{i}"
        for i in range(len(column_codes))
    )
    sql = f"""
WITH months AS ({months}),
e AS (
  SELECT en.id, en.student_id, en.school_id, en.classroom_id, en.grade, m.m AS month,
         GREATEST(en.enrolled_on, m.m, %(p0)s::date) AS a,
         LEAST(COALESCE(en.left_on, %(p1)s::date), {month_end}, %(p1)s::date) AS b
  FROM schools_enrolment en CROSS JOIN months m
  WHERE en.school_year_id = %(year)s AND en.enrolled_on <= %(p1)s::date
    AND (en.left_on IS NULL OR en.left_on >= %(p0)s::date) {where}
),
ev AS (SELECT * FROM e WHERE a <= b),
d AS (
  SELECT ev.id, ev.month, cb.cum - ca.cum + ca.is_school_day::int AS n
  FROM ev
  JOIN attendance_schooldate ca ON ca.school_id = ev.school_id AND ca.date = ev.a
  JOIN attendance_schooldate cb ON cb.school_id = ev.school_id AND cb.date = ev.b
),
c AS (
  SELECT ev.id, ev.month,
    SUM(cb.cum - ca.cum + ca.is_school_day::int) FILTER (WHERE cl.kind = 'grade') AS grade_closed,
    SUM(cb.cum - ca.cum + ca.is_school_day::int) FILTER (WHERE cl.kind = 'class') AS class_closed
  FROM ev
  JOIN attendance_closure cl ON cl.school_id = ev.school_id
    AND ((cl.kind = 'grade' AND cl.grade = ev.grade)
         OR (cl.kind = 'class' AND cl.classroom_id = ev.classroom_id))
    AND cl.start <= ev.b AND cl."end" >= ev.a
  JOIN attendance_schooldate ca ON ca.school_id = ev.school_id
    AND ca.date = GREATEST(cl.start, ev.a)
  JOIN attendance_schooldate cb ON cb.school_id = ev.school_id
    AND cb.date = LEAST(cl."end", ev.b)
  GROUP BY ev.id, ev.month
),
-- Marks counted straight from the mark table (no reference to ev, so PostgreSQL can scan
-- it in parallel): a school day of the student's school, inside the enrolment.
mc AS (
  SELECT mk.enrolment_id AS id, {mark_month} AS month{", " + code_cols if code_cols else ""}
  FROM attendance_mark mk
  {code_join}
  JOIN schools_enrolment en ON en.id = mk.enrolment_id
  JOIN attendance_schooldate sd ON sd.school_id = en.school_id AND sd.date = mk.date
  WHERE mk.period = 0 AND mk.date BETWEEN %(p0)s::date AND %(p1)s::date AND sd.is_school_day
    AND en.school_year_id = %(year)s AND mk.date >= en.enrolled_on
    AND (en.left_on IS NULL OR mk.date <= en.left_on) {where}
  GROUP BY 1, 2
),
-- Marks on grade- or class-closure days do not count (closures of one grade never overlap):
-- subtracted here rather than tested on every mark.
mx AS (
  SELECT ev.id, ev.month{", " + code_cols if code_cols else ""}
  FROM ev
  JOIN attendance_closure cl ON cl.school_id = ev.school_id
    AND ((cl.kind = 'grade' AND cl.grade = ev.grade)
         OR (cl.kind = 'class' AND cl.classroom_id = ev.classroom_id))
    AND cl.start <= ev.b AND cl."end" >= ev.a
  JOIN attendance_mark mk ON mk.enrolment_id = ev.id AND mk.period = 0
    AND mk.date BETWEEN GREATEST(cl.start, ev.a) AND LEAST(cl."end", ev.b)
  {code_join}
  JOIN attendance_schooldate sd ON sd.school_id = ev.school_id AND sd.date = mk.date
  WHERE sd.is_school_day
  GROUP BY ev.id, ev.month
)
SELECT {", ".join(keys)},
  SUM(COALESCE(d.n, 0) - COALESCE(c.grade_closed, 0))::int AS school_days,
  SUM(COALESCE(c.class_closed, 0))::int AS closed_days{", " + code_sums if code_sums else ""}
FROM ev e
LEFT JOIN d ON d.id = e.id AND d.month = e.month
LEFT JOIN c ON c.id = e.id AND c.month = e.month
LEFT JOIN mc ON mc.id = e.id AND mc.month = e.month
LEFT JOIN mx ON mx.id = e.id AND mx.month = e.month
GROUP BY {", ".join(keys)}
"""
    named = {"p0": start, "p1": end, "year": school_year.pk}
    named.update({f"cc{j}": code for j, (code, _) in enumerate(code_index)})
    named.update({f"w{i}": value for i, value in enumerate(params)})
    return sql, named


def figures_rows(
    school_year: SchoolYear,
    start: dt.date,
    end: dt.date,
    *,
    group: str = "student",
    where: str = "",
    params: Sequence = (),
) -> list[tuple[tuple, Figures]]:
    """Run ``figures_sql`` and turn each row into (group key, Figures)."""
    code_list = codes(active_only=False)
    sql, named = figures_sql(school_year, start, end, group=group, where=where, params=params,
                             code_list=code_list)  # fmt: skip
    nkeys = len(GROUPS[group])
    result = []
    with transaction.atomic(), connection.cursor() as cursor:
        report_settings(cursor)
        cursor.execute(sql, named)
        for row in cursor.fetchall():
            counts = {c.code: n for c, n in zip(code_list, row[nkeys + 2 :], strict=True)}
            f = rules.figures_from_counts(
                school_days=row[nkeys], closed_days=row[nkeys + 1], counts=counts, codes=code_list
            )
            result.append((row[:nkeys], f))
    return result


def report_settings(cursor) -> None:
    """Municipality-wide aggregates: enough memory to hash in RAM, no JIT compile (inside a
    transaction: SET LOCAL ends with it)."""
    cursor.execute("SET LOCAL work_mem = '128MB'")
    cursor.execute("SET LOCAL jit = off")


_FIG = {f: f"f.c{i}" for i, f in enumerate(Figure)}
_SUSPENDED = f"(f.closed_days + {_FIG[Figure.SUSPENDED]})"
FIGURE_SQL = (
    f"f.school_days, {_SUSPENDED} AS suspended_days,"
    f" f.school_days - {_SUSPENDED} AS required_days, {_FIG[Figure.ABSENT]} AS absent_days,"
    f" f.school_days - {_SUSPENDED} - {_FIG[Figure.ABSENT]} AS present_days,"
    f" {_FIG[Figure.LATE]} AS late, {_FIG[Figure.EARLY]} AS early,"
    f" {_FIG[Figure.DEEMED_PRESENT]} AS deemed_present"
)


def figures_table_sql(
    school_year: SchoolYear, start: dt.date, end: dt.date, *, group: str = "student",
    where: str = "", params: Sequence = (),
) -> tuple[str, dict, list[str]]:  # fmt: skip
    """SQL of the final figures (the columns of ``rules.FIGURE_COLUMNS``) per group key."""
    sql, named = figures_sql(school_year, start, end, group=group, where=where, params=params,
                             per_figure=True)  # fmt: skip
    keys = [k.split(".")[1] for k in GROUPS[group]]
    return f"WITH f AS ({sql}) SELECT {', '.join('f.' + k for k in keys)}, {FIGURE_SQL} FROM f", \
        named, keys  # fmt: skip


def figures_table(
    school_year: SchoolYear, start: dt.date, end: dt.date, *, group: str = "student",
    where: str = "", params: Sequence = (),
) -> list[tuple]:  # fmt: skip
    """Rows of (group keys…, 授業日数, 出席停止・忌引等, 出席しなければならない日数, 欠席, 出席,
    遅刻, 早退, 出席扱い), all computed in SQL: the whole municipality in one statement."""
    sql, named, _ = figures_table_sql(school_year, start, end, group=group, where=where,
                                      params=params)  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        report_settings(cursor)
        cursor.execute(sql, named)
        return cursor.fetchall()


def ensure_calendars(school_year: SchoolYear, schools: Iterable[School] | None = None) -> None:
    """Build the default calendar of schools that have none yet (reports need every school)."""
    from attendance.services import rebuild_calendar

    built = set(
        SchoolDate.objects.filter(school_year=school_year).values_list("school_id", flat=True)
        .distinct()
    )  # fmt: skip
    for school in schools if schools is not None else School.objects.filter(is_active=True):
        if school.pk not in built:
            rebuild_calendar(school, school_year)


# --- BoE: rates per month and the long-absence watch ------------------------------------


@dataclass
class MonthRate:
    year: int
    month: int
    required: int
    present: int

    @property
    def rate(self) -> float | None:
        return None if not self.required else self.present / self.required

    @property
    def percent(self) -> str:
        return "―" if self.rate is None else f"{self.rate * 100:.1f}"


SCHOOL_MONTH_SQL = """
WITH months AS (
  SELECT generate_series(date_trunc('month', %(p0)s::date), %(p1)s::date, interval '1 month')::date
    AS m
),
-- Enrolments with the same class and span count alike: weigh one row by their number.
g AS (
  SELECT en.school_id, en.classroom_id, en.grade, en.enrolled_on, en.left_on, count(*) AS n
  FROM schools_enrolment en
  WHERE en.school_year_id = %(year)s AND en.enrolled_on <= %(p1)s::date
    AND (en.left_on IS NULL OR en.left_on >= %(p0)s::date) {where}
  GROUP BY 1, 2, 3, 4, 5
),
ev AS (
  SELECT * FROM (
    SELECT g.*, m.m AS month, GREATEST(g.enrolled_on, m.m, %(p0)s::date) AS a,
           LEAST(COALESCE(g.left_on, %(p1)s::date), (m.m + interval '1 month - 1 day')::date,
                 %(p1)s::date) AS b
    FROM g CROSS JOIN months m) x
  WHERE a <= b
),
d AS (
  SELECT ev.school_id, ev.month, SUM(ev.n * (cb.cum - ca.cum + ca.is_school_day::int)) AS days
  FROM ev
  JOIN attendance_schooldate ca ON ca.school_id = ev.school_id AND ca.date = ev.a
  JOIN attendance_schooldate cb ON cb.school_id = ev.school_id AND cb.date = ev.b
  GROUP BY 1, 2
),
c AS (
  SELECT ev.school_id, ev.month,
    SUM(ev.n * (cb.cum - ca.cum + ca.is_school_day::int)) FILTER (WHERE cl.kind = 'grade')
      AS grade_closed,
    SUM(ev.n * (cb.cum - ca.cum + ca.is_school_day::int)) FILTER (WHERE cl.kind = 'class')
      AS class_closed
  FROM ev
  JOIN attendance_closure cl ON cl.school_id = ev.school_id
    AND ((cl.kind = 'grade' AND cl.grade = ev.grade)
         OR (cl.kind = 'class' AND cl.classroom_id = ev.classroom_id))
    AND cl.start <= ev.b AND cl."end" >= ev.a
  JOIN attendance_schooldate ca ON ca.school_id = ev.school_id
    AND ca.date = GREATEST(cl.start, ev.a)
  JOIN attendance_schooldate cb ON cb.school_id = ev.school_id AND cb.date = LEAST(cl."end", ev.b)
  GROUP BY 1, 2
),
mk AS (
  SELECT en.school_id, date_trunc('month', mk.date)::date AS month,
    count(*) FILTER (WHERE mk.code = ANY(%(absent)s)) AS absent,
    count(*) FILTER (WHERE mk.code = ANY(%(suspended)s)) AS suspended
  FROM attendance_mark mk
  JOIN schools_enrolment en ON en.id = mk.enrolment_id
  JOIN attendance_schooldate sd ON sd.school_id = en.school_id AND sd.date = mk.date
  WHERE mk.period = 0 AND mk.date BETWEEN %(p0)s::date AND %(p1)s::date AND sd.is_school_day
    AND en.school_year_id = %(year)s AND mk.date >= en.enrolled_on
    AND (en.left_on IS NULL OR mk.date <= en.left_on) {where}
    AND NOT EXISTS (
      SELECT 1 FROM attendance_closure cl
      WHERE cl.school_id = en.school_id AND mk.date BETWEEN cl.start AND cl."end"
        AND cl.kind <> 'school'
        AND ((cl.kind = 'grade' AND cl.grade = en.grade)
             OR (cl.kind = 'class' AND cl.classroom_id = en.classroom_id)))
  GROUP BY 1, 2
)
SELECT d.school_id, d.month,
  (d.days - COALESCE(c.grade_closed, 0))::int AS school_days,
  (COALESCE(c.class_closed, 0) + COALESCE(mk.suspended, 0))::int AS suspended_days,
  COALESCE(mk.absent, 0)::int AS absent_days
FROM d
LEFT JOIN c ON c.school_id = d.school_id AND c.month = d.month
LEFT JOIN mk ON mk.school_id = d.school_id AND mk.month = d.month
"""


def school_month_figures(
    school_year: SchoolYear, start: dt.date, end: dt.date, *, where: str = "",
    params: Sequence = (),
) -> list[tuple[tuple[int, dt.date], Figures]]:  # fmt: skip
    """授業日数, 出席停止・忌引等 and 欠席 per school and month, for rates (one statement).

    Enrolments sharing a class and a span are counted together, so the work grows with
    the number of classes and marks, not with students × months.
    """
    code_list = codes(active_only=False)
    named_where = where
    for i in range(len(params)):
        named_where = named_where.replace("%s", f"%(w{i})s", 1)
    named = {
        "p0": start, "p1": end, "year": school_year.pk,
        "absent": rules.codes_feeding(code_list, Figure.ABSENT),
        "suspended": rules.codes_feeding(code_list, Figure.SUSPENDED),
        **{f"w{i}": v for i, v in enumerate(params)},
    }  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        report_settings(cursor)
        cursor.execute(SCHOOL_MONTH_SQL.format(where=named_where), named)
        return [
            ((school_id, month), Figures(school_days=days, suspended_days=susp, absent_days=absent))
            for school_id, month, days, susp, absent in cursor.fetchall()
        ]


def monthly_rates(
    school_year: SchoolYear, until: dt.date, school_ids: Sequence[int] | None = None
) -> dict[int | None, list[MonthRate]]:
    """出席率 per month, per school and for all (key None): one aggregate query."""
    start, end = rules.school_year_bounds(school_year.year)
    end = min(end, until)
    where, params = "", []
    if school_ids is not None:
        where, params = "AND en.school_id = ANY(%s)", [list(school_ids)]
    rows = school_month_figures(school_year, start, end, where=where, params=params)
    months = [(y, m) for y, m in school_year_months(school_year.year) if dt.date(y, m, 1) <= end]
    by_school: dict[int | None, dict[tuple[int, int], MonthRate]] = defaultdict(dict)
    for (school_id, month), f in rows:
        for key in (school_id, None):
            rate = by_school[key].setdefault(
                (month.year, month.month), MonthRate(month.year, month.month, 0, 0)
            )
            rate.required += f.required_days
            rate.present += f.present_days
    return {
        key: [rates.get(ym, MonthRate(*ym, 0, 0)) for ym in months]
        for key, rates in by_school.items()
    } or {None: [MonthRate(*ym, 0, 0) for ym in months]}


def _absence_trend(
    school_year: SchoolYear, start: dt.date, end: dt.date, student_ids: list[int],
    absent_codes: list[str],
) -> dict[tuple[int, int], dict[dt.date, int]]:  # fmt: skip
    """欠席 per month of a few students (the same rule as the figures: school days of the
    class inside the enrolment, not on grade or class closures): index look-ups only."""
    sql = """
SELECT en.student_id, en.school_id, date_trunc('month', mk.date)::date, count(*)
FROM schools_enrolment en
JOIN attendance_mark mk ON mk.enrolment_id = en.id
JOIN attendance_schooldate sd ON sd.school_id = en.school_id AND sd.date = mk.date
WHERE en.student_id = ANY(%(ids)s) AND en.school_year_id = %(year)s AND mk.period = 0
  AND mk.code = ANY(%(codes)s) AND mk.date BETWEEN %(p0)s AND %(p1)s AND sd.is_school_day
  AND mk.date >= en.enrolled_on AND (en.left_on IS NULL OR mk.date <= en.left_on)
  AND NOT EXISTS (
    SELECT 1 FROM attendance_closure cl
    WHERE cl.school_id = en.school_id AND mk.date BETWEEN cl.start AND cl."end"
      AND ((cl.kind = 'grade' AND cl.grade = en.grade)
           OR (cl.kind = 'class' AND cl.classroom_id = en.classroom_id)))
GROUP BY 1, 2, 3
"""
    trend: dict[tuple[int, int], dict[dt.date, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": student_ids, "year": school_year.pk, "codes": absent_codes,
                             "p0": start, "p1": end})  # fmt: skip
        for student_id, school_id, month, n in cursor.fetchall():
            trend[(student_id, school_id)][month] = n
    return trend


@dataclass
class WatchRow:
    student_id: int
    school_id: int
    name: str
    kana: str
    school_name: str
    classroom: str
    absent: int
    days_so_far: int
    days_in_year: int
    projected: float
    status: str
    trend: list[int] = field(default_factory=list)  # 欠席 per month so far


def long_absence_watch(
    school_year: SchoolYear, today: dt.date, school_ids: Sequence[int] | None = None
) -> list[WatchRow]:
    """Students with 30+ absence days this year, or on course to reach 30 by year end.

    Projection: absences so far / school days so far × school days of the whole year.
    Three aggregate queries whatever the number of students.
    """
    start, end = rules.school_year_bounds(school_year.year)
    today = min(today, end)
    code_list = codes(active_only=False)
    where, params = "", []
    if school_ids is not None:
        where, params = "AND en.school_id = ANY(%s)", [list(school_ids)]
    sql, named = figures_sql(school_year, start, today, group="student", where=where,
                             params=params, code_list=code_list, per_figure=True)  # fmt: skip
    absent_expr = f"f.c{list(Figure).index(Figure.ABSENT)}"
    watch_sql = f"""
WITH f AS ({sql}),
y AS (SELECT school_id, max(cum) AS total FROM attendance_schooldate
      WHERE school_year_id = %(year)s GROUP BY school_id),
w AS (
  SELECT f.student_id, f.school_id, ({absent_expr}) AS absent, f.school_days, y.total
  FROM f JOIN y ON y.school_id = f.school_id
  WHERE ({absent_expr}) >= {rules.LONG_ABSENCE_DAYS}
     OR (f.school_days > 0
         AND ({absent_expr})::float / f.school_days * y.total >= {rules.LONG_ABSENCE_DAYS})
)
SELECT w.student_id, w.school_id, st.name, st.kana, sc.name,
  (SELECT CASE WHEN cr.is_special_needs OR cr.grade IS NULL THEN cr.name
               ELSE cr.grade || '年' || cr.name END
   FROM schools_enrolment en2 JOIN schools_classroom cr ON cr.id = en2.classroom_id
   WHERE en2.student_id = w.student_id AND en2.school_id = w.school_id
     AND en2.school_year_id = %(year)s ORDER BY en2.enrolled_on DESC LIMIT 1),
  w.absent, w.school_days, w.total
FROM w JOIN schools_student st ON st.id = w.student_id JOIN schools_school sc ON sc.id = w.school_id
ORDER BY w.absent DESC, sc.mext_code, st.kana
"""
    with transaction.atomic(), connection.cursor() as cursor:
        report_settings(cursor)
        cursor.execute(watch_sql, named)
        rows = cursor.fetchall()
    result = []
    for student_id, school_id, name, kana, school_name, classroom, absent, so_far, total in rows:
        projected = rules.projected_absences(absent, so_far, total or 0)
        status = rules.long_absence_status(absent, so_far, total or 0) or "projected"
        result.append(WatchRow(student_id, school_id, name, kana, school_name, classroom or "",
                               absent, so_far, total or 0, projected, status))  # fmt: skip
    if result:
        trend = _absence_trend(school_year, start, today, [r.student_id for r in result],
                               rules.codes_feeding(code_list, Figure.ABSENT))  # fmt: skip
        months = [dt.date(y, m, 1) for y, m in school_year_months(school_year.year)
                  if dt.date(y, m, 1) <= today]  # fmt: skip
        for r in result:
            per = trend.get((r.student_id, r.school_id), {})
            r.trend = [per.get(m, 0) for m in months]
    return result
