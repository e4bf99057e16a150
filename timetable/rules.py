"""Pure rules of the timetable (時間割): clashes, daily changes, substitutes, class hours.

No ORM, no I/O: small frozen dataclasses in, plain values out, so the rules can be
tested exhaustively and run in the browser's edit loop (a whole school in a few ms).
The models, pages and API build these values from the database and call:

- ``clashes``: what is wrong in a weekly timetable (or a day's lessons): a teacher in
  two places (also at another school: 兼務), a room over its capacity, a class with two
  lessons at once, a teacher outside their teaching assignments (担当), a teacher on an
  unavailable period; ``placed_vs_assigned``: weekly periods placed per assignment;
- ``day_lessons``: the lessons of one date after its daily changes (日課変更);
- ``suggest_substitutes``: who can take an absent teacher's lessons (代替, 自習監督);
- ``hours_tally``: 授業時数 per class and subject, planned / held / projected, in
  単位時間 (exact fractions), against the 標準授業時数 (``timetable/national.py``).

Who a lesson is for: a ``Group`` of ``Part``s. A part is a whole class or one section
of a division of a class (習熟度 "A"/"B", 男女 "男子"/"女子", 技家 "技術"/"家庭", 選択,
交流: the pupils of a special-needs class who join their 交流学級). Two parts of one
class share pupils unless they are different sections of the same division: the two
halves of a split class may have lessons at the same time, nothing else may.

Keys (teachers, classes, rooms, groups, lessons, schools) are whatever the caller uses
(ids or codes); names for messages come from ``Names``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Final, TypeAlias

from timetable import national

Key: TypeAlias = int | str
Slot: TypeAlias = tuple[int, int]  # (weekday: 0 = Monday … 5 = Saturday, period: 1 = 1校時)

WEEKDAY_NAMES: Final = "月火水木金土日"


def slot_label(weekday: int, period: int) -> str:
    """「月曜3校時」."""
    return f"{WEEKDAY_NAMES[weekday]}曜{period}校時"


def format_hours(value: Fraction | int) -> str:
    """Hours for people: 306, 305 1/3 (modules), -2/3."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator:,}"
    whole = int(value)  # towards zero
    rest = abs(value - whole)
    if whole == 0:
        return f"{'-' if value < 0 else ''}{rest}"
    return f"{whole:,} {rest}"


# --- who, where, when -----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """The pupils of one class who take part: the whole class or one section of a division."""

    classroom: Key
    division: str = ""  # how the class is split (習熟度, 男女, 技家, 選択, 交流); "" = whole class
    section: str = ""  # which part of that division (A, 男子, 技術 …)

    @property
    def whole(self) -> bool:
        return not self.division

    def overlaps(self, other: Part) -> bool:
        """Can the two parts share a pupil? Different sections of one division cannot."""
        if self.classroom != other.classroom:
            return False
        if self.whole or other.whole:
            return True
        return self.division != other.division or self.section == other.section


@dataclass(frozen=True)
class Group:
    """Who a lesson is for: one class, several (合同), or sections of classes.

    ``key`` is the stored group's id (None for a plain class); teaching assignments
    can name it.
    """

    parts: tuple[Part, ...]
    key: Key | None = None
    name: str = ""

    @classmethod
    def of_class(cls, classroom: Key) -> Group:
        return cls((Part(classroom),))

    @classmethod
    def merged(cls, classrooms: Iterable[Key], *, key: Key | None = None, name: str = "") -> Group:
        """合同: whole classes together (e.g. 体育 of 1組 and 2組)."""
        return cls(tuple(Part(c) for c in classrooms), key, name)

    @classmethod
    def section(
        cls,
        classrooms: Iterable[Key],
        division: str,
        section: str,
        *,
        key: Key | None = None,
        name: str = "",
    ) -> Group:
        """One section of a division across one or more classes (習熟度A of 1組 and 2組)."""
        return cls(tuple(Part(c, division, section) for c in classrooms), key, name)

    @property
    def classrooms(self) -> tuple[Key, ...]:
        seen: dict[Key, None] = {}
        for p in self.parts:
            seen.setdefault(p.classroom)
        return tuple(seen)

    def includes(self, classroom: Key) -> bool:
        return any(p.classroom == classroom for p in self.parts)


class LessonStatus(enum.StrEnum):
    REGULAR = "regular"
    MOVED = "moved"  # 時間変更 (moved or swapped on the day)
    ADDED = "added"  # 追加
    SUBSTITUTE = "substitute"  # 代替: another teacher teaches it
    SELF_STUDY = "self_study"  # 自習: a supervisor watches the class


STATUS_LABELS: Final = {
    LessonStatus.REGULAR: "",
    LessonStatus.MOVED: "移動",
    LessonStatus.ADDED: "追加",
    LessonStatus.SUBSTITUTE: "代替",
    LessonStatus.SELF_STUDY: "自習",
}


@dataclass(frozen=True)
class Lesson:
    """One lesson of a weekly timetable (or of a day, after ``day_lessons``).

    ``length`` 2 is a double period (2時間続き) starting at ``period``. ``minutes``
    is a module's own length (a 15-minute モジュール); None = the periods of the
    day's bell schedule. ``school`` is None for the school being checked and names
    another school for a 兼務 teacher's lessons there.
    """

    weekday: int
    period: int
    group: Group
    subject: str
    teachers: tuple[Key, ...] = ()
    room: Key | None = None
    length: int = 1
    minutes: int | None = None
    key: Key | None = None
    school: Key | None = None
    status: LessonStatus = LessonStatus.REGULAR
    absent: tuple[Key, ...] = ()  # teachers replaced on the day (代替 / 自習)
    note: str = ""

    @property
    def periods(self) -> range:
        return range(self.period, self.period + max(self.length, 1))

    @property
    def slots(self) -> Iterator[Slot]:
        return ((self.weekday, p) for p in self.periods)


@dataclass(frozen=True)
class Room:
    key: Key
    name: str = ""
    capacity: int = 1  # classes at once: 1 for ordinary and special rooms, 2 for a gym


@dataclass(frozen=True)
class Assignment:
    """A teaching assignment (担当): teacher(s) of a subject for a class or a group.

    Exactly one of ``classroom`` / ``group`` is normally set. ``periods`` is the
    weekly number of periods (a Fraction for modules). Team teaching (TT) is one
    assignment with two teachers.
    """

    subject: str
    teachers: tuple[Key, ...]
    periods: Fraction | int = 0
    classroom: Key | None = None
    group: Key | None = None

    def covers(self, lesson: Lesson) -> bool:
        if self.subject != lesson.subject:
            return False
        if self.group is not None and lesson.group.key == self.group:
            return True
        return self.classroom is not None and lesson.group.includes(self.classroom)


@dataclass(frozen=True)
class BellPeriod:
    number: int  # 校時 (0 for a morning module slot)
    start: dt.time
    end: dt.time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True)
class BellSchedule:
    """校時表: the periods of a day (normal, short day, exam day …)."""

    key: Key
    periods: tuple[BellPeriod, ...]
    name: str = ""

    def period(self, number: int) -> BellPeriod | None:
        for p in self.periods:
            if p.number == number:
                return p
        return None

    def span(self, periods: Iterable[int]) -> tuple[int, int] | None:
        """Minutes since midnight from the start of the first to the end of the last period."""
        found = [self.period(n) for n in periods]
        if not found or any(p is None for p in found):
            return None
        first, last = found[0], found[-1]
        assert first is not None and last is not None
        return (
            first.start.hour * 60 + first.start.minute,
            last.end.hour * 60 + last.end.minute,
        )

    def minutes(self, periods: Iterable[int]) -> int | None:
        """Teaching minutes of these periods; None if one does not exist on this schedule."""
        total = 0
        for n in periods:
            p = self.period(n)
            if p is None:
                return None
            total += p.minutes
        return total


@dataclass(frozen=True)
class Names:
    """Names for messages; a missing name shows the key."""

    teachers: Mapping[Key, str] = field(default_factory=dict)
    classes: Mapping[Key, str] = field(default_factory=dict)
    rooms: Mapping[Key, str] = field(default_factory=dict)
    schools: Mapping[Key, str] = field(default_factory=dict)

    def teacher(self, key: Key) -> str:
        return f"{self.teachers.get(key, str(key))}先生"

    def classroom(self, key: Key) -> str:
        return self.classes.get(key, str(key))

    def room(self, key: Key) -> str:
        return self.rooms.get(key, str(key))

    def school(self, key: Key | None) -> str:
        return "この学校" if key is None else self.schools.get(key, str(key))

    def group(self, group: Group) -> str:
        if group.name:
            return group.name
        label = "・".join(self.classroom(c) for c in group.classrooms)
        sections = {p.section for p in group.parts if not p.whole}
        return f"{label}（{'・'.join(sorted(sections))}）" if sections else label

    def lesson(self, lesson: Lesson) -> str:
        return f"{self.group(lesson.group)} {lesson.subject}"


# --- clashes ---------------------------------------------------------------------------------


class ClashKind(enum.StrEnum):
    TEACHER = "teacher"  # a teacher in two places (also 兼務 across schools)
    ROOM = "room"  # a room over its capacity
    CLASS = "class"  # a class (or part of it) with two lessons at once
    ASSIGNMENT = "assignment"  # a teacher outside their teaching assignments
    UNAVAILABLE = "unavailable"  # a teacher on a period they cannot teach


_KIND_ORDER: Final = {k: i for i, k in enumerate(ClashKind)}


@dataclass(frozen=True)
class Clash:
    kind: ClashKind
    weekday: int
    period: int
    message: str
    lessons: tuple[Lesson, ...]
    who: Key | None = None  # the teacher, room or class concerned


def _sort_clashes(found: Iterable[Clash]) -> list[Clash]:
    return sorted(found, key=lambda c: (c.weekday, c.period, _KIND_ORDER[c.kind], c.message))


def clashes(
    lessons: Iterable[Lesson],
    *,
    rooms: Mapping[Key, Room] | None = None,
    assignments: Iterable[Assignment] | None = None,
    unavailable: Mapping[Key, Collection[Slot]] | None = None,
    other_lessons: Iterable[Lesson] = (),
    bell: BellSchedule | None = None,
    other_bells: Mapping[Key, BellSchedule] | None = None,
    travel_minutes: int = 0,
    names: Names | None = None,
) -> list[Clash]:
    """Every clash of a school's lessons (a weekly timetable, or one day's lessons).

    - ``rooms``: capacities in classes (a room not listed holds one); a lesson takes
      one place per whole class in it and at least one (a gym of capacity 2 holds
      two classes, a 合同 of two, or the boys and the girls of two classes; a class
      with the 交流 pupils of a special-needs class takes one);
    - ``assignments``: None skips the check; a lesson's teacher must hold an
      assignment of the subject for the lesson's group or one of its classes
      (代替 and 自習 lessons of a day are exempt);
    - ``unavailable``: teacher -> slots they cannot teach (part-time, 兼務 days,
      meetings);
    - ``other_lessons``: 兼務 teachers' lessons at other schools (``Lesson.school``
      set). With ``bell`` (this school's) and ``other_bells`` (by school) they are
      compared by clock time, leaving ``travel_minutes`` between schools; without,
      by weekday and period.

    One clash per conflict (a double period clashing twice is reported once, at its
    first period), sorted by weekday, period and kind.
    """
    names = names or Names()
    rooms = rooms or {}
    unavailable = unavailable or {}
    own = [lesson for lesson in lessons if lesson.school is None]

    by_teacher: dict[Slot, dict[Key, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_room: dict[Slot, dict[Key, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_class: dict[Slot, dict[Key, list[tuple[int, Part]]]] = defaultdict(lambda: defaultdict(list))
    for i, lesson in enumerate(own):
        for slot in lesson.slots:
            for t in dict.fromkeys(lesson.teachers):
                by_teacher[slot][t].append(i)
            if lesson.room is not None:
                by_room[slot][lesson.room].append(i)
            for part in lesson.group.parts:
                by_class[slot][part.classroom].append((i, part))

    found: dict[tuple, Clash] = {}

    def add(key: tuple, clash: Clash) -> None:
        # Slots are visited in order per lesson, not globally: keep the earliest slot.
        old = found.get(key)
        if old is None or (clash.weekday, clash.period) < (old.weekday, old.period):
            found[key] = clash

    def listed(indexes: Iterable[int]) -> str:
        return "、".join(names.lesson(own[i]) for i in indexes)

    for slot, teachers in by_teacher.items():
        for t, idx in teachers.items():
            if len(idx) > 1:
                msg = f"{slot_label(*slot)}: {names.teacher(t)}が{len(idx)}つの授業に入っています（{listed(idx)}）"
                add(
                    (ClashKind.TEACHER, t, frozenset(idx)),
                    Clash(ClashKind.TEACHER, *slot, msg, tuple(own[i] for i in idx), t),
                )

    for slot, used in by_room.items():
        for r, idx in used.items():
            room = rooms.get(r, Room(r))
            occupancy = sum(_places(own[i].group) for i in idx)
            if occupancy > room.capacity:
                label = room.name or names.room(r)
                msg = (
                    f"{slot_label(*slot)}: {label}の定員（{room.capacity}学級）を超えています"
                    f"（{listed(idx)}）"
                )
                add(
                    (ClashKind.ROOM, r, frozenset(idx)),
                    Clash(ClashKind.ROOM, *slot, msg, tuple(own[i] for i in idx), r),
                )

    for slot, classes in by_class.items():
        for c, entries in classes.items():
            if len({i for i, _ in entries}) < 2:
                continue
            bad: set[int] = set()
            for a in range(len(entries)):
                for b in range(a + 1, len(entries)):
                    (i, pa), (j, pb) = entries[a], entries[b]
                    if i != j and pa.overlaps(pb):
                        bad.update((i, j))
            if bad:
                idx = sorted(bad)
                msg = (
                    f"{slot_label(*slot)}: {names.classroom(c)}に{len(idx)}つの授業が重なっています"
                    f"（{listed(idx)}）"
                )
                add(
                    (ClashKind.CLASS, c, frozenset(idx)),
                    Clash(ClashKind.CLASS, *slot, msg, tuple(own[i] for i in idx), c),
                )

    _cross_school(own, list(other_lessons), bell, other_bells or {}, travel_minutes, names, add)

    result = list(found.values())
    if assignments is not None:
        result += _outside_assignments(own, list(assignments), names)
    for lesson in own:
        for t in dict.fromkeys(lesson.teachers):
            blocked = unavailable.get(t)
            if not blocked:
                continue
            for slot in lesson.slots:
                if slot in blocked:
                    msg = f"{slot_label(*slot)}: {names.teacher(t)}はこの時間に授業に入れません（{names.lesson(lesson)}）"
                    result.append(Clash(ClashKind.UNAVAILABLE, *slot, msg, (lesson,), t))
    return _sort_clashes(result)


def _places(group: Group) -> int:
    """Places a lesson takes in a room: its whole classes, at least one."""
    return max(1, len({p.classroom for p in group.parts if p.whole}))


def _cross_school(
    own: list[Lesson],
    others: list[Lesson],
    bell: BellSchedule | None,
    other_bells: Mapping[Key, BellSchedule],
    travel: int,
    names: Names,
    add,
) -> None:
    """兼務: a teacher's lessons here against their lessons at other schools."""
    if not others:
        return
    theirs: dict[tuple[Key, int], list[Lesson]] = defaultdict(list)
    for o in others:
        for t in o.teachers:
            theirs[(t, o.weekday)].append(o)
    for lesson in own:
        for t in dict.fromkeys(lesson.teachers):
            for o in theirs.get((t, lesson.weekday), ()):
                if not _overlap(lesson, o, bell, other_bells.get(o.school), travel):
                    continue
                msg = (
                    f"{slot_label(lesson.weekday, lesson.period)}: {names.teacher(t)}は同じ時間に"
                    f"{names.school(o.school)}で授業があります（兼務: {names.lesson(o)}"
                    f" {o.period}校時）"
                )
                add(
                    (ClashKind.TEACHER, t, lesson, o),
                    Clash(ClashKind.TEACHER, lesson.weekday, lesson.period, msg, (lesson, o), t),
                )


def _overlap(
    a: Lesson, b: Lesson, bell_a: BellSchedule | None, bell_b: BellSchedule | None, travel: int
) -> bool:
    if bell_a is not None and bell_b is not None:
        span_a, span_b = bell_a.span(a.periods), bell_b.span(b.periods)
        if span_a is not None and span_b is not None:
            # Intervals closer than the travel time clash too.
            return span_a[0] < span_b[1] + travel and span_b[0] < span_a[1] + travel
    return a.period < b.period + b.length and b.period < a.period + a.length


def _outside_assignments(
    own: list[Lesson], assignments: list[Assignment], names: Names
) -> list[Clash]:
    # (subject, "c" | "g", class or group) -> teachers: one lookup per lesson and class.
    allowed: dict[tuple[str, str, Key], set[Key]] = defaultdict(set)
    for a in assignments:
        if a.classroom is not None:
            allowed[(a.subject, "c", a.classroom)].update(a.teachers)
        if a.group is not None:
            allowed[(a.subject, "g", a.group)].update(a.teachers)
    empty: set[Key] = set()
    result = []
    for lesson in own:
        if lesson.status in (LessonStatus.SUBSTITUTE, LessonStatus.SELF_STUDY):
            continue
        ok = set(allowed.get((lesson.subject, "g", lesson.group.key), empty))
        for c in lesson.group.classrooms:
            ok |= allowed.get((lesson.subject, "c", c), empty)
        for t in dict.fromkeys(lesson.teachers):
            if t not in ok:
                msg = (
                    f"{slot_label(lesson.weekday, lesson.period)}: {names.teacher(t)}は"
                    f"{names.lesson(lesson)}の担当ではありません"
                )
                result.append(
                    Clash(ClashKind.ASSIGNMENT, lesson.weekday, lesson.period, msg, (lesson,), t)
                )
    return result


@dataclass(frozen=True)
class Placement:
    """Weekly periods placed for one assignment (or for lessons without one)."""

    subject: str
    assigned: Fraction | int
    placed: int
    classroom: Key | None = None
    group: Key | None = None
    teachers: tuple[Key, ...] = ()

    @property
    def difference(self) -> Fraction | int:
        """Placed minus assigned: negative = periods still to place."""
        return self.placed - self.assigned

    @property
    def ok(self) -> bool:
        return self.placed == self.assigned


def placed_vs_assigned(
    lessons: Iterable[Lesson], assignments: Iterable[Assignment]
) -> list[Placement]:
    """Per class (or group) and subject: weekly periods placed against the assignment.

    A period counts once per slot (two halves of a split class at the same time are
    one period of the class; a double period is two). Assignments of the same class or
    group and subject add up. Lessons no assignment covers come last, per class, with
    ``assigned`` 0. Order: the assignments' order, then the lessons'.
    """
    own = [lesson for lesson in lessons if lesson.school is None]
    rows: dict[tuple[Key | None, Key | None, str], list] = {}
    for a in assignments:
        row = rows.setdefault((a.classroom, a.group, a.subject), [0, ()])
        row[0] += a.periods
        row[1] = tuple(dict.fromkeys(row[1] + a.teachers))
    placed: dict[tuple[Key | None, Key | None, str], set[Slot]] = defaultdict(set)
    stray: dict[tuple[Key | None, Key | None, str], set[Slot]] = {}
    for lesson in own:
        matched = False
        group_key = (None, lesson.group.key, lesson.subject)
        if lesson.group.key is not None and group_key in rows:
            placed[group_key].update(lesson.slots)
            matched = True
        for c in lesson.group.classrooms:
            class_key = (c, None, lesson.subject)
            if class_key in rows:
                placed[class_key].update(lesson.slots)
                matched = True
        if not matched:
            for c in lesson.group.classrooms:
                stray.setdefault((c, None, lesson.subject), set()).update(lesson.slots)
    result = [
        Placement(subject, assigned, len(placed[(c, g, subject)]), c, g, teachers)
        for (c, g, subject), (assigned, teachers) in rows.items()
    ]
    result += [Placement(subject, 0, len(slots), c, g) for (c, g, subject), slots in stray.items()]
    return result


# --- daily changes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SwapWeekday:
    """曜日振替: the date follows another weekday's timetable (月曜の時間割 on a Thursday)."""

    date: dt.date
    weekday: int


@dataclass(frozen=True)
class SetBell:
    """The date uses another bell schedule (短縮日課, テスト日課)."""

    date: dt.date
    bell: Key


@dataclass(frozen=True)
class Cancel:
    date: dt.date
    lesson: Key
    reason: str = ""


@dataclass(frozen=True)
class Move:
    """Move a lesson to another period of the same date (and room). Another date: Cancel + Add."""

    date: dt.date
    lesson: Key
    period: int
    room: Key | None = None  # None = keep the room


@dataclass(frozen=True)
class SwapPeriods:
    """Exchange two periods of one class's day (with every lesson the class is in)."""

    date: dt.date
    classroom: Key
    period_a: int
    period_b: int


@dataclass(frozen=True)
class Add:
    date: dt.date
    lesson: Lesson  # its weekday is ignored


@dataclass(frozen=True)
class Substitute:
    """代替: ``substitute`` teaches the lesson instead of ``absent``."""

    date: dt.date
    lesson: Key
    absent: Key
    substitute: Key


@dataclass(frozen=True)
class SelfStudy:
    """自習: the class studies alone, ``supervisor`` watches (the lesson's teachers are absent)."""

    date: dt.date
    lesson: Key
    supervisor: Key


@dataclass(frozen=True)
class Event:
    """A school event replacing lessons (運動会, 遠足, 避難訓練).

    ``periods`` / ``classrooms`` empty = every period / every class.
    """

    date: dt.date
    name: str
    periods: frozenset[int] = frozenset()
    classrooms: frozenset[Key] = frozenset()

    def removes(self, lesson: Lesson) -> bool:
        if self.periods and not any(p in self.periods for p in lesson.periods):
            return False
        return not self.classrooms or any(c in self.classrooms for c in lesson.group.classrooms)


Change: TypeAlias = (
    SwapWeekday | SetBell | Cancel | Move | SwapPeriods | Add | Substitute | SelfStudy | Event
)
# Changes that shape the year's plan (the calendar's), as opposed to one lesson's fate.
PLAN_CHANGES: Final = (SwapWeekday, SetBell, Event)


@dataclass(frozen=True)
class Day:
    """The lessons of one date. Lessons carry the date's real weekday."""

    date: dt.date
    weekday: int  # the timetable weekday used (after 曜日振替)
    bell: Key | None
    lessons: tuple[Lesson, ...]
    cancelled: tuple[
        Lesson, ...
    ] = ()  # cancelled, replaced by an event, or past the day's last period
    problems: tuple[str, ...] = ()  # changes that could not apply


@dataclass(frozen=True)
class Timetable:
    """A weekly timetable in force from ``start`` (a second-term timetable starts later)."""

    start: dt.date
    lessons: tuple[Lesson, ...]


def timetable_on(timetables: Sequence[Timetable], date: dt.date) -> tuple[Lesson, ...]:
    """The weekly lessons in force on a date (the latest timetable starting on or before it)."""
    current: Timetable | None = None
    for t in timetables:
        if t.start <= date and (current is None or t.start >= current.start):
            current = t
    return current.lessons if current else ()


def day_lessons(
    weekly: Iterable[Lesson],
    date: dt.date,
    changes: Iterable[Change] = (),
    *,
    weekday: int | None = None,
    bell: Key | None = None,
    bells: Mapping[Key, BellSchedule] | None = None,
    names: Names | None = None,
) -> Day:
    """The lessons of ``date``: the weekly timetable's day after the date's changes.

    ``weekday`` is the timetable weekday the calendar gives (after a planned 曜日振替;
    default: the date's own), ``bell`` the calendar's bell schedule; a ``SwapWeekday``
    or ``SetBell`` change overrides them. Then events remove lessons, and the other
    changes apply in their order. With ``bells``, lessons in periods the day's schedule
    does not have (a short day) are dropped. Changes of other dates are ignored; a
    change naming a lesson that is not there is reported in ``problems``.
    """
    names = names or Names()
    todays = [c for c in changes if c.date == date]
    wd = date.weekday() if weekday is None else weekday
    for c in todays:
        if isinstance(c, SwapWeekday):
            wd = c.weekday
        elif isinstance(c, SetBell):
            bell = c.bell
    real = date.weekday()
    lessons = [
        x if x.weekday == real else replace(x, weekday=real)
        for x in weekly
        if x.weekday == wd and x.school is None
    ]
    cancelled: list[Lesson] = []
    problems: list[str] = []

    def find(key: Key) -> int | None:
        for i, x in enumerate(lessons):
            if x.key == key:
                return i
        problems.append(f"{date:%m/%d}: 変更の対象の授業（{key}）がこの日の時間割にありません")
        return None

    for c in todays:
        if isinstance(c, Event):
            kept = []
            for x in lessons:
                if c.removes(x):
                    cancelled.append(replace(x, note=c.name))
                else:
                    kept.append(x)
            lessons = kept
        elif isinstance(c, Cancel):
            i = find(c.lesson)
            if i is not None:
                cancelled.append(replace(lessons.pop(i), note=c.reason))
        elif isinstance(c, Move):
            i = find(c.lesson)
            if i is not None:
                x = lessons[i]
                lessons[i] = replace(
                    x,
                    period=c.period,
                    room=x.room if c.room is None else c.room,
                    status=LessonStatus.MOVED if x.status == LessonStatus.REGULAR else x.status,
                    note=f"{x.period}校時から移動",
                )
        elif isinstance(c, SwapPeriods):
            for i, x in enumerate(lessons):
                if not x.group.includes(c.classroom):
                    continue
                if x.period == c.period_a:
                    target = c.period_b
                elif x.period == c.period_b:
                    target = c.period_a
                else:
                    continue
                lessons[i] = replace(
                    x,
                    period=target,
                    status=LessonStatus.MOVED if x.status == LessonStatus.REGULAR else x.status,
                    note=f"{x.period}校時と入れ替え",
                )
        elif isinstance(c, Substitute):
            i = find(c.lesson)
            if i is not None:
                x = lessons[i]
                if c.absent not in x.teachers:
                    problems.append(
                        f"{date:%m/%d}: {names.teacher(c.absent)}は{names.lesson(x)}の担当ではありません"
                    )
                    continue
                teachers = tuple(
                    dict.fromkeys(c.substitute if t == c.absent else t for t in x.teachers)
                )
                lessons[i] = replace(
                    x,
                    teachers=teachers,
                    status=LessonStatus.SUBSTITUTE,
                    absent=tuple(dict.fromkeys((*x.absent, c.absent))),
                    note=f"{names.teacher(c.substitute)}が代替",
                )
        elif isinstance(c, SelfStudy):
            i = find(c.lesson)
            if i is not None:
                x = lessons[i]
                lessons[i] = replace(
                    x,
                    teachers=(c.supervisor,),
                    status=LessonStatus.SELF_STUDY,
                    absent=tuple(dict.fromkeys((*x.absent, *x.teachers))),
                    note=f"自習（監督: {names.teacher(c.supervisor)}）",
                )
        elif isinstance(c, Add):
            lessons.append(replace(c.lesson, weekday=real, status=LessonStatus.ADDED, school=None))

    schedule = bells.get(bell) if bells is not None and bell is not None else None
    if schedule is not None:
        kept = []
        for x in lessons:
            if x.minutes is None and schedule.minutes(x.periods) is None:
                cancelled.append(
                    replace(x, note=f"{schedule.name or schedule.key}に{x.period}校時なし")
                )
            else:
                kept.append(x)
        lessons = kept
    lessons.sort(key=lambda x: (x.period, str(x.group.classrooms), x.subject))
    return Day(date, wd, bell, tuple(lessons), tuple(cancelled), tuple(problems))


# --- substitutes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    teacher: Key
    fit: int  # 0: teaches this class this subject, 1: the subject, 2: the class, 3: free only
    duties: int  # extra duties this week (代替, 自習監督 …) before this one
    lessons_today: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """For one lesson of the absent teacher: who could teach it, who could supervise 自習."""

    lesson: Lesson
    substitutes: tuple[Candidate, ...]  # teach the subject or the class (代替), best first
    supervisors: tuple[Candidate, ...]  # every free teacher, fewest duties first (自習監督)
    remaining: tuple[Key, ...] = ()  # TT: teachers of the lesson who are present


def suggest_substitutes(
    absent_teacher: Key,
    date: dt.date,
    lessons_of_day: Iterable[Lesson],
    teachers: Sequence[Key],
    *,
    assignments: Iterable[Assignment] = (),
    duties: Mapping[Key, int] | None = None,
    unavailable: Mapping[Key, Collection[Slot]] | None = None,
    absent: Collection[Key] = (),
    other_lessons: Iterable[Lesson] = (),
    names: Names | None = None,
) -> list[Suggestion]:
    """Substitutes for each lesson of ``absent_teacher`` on ``date``.

    ``lessons_of_day``: the day's lessons (``day_lessons(...).lessons``) of the whole
    school; ``teachers``: the school's teachers (their order breaks ties);
    ``duties``: extra duties each already has this week; ``absent``: other teachers
    away that day; ``other_lessons``: 兼務 teachers' lessons at other schools that
    day (by period). A candidate is free in every period of the lesson, not
    unavailable then, not absent. ``substitutes``: those who teach the subject or the
    class, ordered by fit (this class and subject; the subject; the class), then
    fewest duties, fewest lessons that day, the order of ``teachers``;
    ``supervisors``: every free teacher by fewest duties, then fit and the same
    tie-breaks.
    """
    names = names or Names()
    duties = duties or {}
    unavailable = unavailable or {}
    day = [x for x in lessons_of_day if x.school is None]
    wd = date.weekday()
    away = set(absent) | {absent_teacher}
    busy: dict[Key, set[int]] = defaultdict(set)
    count: dict[Key, int] = defaultdict(int)
    for x in day:
        for t in x.teachers:
            busy[t].update(x.periods)
            count[t] += 1
    for o in other_lessons:
        if o.weekday == wd:
            for t in o.teachers:
                busy[t].update(o.periods)
    assignments = list(assignments)
    subjects_of: dict[Key, set[str]] = defaultdict(set)
    for a in assignments:
        for t in a.teachers:
            subjects_of[t].add(a.subject)
    order = {t: i for i, t in enumerate(teachers)}

    result = []
    for lesson in day:
        if absent_teacher not in lesson.teachers:
            continue
        classrooms = set(lesson.group.classrooms)
        free: list[Candidate] = []
        for t in teachers:
            if t in away or t in lesson.teachers:
                continue
            if any(p in busy[t] for p in lesson.periods):
                continue
            blocked = unavailable.get(t, ())
            if any((wd, p) in blocked for p in lesson.periods):
                continue
            teaches_here = [
                a
                for a in assignments
                if t in a.teachers
                and (
                    (a.group is not None and a.group == lesson.group.key)
                    or (a.classroom is not None and a.classroom in classrooms)
                )
            ]
            this_subject = any(a.subject == lesson.subject for a in teaches_here)
            subject = lesson.subject in subjects_of[t]
            reasons = []
            if this_subject:
                fit = 0
                reasons.append(f"この学級の{lesson.subject}を担当")
            elif subject:
                fit = 1
                reasons.append(f"{lesson.subject}を担当")
            elif teaches_here:
                fit = 2
                reasons.append(f"{names.group(lesson.group)}の授業を担当")
            else:
                fit = 3
                reasons.append("空き時間")
            d = duties.get(t, 0)
            reasons.append(f"今週の補充 {d}回")
            reasons.append(f"この日の授業 {count[t]}時間")
            free.append(Candidate(t, fit, d, count[t], tuple(reasons)))
        subs = sorted(
            (c for c in free if c.fit < 3),
            key=lambda c: (c.fit, c.duties, c.lessons_today, order[c.teacher]),
        )
        sups = sorted(free, key=lambda c: (c.duties, c.fit, c.lessons_today, order[c.teacher]))
        remaining = tuple(t for t in lesson.teachers if t not in away)
        result.append(Suggestion(lesson, tuple(subs), tuple(sups), remaining))
    result.sort(key=lambda s: (s.lesson.period, str(s.lesson.group.classrooms)))
    return result


# --- class hours (授業時数) -----------------------------------------------------------------


@dataclass(frozen=True)
class SchoolDay:
    """One school day of the calendar: its timetable weekday (after 曜日振替) and bell schedule."""

    date: dt.date
    weekday: int | None = None  # None = the date's own weekday
    bell: Key | None = None  # None = the ``default_bell`` of ``hours_tally``


@dataclass(frozen=True)
class ClassInfo:
    """A class for the tally. ``standard`` / ``unit_minutes`` override the national table
    (a special-needs class mixing grades, a municipality's own 選択 hours)."""

    key: Key
    name: str
    grade: int
    school_type: str = national.ELEMENTARY
    standard: Mapping[str, int] | None = None
    unit_minutes: int | None = None

    def standard_hours(self) -> dict[str, int]:
        if self.standard is not None:
            return dict(self.standard)
        return national.standard_hours(self.school_type, self.grade)

    def unit(self) -> int:
        return self.unit_minutes or national.unit_minutes(self.school_type, self.grade)


@dataclass(frozen=True)
class SubjectHours:
    subject: str
    standard: int | None  # None: the grade's table has no such subject
    planned: Fraction  # the year's plan: weekly timetables over the calendar
    held: Fraction  # taught up to ``as_of`` (with daily changes)
    projected: Fraction  # held + the rest of the year with the changes planned so far

    @property
    def shortfall(self) -> Fraction:
        """Hours missing at the end of the year on the projection (0 if none)."""
        if self.standard is None:
            return Fraction(0)
        return max(Fraction(0), self.standard - self.projected)


@dataclass(frozen=True)
class ClassHours:
    classroom: Key
    name: str
    standard: int  # 総授業時数 of the standard (sum of the subjects)
    planned: Fraction
    held: Fraction
    projected: Fraction
    subjects: tuple[SubjectHours, ...]

    def subject(self, name: str) -> SubjectHours | None:
        for s in self.subjects:
            if s.subject == name:
                return s
        return None


@dataclass(frozen=True)
class Tally:
    classes: tuple[ClassHours, ...]
    warnings: tuple[str, ...]

    def of(self, classroom: Key) -> ClassHours | None:
        for c in self.classes:
            if c.classroom == classroom:
                return c
        return None


def lesson_units(
    lesson: Lesson,
    schedule: BellSchedule | None,
    unit_minutes: int,
    *,
    whole_periods: bool = False,
) -> Fraction | None:
    """単位時間 of one lesson: its minutes / the unit (45 or 50); None if not held.

    A module's own ``minutes`` always count by minutes (15 of 45 = 1/3). Otherwise the
    periods' minutes on the day's schedule (a double period of 45 + 45 = 2); with
    ``whole_periods`` (a board that counts a shortened period as a whole one) each
    period counts 1. A period the schedule does not have is not held.
    """
    if lesson.minutes is not None:
        return Fraction(lesson.minutes, unit_minutes)
    if schedule is None:
        return Fraction(len(lesson.periods)) if whole_periods else None
    minutes = schedule.minutes(lesson.periods)
    if minutes is None:
        return None
    if whole_periods:
        return Fraction(len(lesson.periods))
    return Fraction(minutes, unit_minutes)


def _minutes_by_class(
    lessons: Iterable[Lesson],
    schedule: BellSchedule | None,
    units: Mapping[Key, int],
    *,
    whole_periods: bool,
    count_self_study: bool,
) -> dict[Key, dict[str, int]]:
    """Per class and subject, the teaching minutes of one day's lessons (integers: fast).

    A class's lessons of one subject in one period count once (the two halves of a
    split class each get the period once); the longer counts. With ``whole_periods`` a
    period counts as the class's full unit.
    """
    best: dict[tuple[Key, str, int], int] = {}
    for x in lessons:
        if x.school is not None:
            continue
        if x.status == LessonStatus.SELF_STUDY and not count_self_study:
            continue
        if x.minutes is not None:
            minutes: int | None = x.minutes
        elif schedule is None:
            minutes = None if not whole_periods else 0
        else:
            minutes = schedule.minutes(x.periods)
        if minutes is None:
            continue
        whole = whole_periods and x.minutes is None
        for c in x.group.classrooms:
            unit = units.get(c)
            if unit is None:
                continue
            m = unit * len(x.periods) if whole else minutes
            k = (c, x.subject, x.period)
            if m > best.get(k, 0):
                best[k] = m
    result: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (c, subject, _), m in best.items():
        result[c][subject] += m
    return result


def hours_tally(
    classes: Sequence[ClassInfo],
    days: Iterable[SchoolDay],
    timetables: Sequence[Timetable],
    bells: Mapping[Key, BellSchedule],
    *,
    default_bell: Key | None = None,
    as_of: dt.date | None = None,
    changes: Iterable[Change] = (),
    closed: Mapping[Key, Collection[dt.date]] | None = None,
    school_closed: Collection[dt.date] = (),
    count_self_study: bool = True,
    whole_periods: bool = False,
    review_threshold: int = national.REVIEW_THRESHOLD_HOURS,
) -> Tally:
    """授業時数 of every class and subject for a year, in 単位時間 (exact fractions).

    - ``days``: the school days of the year (the calendar's 授業日), each with its
      timetable weekday (after 曜日振替) and bell schedule; ``school_closed``
      (臨時休業) and a class's ``closed`` dates (学級閉鎖, 学年閉鎖) give no lessons;
    - ``timetables``: weekly timetables, each in force from its start date;
    - ``changes``: daily changes (planned ahead or past). ``SwapWeekday``,
      ``SetBell`` and ``Event`` shape the plan; the others only what is held;
    - planned = the plan over every day; held = every day up to ``as_of`` (inclusive;
      None: nothing held yet) with all changes; projected = held + the days after
      ``as_of`` with the changes known so far;
    - warnings: a subject projected short of its standard hours, a class projected
      at ``review_threshold`` (1,086) hours or more.

    Days of one kind (timetable, weekday, bell) without changes are counted once and
    multiplied, so a whole school's year costs about as much as its distinct days.
    """
    closed = closed or {}
    school_closed = set(school_closed)
    units = {c.key: c.unit() for c in classes}
    by_date: dict[dt.date, list[Change]] = defaultdict(list)
    for c in changes:
        by_date[c.date].append(c)

    # Minutes per class and subject (integers); 単位時間 at the end.
    Counts = dict[Key, dict[str, int]]
    planned: Counts = defaultdict(lambda: defaultdict(int))
    held: Counts = defaultdict(lambda: defaultdict(int))
    projected: Counts = defaultdict(lambda: defaultdict(int))
    warnings: list[str] = []
    # Days of one kind (timetable, weekday, bell) counted once: kind -> class ->
    # [days planned as the weekly plan, days held so, days projected so].
    PLAN, HELD, PROJECTED = 0, 1, 2
    plain: dict[tuple, dict[Key, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    plain_lessons: dict[tuple, tuple[Lesson, ...]] = {}
    missing_bells: set[Key] = set()

    def add(target: Counts, per_class: Counts, open_classes: Iterable[Key], times: int = 1) -> None:
        for c in open_classes:
            row = per_class.get(c)
            if row:
                into = target[c]
                for subject, m in row.items():
                    into[subject] += m * times

    def schedule_of(key: Key | None) -> BellSchedule | None:
        if key is None:
            return None
        schedule = bells.get(key)
        if schedule is None:
            missing_bells.add(key)
        return schedule

    def count(lessons: Iterable[Lesson], bell: Key | None) -> Counts:
        return _minutes_by_class(
            lessons,
            schedule_of(bell),
            units,
            whole_periods=whole_periods,
            count_self_study=count_self_study,
        )

    for sd in sorted(days, key=lambda d: d.date):
        if sd.date in school_closed:
            continue
        weekly = timetable_on(timetables, sd.date)
        open_classes = [c.key for c in classes if sd.date not in closed.get(c.key, ())]
        is_held = as_of is not None and sd.date <= as_of
        weekday = sd.date.weekday() if sd.weekday is None else sd.weekday
        bell = default_bell if sd.bell is None else sd.bell
        kind = (id(weekly), weekday, bell)
        todays = by_date.get(sd.date, [])
        plan_changes = [c for c in todays if isinstance(c, PLAN_CHANGES)]
        if not plan_changes:
            plain_lessons[kind] = weekly
            for c in open_classes:
                plain[kind][c][PLAN] += 1
                if not todays:
                    plain[kind][c][PROJECTED] += 1
                    if is_held:
                        plain[kind][c][HELD] += 1
            if not todays:
                continue
        else:
            plan_day = day_lessons(weekly, sd.date, plan_changes, weekday=weekday, bell=bell)
            add(planned, count(plan_day.lessons, plan_day.bell), open_classes)
        if len(plan_changes) == len(todays):
            actual = count(plan_day.lessons, plan_day.bell)
        else:
            day = day_lessons(weekly, sd.date, todays, weekday=weekday, bell=bell)
            actual = count(day.lessons, day.bell)
        add(projected, actual, open_classes)
        if is_held:
            add(held, actual, open_classes)

    for kind, per_class in plain.items():
        _, weekday, bell = kind
        lessons = [x for x in plain_lessons[kind] if x.weekday == weekday]
        per_day = count(lessons, bell)
        for c, (n_plan, n_held, n_projected) in per_class.items():
            add(planned, per_day, (c,), n_plan)
            add(projected, per_day, (c,), n_projected)
            add(held, per_day, (c,), n_held)

    for key in sorted(missing_bells, key=str):
        warnings.append(f"校時表（{key}）が見つかりません: その日の授業時数を数えていません")

    result = []
    for info in classes:
        standard = info.standard_hours()
        subjects = list(standard) + sorted(
            s for s in {*planned[info.key], *projected[info.key]} if s not in standard
        )
        unit = units[info.key]
        rows = tuple(
            SubjectHours(
                s,
                standard.get(s),
                Fraction(planned[info.key].get(s, 0), unit),
                Fraction(held[info.key].get(s, 0), unit),
                Fraction(projected[info.key].get(s, 0), unit),
            )
            for s in subjects
        )
        hours = ClassHours(
            info.key,
            info.name,
            sum(standard.values()),
            sum((r.planned for r in rows), Fraction(0)),
            sum((r.held for r in rows), Fraction(0)),
            sum((r.projected for r in rows), Fraction(0)),
            rows,
        )
        result.append(hours)
        for r in rows:
            if r.shortfall:
                warnings.append(
                    f"{info.name} {r.subject}: 年間見込み {format_hours(r.projected)} 時間で"
                    f"標準授業時数 {format_hours(r.standard or 0)} 時間に"
                    f" {format_hours(r.shortfall)} 時間不足します"
                )
        if hours.projected >= review_threshold:
            warnings.append(
                f"{info.name}: 年間見込み {format_hours(hours.projected)} 時間"
                f"（{review_threshold:,} 時間以上: 教育課程の見直しの対象です）"
            )
    return Tally(tuple(result), tuple(warnings))
