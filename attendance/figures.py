"""Set-based figures of attendance: whole classes, schools and the municipality in one statement.

Built on the calendar's running count of school days (``schools_schooldate.cum``): 授業日数 of
any span is two equality look-ups, so a municipality's figures stay one query. The class pages
compute the same figures day by day (``queries.py``, ``rules.figures``); tests compare the two.

Callers narrow the enrolments with a :class:`Narrow` (ids), never with SQL text. The public
entry point for other apps is :func:`student_term_figures`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from attendance import rules
from attendance.queries import codes, school_year_months
from attendance.rules import CodeDef, Figure, Figures
from schools import calendar
from schools.models import Classroom, SchoolYear
from schools.national import ATTENDANCE_RECORD


@dataclass(frozen=True)
class Narrow:
    """Which enrolments a report counts (all of the year when every field is None)."""

    school_ids: Sequence[int] | None = None
    classroom_id: int | None = None
    student_id: int | None = None

    def sql(self, alias: str = "en") -> str:
        """The condition on enrolment ``alias`` (named parameters ``n_*``, see ``params``)."""
        parts = []
        if self.school_ids is not None:
            parts.append(f"AND {alias}.school_id = ANY(%(n_schools)s)")
        if self.classroom_id is not None:
            parts.append(f"AND {alias}.classroom_id = %(n_classroom)s")
        if self.student_id is not None:
            parts.append(f"AND {alias}.student_id = %(n_student)s")
        return " ".join(parts)

    def params(self) -> dict:
        return {
            "n_schools": list(self.school_ids) if self.school_ids is not None else None,
            "n_classroom": self.classroom_id,
            "n_student": self.student_id,
        }


EVERYONE = Narrow()

# The grade and class closures that apply to an enrolment row ``{e}`` (school closures are
# already out of the calendar): the one place this rule is written in SQL.
CLOSURE_APPLIES = """cl.school_id = {e}.school_id
    AND ((cl.kind = 'grade' AND cl.grade = {e}.grade)
         OR (cl.kind = 'class' AND cl.classroom_id = {e}.classroom_id))"""


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
    narrow: Narrow = EVERYONE,
    code_list: Sequence[CodeDef] | None = None,
    per_figure: bool = False,
) -> tuple[str, dict]:
    """SQL computing figures for every enrolment of the year in [start, end], grouped.

    Columns: the group keys, then 授業日数, days of class closure, then one count per code
    (in ``code_list`` order), or with ``per_figure`` one count per ``Figure`` (in enum
    order). ``narrow`` says which enrolments count.
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
    where = narrow.sql("en")
    closure_applies = CLOSURE_APPLIES.format(e="ev")
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
  JOIN schools_schooldate ca ON ca.school_id = ev.school_id AND ca.date = ev.a
  JOIN schools_schooldate cb ON cb.school_id = ev.school_id AND cb.date = ev.b
),
-- Grade and class closures over each enrolment row, clipped to it (closures of one grade
-- never overlap): the days they take away (grade) or count as suspended (class).
ec AS (
  SELECT ev.id, ev.month, ev.school_id, cl.kind,
         GREATEST(cl.start, ev.a) AS a, LEAST(cl."end", ev.b) AS b
  FROM ev JOIN schools_closure cl ON {closure_applies}
    AND cl.start <= ev.b AND cl."end" >= ev.a
),
c AS (
  SELECT ec.id, ec.month,
    SUM(cb.cum - ca.cum + ca.is_school_day::int) FILTER (WHERE ec.kind = 'grade') AS grade_closed,
    SUM(cb.cum - ca.cum + ca.is_school_day::int) FILTER (WHERE ec.kind = 'class') AS class_closed
  FROM ec
  JOIN schools_schooldate ca ON ca.school_id = ec.school_id AND ca.date = ec.a
  JOIN schools_schooldate cb ON cb.school_id = ec.school_id AND cb.date = ec.b
  GROUP BY ec.id, ec.month
),
-- Marks counted straight from the mark table (no reference to ev, so PostgreSQL can scan
-- it in parallel): a school day of the student's school, inside the enrolment.
mc AS (
  SELECT mk.enrolment_id AS id, {mark_month} AS month{", " + code_cols if code_cols else ""}
  FROM attendance_mark mk
  {code_join}
  JOIN schools_enrolment en ON en.id = mk.enrolment_id
  JOIN schools_schooldate sd ON sd.school_id = en.school_id AND sd.date = mk.date
  WHERE mk.period = 0 AND mk.date BETWEEN %(p0)s::date AND %(p1)s::date AND sd.is_school_day
    AND en.school_year_id = %(year)s AND mk.date >= en.enrolled_on
    AND (en.left_on IS NULL OR mk.date <= en.left_on) {where}
  GROUP BY 1, 2
),
-- Marks on grade- or class-closure days do not count: subtracted here rather than tested
-- on every mark.
mx AS (
  SELECT ec.id, ec.month{", " + code_cols if code_cols else ""}
  FROM ec
  JOIN attendance_mark mk ON mk.enrolment_id = ec.id AND mk.period = 0
    AND mk.date BETWEEN ec.a AND ec.b
  {code_join}
  JOIN schools_schooldate sd ON sd.school_id = ec.school_id AND sd.date = mk.date
  WHERE sd.is_school_day
  GROUP BY ec.id, ec.month
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
    named.update(narrow.params())
    return sql, named


def figures_rows(
    school_year: SchoolYear,
    start: dt.date,
    end: dt.date,
    *,
    group: str = "student",
    narrow: Narrow = EVERYONE,
) -> list[tuple[tuple, Figures]]:
    """Run ``figures_sql`` and turn each row into (group key, Figures)."""
    code_list = codes(active_only=False)
    sql, named = figures_sql(
        school_year, start, end, group=group, narrow=narrow, code_list=code_list
    )
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
    school_year: SchoolYear,
    start: dt.date,
    end: dt.date,
    *,
    group: str = "student",
    narrow: Narrow = EVERYONE,
) -> tuple[str, dict, list[str]]:
    """SQL of the final figures (the columns of ``rules.FIGURE_COLUMNS``) per group key."""
    sql, named = figures_sql(school_year, start, end, group=group, narrow=narrow, per_figure=True)
    keys = [k.split(".")[1] for k in GROUPS[group]]
    columns = ", ".join("f." + k for k in keys)
    return f"WITH f AS ({sql}) SELECT {columns}, {FIGURE_SQL} FROM f", named, keys


def figures_table(
    school_year: SchoolYear,
    start: dt.date,
    end: dt.date,
    *,
    group: str = "student",
    narrow: Narrow = EVERYONE,
) -> list[tuple]:
    """Rows of (group keys…, 授業日数, 出席停止・忌引等, 出席しなければならない日数, 欠席, 出席,
    遅刻, 早退, 出席扱い), all computed in SQL: the whole municipality in one statement."""
    sql, named, _ = figures_table_sql(school_year, start, end, group=group, narrow=narrow)
    with transaction.atomic(), connection.cursor() as cursor:
        report_settings(cursor)
        cursor.execute(sql, named)
        return cursor.fetchall()


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
  JOIN schools_schooldate ca ON ca.school_id = ev.school_id AND ca.date = ev.a
  JOIN schools_schooldate cb ON cb.school_id = ev.school_id AND cb.date = ev.b
  GROUP BY 1, 2
),
c AS (
  SELECT ev.school_id, ev.month,
    SUM(ev.n * (cb.cum - ca.cum + ca.is_school_day::int)) FILTER (WHERE cl.kind = 'grade')
      AS grade_closed,
    SUM(ev.n * (cb.cum - ca.cum + ca.is_school_day::int)) FILTER (WHERE cl.kind = 'class')
      AS class_closed
  FROM ev
  JOIN schools_closure cl ON {closure_ev} AND cl.start <= ev.b AND cl."end" >= ev.a
  JOIN schools_schooldate ca ON ca.school_id = ev.school_id
    AND ca.date = GREATEST(cl.start, ev.a)
  JOIN schools_schooldate cb ON cb.school_id = ev.school_id AND cb.date = LEAST(cl."end", ev.b)
  GROUP BY 1, 2
),
mk AS (
  SELECT en.school_id, date_trunc('month', mk.date)::date AS month,
    count(*) FILTER (WHERE mk.code = ANY(%(absent)s)) AS absent,
    count(*) FILTER (WHERE mk.code = ANY(%(suspended)s)) AS suspended
  FROM attendance_mark mk
  JOIN schools_enrolment en ON en.id = mk.enrolment_id
  JOIN schools_schooldate sd ON sd.school_id = en.school_id AND sd.date = mk.date
  WHERE mk.period = 0 AND mk.date BETWEEN %(p0)s::date AND %(p1)s::date AND sd.is_school_day
    AND en.school_year_id = %(year)s AND mk.date >= en.enrolled_on
    AND (en.left_on IS NULL OR mk.date <= en.left_on) {where}
    AND NOT EXISTS (
      SELECT 1 FROM schools_closure cl
      WHERE {closure_en} AND mk.date BETWEEN cl.start AND cl."end")
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
    school_year: SchoolYear, start: dt.date, end: dt.date, *, narrow: Narrow = EVERYONE
) -> list[tuple[tuple[int, dt.date], Figures]]:
    """授業日数, 出席停止・忌引等 and 欠席 per school and month, for rates (one statement).

    Enrolments sharing a class and a span are counted together, so the work grows with
    the number of classes and marks, not with students × months.
    """
    code_list = codes(active_only=False)
    named = {
        "p0": start,
        "p1": end,
        "year": school_year.pk,
        "absent": rules.codes_feeding(code_list, Figure.ABSENT),
        "suspended": rules.codes_feeding(code_list, Figure.SUSPENDED),
        **narrow.params(),
    }
    sql = SCHOOL_MONTH_SQL.format(
        where=narrow.sql("en"),
        closure_ev=CLOSURE_APPLIES.format(e="ev"),
        closure_en=CLOSURE_APPLIES.format(e="en"),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        report_settings(cursor)
        cursor.execute(sql, named)
        return [
            ((school_id, month), Figures(school_days=days, suspended_days=susp, absent_days=absent))
            for school_id, month, days, susp, absent in cursor.fetchall()
        ]


def monthly_rates(
    school_year: SchoolYear, until: dt.date, school_ids: Sequence[int] | None = None
) -> dict[int | None, list[MonthRate]]:
    """出席率 per month, per school and for all (key None): one aggregate query."""
    start, end = calendar.year_bounds(school_year)
    end = min(end, until)
    rows = school_month_figures(school_year, start, end, narrow=Narrow(school_ids=school_ids))
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
    school_year: SchoolYear,
    start: dt.date,
    end: dt.date,
    student_ids: list[int],
    absent_codes: list[str],
) -> dict[tuple[int, int], dict[dt.date, int]]:
    """欠席 per month of a few students (the same rule as the figures: school days of the
    class inside the enrolment, not on grade or class closures): index look-ups only."""
    sql = f"""
SELECT en.student_id, en.school_id, date_trunc('month', mk.date)::date, count(*)
FROM schools_enrolment en
JOIN attendance_mark mk ON mk.enrolment_id = en.id
JOIN schools_schooldate sd ON sd.school_id = en.school_id AND sd.date = mk.date
WHERE en.student_id = ANY(%(ids)s) AND en.school_year_id = %(year)s AND mk.period = 0
  AND mk.code = ANY(%(codes)s) AND mk.date BETWEEN %(p0)s AND %(p1)s AND sd.is_school_day
  AND mk.date >= en.enrolled_on AND (en.left_on IS NULL OR mk.date <= en.left_on)
  AND NOT EXISTS (
    SELECT 1 FROM schools_closure cl
    WHERE {CLOSURE_APPLIES.format(e="en")} AND mk.date BETWEEN cl.start AND cl."end")
GROUP BY 1, 2, 3
"""
    trend: dict[tuple[int, int], dict[dt.date, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "ids": student_ids,
                "year": school_year.pk,
                "codes": absent_codes,
                "p0": start,
                "p1": end,
            },
        )
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
    start, end = calendar.year_bounds(school_year)
    today = min(today, end)
    code_list = codes(active_only=False)
    sql, named = figures_sql(
        school_year,
        start,
        today,
        group="student",
        narrow=Narrow(school_ids=school_ids),
        code_list=code_list,
        per_figure=True,
    )
    absent_expr = f"f.c{list(Figure).index(Figure.ABSENT)}"
    watch_sql = f"""
WITH f AS ({sql}),
y AS (SELECT school_id, max(cum) AS total FROM schools_schooldate
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
        result.append(
            WatchRow(
                student_id,
                school_id,
                name,
                kana,
                school_name,
                classroom or "",
                absent,
                so_far,
                total or 0,
                projected,
                status,
            )
        )
    if result:
        trend = _absence_trend(
            school_year,
            start,
            today,
            [r.student_id for r in result],
            rules.codes_feeding(code_list, Figure.ABSENT),
        )
        months = [
            dt.date(y, m, 1)
            for y, m in school_year_months(school_year.year)
            if dt.date(y, m, 1) <= today
        ]
        for r in result:
            per = trend.get((r.student_id, r.school_id), {})
            r.trend = [per.get(m, 0) for m in months]
    return result


# --- the public figures other apps use -----------------------------------------------------

ATTENDANCE_LABELS = ATTENDANCE_RECORD  # 指導要録「出欠の記録」 (schools.national)


def student_term_figures(
    classroom: Classroom, start: dt.date, end: dt.date
) -> dict[int, list[tuple[str, int]]] | None:
    """student id -> [(label, value)] of 「出欠の記録」 for a class between two dates (通知表).

    None when the school keeps no calendar for the year (no figures rather than zeros).
    Two queries.
    """
    if not calendar.has_calendar(classroom.school, classroom.school_year):
        return None
    rows = figures_rows(
        classroom.school_year,
        start,
        end,
        group="student",
        narrow=Narrow(classroom_id=classroom.pk),
    )
    return {
        key[0]: [(label, getattr(f, attr)) for label, attr in ATTENDANCE_LABELS] for key, f in rows
    }
