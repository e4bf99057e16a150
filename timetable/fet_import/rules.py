"""The FET constraints that are Ai's 自動作成の決まり (``timetable.rulebook``)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as StdET
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from schools.models import Staff
from timetable import rulebook
from timetable.fet_import.changes import RuleChange
from timetable.fet_import.reader import FetActivity, Slot, number, text_of
from timetable.models import WEEKDAYS, DoublePeriod, SlotPreference, TeacherLimit

if TYPE_CHECKING:
    from timetable.fet_import.planner import Planner
# --- 自動作成の決まり --------------------------------------------------------------------------

# FET's teacher limits → (rulebook.Limits field, the element's value tag, lowest value)
_LIMIT_TAGS = {
    "MaxHoursDaily": ("daily", "Maximum_Hours_Daily", 1),
    "MaxHoursContinuously": ("row", "Maximum_Hours_Continuously", 1),
    "MaxGapsPerDay": ("gaps_day", "Max_Gaps", 0),
    "MaxGapsPerWeek": ("gaps_week", "Max_Gaps", 0),
}
LIMIT_FIELDS = ("daily", "row", "gaps_day", "gaps_week")
SCHOOL_FIELD = {
    "daily": "teacher_max_daily",
    "row": "teacher_max_row",
    "gaps_day": "teacher_max_gaps_day",
    "gaps_week": "teacher_max_gaps_week",
}
_SETTING_LABELS = {
    "double_not_first": "2時間続きを1校時に置かない",
    "lunch_after": "昼休みの前の校時",
    "spread_two_period": "週2コマの教科は連続した日に置かない",
    "teacher_max_daily": "先生の1日の上限（学校の既定）",
    "teacher_max_row": "先生の連続の上限（学校の既定）",
    "teacher_max_gaps_day": "先生の空きコマ 1日（学校の既定）",
    "teacher_max_gaps_week": "先生の空きコマ 週（学校の既定）",
}
_SLOT_TAGS = (
    "ConstraintActivityPreferredTimeSlots",
    "ConstraintSubjectPreferredTimeSlots",
    "ConstraintActivitiesPreferredTimeSlots",
)


def _weight(el: StdET.Element) -> float:
    try:
        weight = float(text_of(el, "Weight_Percentage") or "100")
    except ValueError:
        return 100.0
    return weight if math.isfinite(weight) else 100.0


def _setting_text(value: object) -> str:
    if value is True:
        return "する"
    if value is False:
        return "しない"
    return "—" if value is None else str(value)


def _limits_text(lim: rulebook.Limits) -> str:
    if not lim.any:
        return "学校の既定"
    d, r, gd, gw = (("—" if v is None else str(v)) for v in lim)
    return f"1日{d}・連続{r}・空き1日{gd}・空き週{gw}"


def _wish_shape(allowed: set[Slot], week: set[Slot], days: int) -> tuple[str, list, list] | None:
    """The time slots a wish allows (day, period) as Ai's wish: avoid (or keep to) periods
    on weekdays, the shorter of the two; None when it is not periods × weekdays."""
    shapes = []
    for kind, named in ((SlotPreference.Kind.AVOID, week - allowed), ("prefer", allowed & week)):
        ds = sorted({d for d, _ in named})
        ps = sorted({p for _, p in named})
        if named and named == {(d, p) for d in ds for p in ps} & week:
            shapes.append((len(ps) * len(ds), kind, ps, [] if len(ds) == days else ds))
    if not shapes:
        return None
    _, kind, ps, ds = min(shapes, key=lambda x: (x[0], x[1] != SlotPreference.Kind.AVOID))
    return kind, ps, ds


class Rules:
    """The file's rules that are Ai's 自動作成の決まり (``timetable.rulebook``): doubles,
    where they start, two-period subjects spread, teachers' limits, weighted wishes. Returns
    the elements it decided on (kept, or listed as not kept with the reason)."""

    def __init__(self, planner: Planner, used, key_of, act_subject, hour_map) -> None:
        self.p, self.f, self.plan = planner, planner.f, planner.plan
        self.used, self.key_of, self.act_subject = used, key_of, act_subject
        self.hour_map = hour_map
        self.done: set[int] = set()
        self.by_key: dict[tuple, list[FetActivity]] = defaultdict(list)
        for a in used:
            if a.id in key_of:
                self.by_key[key_of[a.id]].append(a)
        self.acts = {a.id: a for a in used}
        days = len(self.f.days)
        self.week = {
            (d, p) for d in range(days) for h, p in hour_map.items() if (d, h) not in self.f.breaks
        }
        self.day_n = {d: max((p for x, p in self.week if x == d), default=0) for d in range(days)}
        school = self.plan.school
        self.row = rulebook.settings_of(school)
        self.before = {k: getattr(self.row, k) for k in _SETTING_LABELS}
        self.after = dict(self.before)

    def keep(self, tag: str, el: StdET.Element, why: str) -> None:
        self.f.kept[f"{tag}（{why}）"] += 1
        self.done.add(id(el))

    def drop(self, tag: str, el: StdET.Element, why: str) -> None:
        self.f.not_kept[f"{tag}（{why}）"] += 1
        self.done.add(id(el))

    def slots(self, el: StdET.Element, item: str, day_tag: str, hour_tag: str) -> set[Slot]:
        days = {n: i for i, n in enumerate(self.f.days)}
        hours = {n: i for i, n in enumerate(self.f.hours)}
        out = set()
        for s in el.findall(item):
            d, h = days.get(text_of(s, day_tag)), hours.get(text_of(s, hour_tag))
            if d is not None and h in self.hour_map:
                out.add((d, self.hour_map[h]))
        return out

    def run(self) -> set[int]:
        self.doubles()
        self.double_starts()
        self.spread()
        self.limits()
        self.wishes()
        plan = self.plan
        if self.after != self.before:
            plan.rule_settings = self.after
            plan.rule_changes[:0] = [
                RuleChange(label, _setting_text(self.before[k]), _setting_text(self.after[k]))
                for k, label in _SETTING_LABELS.items()
                if self.before[k] != self.after[k]
            ]
        return self.done

    # 2時間続き ---------------------------------------------------------------------------
    def doubles(self) -> None:
        plan = self.plan
        olds = {(a.target, a.subject.pk): a.assignment for a in plan.assignments}
        before = dict(
            DoublePeriod.objects.filter(
                assignment_id__in=[a.pk for a in olds.values() if a is not None]
            ).values_list("assignment_id", "per_week")
        )
        labels = {(a.target, a.subject.pk): f"{a.label} {a.subject.name}" for a in plan.assignments}
        for key, acts in self.by_key.items():
            n = sum(1 for a in acts if a.duration == 2)
            if n:
                self.f.kept["2時限続きの活動（2時間続き）"] += n
            old = olds.get(key)
            was = before.get(old.pk, 0) if old is not None else 0
            if n != was:
                plan.doubles[key] = n
                plan.rule_changes.append(
                    RuleChange(f"2時間続き: {labels.get(key, '')}", f"週{was}回", f"週{n}回")
                )

    def double_starts(self) -> None:
        """ActivityPreferredStartingTimes over doubles: the school's 「1校時に置かない」 and
        「昼休みをまたがない」 when every one of them says the same."""
        tag = "ConstraintActivityPreferredStartingTimes"
        found: list[tuple[StdET.Element, frozenset[Slot]]] = []
        for t, el in self.f.others:
            if t != tag or _weight(el) < 100:
                continue
            a = self.acts.get(number(text_of(el, "Activity_Id"), -1))
            if a is None or a.duration != 2:
                continue
            starts = self.slots(
                el, "Preferred_Starting_Time", "Preferred_Starting_Day", "Preferred_Starting_Hour"
            )
            found.append((el, frozenset(starts)))
        if not found:
            return
        lunch_now = (
            self.row.lunch_after
            or rulebook.bell_lunch(self.plan.school, self.plan.year)
            or rulebook.LUNCH_DEFAULT
        )
        most = max(self.day_n.values(), default=0)
        options = [(self.row.double_not_first, lunch_now)] + [
            (first, lunch) for first in (True, False) for lunch in range(1, most + 1)
        ]

        def expected(first: bool, lunch: int) -> frozenset[Slot]:
            return frozenset(
                (d, p)
                for d, n in self.day_n.items()
                for p in range(1, n)
                if not (p == 1 and first) and p != lunch
            )

        wanted = {s for _, s in found}
        fits = [o for o in options if all(expected(*o) == s for s in wanted)]
        if not fits:
            for el, _ in found:
                self.drop(
                    tag, el, "2時間続きの始まりが「1校時に置かない・昼休みをまたがない」の形でない"
                )
            return
        first, lunch = fits[0]
        self.after["double_not_first"] = first
        if lunch != lunch_now:
            self.after["lunch_after"] = lunch
        for el, _ in found:
            self.keep(tag, el, "2時間続きの始まり")

    # 週2コマの教科 ------------------------------------------------------------------------
    def spread(self) -> None:
        tag = "ConstraintMinDaysBetweenActivities"
        on: list[StdET.Element] = []
        off = 0
        for t, el in self.f.others:
            if t != tag or _weight(el) < 100:
                continue
            ids = [number((x.text or ""), -1) for x in el.findall("Activity_Id")]
            keys = {self.key_of.get(i) for i in ids}
            if len(keys) != 1 or None in keys:
                continue
            acts = self.by_key[keys.pop()]
            two = (
                len(acts) == 2
                and all(a.duration == 1 for a in acts)
                and set(ids) == {a.id for a in acts}
            )
            days = number(text_of(el, "MinDays"), 0)
            if days >= 2:
                if two:
                    on.append(el)
                else:
                    self.drop(tag, el, "2日以上空けるのは週2コマの教科だけです")
            elif days == 1 and two:
                off += 1
        if on and off:
            for el in on:
                self.drop(tag, el, "一部の週2コマの教科だけ: 学校の決まりは変えません")
            return
        if on:
            self.after["spread_two_period"] = True
            for el in on:
                self.keep(tag, el, "週2コマの教科は連続した日に置かない")
        elif off:
            self.after["spread_two_period"] = False

    # 先生の上限 -----------------------------------------------------------------------------
    def limits(self) -> None:
        own: dict[str, dict[int, int]] = defaultdict(dict)
        everyone: dict[str, int] = {}
        for tag, el in self.f.others:
            if not tag.startswith("ConstraintTeacher"):
                continue
            rest = tag.removeprefix("ConstraintTeachers").removeprefix("ConstraintTeacher")
            if rest not in _LIMIT_TAGS:
                continue
            name, value_tag, low = _LIMIT_TAGS[rest]
            if _weight(el) < 100:
                self.drop(tag, el, "100%でない上限")
                continue
            value = number(text_of(el, value_tag), -1)
            if not low <= value <= rulebook.LIMIT_MAX:
                self.drop(tag, el, f"{low}〜{rulebook.LIMIT_MAX}の範囲外")
                continue
            if tag.startswith("ConstraintTeachers"):
                everyone[name] = min(value, everyone.get(name, value))
            else:
                staff, _ = self.p.teachers.match(text_of(el, "Teacher_Name"))
                if staff is None:
                    self.drop(tag, el, "Aiにいない教員")
                    continue
                own[name][staff.pk] = min(value, own[name].get(staff.pk, value))
            self.keep(tag, el, "先生の上限")
        fields = [n for n in LIMIT_FIELDS if n in own or n in everyone]
        if not fields:
            return
        scope = {
            s.pk
            for name in [*self.f.teachers, *(t for a in self.used for t in a.teachers)]
            for s in [self.p.teachers.match(name)[0]]
            if s is not None
        } | {pk for n in fields for pk in own[n]}
        default: dict[str, int | None] = {}
        without: set[int] = set()
        for n in fields:
            if n in everyone:  # FET keeps both: a teacher's own counts only when lower
                default[n] = everyone[n]
                own[n] = {pk: v for pk, v in own[n].items() if v < everyone[n]}
                continue
            # Ai writes the school's default as each teacher's rule: the value most have
            counts = Counter(own[n].get(pk) for pk in scope)
            best = max(
                ((v, c) for v, c in counts.items() if v is not None),
                key=lambda x: (x[1], -x[0]),
                default=(None, 0),
            )
            default[n] = best[0] if best[1] * 2 > len(scope) else None
            if default[n] is not None:
                without |= {pk for pk in scope if pk not in own[n]}
            own[n] = {pk: v for pk, v in own[n].items() if v != default[n]}
        for n in fields:
            self.after[SCHOOL_FIELD[n]] = default[n]
        if without:
            self.plan.notes.append(
                f"FETファイルで上限の無い教員 {len(without)}人にも、学校の既定の上限が当たります。"
            )
        before = {
            t.staff_id: rulebook.Limits(t.max_daily, t.max_row, t.max_gaps_day, t.max_gaps_week)
            for t in TeacherLimit.objects.filter(school=self.plan.school)
        }
        names = {s.pk: s.name for s in Staff.objects.filter(pk__in=scope)}
        for pk in sorted(scope & ({k for n in fields for k in own[n]} | set(before))):
            old = before.get(pk, rulebook.Limits())
            values = dict(zip(LIMIT_FIELDS, old, strict=True))
            for n in fields:
                values[n] = own[n].get(pk)
            new = rulebook.Limits(**values)
            if tuple(new) != tuple(old):
                self.plan.teacher_limits[pk] = new
                self.plan.rule_changes.append(
                    RuleChange(
                        f"先生の上限: {names.get(pk, '')}", _limits_text(old), _limits_text(new)
                    )
                )

    # 時間帯の希望 ---------------------------------------------------------------------------
    def wishes(self) -> None:
        by_subject: dict[int, set[int]] = defaultdict(set)
        for a in self.used:
            if a.id in self.act_subject:
                by_subject[self.act_subject[a.id].pk].add(a.id)
        # (weight, allowed) -> subjects, activity ids, elements
        groups: dict[tuple, tuple[set[int], set[int], list]] = {}
        for tag, el in self.f.others:
            if tag not in _SLOT_TAGS or _weight(el) >= 100:
                continue
            if tag == "ConstraintActivityPreferredTimeSlots":
                aid = number(text_of(el, "Activity_Id"), -1)
                subject = self.act_subject.get(aid)
                ids = {aid}
            else:
                other = [
                    text_of(el, x) for x in ("Teacher_Name", "Students_Name", "Activity_Tag_Name")
                ]
                if any(other):
                    self.drop(tag, el, "教科以外で選んだ活動の希望")
                    continue
                subject = self.p.subjects.match(
                    text_of(el, "Subject_Name") or text_of(el, "Subject")
                )
                ids = by_subject.get(subject.pk, set()) if subject else set()
            if subject is None or not ids:
                self.drop(tag, el, "取り込まない活動・教科")
                continue
            allowed = self.slots(el, "Preferred_Time_Slot", "Preferred_Day", "Preferred_Hour")
            weight = min(rulebook.WEIGHTS[:-1], key=lambda w: (abs(w - _weight(el)), w))
            key = (weight, frozenset(allowed))
            subjects, acts, els = groups.setdefault(key, (set(), set(), []))
            subjects.add(subject.pk)
            acts |= ids
            els.append((tag, el))
        if not groups:
            return
        # an equivalent wish the school has (「1〜4校時に置く」 = 「5・6校時を避ける」) is kept
        existing = set()
        for pref in SlotPreference.objects.filter(school=self.plan.school).prefetch_related(
            "subjects"
        ):
            days = pref.weekdays or range(len(self.f.days))
            named = {(d, p) for d in days for p in pref.periods} & self.week
            bad = named if pref.kind == SlotPreference.Kind.AVOID else self.week - named
            subjects = tuple(sorted(x.pk for x in pref.subjects.all()))
            existing.add((subjects, pref.weight, frozenset(bad)))
        names = {s.pk: s.name for s in self.act_subject.values()}
        for (weight, allowed), (subjects, acts, els) in groups.items():
            whole = set().union(*(by_subject[s] for s in subjects))
            shape = _wish_shape(set(allowed), self.week, len(self.f.days))
            why = ""
            if acts != whole:
                why = "教科の一部の学級・活動だけの希望"
            elif shape is None:
                why = "校時×曜日の形でない時間帯"
            if why:
                for tag, el in els:
                    self.drop(tag, el, why)
                continue
            kind, periods, days = shape
            wish = (kind, tuple(sorted(subjects)), tuple(periods), tuple(days), weight)
            for tag, el in els:
                self.keep(tag, el, "時間帯の希望")
            same = (wish[1], weight, frozenset(self.week - allowed))
            if same in existing or wish in self.plan.preferences:
                continue
            self.plan.preferences.append(wish)
            when = ("".join(WEEKDAYS[d][1] for d in days) + "曜" if days else "") + (
                rulebook.periods_text(periods)
            )
            verb = "を避ける" if kind == SlotPreference.Kind.AVOID else "に置く"
            text = f"{'・'.join(names.get(s, '') for s in sorted(subjects))}は{when}{verb}"
            self.plan.rule_changes.append(RuleChange("時間帯の希望", "—", f"{text}（{weight}%）"))
