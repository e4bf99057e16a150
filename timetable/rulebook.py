"""自動作成の決まり: the rules a 教務主任 states beyond the assignments, read and written.

2時間続き per assignment (not in period 1, not across lunch), two-period subjects not on
consecutive days, teachers' maximum periods a day and in a row and their 空きコマ (a school
default, a teacher's own), and weighted wishes (「保健体育は5校時を避ける」 80 %).
:func:`rules_of` turns the rows into plain values for :func:`timetable.planning.plan_for`;
the writes are one service per user action, each audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from schools import audit
from schools.models import School, SchoolYear, Staff, Subject, TeachingAssignment
from schools.permissions import Actor, as_pk
from timetable import services
from timetable.models import (
    WEEKDAYS,
    BellSchedule,
    DoublePeriod,
    GenerationRules,
    SlotPreference,
    TeacherLimit,
)

LUNCH_DEFAULT = 4  # 給食・昼休み after 4校時 when no bell schedule says otherwise
LONG_BREAK = dt.timedelta(minutes=30)
LIMIT_MAX = 12
WEIGHTS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100)


@dataclass(frozen=True)
class Limits:
    """A teacher's limits (None = no limit): periods a day, in a row, 空きコマ a day / week."""

    daily: int | None = None
    row: int | None = None
    gaps_day: int | None = None
    gaps_week: int | None = None

    def over(self, base: Limits) -> Limits:
        """These limits, each missing one taken from ``base`` (the school's)."""
        return Limits(
            *(mine if mine is not None else theirs for mine, theirs in zip(self, base, strict=True))
        )

    def __iter__(self):
        return iter((self.daily, self.row, self.gaps_day, self.gaps_week))

    @property
    def any(self) -> bool:
        return any(x is not None for x in self)


@dataclass(frozen=True)
class Preference:
    subjects: tuple[str, ...]  # subject names
    periods: tuple[int, ...]  # 1-based
    weekdays: tuple[int, ...] = ()  # () = every day
    avoid: bool = True
    weight: int = 50

    @property
    def label(self) -> str:
        """「保健体育が5校時」, 「国語・数学が1〜4校時以外」: what one broken lesson is."""
        days = "".join(WEEKDAYS[d][1] for d in self.weekdays)
        when = (days + "曜" if days else "") + periods_text(self.periods)
        return f"{'・'.join(self.subjects)}が{when}{'' if self.avoid else '以外'}"


@dataclass(frozen=True)
class Rules:
    """Everything :func:`timetable.planning.plan_for` needs beyond the assignments."""

    double_not_first: bool = True
    lunch_after: int = LUNCH_DEFAULT
    spread_two_period: bool = True
    school_limits: Limits = Limits()
    teacher_limits: Mapping[int, Limits] = field(default_factory=dict)  # staff pk -> own
    doubles: Mapping[int, int] = field(default_factory=dict)  # assignment pk -> per week
    preferences: tuple[Preference, ...] = ()

    def limits_of(self, staff_id: int) -> Limits:
        own = self.teacher_limits.get(staff_id)
        return own.over(self.school_limits) if own else self.school_limits


def periods_text(periods: Iterable[int]) -> str:
    """[1, 2, 3, 4] -> 「1〜4校時」, [5] -> 「5校時」, [1, 3] -> 「1・3校時」."""
    ps = sorted(set(periods))
    if not ps:
        return ""
    if len(ps) > 2 and ps == list(range(ps[0], ps[-1] + 1)):
        return f"{ps[0]}〜{ps[-1]}校時"
    return "・".join(str(p) for p in ps) + "校時"


def bell_lunch(school: School, year: SchoolYear) -> int | None:
    """The period after which the default bell schedule has its long break (昼休み)."""
    schedule = (
        BellSchedule.objects.filter(school=school, school_year=year, is_default=True)
        .prefetch_related("periods")
        .first()
    )
    if schedule is None:
        return None
    periods = [p for p in schedule.periods.all() if p.number >= 1]
    best, after = dt.timedelta(0), None
    for a, b in zip(periods, periods[1:], strict=False):
        gap = dt.datetime.combine(dt.date.min, b.start) - dt.datetime.combine(dt.date.min, a.end)
        if gap > best:
            best, after = gap, a.number
    return after if best >= LONG_BREAK else None


def settings_of(school: School) -> GenerationRules:
    """The school's row, or the defaults (unsaved) when it has none."""
    return GenerationRules.objects.filter(school=school).first() or GenerationRules(school=school)


def rules_of(school: School, year: SchoolYear) -> Rules:
    row = settings_of(school)
    lunch = row.lunch_after or bell_lunch(school, year) or LUNCH_DEFAULT
    own = {
        t.staff_id: Limits(t.max_daily, t.max_row, t.max_gaps_day, t.max_gaps_week)
        for t in TeacherLimit.objects.filter(school=school)
    }
    doubles = dict(
        DoublePeriod.objects.filter(
            assignment__school=school, assignment__school_year=year
        ).values_list("assignment_id", "per_week")
    )
    prefs = tuple(
        Preference(
            tuple(s.name for s in p.subjects.all()),
            tuple(p.periods),
            tuple(p.weekdays or ()),
            p.kind == SlotPreference.Kind.AVOID,
            p.weight,
        )
        for p in SlotPreference.objects.filter(school=school).prefetch_related("subjects")
    )
    return Rules(
        double_not_first=row.double_not_first,
        lunch_after=lunch,
        spread_two_period=row.spread_two_period,
        school_limits=Limits(
            row.teacher_max_daily,
            row.teacher_max_row,
            row.teacher_max_gaps_day,
            row.teacher_max_gaps_week,
        ),
        teacher_limits=own,
        doubles=doubles,
        preferences=prefs,
    )


# --- writes ------------------------------------------------------------------------------


def _limit(value: object, label: str, *, low: int = 0) -> int | None:
    """A blank is no limit; otherwise a whole number in range (full-width digits accepted)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        n = int(text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    except ValueError:
        raise ValidationError({label: f"{label}は数で入力してください。"}) from None
    if not low <= n <= LIMIT_MAX:
        raise ValidationError({label: f"{label}は {low}〜{LIMIT_MAX} で入力してください。"})
    return n


def limit_value(value: object, label: str, *, low: int = 0) -> int | None:
    """A limit as typed (blank = None), checked as the page checks it."""
    return _limit(value, label, low=low)


def limits_from(values: Mapping[str, object]) -> Limits:
    """Limits as typed in a form (``daily``, ``row``, ``gaps_day``, ``gaps_week``)."""
    return Limits(
        _limit(values.get("daily"), "1日の上限", low=1),
        _limit(values.get("row"), "連続の上限", low=1),
        _limit(values.get("gaps_day"), "空きコマ (1日)"),
        _limit(values.get("gaps_week"), "空きコマ (週)"),
    )


def _editor(by: Actor, school: School) -> None:
    services.require_editor(by, school.pk)


@transaction.atomic
def save_settings(
    school: School,
    *,
    by: Actor,
    double_not_first: bool,
    lunch_after: object,
    spread_two_period: bool,
    limits: Limits,
) -> GenerationRules:
    """The school's own rules and its teachers' default limits."""
    _editor(by, school)
    lunch = _limit(lunch_after, "昼休みの前の校時", low=1)
    row = settings_of(school)
    before = _settings_dict(row)
    row.double_not_first = bool(double_not_first)
    row.lunch_after = lunch
    row.spread_two_period = bool(spread_two_period)
    (
        row.teacher_max_daily,
        row.teacher_max_row,
        row.teacher_max_gaps_day,
        row.teacher_max_gaps_week,
    ) = tuple(limits)
    row.save()
    after = _settings_dict(row)
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        audit.record(by, "timetable.generation_rules.set", row, school=school, changes=changes)
    return row


def _settings_dict(row: GenerationRules) -> dict[str, object]:
    return {
        "double_not_first": row.double_not_first,
        "lunch_after": row.lunch_after,
        "spread_two_period": row.spread_two_period,
        "teacher_max_daily": row.teacher_max_daily,
        "teacher_max_row": row.teacher_max_row,
        "teacher_max_gaps_day": row.teacher_max_gaps_day,
        "teacher_max_gaps_week": row.teacher_max_gaps_week,
    }


@transaction.atomic
def save_doubles(
    school: School, school_year: SchoolYear, counts: Mapping[object, object], *, by: Actor
) -> int:
    """2時間続き a week of each assignment (``{assignment pk: count}``; 0 or blank = none).
    An assignment of another school or year is refused; a count is at most half its hours."""
    _editor(by, school)
    services.require_writable(school_year)
    wanted: dict[int, int] = {}
    for key, value in counts.items():
        pk = as_pk(key)
        n = _limit(value, "2時間続きの回数")
        if pk is None:
            raise ValidationError("担当が見つかりません。")
        wanted[pk] = n or 0
    found = {
        a.pk: a
        for a in TeachingAssignment.objects.filter(
            pk__in=list(wanted), school=school, school_year=school_year
        ).select_related("subject", "classroom", "group")
    }
    if set(wanted) - set(found):
        raise ValidationError("この学校・年度の担当ではないものがあります。")
    for pk, n in wanted.items():
        check_double(found[pk], n)
    before = dict(
        DoublePeriod.objects.filter(assignment_id__in=list(wanted)).values_list(
            "assignment_id", "per_week"
        )
    )
    changes = {}
    for pk, n in wanted.items():
        if before.get(pk, 0) == n:
            continue
        if n:
            DoublePeriod.objects.update_or_create(assignment_id=pk, defaults={"per_week": n})
        else:
            DoublePeriod.objects.filter(assignment_id=pk).delete()
        changes[str(pk)] = [before.get(pk, 0), n]
    if changes:
        audit.record(
            by, "timetable.double_period.set", school, school=school, changes={"doubles": changes}
        )
    return sum(1 for n in wanted.values() if n)


def store_teacher_limits(school: School, staff_id: int, lim: Limits) -> None:
    """One teacher's row as ``lim`` says (all blank = no row: the school's limits apply).
    No check, no audit: for the services that do both (this one's caller, the rulebook
    import and API)."""
    if lim.any:
        TeacherLimit.objects.update_or_create(
            school=school,
            staff_id=staff_id,
            defaults=dict(
                zip(("max_daily", "max_row", "max_gaps_day", "max_gaps_week"), lim, strict=True)
            ),
        )
    else:
        TeacherLimit.objects.filter(school=school, staff_id=staff_id).delete()


@transaction.atomic
def save_teacher_limits(school: School, limits: Mapping[object, Limits], *, by: Actor) -> int:
    """Each listed teacher's own limits (all blank = the school's)."""
    _editor(by, school)
    wanted = {as_pk(k): v for k, v in limits.items()}
    if None in wanted:
        raise ValidationError("先生が見つかりません。")
    if Staff.objects.filter(pk__in=list(wanted)).count() != len(wanted):
        raise ValidationError("先生が見つかりません。")
    before = {
        t.staff_id: Limits(t.max_daily, t.max_row, t.max_gaps_day, t.max_gaps_week)
        for t in TeacherLimit.objects.filter(school=school, staff_id__in=list(wanted))
    }
    changes = {}
    for staff_id, lim in wanted.items():
        old = before.get(staff_id, Limits())
        if tuple(old) == tuple(lim):
            continue
        store_teacher_limits(school, staff_id, lim)
        changes[str(staff_id)] = [list(old), list(lim)]
    if changes:
        audit.record(
            by, "timetable.teacher_limit.set", school, school=school, changes={"limits": changes}
        )
    return sum(1 for lim in wanted.values() if lim.any)


@transaction.atomic
def add_preference(
    school: School,
    *,
    by: Actor,
    kind: str,
    subjects: Iterable[object],
    periods: Iterable[object],
    weekdays: Iterable[object] = (),
    weight: object,
    most: int = 8,
) -> SlotPreference:
    """A weighted wish: ``subjects`` avoid (or keep to) ``periods`` on ``weekdays`` (none =
    every day)."""
    _editor(by, school)
    kind, chosen, ps, days, w = check_wish(
        school,
        kind=kind,
        subjects=subjects,
        periods=periods,
        weekdays=weekdays,
        weight=weight,
        most=most,
    )
    pref = SlotPreference.objects.create(
        school=school, kind=kind, periods=ps, weekdays=days, weight=w
    )
    pref.subjects.set(chosen)
    audit.record(
        by,
        "timetable.slot_preference.create",
        pref,
        school=school,
        changes={"label": describe(pref), "weight": w},
    )
    return pref


@transaction.atomic
def delete_preference(pref: SlotPreference, *, by: Actor) -> None:
    school = pref.school
    _editor(by, school)
    label = describe(pref)
    audit.record(
        by, "timetable.slot_preference.delete", pref, school=school, changes={"label": label}
    )
    pref.delete()


def preference_of(pref: SlotPreference) -> Preference:
    return Preference(
        tuple(s.name for s in pref.subjects.all()),
        tuple(pref.periods),
        tuple(pref.weekdays or ()),
        pref.kind == SlotPreference.Kind.AVOID,
        pref.weight,
    )


def describe(pref: SlotPreference) -> str:
    """「保健体育は5校時を避ける」, 「国語・数学は1〜4校時に置く」."""
    p = preference_of(pref)
    days = "".join(WEEKDAYS[d][1] for d in p.weekdays)
    when = (days + "曜" if days else "") + periods_text(p.periods)
    return f"{'・'.join(p.subjects)}は{when}{'を避ける' if p.avoid else 'に置く'}"


# --- checks shared by the page's services and the whole rulebook (Excel, API) -------------


def check_double(assignment: TeachingAssignment, per_week: int) -> None:
    """A double a week takes two of the assignment's periods: at most half of them."""
    if 2 * per_week > int(assignment.weekly_periods):
        a = assignment
        who = a.classroom.label if a.classroom_id else a.group.name
        raise ValidationError(
            f"{who} {a.subject.name}は週{a.weekly_periods.normalize()}コマなので、"
            f"2時間続きは週{int(a.weekly_periods) // 2}回までです。"
        )


def check_wish(
    school: School,
    *,
    kind: str,
    subjects: Iterable[object],
    periods: Iterable[object],
    weekdays: Iterable[object] = (),
    weight: object,
    most: int = 8,
) -> tuple[str, list[Subject], list[int], list[int], int]:
    """A wish's values checked: (kind, subjects, periods, weekdays, weight), or a
    ValidationError naming the field."""
    if kind not in SlotPreference.Kind.values:
        raise ValidationError({"kind": "「避ける」か「この時間に置く」を選んでください。"})
    subject_ids = {as_pk(s) for s in subjects} - {None}
    chosen = list(Subject.objects.filter(pk__in=subject_ids, school_type=school.school_type))
    if not chosen or len(chosen) != len(subject_ids):
        raise ValidationError({"subjects": "教科を選んでください。"})
    ps = sorted({_limit(p, "校時", low=1) or 0 for p in periods} - {0})
    if not ps or ps[-1] > most:
        raise ValidationError({"periods": f"校時を 1〜{most} から選んでください。"})
    days = sorted({_limit(d, "曜日") for d in weekdays} - {None})  # type: ignore[type-var]
    if any(d > 5 for d in days):  # type: ignore[operator]
        raise ValidationError({"weekdays": "曜日を選び直してください。"})
    try:
        w = int(str(weight).strip())
    except ValueError:
        w = 0
    if not 1 <= w <= 100:
        raise ValidationError({"weight": "重みを 1〜100 (%) で選んでください。"})
    return kind, chosen, ps, days, w  # type: ignore[return-value]
