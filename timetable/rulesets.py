"""The whole of a school's 自動作成の決まり as one value (``RuleBook``): read, compared, written.

The Excel import (``timetable.rules_excel``) and the API (``PUT
/api/v1/timetable/generation-rules/<school>/``) state the rules all at once; the page states
them form by form (``timetable.rulebook``). Both check through the same functions
(``rulebook.check_double``, ``rulebook.check_wish``, ``services.unavailable_slots``), so a
page, a file and the API cannot disagree about what is allowed.

A book says what it names and leaves the rest: a section that is None is not touched; the
teachers and assignments it lists are set, the others stay; its wishes are the whole list
(those not in it go). ``differences`` compares it with what is stored (``Diff``: what the
preview shows and the audit records); ``apply`` writes a diff inside the caller's transaction;
``replace`` is the API's one audited service.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from schools import audit, calendar
from schools.models import School, SchoolYear, Staff, Subject, TeachingAssignment
from schools.permissions import Actor
from timetable import queries, rulebook, services
from timetable.models import (
    WEEKDAYS,
    DoublePeriod,
    GenerationRules,
    SlotPreference,
    TeacherLimit,
    Unavailability,
)
from timetable.rulebook import Limits

SETTING_FIELDS = (
    "double_not_first",
    "lunch_after",
    "spread_two_period",
    "teacher_max_daily",
    "teacher_max_row",
    "teacher_max_gaps_day",
    "teacher_max_gaps_week",
)
SETTING_LABELS = {
    "double_not_first": "2時間続きを1校時から始めない",
    "lunch_after": "昼休みの前の校時",
    "spread_two_period": "週2コマの教科は続けた日に置かない",
    "teacher_max_daily": "先生の1日の上限",
    "teacher_max_row": "先生の連続の上限",
    "teacher_max_gaps_day": "先生の空きコマ (1日)",
    "teacher_max_gaps_week": "先生の空きコマ (週)",
}
LIMIT_LABELS = ("1日の上限", "連続の上限", "空きコマ (1日)", "空きコマ (週)")
KIND_LABELS = dict(SlotPreference.Kind.choices)


@dataclass(frozen=True)
class Settings:
    """The school's own rules (``GenerationRules``): None = no limit / the bell schedule's."""

    double_not_first: bool = True
    lunch_after: int | None = None
    spread_two_period: bool = True
    teacher_max_daily: int | None = None
    teacher_max_row: int | None = None
    teacher_max_gaps_day: int | None = None
    teacher_max_gaps_week: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTING_FIELDS}


@dataclass(frozen=True)
class Wish:
    """A ``SlotPreference`` as a value (subjects by pk, sorted)."""

    kind: str
    subjects: tuple[int, ...]
    periods: tuple[int, ...]
    weekdays: tuple[int, ...] = ()
    weight: int = 50
    note: str = ""


@dataclass(frozen=True)
class Absence:
    """One teacher's 授業不可 of the year: the (weekday, period) slots and one reason."""

    slots: frozenset[tuple[int, int]] = frozenset()
    reason: str = ""


@dataclass
class RuleBook:
    settings: Settings | None = None
    teacher_limits: dict[int, Limits] | None = None  # staff pk -> own limits
    doubles: dict[int, int] | None = None  # assignment pk -> per week (0 = none)
    wishes: list[Wish] | None = None  # the whole list
    unavailable: dict[int, Absence] | None = None  # staff pk -> slots


# --- reading -------------------------------------------------------------------------------


def staff_of(school: School, year: SchoolYear) -> list[Staff]:
    """Whose limits and 授業不可 the rules name: the timetable's teachers, everyone with a
    role or an assignment at the school, and teachers with their own limits."""
    ids = {s.pk for s in queries.timetable_staff(school, year)}
    ids |= {s.pk for s in queries.school_staff(school, year)}
    ids |= set(TeacherLimit.objects.filter(school=school).values_list("staff_id", flat=True))
    staff = Staff.objects.filter(pk__in=ids).select_related("user")
    return list(staff.order_by("kana", "name", "pk"))


def double_candidates(school: School, year: SchoolYear) -> list[TeachingAssignment]:
    """Assignments that may have a double (two periods a week or more), as the page lists."""
    return [a for a in queries.assignments_for(school, year) if int(a.weekly_periods) >= 2]


def wish_of(pref: SlotPreference) -> Wish:
    return Wish(
        pref.kind,
        tuple(sorted(s.pk for s in pref.subjects.all())),
        tuple(pref.periods),
        tuple(pref.weekdays or ()),
        pref.weight,
        pref.note,
    )


def settings_value(row: GenerationRules) -> Settings:
    return Settings(**{name: getattr(row, name) for name in SETTING_FIELDS})


def current(school: School, year: SchoolYear) -> RuleBook:
    """Everything stored, complete (what the export writes and GET answers)."""
    limits = {
        t.staff_id: Limits(t.max_daily, t.max_row, t.max_gaps_day, t.max_gaps_week)
        for t in TeacherLimit.objects.filter(school=school)
    }
    absent: dict[int, tuple[set[tuple[int, int]], list[str]]] = {}
    for r in Unavailability.objects.filter(school=school, school_year=year):
        slots, reasons = absent.setdefault(r.staff_id, (set(), []))
        slots.add((r.weekday, r.period))
        reasons.append(r.reason)
    return RuleBook(
        settings=settings_value(rulebook.settings_of(school)),
        teacher_limits=limits,
        doubles=dict(
            DoublePeriod.objects.filter(
                assignment__school=school, assignment__school_year=year
            ).values_list("assignment_id", "per_week")
        ),
        wishes=[
            wish_of(p)
            for p in SlotPreference.objects.filter(school=school).prefetch_related("subjects")
        ],
        unavailable={
            pk: Absence(frozenset(slots), _reason(reasons))
            for pk, (slots, reasons) in absent.items()
        },
    )


def _reason(reasons: list[str]) -> str:
    """A teacher's one reason: the page sets one for all; the most common if they differ."""
    return Counter(reasons).most_common(1)[0][0] if reasons else ""


# --- checking ------------------------------------------------------------------------------


def _at(where: str, check_one: Callable[[], object]) -> None:
    """Run one check; its error is raised again under ``where`` (「settings.lunch_after」,
    「preferences[1].periods」), so the API's message names the field."""
    try:
        check_one()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {f"{where}.{name}": msgs for name, msgs in exc.message_dict.items()}
            ) from None
        raise ValidationError({where: exc.messages}) from None


LIMIT_KEYS = ("daily", "row", "gaps_day", "gaps_week")


def _check_limit(where: str, value: object, label: str, low: int) -> None:
    _at(where, lambda: rulebook.limit_value(value, label, low=low))


def check(school: School, year: SchoolYear, book: RuleBook) -> None:
    """Refuse (ValidationError naming the field) what the page would refuse."""
    if book.settings is not None:
        for name, low in (
            ("lunch_after", 1),
            ("teacher_max_daily", 1),
            ("teacher_max_row", 1),
            ("teacher_max_gaps_day", 0),
            ("teacher_max_gaps_week", 0),
        ):
            value = getattr(book.settings, name)
            _check_limit(f"settings.{name}", value, SETTING_LABELS[name], low)
    staff_ids = {s.pk for s in staff_of(school, year)}
    not_here = "この学校の先生ではありません。"
    for pk, lim in (book.teacher_limits or {}).items():
        if pk not in staff_ids:
            raise ValidationError({f"teacher_limits[{pk}].staff": not_here})
        for key, label, value in zip(LIMIT_KEYS, LIMIT_LABELS, lim, strict=True):
            low = 1 if key in ("daily", "row") else 0
            _check_limit(f"teacher_limits[{pk}].{key}", value, label, low)
    if book.doubles:
        found = {
            a.pk: a
            for a in TeachingAssignment.objects.filter(
                pk__in=list(book.doubles), school=school, school_year=year, is_draft=False
            ).select_related("subject", "classroom", "group")
        }
        for pk, n in book.doubles.items():
            if pk not in found:
                raise ValidationError(
                    {f"doubles[{pk}].assignment": "この学校・年度の担当ではありません。"}
                )
            _check_limit(f"doubles[{pk}].per_week", n, "2時間続きの回数", 0)
            _at(f"doubles[{pk}].per_week", lambda a=found[pk], n=n: rulebook.check_double(a, n))
    most = calendar.periods_per_day(school)
    for i, wish in enumerate(book.wishes or []):
        _at(
            f"preferences[{i}]",
            lambda w=wish: rulebook.check_wish(
                school,
                kind=w.kind,
                subjects=w.subjects,
                periods=w.periods,
                weekdays=w.weekdays,
                weight=w.weight,
                most=most,
            ),
        )
        if len(wish.note) > 40:
            raise ValidationError(
                {f"preferences[{i}].note": "理由は40文字以内で入力してください。"}
            )
    for pk, absence in (book.unavailable or {}).items():
        if pk not in staff_ids:
            raise ValidationError({f"unavailability[{pk}].staff": not_here})
        _at(f"unavailability[{pk}]", lambda a=absence: services.check_reason(a.reason))
        _at(f"unavailability[{pk}]", lambda a=absence: services.unavailable_slots(a.slots))


# --- comparing -----------------------------------------------------------------------------


@dataclass
class Diff:
    """What writing a book changes, with the preview's lines (Japanese) per section."""

    settings: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    limits: dict[int, tuple[Limits, Limits]] = field(default_factory=dict)
    doubles: dict[int, tuple[int, int]] = field(default_factory=dict)
    wishes_added: list[Wish] = field(default_factory=list)
    wishes_removed: list[tuple[int, Wish]] = field(default_factory=list)
    unavailable: dict[int, tuple[Absence, Absence]] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)
    touches_year: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.settings
            or self.limits
            or self.doubles
            or self.wishes_added
            or self.wishes_removed
            or self.unavailable
        )

    def count(self) -> int:
        return sum(len(v) for v in self.lines.values())

    def parts(self) -> list[object]:
        """Every change, in a stable order (an import's fingerprint)."""
        return [
            sorted(self.settings.items()),
            sorted((k, tuple(a), tuple(b)) for k, (a, b) in self.limits.items()),
            sorted(self.doubles.items()),
            sorted(repr(w) for w in self.wishes_added),
            sorted(pk for pk, _ in self.wishes_removed),
            sorted(
                (k, sorted(a.slots), a.reason, sorted(b.slots), b.reason)
                for k, (a, b) in self.unavailable.items()
            ),
        ]

    def audit(self) -> dict[str, Any]:
        """The audit record's ``changes`` (JSON)."""
        out: dict[str, Any] = {}
        if self.settings:
            out["settings"] = {k: list(v) for k, v in self.settings.items()}
        if self.limits:
            out["limits"] = {str(k): [list(a), list(b)] for k, (a, b) in self.limits.items()}
        if self.doubles:
            out["doubles"] = {str(k): list(v) for k, v in self.doubles.items()}
        if self.wishes_added or self.wishes_removed:
            out["wishes"] = {
                "added": [w.__dict__ | {"subjects": list(w.subjects)} for w in self.wishes_added],
                "removed": [pk for pk, _ in self.wishes_removed],
            }
        if self.unavailable:
            out["unavailability"] = {
                str(k): [sorted(list(x) for x in a.slots), sorted(list(x) for x in b.slots)]
                for k, (a, b) in self.unavailable.items()
            }
        out["summary"] = {k: v for k, v in self.lines.items() if v}
        return out


def _text(value: object) -> str:
    if value is None or value == "":
        return "（空欄）"
    if value is True:
        return "する"
    if value is False:
        return "しない"
    return str(value)


def limits_text(lim: Limits) -> str:
    parts = [f"{label} {v}" for label, v in zip(LIMIT_LABELS, lim, strict=True) if v is not None]
    return "、".join(parts) or "学校の既定"


def slots_text(slots: Iterable[tuple[int, int]]) -> str:
    return "・".join(f"{WEEKDAYS[w][1]}{p}" for w, p in sorted(slots)) or "なし"


def periods_label(periods: Iterable[int]) -> str:
    """[1, 2, 3, 4] -> 「1〜4」, [1, 3] -> 「1・3」 (the Excel cell; ``rulebook.periods_text``
    without 校時)."""
    return rulebook.periods_text(periods).removesuffix("校時")


def wish_text(wish: Wish, subjects: Mapping[int, str]) -> str:
    """「保健体育は5校時を避ける 80%」 (as ``rulebook.describe``, with the weight)."""
    days = "".join(WEEKDAYS[d][1] for d in wish.weekdays)
    when = (days + "曜" if days else "") + rulebook.periods_text(wish.periods)
    names = "・".join(subjects.get(s, "?") for s in wish.subjects)
    verb = "を避ける" if wish.kind == SlotPreference.Kind.AVOID else "に置く"
    return f"{names}は{when}{verb} {wish.weight}%" + (f" ({wish.note})" if wish.note else "")


def differences(school: School, year: SchoolYear, book: RuleBook) -> Diff:
    """What writing ``book`` would change (nothing written)."""
    now = current(school, year)
    diff = Diff()
    staff = {s.pk: s.name for s in staff_of(school, year)}
    if book.settings is not None and now.settings is not None:
        old, new = now.settings.as_dict(), book.settings.as_dict()
        diff.settings = {k: (old[k], new[k]) for k in SETTING_FIELDS if old[k] != new[k]}
        diff.lines["settings"] = [
            f"{SETTING_LABELS[k]}: {_text(a)} → {_text(b)}" for k, (a, b) in diff.settings.items()
        ]
    if book.teacher_limits is not None:
        have = now.teacher_limits or {}
        for pk, lim in book.teacher_limits.items():
            old_lim = have.get(pk, Limits())
            if tuple(old_lim) != tuple(lim):
                diff.limits[pk] = (old_lim, lim)
        diff.lines["limits"] = [
            f"{staff.get(pk, pk)}: {limits_text(a)} → {limits_text(b)}"
            for pk, (a, b) in diff.limits.items()
        ]
    if book.doubles is not None:
        have = now.doubles or {}
        diff.doubles = {
            pk: (have.get(pk, 0), n) for pk, n in book.doubles.items() if have.get(pk, 0) != n
        }
        names = {
            a.pk: f"{a.classroom.label if a.classroom_id else a.group.name} {a.subject.name}"
            for a in TeachingAssignment.objects.filter(pk__in=list(diff.doubles)).select_related(
                "classroom", "group", "subject"
            )
        }
        diff.lines["doubles"] = [
            f"{names.get(pk, pk)}: 週{a}回 → 週{b}回" for pk, (a, b) in diff.doubles.items()
        ]
    if book.wishes is not None:
        stored = [
            (p.pk, wish_of(p))
            for p in SlotPreference.objects.filter(school=school).prefetch_related("subjects")
        ]
        wanted = Counter(book.wishes)
        for pk, wish in stored:
            if wanted[wish] > 0:
                wanted[wish] -= 1
            else:
                diff.wishes_removed.append((pk, wish))
        kept = Counter(w for _, w in stored) - Counter(w for _, w in diff.wishes_removed)
        for wish in book.wishes:
            if kept[wish] > 0:
                kept[wish] -= 1
            else:
                diff.wishes_added.append(wish)
        subjects = dict(
            Subject.objects.filter(
                pk__in={s for w in book.wishes + [w for _, w in stored] for s in w.subjects}
            ).values_list("pk", "name")
        )
        diff.lines["wishes"] = [f"追加: {wish_text(w, subjects)}" for w in diff.wishes_added] + [
            f"削除: {wish_text(w, subjects)}" for _, w in diff.wishes_removed
        ]
    if book.unavailable is not None:
        have_abs = now.unavailable or {}
        for pk, absence in book.unavailable.items():
            old_abs = have_abs.get(pk, Absence())
            same_slots = old_abs.slots == absence.slots
            same_reason = not absence.slots or old_abs.reason == absence.reason
            if not (same_slots and same_reason):
                diff.unavailable[pk] = (old_abs, absence)
        diff.lines["unavailable"] = [
            f"{staff.get(pk, pk)}: {slots_text(a.slots)} → {slots_text(b.slots)}"
            + (f" (理由: {b.reason})" if b.reason and b.slots else "")
            for pk, (a, b) in diff.unavailable.items()
        ]
    diff.touches_year = bool(diff.doubles or diff.unavailable)
    return diff


# --- writing -------------------------------------------------------------------------------


def apply(school: School, year: SchoolYear, diff: Diff) -> None:
    """Write ``diff`` inside the caller's transaction; the caller audits (one record)."""
    if diff.settings:
        row = rulebook.settings_of(school)
        for name, (_, new) in diff.settings.items():
            setattr(row, name, new)
        row.save()
    for staff_id, (_, lim) in diff.limits.items():
        rulebook.store_teacher_limits(school, staff_id, lim)
    for pk, (_, n) in diff.doubles.items():
        if n:
            DoublePeriod.objects.update_or_create(assignment_id=pk, defaults={"per_week": n})
        else:
            DoublePeriod.objects.filter(assignment_id=pk).delete()
    if diff.wishes_removed:
        SlotPreference.objects.filter(
            school=school, pk__in=[pk for pk, _ in diff.wishes_removed]
        ).delete()
    for wish in diff.wishes_added:
        pref = SlotPreference.objects.create(
            school=school,
            kind=wish.kind,
            periods=list(wish.periods),
            weekdays=list(wish.weekdays),
            weight=wish.weight,
            note=wish.note,
        )
        pref.subjects.set(wish.subjects)
    for staff_id, (_, absence) in diff.unavailable.items():
        Unavailability.objects.filter(school=school, school_year=year, staff_id=staff_id).delete()
        Unavailability.objects.bulk_create(
            Unavailability(
                school=school,
                school_year=year,
                staff_id=staff_id,
                weekday=w,
                period=p,
                reason=absence.reason,
            )
            for w, p in sorted(absence.slots)
        )


@transaction.atomic
def replace(school: School, year: SchoolYear, book: RuleBook, *, by: Actor) -> Diff:
    """State the rules at once (the API's PUT): checked as the page checks, written in one
    transaction with one audit record (none when nothing changes)."""
    services.require_editor(by, school.pk)
    check(school, year, book)
    diff = differences(school, year, book)
    if diff.touches_year:
        services.require_writable(year)
    if not diff.empty:
        apply(school, year, diff)
        audit.record(
            by,
            "timetable.rules.replace",
            school,
            school=school,
            changes={"school_year": year.year, **diff.audit()},
        )
    return diff
