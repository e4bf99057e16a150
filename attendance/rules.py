"""Pure rules of attendance (出欠): the school calendar and the 指導要録 「出欠の記録」 figures.

No ORM, no I/O: every function takes plain values and returns plain values, so the
formulas can be tested exhaustively. The database-side aggregates in ``queries.py``
compute the same figures in SQL for whole schools; tests compare the two.

Figures of one student for a period (domain-ja.md):

- 授業日数 (``school_days``): school days of the student's class while enrolled;
- 出席停止・忌引等の日数 (``suspended_days``): days marked 停 / 忌 / 災 (any code that
  feeds ``Figure.SUSPENDED``), plus school days on which the class was closed (学級閉鎖);
- 出席しなければならない日数 (``required_days``) = 授業日数 − 出席停止・忌引等の日数;
- 欠席日数 (``absent_days``): days marked 欠(病) / 欠(事);
- 出席日数 (``present_days``) = 出席しなければならない日数 − 欠席日数;
- 遅刻 (``late``), 早退 (``early``), 出席扱い (``deemed_present``): counted beside them
  (these days are present days).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schools import calendar_rules
from schools.calendar_rules import (  # noqa: F401  (part of this module's vocabulary)
    ONE_DAY,
    Closure,
    ClosureKind,
    class_calendar,
    date_range,
    school_year_bounds,
)

# The calendar's rules belong to the core (schools); attendance counts on top of them.
school_days = calendar_rules.school_days

LONG_ABSENCE_DAYS = 30  # 長期欠席: 30 days or more in a year (文部科学省 調査)


class Figure(enum.StrEnum):
    """Which total a code feeds."""

    ABSENT = "absent"  # 欠席日数
    SUSPENDED = "suspended"  # 出席停止・忌引等の日数
    LATE = "late"  # 遅刻 (present)
    EARLY = "early"  # 早退 (present)
    DEEMED_PRESENT = "deemed_present"  # 出席扱い (present)


FIGURE_LABELS: dict[Figure, str] = {
    Figure.ABSENT: "欠席",
    Figure.SUSPENDED: "出席停止・忌引等",
    Figure.LATE: "遅刻",
    Figure.EARLY: "早退",
    Figure.DEEMED_PRESENT: "出席扱い",
}


@dataclass(frozen=True)
class CodeDef:
    """One attendance code of a municipality (出欠記号)."""

    code: str  # stable key stored on marks
    symbol: str  # what the register shows (欠, 病, チ, 遅 ...)
    label: str
    figure: Figure
    key: str = ""  # keyboard shortcut on the daily entry page
    sort_order: int = 0
    active: bool = True  # offered for new marks (a retired code still explains old ones)


# The default table of domain-ja.md; a municipality can change symbols, labels and figures.
DEFAULT_CODES: tuple[CodeDef, ...] = (
    CodeDef("sick", "病", "欠席 (病気)", Figure.ABSENT, "1", 1),
    CodeDef("absent", "事", "欠席 (事故)", Figure.ABSENT, "2", 2),
    CodeDef("late", "遅", "遅刻", Figure.LATE, "3", 3),
    CodeDef("early", "早", "早退", Figure.EARLY, "4", 4),
    CodeDef("suspended", "停", "出席停止", Figure.SUSPENDED, "5", 5),
    CodeDef("mourning", "忌", "忌引", Figure.SUSPENDED, "6", 6),
    CodeDef("disaster", "災", "非常変災等", Figure.SUSPENDED, "7", 7),
    CodeDef("deemed", "扱", "出席扱い", Figure.DEEMED_PRESENT, "8", 8),
)


def codes_by_key(codes: Iterable[CodeDef]) -> dict[str, CodeDef]:
    return {c.code: c for c in codes}


def codes_feeding(codes: Iterable[CodeDef], figure: Figure) -> list[str]:
    return [c.code for c in codes if c.figure == figure]


# --- enrolment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A stretch of enrolment, both ends inclusive (the leaving day still counts)."""

    start: dt.date
    end: dt.date | None = None
    grade: int | None = None
    classroom_id: int | None = None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


# --- figures --------------------------------------------------------------------------


def as_of(period: tuple[dt.date, dt.date], today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The part of ``period`` that has happened by ``today`` (today included).

    Figures count only those school days: a day still to come is not 「出席」. None when the
    period has not started yet (nothing to count); the whole period once it is over.
    """
    start, end = period
    if today < start:
        return None
    return start, min(end, today)


def as_of_text(counted_until: dt.date | None, end: dt.date, *, whole: str = "月末") -> str:
    """What a sheet header says of the figures' date: 「2026年11月30日現在」, with
    「（月末まで）」/「（年度末まで）」 once the period is over, or that nothing is counted yet."""
    if counted_until is None:
        return "まだ始まっていません（日数は数えていません）"
    text = f"{counted_until.year}年{counted_until.month}月{counted_until.day}日現在"
    return text + (f"（{whole}まで）" if counted_until >= end else "（今日までの授業日で集計）")


def within(
    period: tuple[dt.date, dt.date], counted: tuple[dt.date, dt.date] | None
) -> tuple[dt.date, dt.date] | None:
    """``period`` narrowed to ``counted`` (None when they do not meet)."""
    if counted is None:
        return None
    start, end = max(period[0], counted[0]), min(period[1], counted[1])
    return (start, end) if start <= end else None


@dataclass(frozen=True)
class Figures:
    """指導要録 「出欠の記録」 figures (also the monthly figures of the 出席簿)."""

    school_days: int = 0  # 授業日数
    suspended_days: int = 0  # 出席停止・忌引等の日数
    absent_days: int = 0  # 欠席日数
    late: int = 0  # 遅刻
    early: int = 0  # 早退
    deemed_present: int = 0  # 出席扱い
    # Breakdown by code of the counted marks (for the register's columns).
    by_code: Mapping[str, int] = field(default_factory=dict, compare=False)

    @property
    def required_days(self) -> int:
        """出席しなければならない日数."""
        return self.school_days - self.suspended_days

    @property
    def present_days(self) -> int:
        """出席日数."""
        return self.required_days - self.absent_days

    @property
    def attendance_rate(self) -> float | None:
        return None if self.required_days == 0 else self.present_days / self.required_days

    def __add__(self, other: Figures) -> Figures:
        by_code = dict(self.by_code)
        for code, n in other.by_code.items():
            by_code[code] = by_code.get(code, 0) + n
        return Figures(
            school_days=self.school_days + other.school_days,
            suspended_days=self.suspended_days + other.suspended_days,
            absent_days=self.absent_days + other.absent_days,
            late=self.late + other.late,
            early=self.early + other.early,
            deemed_present=self.deemed_present + other.deemed_present,
            by_code=by_code,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "school_days": self.school_days,
            "suspended_days": self.suspended_days,
            "required_days": self.required_days,
            "absent_days": self.absent_days,
            "present_days": self.present_days,
            "late": self.late,
            "early": self.early,
            "deemed_present": self.deemed_present,
        }


FIGURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("school_days", "授業日数"),
    ("suspended_days", "出席停止・忌引等の日数"),
    ("required_days", "出席しなければならない日数"),
    ("absent_days", "欠席日数"),
    ("present_days", "出席日数"),
    ("late", "遅刻"),
    ("early", "早退"),
    ("deemed_present", "出席扱い"),
)


# Narrow headers for the register's columns (the full label is the cell's title).
FIGURE_SHORT: dict[str, str] = {
    "school_days": "授業",
    "suspended_days": "停忌等",
    "required_days": "要出席",
    "absent_days": "欠席",
    "present_days": "出席",
    "late": "遅刻",
    "early": "早退",
    "deemed_present": "出扱",
}


def day_status(
    day: dt.date,
    *,
    class_days: Mapping[dt.date, bool],
    spans: Iterable[Span],
    mark: str | None,
) -> str | None:
    """What one date is for a student: None (not counted), "closed" (学級閉鎖), a code, or "".

    A mark on a date that is not a school day for the class, or outside the
    enrolment, is ignored; on a class-closure day the closure wins over any mark.
    """
    if day not in class_days or not any(s.contains(day) for s in spans):
        return None
    if class_days[day]:
        return "closed"
    return mark or ""


def figures(
    *,
    school_days: Iterable[dt.date],
    spans: Iterable[Span],
    marks: Mapping[dt.date, str],
    codes: Iterable[CodeDef] = DEFAULT_CODES,
    closures: Iterable[Closure] = (),
    period: tuple[dt.date, dt.date] | None = None,
) -> Figures:
    """Figures of one student in one school for ``period`` (both ends inclusive).

    ``school_days`` are the school's school days (``schools.calendar_rules.school_days``);
    ``spans`` the student's enrolments in this school (several after a re-transfer,
    each with its grade and class, which decide which closures apply); ``marks`` the
    daily marks that differ from present, by date.
    """
    code_map = codes_by_key(codes)
    spans = list(spans)
    closures = list(closures)
    days = sorted(set(school_days))
    if period is not None:
        days = [d for d in days if period[0] <= d <= period[1]]
    counted: set[dt.date] = set()
    school = suspended = absent = late = early = deemed = 0
    by_code: dict[str, int] = {}
    for span in spans:
        class_days = class_calendar(
            [d for d in days if span.contains(d)],
            closures,
            grade=span.grade,
            classroom_id=span.classroom_id,
        )
        for day, closed in class_days.items():
            if day in counted:  # overlapping spans (a class change on the same day)
                continue
            counted.add(day)
            school += 1
            if closed:
                suspended += 1
                continue
            code = marks.get(day)
            definition = code_map.get(code) if code else None
            if definition is None:  # present, or a code the municipality removed
                continue
            by_code[code] = by_code.get(code, 0) + 1
            match definition.figure:
                case Figure.SUSPENDED:
                    suspended += 1
                case Figure.ABSENT:
                    absent += 1
                case Figure.LATE:
                    late += 1
                case Figure.EARLY:
                    early += 1
                case Figure.DEEMED_PRESENT:
                    deemed += 1
    return Figures(school, suspended, absent, late, early, deemed, by_code)


def figures_from_counts(
    *,
    school_days: int,
    closed_days: int,
    counts: Mapping[str, int],
    codes: Iterable[CodeDef] = DEFAULT_CODES,
) -> Figures:
    """Figures from counts already aggregated (SQL): marks counted per code on open days."""
    totals = dict.fromkeys(Figure, 0)
    by_code: dict[str, int] = {}
    for c in codes:
        n = counts.get(c.code, 0)
        if n:
            totals[c.figure] += n
            by_code[c.code] = n
    return Figures(
        school_days=school_days,
        suspended_days=closed_days + totals[Figure.SUSPENDED],
        absent_days=totals[Figure.ABSENT],
        late=totals[Figure.LATE],
        early=totals[Figure.EARLY],
        deemed_present=totals[Figure.DEEMED_PRESENT],
        by_code=by_code,
    )


# --- long absence -----------------------------------------------------------------------


def projected_absences(absent_so_far: int, days_so_far: int, days_in_year: int) -> float:
    """Absences projected to the end of the year at the rate so far."""
    if days_so_far <= 0:
        return float(absent_so_far)
    return absent_so_far / days_so_far * days_in_year


def long_absence_status(absent_so_far: int, days_so_far: int, days_in_year: int) -> str | None:
    """ "reached" (30+ days already), "projected" (on course for 30 by year end) or None."""
    if absent_so_far >= LONG_ABSENCE_DAYS:
        return "reached"
    if projected_absences(absent_so_far, days_so_far, days_in_year) >= LONG_ABSENCE_DAYS:
        return "projected"
    return None
