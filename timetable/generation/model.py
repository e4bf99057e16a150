"""The timetable problem as plain data: rules in, placements out (no ORM, no Django).

A week is ``len(days) * len(hours)`` slots; slot ``t = day * n_hours + hour``.
Every constraint carries a weight in percent: 100 is a hard rule, anything lower
is a preference whose breaking costs ``weight / 100`` per unit (FET's convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Slot = tuple[int, int]  # (day index, hour index)
Who = Literal["teacher", "students"]


@dataclass(frozen=True)
class Activity:
    """One lesson to place; a split course (週3コマ) is several activities sharing ``group_id``."""

    id: int
    duration: int = 1  # 2 = 2時間続き
    teachers: tuple[str, ...] = ()
    subject: str = ""
    tags: tuple[str, ...] = ()
    students: tuple[str, ...] = ()  # student set names as stated (year, group or subgroup)
    group_id: int = 0
    n_students: int = 0


@dataclass(frozen=True)
class Room:
    """A room; with ``real_sets``, FET's virtual room (several rooms used as one, e.g. a
    class split over two labs): a lesson in it takes one real room of each set, all
    different, and those are busy; the virtual room itself holds any number of lessons at
    once (two in it at the same time take four real rooms)."""

    name: str
    capacity: int = 0  # 0 = unknown / unlimited
    building: str = ""  # FET's building; "" = none (never counts as a building change)
    real_sets: tuple[tuple[str, ...], ...] = ()

    @property
    def virtual(self) -> bool:
        return bool(self.real_sets)


@dataclass
class Constraint:
    """Base: ``weight`` is a percentage, 100 = hard."""

    weight: float = 100.0

    @property
    def hard(self) -> bool:
        return self.weight >= 100.0

    @property
    def label(self) -> str:
        return type(self).__name__


# --- time ------------------------------------------------------------------------------


@dataclass
class BreakTimes(Constraint):
    slots: frozenset[Slot] = frozenset()


@dataclass
class NotAvailable(Constraint):
    """A teacher, a student set or a room cannot be used in these slots."""

    kind: Literal["teacher", "students", "room"] = "teacher"
    name: str = ""
    slots: frozenset[Slot] = frozenset()


@dataclass
class PreferredStarts(Constraint):
    """Each listed activity starts in one of ``slots``."""

    activity_ids: tuple[int, ...] = ()
    slots: frozenset[Slot] = frozenset()


@dataclass
class PreferredSlots(Constraint):
    """Every period each listed activity occupies is in ``slots``."""

    activity_ids: tuple[int, ...] = ()
    slots: frozenset[Slot] = frozenset()


@dataclass
class MinDaysBetween(Constraint):
    """Any two of the activities are at least ``min_days`` days apart (two-period subjects
    not on consecutive days = 2); when broken, same-day ones may be made adjacent.
    Whatever the weight (0 % too), never more than two of them fall on one day: FET (since
    6.4) never places a third, and it searches forever on a timetable that has one."""

    activity_ids: tuple[int, ...] = ()
    min_days: int = 1
    consecutive_if_same_day: bool = False


@dataclass
class MaxDaysBetween(Constraint):
    activity_ids: tuple[int, ...] = ()
    max_days: int = 0


@dataclass
class SameStart(Constraint):
    """合同・選択・分割: the activities start together (``what`` = time, day or hour)."""

    activity_ids: tuple[int, ...] = ()
    what: Literal["time", "day", "hour"] = "time"


@dataclass
class NotOverlapping(Constraint):
    activity_ids: tuple[int, ...] = ()


@dataclass
class Consecutive(Constraint):
    """``second`` starts right when ``first`` ends, on the same day."""

    first: int = 0
    second: int = 0


@dataclass
class Grouped(Constraint):
    """The activities form one contiguous block on one day, in any order."""

    activity_ids: tuple[int, ...] = ()


@dataclass
class Ordered(Constraint):
    first: int = 0
    second: int = 0
    only_if_same_day: bool = False


@dataclass
class MinGapsBetween(Constraint):
    activity_ids: tuple[int, ...] = ()
    min_gaps: int = 1


@dataclass
class EndsStudentsDay(Constraint):
    activity_ids: tuple[int, ...] = ()


@dataclass
class MaxSlotsFromSelection(Constraint):
    """The activities together occupy at most ``max_slots`` of ``slots``."""

    activity_ids: tuple[int, ...] = ()
    slots: frozenset[Slot] = frozenset()
    max_slots: int = 0


@dataclass
class MaxSimultaneous(Constraint):
    activity_ids: tuple[int, ...] = ()
    slots: frozenset[Slot] = frozenset()
    max_simultaneous: int = 1


# --- per teacher / per student set (names=() means everyone of that kind) ---------------


@dataclass
class ResourceConstraint(Constraint):
    who: Who = "teacher"
    names: tuple[str, ...] = ()
    tag: str | None = None  # count only activities with this activity tag


@dataclass
class MaxHoursDaily(ResourceConstraint):
    max_hours: int = 0


@dataclass
class MinHoursDaily(ResourceConstraint):
    min_hours: int = 0
    allow_empty_days: bool = True


@dataclass
class MaxDaysPerWeek(ResourceConstraint):
    max_days: int = 0
    interval: tuple[int, int] | None = None  # hours [start, end) that make a day count


@dataclass
class MinDaysPerWeek(ResourceConstraint):
    min_days: int = 0


@dataclass
class MaxGaps(ResourceConstraint):
    max_gaps: int = 0
    per: Literal["week", "day"] = "week"


@dataclass
class MaxHoursContinuously(ResourceConstraint):
    max_hours: int = 0


@dataclass
class EarlyMaxBeginningsAtSecondHour(ResourceConstraint):
    """Students start the day at the first period, except on at most ``max_days`` days
    where they start at the second."""

    max_days: int = 0


@dataclass
class MaxSpanPerDay(ResourceConstraint):
    """A day's span, from the first period taught to the last one (breaks, unavailable
    periods and gaps between them all count, as FET counts), is at most ``max_span``;
    ``one_day_plus_one``: one day of the week may be one longer. FET accepts it at 100 %
    only."""

    max_span: int = 0
    one_day_plus_one: bool = False


@dataclass
class MinGapsBetweenTags(ResourceConstraint):
    """When a lesson tagged ``first_tag`` is followed later on the same day by one tagged
    ``second_tag`` (of the same teacher / the same students), at least ``min_gaps``
    periods lie between the end of the one and the start of the other; every period counts
    (a break, another lesson). The reverse order is free. FET accepts it at 100 % only."""

    first_tag: str = ""
    second_tag: str = ""
    min_gaps: int = 1


@dataclass
class MinRestingHours(ResourceConstraint):
    """From the last lesson of a day to the first of the next, at least ``min_hours``
    periods without one (FET counts the periods after the last lesson and before the
    first, breaks too); ``circular``: from the last day of the week to the first as
    well. FET accepts it at 100 % only."""

    min_hours: int = 0
    circular: bool = False


# --- rooms -----------------------------------------------------------------------------


@dataclass
class PreferredRooms(Constraint):
    """The activities take place in one of ``rooms``. ``home`` marks a home-room rule,
    which only applies to activities without another room rule (FET's convention)."""

    activity_ids: tuple[int, ...] = ()
    rooms: tuple[str, ...] = ()
    home: bool = False
    # one virtual room named with the real rooms it takes (one per set, in set order), as
    # FET writes a placed lesson: those real rooms, not any of its sets
    real_rooms: tuple[str, ...] = ()


# --- buildings and the rooms of several activities (FET's space rules) -------------------


@dataclass
class MaxBuildingChanges(ResourceConstraint):
    """At most ``max_changes`` building changes a day (or a week, summed over its days) for
    a teacher or a student set. FET's change: the next lesson that has a room with a
    building is in another building than the last one; lessons without one do not count."""

    max_changes: int = 0
    per: Literal["day", "week"] = "day"


@dataclass
class MinGapsBetweenBuildingChanges(ResourceConstraint):
    """Before a lesson in another building than the last one, at least ``min_gaps`` periods
    without a lesson in a building (FET counts break periods and lessons without a room)."""

    min_gaps: int = 1


@dataclass
class SameRoomIfConsecutive(Constraint):
    """Any two of the activities that follow each other on a day (the second starts the
    period the first ends) and both have a room, have the same room."""

    activity_ids: tuple[int, ...] = ()


@dataclass
class MaxDifferentRooms(Constraint):
    """The activities (those that have a room) use at most ``max_rooms`` rooms in all."""

    activity_ids: tuple[int, ...] = ()
    max_rooms: int = 1


@dataclass
class Problem:
    days: list[str]
    hours: list[str]
    activities: list[Activity]
    teachers: list[str] = field(default_factory=list)
    rooms: dict[str, Room] = field(default_factory=dict)
    # every student set name (year, group, subgroup) -> the atomic subgroups it contains
    subgroups_of: dict[str, frozenset[str]] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    # constraint types the source used that this solver cannot model (name -> count)
    unsupported: dict[str, int] = field(default_factory=dict)
    name: str = ""

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def n_hours(self) -> int:
        return len(self.hours)

    def activity(self, activity_id: int) -> Activity:
        return self._by_id()[activity_id]

    def _by_id(self) -> dict[int, Activity]:
        cache = getattr(self, "_by_id_cache", None)
        if cache is None or len(cache) != len(self.activities):
            cache = {a.id: a for a in self.activities}
            object.__setattr__(self, "_by_id_cache", cache)
        return cache

    def subgroups(self, activity: Activity) -> frozenset[str]:
        out: set[str] = set()
        for name in activity.students:
            out |= self.subgroups_of.get(name, frozenset({name}))
        return frozenset(out)

    def describe(self, activity: Activity) -> str:
        """Japanese one-line description of an activity for messages."""
        parts = [activity.subject or "（教科なし）"]
        if activity.teachers:
            parts.append("・".join(f"{t}先生" for t in activity.teachers))
        if activity.students:
            parts.append("・".join(activity.students))
        dur = f"、{activity.duration}時間続き" if activity.duration > 1 else ""
        return f"活動{activity.id}（{' / '.join(parts)}{dur}）"


@dataclass
class Placement:
    activity_id: int
    day: int
    hour: int
    room: str | None = None
    real_rooms: tuple[str, ...] = ()  # a virtual room's real rooms, one per set


@dataclass
class Result:
    """What the solver found. ``status`` is one of: solved, infeasible, unknown, unsupported."""

    status: str
    placements: dict[int, Placement] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # Japanese, for the 教務主任
    soft_total: float | None = None
    first_solution_seconds: float | None = None
    wall_seconds: float = 0.0
    objective: float | None = None
    optimal: bool = False

    @property
    def solved(self) -> bool:
        return self.status == "solved"
