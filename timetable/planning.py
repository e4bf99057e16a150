"""A school's weekly timetable as a problem for the solver, and the solver's answer as lessons.

``timetable/generation/`` is pure (rules in, placements out); this module is the one bridge
between it and the school's rows: teaching assignments (週時数, teachers), groups (合同,
習熟度別), rooms and their capacity, teachers' unavailable periods, pinned lessons
(固定) and, for a repair, where each lesson is now; the 教務主任's own rules
(:mod:`timetable.rulebook`: 2時間続き, teachers' limits, weighted wishes) are mapped by the
functions at the end of this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from schools.models import Classroom, RoleAssignment, SchoolType, Staff, TeachingGroup
from schools.models import Role as StaffRole
from timetable import queries, rulebook
from timetable.generation import model as gen
from timetable.models import WEEKDAYS, Lesson, Room, Timetable

Mode = Literal["new", "repair"]
MODES: dict[str, str] = {
    "new": "新しく作る (固定した授業のほかは自由に置く)",
    "repair": "今の時間割を直す (動かす授業をできるだけ少なく)",
}
# 特別教室: the subjects that take place in a room of one kind (when the school has one).
SUBJECT_ROOMS: dict[str, tuple[str, ...]] = {
    "理科": (Room.Kind.SCIENCE,),
    "音楽": (Room.Kind.MUSIC,),
    "美術": (Room.Kind.ART,),
    "図画工作": (Room.Kind.ART,),
    "技術・家庭": (Room.Kind.TECH, Room.Kind.HOME_EC),
    "家庭": (Room.Kind.HOME_EC,),
    "体育": (Room.Kind.GYM,),
    "保健体育": (Room.Kind.GYM,),
}
REPAIR_WEIGHT = 95.0  # a moved lesson costs 0.95: fewer moves beat every other preference
SPLIT_KINDS = {TeachingGroup.Kind.SPLIT, TeachingGroup.Kind.ELECTIVE}


@dataclass(frozen=True)
class LessonSpec:
    """What one placed activity becomes: a lesson row (the slot comes from the solver)."""

    classroom_id: int | None
    group_id: int | None
    subject_id: int
    teacher_ids: tuple[int, ...]
    label: str  # 「1年1組 数学」, for the list of moved lessons
    # 分割: a 習熟度別 group's lessons are one section of a division of its classes, so that
    # the clash check lets 数学A and 数学B of the same classes meet at once
    division: str = ""
    section: str = ""


@dataclass
class Plan:
    problem: gen.Problem
    specs: dict[int, LessonSpec]
    rooms: dict[str, int]  # the solver's room name -> Room pk (a gym for two is two names)
    current: dict[int, gen.Slot] = field(default_factory=dict)  # activity -> where it is now
    pinned: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    # the school's weighted wishes, counted in the proposal's score (「保健体育が5校時: 2コマ」)
    wishes: list[Wish] = field(default_factory=list)


@dataclass(frozen=True)
class Wish:
    """One weighted wish as the score counts it: an activity breaks it when any period it
    occupies is one of ``bad``."""

    label: str
    weight: int
    activity_ids: tuple[int, ...]
    bad: frozenset[gen.Slot]


def fingerprint(timetable: Timetable) -> str:
    """Changes when the timetable's lessons, the school's assignments, teachers' unavailable
    periods or the 自動作成の決まり change: a proposal made before such a change is not
    applied over it (it may break a rule stated since)."""
    lessons = sorted(
        (
            lesson.pk,
            lesson.weekday,
            lesson.period,
            lesson.length,
            lesson.classroom_id,
            lesson.group_id,
            lesson.subject_id,
            lesson.room_id,
            lesson.pinned,
            sorted(t.pk for t in lesson.teachers.all()),
        )
        for lesson in timetable.lessons.prefetch_related("teachers")
    )
    assignments = sorted(
        (a.pk, str(a.weekly_periods), sorted(t.pk for t in a.teachers.all()))
        for a in queries.assignments_for(timetable.school, timetable.school_year)
    )
    school, year = timetable.school, timetable.school_year
    unavailable = sorted(
        (staff_id, sorted(slots))
        for staff_id, slots in queries.unavailable_slots(school, year).items()
    )
    stated = dataclasses.asdict(rulebook.rules_of(school, year))
    raw = json.dumps(
        [lessons, assignments, unavailable, stated], default=str, sort_keys=True
    ).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _teacher_names(staff: list[Staff]) -> dict[int, str]:
    """Names as the messages show them; a name two teachers share gets its id."""
    count = defaultdict(int)
    for s in staff:
        count[s.name] += 1
    return {s.pk: s.name if count[s.name] == 1 else f"{s.name}({s.pk})" for s in staff}


def _student_sets(
    classes: list[Classroom], groups: list[TeachingGroup], group_subjects: dict[int, frozenset]
) -> tuple[dict[str, frozenset[str]], dict[int, tuple[str, ...]]]:
    """Atomic subgroups (FET's categories): a class split two ways for 数学 (A/B) and two
    ways for 英語 (X/Y) has the four atoms A|X, A|Y, B|X, B|Y, so that 数学A and 英語X never
    meet at once while 数学A and 数学B may (and must, see SameStart below)."""
    subgroups_of: dict[str, frozenset[str]] = {}
    group_sets: dict[int, list[str]] = defaultdict(list)
    for c in classes:
        partitions: dict[frozenset, list[TeachingGroup]] = defaultdict(list)
        for g in groups:
            if g.kind in SPLIT_KINDS and c.pk in g.class_ids:
                partitions[group_subjects.get(g.pk, frozenset())].append(g)
        parts = [sorted(gs, key=lambda g: g.name) for gs in partitions.values()]
        atoms = (
            [c.label + ":" + "|".join(g.name for g in combo) for combo in itertools.product(*parts)]
            if parts
            else [c.label]
        )
        subgroups_of[c.label] = frozenset(atoms)
        for part in parts:
            for g in part:
                mine = [a for a in atoms if g.name in a.split(":", 1)[1].split("|")]
                group_sets[g.pk].append(c.label + "/" + g.name)
                subgroups_of[c.label + "/" + g.name] = frozenset(mine)
    by_label = {c.pk: c.label for c in classes}
    sets: dict[int, tuple[str, ...]] = {}
    for g in groups:
        if g.kind in SPLIT_KINDS:
            sets[g.pk] = tuple(group_sets[g.pk])
        else:  # 合同・交流: the whole of every class takes part
            sets[g.pk] = tuple(by_label[c] for c in g.class_ids if c in by_label)
    return subgroups_of, sets


def plan_for(timetable: Timetable, *, mode: Mode = "new", periods: list[int]) -> Plan:
    """The problem of ``timetable``'s school: one activity per weekly period of each
    assignment. Hard rules: no clash of a teacher, a class (or a group's students) or a
    room; teachers' unavailable periods; each day's number of periods (``periods[d]``);
    特別教室 for the subjects that need one (a gym for two classes holds two lessons);
    a subject of five or fewer periods a week at most once a day; 習熟度別 groups of the
    same classes and subject at the same time; pinned lessons where they are. A repair adds
    one preference per lesson: stay where it is."""
    school, year = timetable.school, timetable.school_year
    rules = rulebook.rules_of(school, year)
    n_days = len(periods)
    n_hours = max(periods)
    classes = list(Classroom.objects.filter(school=school, school_year=year))
    labels = {c.pk: c.label for c in classes}
    groups = list(
        TeachingGroup.objects.filter(school=school, school_year=year, is_draft=False)
        .prefetch_related("classes")
        .order_by("name")
    )
    for g in groups:
        g.class_ids = [c.pk for c in g.classes.all()]
    assignments = queries.assignments_for(school, year)
    group_subjects: dict[int, frozenset] = defaultdict(frozenset)
    for a in assignments:
        if a.group_id:
            group_subjects[a.group_id] = group_subjects[a.group_id] | {a.subject_id}
    subgroups_of, group_sets = _student_sets(classes, groups, group_subjects)
    homerooms: dict[int, list[int]] = defaultdict(list)
    for c, s in RoleAssignment.objects.filter(
        role=StaffRole.HOMEROOM, classroom_id__in=list(labels), is_draft=False
    ).values_list("classroom_id", "staff_id"):
        homerooms[c].append(s)
    elementary = school.school_type == SchoolType.ELEMENTARY
    staff_ids = {t.pk for a in assignments for t in a.teachers.all()}
    staff_ids |= {s for ss in homerooms.values() for s in ss}
    lessons = list(
        Lesson.objects.filter(timetable=timetable)
        .select_related("subject")
        .prefetch_related("teachers")
        .order_by("pk")
    )
    staff_ids |= {t.pk for lesson in lessons for t in lesson.teachers.all()}
    names = _teacher_names(list(Staff.objects.filter(pk__in=staff_ids)))
    rooms = queries.rooms_of(school)

    problem = gen.Problem(
        days=[label for _, label in WEEKDAYS[:n_days]],
        hours=[f"{h}校時" for h in range(1, n_hours + 1)],
        activities=[],
        teachers=sorted(names.values()),
        subgroups_of=subgroups_of,
        name=f"{school.name} {timetable.name}",
    )
    plan = Plan(problem=problem, specs={}, rooms={})
    breaks = frozenset((d, h) for d in range(n_days) for h in range(periods[d], n_hours))
    if breaks:
        problem.constraints.append(gen.BreakTimes(slots=breaks))
    room_names: dict[str, list[str]] = defaultdict(list)  # kind -> solver room names
    for r in rooms:
        for i in range(r.capacity):
            name = r.name if r.capacity == 1 else f"{r.name}({i + 1})"
            problem.rooms[name] = gen.Room(name)
            plan.rooms[name] = r.pk
            room_names[r.kind].append(name)

    next_id = itertools.count(1)
    by_key: dict[tuple, list[int]] = defaultdict(list)  # (class, group, subject) -> activities
    doubles_at = double_starts(periods, rules)
    for a in assignments:
        teachers = [t.pk for t in a.teachers.all()]
        if not teachers and elementary and a.classroom_id:
            teachers = homerooms.get(a.classroom_id, [])  # 学級担任 teaches what no 専科 does
        target = labels.get(a.classroom_id) if a.classroom_id else a.group.name
        students = (labels[a.classroom_id],) if a.classroom_id else group_sets.get(a.group_id, ())
        whole = int(a.weekly_periods)
        if a.weekly_periods != Decimal(whole):
            plan.notes.append(
                f"{target} {a.subject.name}の週時数 {a.weekly_periods.normalize()} の端数"
                "（モジュール）は自動では置きません。"
            )
        split = a.group_id and a.group.kind in SPLIT_KINDS
        spec = LessonSpec(
            a.classroom_id,
            a.group_id,
            a.subject_id,
            tuple(teachers),
            f"{target} {a.subject.name}",
            division=a.subject.name if split else "",
            section=a.group.name if split else "",
        )
        ids = []
        for duration in durations(whole, rules.doubles.get(a.pk, 0)):
            aid = next(next_id)
            problem.activities.append(
                gen.Activity(
                    id=aid,
                    duration=duration,
                    teachers=tuple(names[t] for t in teachers if t in names),
                    subject=a.subject.name,
                    students=students,
                )
            )
            plan.specs[aid] = spec
            ids.append(aid)
        by_key[(a.classroom_id, a.group_id, a.subject_id)] = ids
        problem.constraints += spread(problem, ids, whole, rules, doubles_at)
        kinds = SUBJECT_ROOMS.get(a.subject.name, ())
        special = [n for k in kinds for n in room_names.get(k, [])]
        if special and ids:
            # A 合同 lesson of c classes takes c of a room's places (a gym for two holds one
            # lesson of two classes): c - 1 shadow activities go with it, at the same time.
            whole = 1
            if a.group_id and a.group.kind not in SPLIT_KINDS:
                whole = max(1, len(group_sets.get(a.group_id, ())))
            in_room = list(ids)
            for aid in ids:
                for _ in range(min(whole, len(special)) - 1):
                    shadow = next(next_id)
                    problem.activities.append(
                        gen.Activity(
                            id=shadow,
                            subject=a.subject.name,
                            duration=problem.activity(aid).duration,
                        )
                    )
                    problem.constraints.append(gen.SameStart(activity_ids=(aid, shadow)))
                    in_room.append(shadow)
            problem.constraints.append(
                gen.PreferredRooms(activity_ids=tuple(in_room), rooms=tuple(special))
            )
    # 習熟度別・選択: groups that split the same classes for the same subject meet together.
    together: dict[tuple, list[list[int]]] = defaultdict(list)
    for g in groups:
        if g.kind in SPLIT_KINDS:
            for (_cid, gid, sid), ids in by_key.items():
                if gid == g.pk:
                    together[(tuple(sorted(g.class_ids)), sid)].append(ids)
    for lists in together.values():
        for i in range(min(len(ids) for ids in lists) if len(lists) > 1 else 0):
            problem.constraints.append(gen.SameStart(activity_ids=tuple(ids[i] for ids in lists)))
    for staff_id, slots in queries.unavailable_slots(school, year).items():
        if staff_id in names:
            problem.constraints.append(
                gen.NotAvailable(
                    kind="teacher",
                    name=names[staff_id],
                    slots=frozenset((d, p - 1) for d, p in slots if d < n_days and p <= n_hours),
                )
            )
    problem.constraints += teacher_limits(rules, names)
    plan.wishes = wishes(problem, rules, periods)
    problem.constraints += [
        gen.PreferredSlots(
            weight=float(w.weight),
            activity_ids=w.activity_ids,
            slots=frozenset(
                (d, h) for d in range(n_days) for h in range(n_hours) if (d, h) not in w.bad
            ),
        )
        for w in plan.wishes
    ]
    _place_current(plan, lessons, by_key, names, labels, mode, next_id)
    return plan


def _place_current(
    plan: Plan,
    lessons: list[Lesson],
    by_key: dict[tuple, list[int]],
    names: dict[int, str],
    labels: dict[int, str],
    mode: Mode,
    next_id: itertools.count,
) -> None:
    """Match the timetable's lessons to activities: pinned ones stay (hard), a repair prefers
    every other one where it is; a lesson no assignment asks for stays where it is."""
    p = plan.problem
    free = {k: list(v) for k, v in by_key.items()}
    extra = 0
    for lesson in lessons:
        key = (lesson.classroom_id, lesson.group_id, lesson.subject_id)
        for k, length in _pieces(lesson.length, free.get(key, []), p):
            slot = (lesson.weekday, lesson.period - 1 + k)
            if slot[0] >= p.n_days or slot[1] + length > p.n_hours:
                continue
            ids = free.get(key)
            fits = [i for i in ids or () if p.activity(i).duration == length]
            if ids and not fits:
                continue  # a single where the assignment now asks for a double: placed anew
            if fits:
                aid = fits[0]
                ids.remove(aid)  # type: ignore[union-attr]
            else:  # not in any assignment (学活 typed in by hand …): it keeps its place
                aid = next(next_id)
                teachers = tuple(t.pk for t in lesson.teachers.all())
                target = labels.get(lesson.classroom_id) or ""
                p.activities.append(
                    gen.Activity(
                        id=aid,
                        teachers=tuple(names[t] for t in teachers if t in names),
                        subject=lesson.subject.name if lesson.subject_id else "",
                        students=(target,) if target else (),
                    )
                )
                plan.specs[aid] = LessonSpec(
                    lesson.classroom_id,
                    lesson.group_id,
                    lesson.subject_id,
                    teachers,
                    f"{target} {lesson.subject.name}",
                    division=lesson.division,
                    section=lesson.section,
                )
                plan.pinned.add(aid)
                extra += 1
            plan.current[aid] = slot
            if lesson.pinned:
                plan.pinned.add(aid)
    for aid in plan.pinned:
        p.constraints.append(
            gen.PreferredStarts(activity_ids=(aid,), slots=frozenset({plan.current[aid]}))
        )
    if mode == "repair":
        for aid, slot in plan.current.items():
            if aid not in plan.pinned:
                p.constraints.append(
                    gen.PreferredStarts(
                        weight=REPAIR_WEIGHT, activity_ids=(aid,), slots=frozenset({slot})
                    )
                )
    if extra:
        plan.notes.append(f"担当に無い授業 {extra} コマは今の位置のまま残します。")


# --- the 教務主任's rules (timetable.rulebook) as the solver's constraints -------------------


def durations(whole: int, doubles: int) -> list[int]:
    """An assignment's weekly periods as activities: ``doubles`` of two periods first."""
    doubles = max(0, min(doubles, whole // 2))
    return [2] * doubles + [1] * (whole - 2 * doubles)


def double_starts(periods: list[int], rules: rulebook.Rules) -> frozenset[gen.Slot]:
    """Where a 2時間続き may start: both periods on the day, not from period 1 when the
    school says so, never across lunch (periods ``lunch_after`` and the next)."""
    out = set()
    for d, n in enumerate(periods):
        for h in range(n - 1):
            first = h + 1
            if first == 1 and rules.double_not_first:
                continue
            if first == rules.lunch_after:
                continue
            out.add((d, h))
    return frozenset(out)


def spread(
    problem: gen.Problem,
    ids: list[int],
    whole: int,
    rules: rulebook.Rules,
    doubles_at: frozenset[gen.Slot],
) -> list[gen.Constraint]:
    """A subject's lessons of one class over the week: at most one a day when it has five
    or fewer (a double is one); two a week not on consecutive days (the school can switch
    this off); its doubles start where :func:`double_starts` allows."""
    out: list[gen.Constraint] = []
    if 1 < len(ids) <= problem.n_days:
        two = whole == 2 and len(ids) == 2 and rules.spread_two_period and problem.n_days > 2
        out.append(gen.MinDaysBetween(activity_ids=tuple(ids), min_days=2 if two else 1))
    pairs = tuple(i for i in ids if problem.activity(i).duration == 2)
    if pairs:
        out.append(gen.PreferredStarts(activity_ids=pairs, slots=doubles_at))
    return out


def teacher_limits(rules: rulebook.Rules, names: dict[int, str]) -> list[gen.Constraint]:
    """Each teacher's periods a day, in a row and 空きコマ (their own, else the school's);
    teachers with the same limits share one constraint."""
    same: dict[rulebook.Limits, list[str]] = defaultdict(list)
    for staff_id, name in names.items():
        limits = rules.limits_of(staff_id)
        if limits.any:
            same[limits].append(name)
    out: list[gen.Constraint] = []
    for limits, who in same.items():
        group = tuple(sorted(who))
        if limits.daily is not None:
            out.append(gen.MaxHoursDaily(names=group, max_hours=limits.daily))
        if limits.row is not None:
            out.append(gen.MaxHoursContinuously(names=group, max_hours=limits.row))
        if limits.gaps_day is not None:
            out.append(gen.MaxGaps(names=group, max_gaps=limits.gaps_day, per="day"))
        if limits.gaps_week is not None:
            out.append(gen.MaxGaps(names=group, max_gaps=limits.gaps_week, per="week"))
    return out


def wishes(problem: gen.Problem, rules: rulebook.Rules, periods: list[int]) -> list[Wish]:
    """The school's weighted wishes over the activities of their subjects (a 合同 lesson's
    shadows follow their lesson, so they are left out)."""
    out = []
    for pref in rules.preferences:
        ids = tuple(a.id for a in problem.activities if a.subject in pref.subjects and a.students)
        days = pref.weekdays or tuple(range(len(periods)))
        named = {(d, p - 1) for d in days if d < len(periods) for p in pref.periods}
        week = {(d, h) for d, n in enumerate(periods) for h in range(n)}
        bad = named & week if pref.avoid else week - named
        if ids and bad:
            out.append(Wish(pref.label, pref.weight, ids, frozenset(bad)))
    return out


def broken_wishes(plan: Plan, where: dict[int, gen.Slot]) -> list[tuple[str, int, int]]:
    """(label, weight, lessons that break it) for each wish, given where each activity
    starts: the proposal's soft score by rule."""
    out = []
    for w in plan.wishes:
        count = 0
        for aid in w.activity_ids:
            if aid not in where:
                continue
            d, h = where[aid]
            length = plan.problem.activity(aid).duration
            if any((d, h + k) in w.bad for k in range(length)):
                count += 1
        out.append((w.label, w.weight, count))
    return out


def _pieces(length: int, ids: list[int], problem: gen.Problem) -> list[tuple[int, int]]:
    """A stored lesson as (offset, length) pieces to match with activities: a lesson of
    length 2 is one double when its assignment has one left, else two singles."""
    if length >= 2 and any(problem.activity(i).duration == 2 for i in ids):
        return [(0, 2)] + [(k, 1) for k in range(2, length)]
    return [(k, 1) for k in range(length)]
