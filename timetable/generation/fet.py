"""FET (``.fet`` XML) in and out.

``read_fet`` turns a FET file into a :class:`Problem`; constraint types that have no
model here are counted in ``Problem.unsupported`` (never silently dropped).
``write_locked`` writes the same file with every activity locked at its placement,
the way FET's own ``*_data_and_timetable.fet`` does, so ``fet-cl`` can referee it.
"""

from __future__ import annotations

import xml.etree.ElementTree as StdET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .model import (
    Activity,
    BreakTimes,
    Consecutive,
    Constraint,
    EarlyMaxBeginningsAtSecondHour,
    EndsStudentsDay,
    Grouped,
    MaxBuildingChanges,
    MaxDaysBetween,
    MaxDaysPerWeek,
    MaxDifferentRooms,
    MaxGaps,
    MaxHoursContinuously,
    MaxHoursDaily,
    MaxSimultaneous,
    MaxSlotsFromSelection,
    MaxSpanPerDay,
    MinDaysBetween,
    MinDaysPerWeek,
    MinGapsBetween,
    MinGapsBetweenBuildingChanges,
    MinGapsBetweenTags,
    MinHoursDaily,
    MinRestingHours,
    NotAvailable,
    NotOverlapping,
    Ordered,
    PreferredRooms,
    PreferredSlots,
    PreferredStarts,
    Problem,
    Result,
    Room,
    SameRoomIfConsecutive,
    SameStart,
    Slot,
)

try:  # defusedxml refuses entity expansion and external entities outright
    from defusedxml.ElementTree import fromstring as _safe_fromstring
except ImportError:  # pragma: no cover - depends on the environment
    _safe_fromstring = None

Element = StdET.Element


class FetError(ValueError):
    """The file is not a FET file we can read (message in Japanese)."""


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML: no DTD, no entity expansion, no external fetches."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise FetError("DTD・実体宣言を含むXMLは読み込めません。")
    try:
        if _safe_fromstring is not None:
            return _safe_fromstring(data)
        return StdET.fromstring(data)  # stdlib expat never fetches external entities
    except (StdET.ParseError, ValueError) as e:  # defusedxml's errors are ValueErrors
        raise FetError(f"FETファイルとして読めません: {e}") from e


def _text(el: Element | None, tag: str, default: str = "") -> str:
    # not stripped: FET keeps a name's spaces (a room " 1" is not the room "1"), and a name
    # written back into the locked file must be the very name fet-cl knows
    if el is None:
        return default
    child = el.find(tag)
    if child is None or child.text is None:
        return default
    return child.text


def _texts(el: Element, tag: str) -> list[str]:
    return [c.text or "" for c in el.findall(tag)]


def _bool(s: str, default: bool = False) -> bool:
    if not s:
        return default
    return s.strip().lower() in ("true", "1", "yes")


def _int(s: str, default: int = 0) -> int:
    try:
        return int(float(s))
    except ValueError:
        return default


class _Reader:
    def __init__(self, root: Element, name: str) -> None:
        self.root = root
        self.name = name
        self.days = [_text(d, "Name") for d in root.findall("./Days_List/Day")]
        self.hours = [_text(h, "Name") for h in root.findall("./Hours_List/Hour")]
        self.day_index = {n: i for i, n in enumerate(self.days)}
        self.hour_index = {n: i for i, n in enumerate(self.hours)}
        self.unsupported: dict[str, int] = {}
        self.constraints: list[Constraint] = []

    # --- basics --------------------------------------------------------------------

    def students(self) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
        """Every set name -> atomic subgroups (a set without subsets is its own atom)."""
        leaves: dict[str, set[str]] = {}
        size: dict[str, int] = {}
        for year in self.root.findall("./Students_List/Year"):
            yname = _text(year, "Name")
            size[yname] = _int(_text(year, "Number_of_Students"))
            ys = leaves.setdefault(yname, set())
            groups = year.findall("Group")
            if not groups:
                ys.add(yname)
            for group in groups:
                gname = _text(group, "Name")
                size[gname] = _int(_text(group, "Number_of_Students"))
                gs = leaves.setdefault(gname, set())
                subs = group.findall("Subgroup")
                if not subs:
                    gs.add(gname)
                for sub in subs:
                    sname = _text(sub, "Name")
                    size[sname] = _int(_text(sub, "Number_of_Students"))
                    leaves.setdefault(sname, set()).add(sname)
                    gs.add(sname)
                ys |= gs
        # the same group name under two years is one set: merge (done by setdefault above)
        return {k: frozenset(v) for k, v in leaves.items()}, size

    def activities(self, size: dict[str, int]) -> list[Activity]:
        out = []
        for el in self.root.findall("./Activities_List/Activity"):
            if not _bool(_text(el, "Active"), True):
                continue
            students = tuple(_texts(el, "Students"))
            # FET writes <Number_Of_Students> only when it is stated, not computed
            if el.find("Number_Of_Students") is not None and not _bool(
                _text(el, "Computed_Number_Of_Students"), False
            ):
                n = _int(_text(el, "Number_Of_Students"))
            else:
                n = sum(size.get(s, 0) for s in students)
            out.append(
                Activity(
                    id=_int(_text(el, "Id")),
                    duration=max(1, _int(_text(el, "Duration"), 1)),
                    teachers=tuple(_texts(el, "Teacher")),
                    subject=_text(el, "Subject"),
                    tags=tuple(_texts(el, "Activity_Tag")),
                    students=students,
                    group_id=_int(_text(el, "Activity_Group_Id")),
                    n_students=n,
                )
            )
        return out

    def slots(self, el: Element, item: str, day_tag: str, hour_tag: str) -> frozenset[Slot]:
        out = set()
        for s in el.findall(item):
            d = self.day_index.get(_text(s, day_tag))
            h = self.hour_index.get(_text(s, hour_tag))
            if d is not None and h is not None:
                out.add((d, h))
        return frozenset(out)

    def hour(self, name: str, default: int) -> int:
        return self.hour_index.get(name, default) if name else default


def read_fet(path: str | Path) -> Problem:
    data = Path(path).read_bytes()
    return read_fet_bytes(data, name=Path(path).stem)


def read_fet_bytes(data: bytes, name: str = "") -> Problem:
    root = parse_xml(data)
    if root.tag != "fet":
        raise FetError("FETファイルではありません（ルート要素が <fet> ではありません）。")
    r = _Reader(root, name)
    if not r.days or not r.hours:
        raise FetError("曜日または校時の一覧が空です。")
    subgroups_of, size = r.students()
    activities = r.activities(size)
    ids = {a.id for a in activities}
    rooms: dict[str, Room] = {}
    for el in root.findall("./Rooms_List/Room"):
        rname = _text(el, "Name")
        real_sets: tuple[tuple[str, ...], ...] = ()
        if _bool(_text(el, "Virtual")):
            real_sets = tuple(
                tuple(_texts(s, "Real_Room")) for s in el.findall("Set_of_Real_Rooms")
            )
        rooms[rname] = Room(rname, _int(_text(el, "Capacity")), _text(el, "Building"), real_sets)
    problem = Problem(
        days=r.days,
        hours=r.hours,
        activities=activities,
        teachers=[_text(t, "Name") for t in root.findall("./Teachers_List/Teacher")],
        rooms=rooms,
        subgroups_of=subgroups_of,
        name=name,
    )
    ctx = _Ctx(r, problem, ids)
    for lst in ("Time_Constraints_List", "Space_Constraints_List"):
        for el in root.findall(f"./{lst}/*"):
            if not _bool(_text(el, "Active"), True):
                continue
            weight = float(_text(el, "Weight_Percentage") or "100")
            if weight <= 0 and el.tag != "ConstraintMinDaysBetweenActivities":
                # FET ignores a 0 % rule, except min days: its "consecutive if same day"
                # and its "never more than two on one day" hold whatever the weight
                continue
            handler = _HANDLERS.get(el.tag)
            if handler is None:
                r.unsupported[el.tag] = r.unsupported.get(el.tag, 0) + 1
                continue
            for c in handler(ctx, el, weight) or ():
                r.constraints.append(c)
    problem.constraints = r.constraints
    problem.unsupported = r.unsupported
    return problem


class _Ctx:
    def __init__(self, r: _Reader, problem: Problem, ids: set[int]) -> None:
        self.r = r
        self.p = problem
        self.ids = ids

    def act_ids(self, el: Element, tag: str = "Activity_Id") -> tuple[int, ...]:
        # FET drops references to inactive/deleted activities
        return tuple(i for i in (_int(x) for x in _texts(el, tag)) if i in self.ids)

    def filtered(self, el: Element, tag_tag: str = "Activity_Tag_Name") -> list[Activity]:
        teacher = _text(el, "Teacher_Name")
        students = _text(el, "Students_Name")
        subject = _text(el, "Subject_Name")
        tag = _text(el, tag_tag)
        duration = _text(el, "Duration")
        # FET takes every activity whose students share a subgroup with the named set (a
        # rule for a year binds its groups' lessons, one for a group binds the year's), not
        # only the activities that name the set itself
        atoms = self.p.subgroups_of.get(students, frozenset({students})) if students else None
        out = []
        for a in self.p.activities:
            if teacher and teacher not in a.teachers:
                continue
            if atoms is not None and not (atoms & self.p.subgroups(a)):
                continue
            if subject and subject != a.subject:
                continue
            if tag and tag not in a.tags:
                continue
            if duration and _int(duration) != a.duration:
                continue
            out.append(a)
        return out

    def component(self, acts: list[Activity], number: int) -> tuple[int, ...]:
        """The ``number``-th (1-based) activity of each split course among ``acts``."""
        groups: dict[int, list[Activity]] = {}
        for a in self.p.activities:
            groups.setdefault(a.group_id or -a.id, []).append(a)
        wanted = {a.id for a in acts}
        out = []
        for members in groups.values():
            members.sort(key=lambda a: a.id)
            if len(members) >= number and members[number - 1].id in wanted:
                out.append(members[number - 1].id)
        return tuple(out)


Handler = Callable[[_Ctx, Element, float], Iterable[Constraint] | None]


def _skip(ctx: _Ctx, el: Element, w: float) -> None:
    return None  # BasicCompulsoryTime/Space: clashes are always forbidden


def _break(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    return [BreakTimes(w, ctx.r.slots(el, "Break_Time", "Day", "Hour"))]


def _not_available(kind: str, name_tag: str) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        slots = ctx.r.slots(el, "Not_Available_Time", "Day", "Hour")
        return [NotAvailable(w, kind, _text(el, name_tag), slots)]  # type: ignore[arg-type]

    return h


def _activity_start(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    d = ctx.r.day_index.get(_text(el, "Preferred_Day"))
    h = ctx.r.hour_index.get(_text(el, "Preferred_Hour"))
    # FET allows a day only or an hour only
    days = [d] if d is not None else range(len(ctx.r.days))
    hours = [h] if h is not None else range(len(ctx.r.hours))
    return [PreferredStarts(w, ids, frozenset((x, y) for x in days for y in hours))] if ids else []


def _activity_starts(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    slots = ctx.r.slots(
        el, "Preferred_Starting_Time", "Preferred_Starting_Day", "Preferred_Starting_Hour"
    )
    return [PreferredStarts(w, ids, slots)] if ids else []


def _activities_starts(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    acts = ctx.filtered(el)
    ids = tuple(a.id for a in acts)
    slots = ctx.r.slots(
        el, "Preferred_Starting_Time", "Preferred_Starting_Day", "Preferred_Starting_Hour"
    )
    return [PreferredStarts(w, ids, slots)] if ids else []


def _sub_starts(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.component(ctx.filtered(el), _int(_text(el, "Component_Number"), 1))
    slots = ctx.r.slots(
        el, "Preferred_Starting_Time", "Preferred_Starting_Day", "Preferred_Starting_Hour"
    )
    return [PreferredStarts(w, ids, slots)] if ids else []


def _activity_slots(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    slots = ctx.r.slots(el, "Preferred_Time_Slot", "Preferred_Day", "Preferred_Hour")
    return [PreferredSlots(w, ids, slots)] if ids else []


def _activities_slots(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = tuple(a.id for a in ctx.filtered(el))
    slots = ctx.r.slots(el, "Preferred_Time_Slot", "Preferred_Day", "Preferred_Hour")
    return [PreferredSlots(w, ids, slots)] if ids else []


def _sub_slots(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.component(ctx.filtered(el), _int(_text(el, "Component_Number"), 1))
    slots = ctx.r.slots(el, "Preferred_Time_Slot", "Preferred_Day", "Preferred_Hour")
    return [PreferredSlots(w, ids, slots)] if ids else []


def _min_days(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    if len(ids) < 2:
        return []
    md = min(_int(_text(el, "MinDays"), 1), len(ctx.r.days) - 1)
    csd = _bool(_text(el, "Consecutive_If_Same_Day"))
    return [MinDaysBetween(w, ids, md, csd)]


def _max_days_between(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    return [MaxDaysBetween(w, ids, _int(_text(el, "MaxDays")))] if len(ids) >= 2 else []


def _same(what: str) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        ids = ctx.act_ids(el)
        return [SameStart(w, ids, what)] if len(ids) >= 2 else []  # type: ignore[arg-type]

    return h


def _not_overlapping(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    return [NotOverlapping(w, ids)] if len(ids) >= 2 else []


def _pair_ids(ctx: _Ctx, el: Element, *tags: str) -> tuple[int, ...] | None:
    ids = tuple(_int(_text(el, t)) for t in tags)
    return ids if all(i in ctx.ids for i in ids) else None


def _consecutive(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = _pair_ids(ctx, el, "First_Activity_Id", "Second_Activity_Id")
    return [Consecutive(w, ids[0], ids[1])] if ids else []


def _grouped2(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = _pair_ids(ctx, el, "First_Activity_Id", "Second_Activity_Id")
    return [Grouped(w, ids)] if ids else []


def _grouped3(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = _pair_ids(ctx, el, "First_Activity_Id", "Second_Activity_Id", "Third_Activity_Id")
    return [Grouped(w, ids)] if ids else []


def _ordered(if_same_day: bool) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        ids = _pair_ids(ctx, el, "First_Activity_Id", "Second_Activity_Id")
        return [Ordered(w, ids[0], ids[1], if_same_day)] if ids else []

    return h


def _min_gaps_between(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    return [MinGapsBetween(w, ids, _int(_text(el, "MinGaps"), 1))] if len(ids) >= 2 else []


def _ends_day(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    return [EndsStudentsDay(w, ids)] if ids else []


def _activities_end_day(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = tuple(a.id for a in ctx.filtered(el))
    return [EndsStudentsDay(w, ids)] if ids else []


def _occupy_max(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    slots = ctx.r.slots(el, "Selected_Time_Slot", "Selected_Day", "Selected_Hour")
    n = _int(_text(el, "Max_Number_of_Occupied_Time_Slots"))
    return [MaxSlotsFromSelection(w, ids, slots, n)] if ids else []


def _max_simultaneous(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    slots = ctx.r.slots(el, "Selected_Time_Slot", "Selected_Day", "Selected_Hour")
    n = _int(_text(el, "Max_Number_of_Simultaneous_Activities"))
    return [MaxSimultaneous(w, ids, slots, n)] if ids else []


def _resource(cls: type, who: str, name_tag: str | None, **fields: Any) -> Handler:
    """Per-teacher / per-student-set rules; ``fields`` maps dataclass field -> XML tag."""

    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        names = (_text(el, name_tag),) if name_tag else ()
        kwargs: dict[str, Any] = {}
        for f, tag in fields.items():
            if f == "tag":
                kwargs[f] = _text(el, tag) or None
            elif f == "allow_empty_days":
                kwargs[f] = _bool(_text(el, tag), True)
            else:
                kwargs[f] = _int(_text(el, tag))
        return [cls(weight=w, who=who, names=names, **kwargs)]

    return h


def _interval_days(who: str, name_tag: str | None) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        names = (_text(el, name_tag),) if name_tag else ()
        start = ctx.r.hour(_text(el, "Interval_Start_Hour"), 0)
        end = ctx.r.hour(_text(el, "Interval_End_Hour"), len(ctx.r.hours))
        n = _int(_text(el, "Max_Days_Per_Week"))
        return [MaxDaysPerWeek(w, who, names, None, n, (start, end))]  # type: ignore[arg-type]

    return h


def _rooms_for(
    ids: Iterable[int], rooms: list[str], w: float, home: bool = False, real: Iterable[str] = ()
) -> list[Constraint]:
    ids = tuple(ids)
    return [PreferredRooms(w, ids, tuple(rooms), home, tuple(real))] if ids else []


def _room_pref(
    select: Callable[[_Ctx, Element], Iterable[int]], single: bool, home: bool = False
) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        rooms = [_text(el, "Room")] if single else _texts(el, "Preferred_Room")
        real = _texts(el, "Real_Room") if single else []  # a virtual room's, as placed
        return _rooms_for(select(ctx, el), rooms, w, home, real)

    return h


def _by_activity(ctx: _Ctx, el: Element) -> Iterable[int]:
    return ctx.act_ids(el)


def _by_subject(ctx: _Ctx, el: Element) -> Iterable[int]:
    s = _text(el, "Subject")
    return (a.id for a in ctx.p.activities if a.subject == s)


def _by_tag(ctx: _Ctx, el: Element) -> Iterable[int]:
    t = _text(el, "Activity_Tag")
    return (a.id for a in ctx.p.activities if t in a.tags)


def _by_subject_tag(ctx: _Ctx, el: Element) -> Iterable[int]:
    s, t = _text(el, "Subject"), _text(el, "Activity_Tag")
    return (a.id for a in ctx.p.activities if a.subject == s and t in a.tags)


def _by_teacher(ctx: _Ctx, el: Element) -> Iterable[int]:
    # FET: a home room holds only the activities of that teacher alone
    t = _text(el, "Teacher")
    return (a.id for a in ctx.p.activities if a.teachers == (t,))


def _by_students(ctx: _Ctx, el: Element) -> Iterable[int]:
    # FET: a home room holds only the activities of exactly that one student set
    s = _text(el, "Students")
    return (a.id for a in ctx.p.activities if a.students == (s,))


_HANDLERS: dict[str, Handler] = {
    "ConstraintBasicCompulsoryTime": _skip,
    "ConstraintBasicCompulsorySpace": _skip,
    "ConstraintBreakTimes": _break,
    "ConstraintTeacherNotAvailableTimes": _not_available("teacher", "Teacher"),
    "ConstraintStudentsSetNotAvailableTimes": _not_available("students", "Students"),
    "ConstraintRoomNotAvailableTimes": _not_available("room", "Room"),
    "ConstraintActivityPreferredStartingTime": _activity_start,
    "ConstraintActivityPreferredStartingTimes": _activity_starts,
    "ConstraintActivitiesPreferredStartingTimes": _activities_starts,
    "ConstraintSubactivitiesPreferredStartingTimes": _sub_starts,
    "ConstraintActivityPreferredTimeSlots": _activity_slots,
    "ConstraintActivitiesPreferredTimeSlots": _activities_slots,
    "ConstraintSubactivitiesPreferredTimeSlots": _sub_slots,
    "ConstraintMinDaysBetweenActivities": _min_days,
    "ConstraintMaxDaysBetweenActivities": _max_days_between,
    "ConstraintActivitiesSameStartingTime": _same("time"),
    "ConstraintActivitiesSameStartingDay": _same("day"),
    "ConstraintActivitiesSameStartingHour": _same("hour"),
    "ConstraintActivitiesNotOverlapping": _not_overlapping,
    "ConstraintTwoActivitiesConsecutive": _consecutive,
    "ConstraintTwoActivitiesGrouped": _grouped2,
    "ConstraintThreeActivitiesGrouped": _grouped3,
    "ConstraintTwoActivitiesOrdered": _ordered(False),
    "ConstraintTwoActivitiesOrderedIfSameDay": _ordered(True),
    "ConstraintMinGapsBetweenActivities": _min_gaps_between,
    "ConstraintActivityEndsStudentsDay": _ends_day,
    "ConstraintActivitiesEndStudentsDay": _activities_end_day,
    "ConstraintActivitiesOccupyMaxTimeSlotsFromSelection": _occupy_max,
    "ConstraintActivitiesMaxSimultaneousInSelectedTimeSlots": _max_simultaneous,
    # teachers
    "ConstraintTeacherMaxHoursDaily": _resource(
        MaxHoursDaily, "teacher", "Teacher_Name", max_hours="Maximum_Hours_Daily"
    ),
    "ConstraintTeachersMaxHoursDaily": _resource(
        MaxHoursDaily, "teacher", None, max_hours="Maximum_Hours_Daily"
    ),
    "ConstraintTeacherActivityTagMaxHoursDaily": _resource(
        MaxHoursDaily,
        "teacher",
        "Teacher_Name",
        max_hours="Maximum_Hours_Daily",
        tag="Activity_Tag_Name",
    ),
    "ConstraintTeachersActivityTagMaxHoursDaily": _resource(
        MaxHoursDaily, "teacher", None, max_hours="Maximum_Hours_Daily", tag="Activity_Tag_Name"
    ),
    "ConstraintTeacherMinHoursDaily": _resource(
        MinHoursDaily,
        "teacher",
        "Teacher_Name",
        min_hours="Minimum_Hours_Daily",
        allow_empty_days="Allow_Empty_Days",
    ),
    "ConstraintTeachersMinHoursDaily": _resource(
        MinHoursDaily,
        "teacher",
        None,
        min_hours="Minimum_Hours_Daily",
        allow_empty_days="Allow_Empty_Days",
    ),
    "ConstraintTeacherMaxDaysPerWeek": _resource(
        MaxDaysPerWeek, "teacher", "Teacher_Name", max_days="Max_Days_Per_Week"
    ),
    "ConstraintTeachersMaxDaysPerWeek": _resource(
        MaxDaysPerWeek, "teacher", None, max_days="Max_Days_Per_Week"
    ),
    "ConstraintTeacherIntervalMaxDaysPerWeek": _interval_days("teacher", "Teacher_Name"),
    "ConstraintTeachersIntervalMaxDaysPerWeek": _interval_days("teacher", None),
    "ConstraintTeacherMinDaysPerWeek": _resource(
        MinDaysPerWeek, "teacher", "Teacher_Name", min_days="Minimum_Days_Per_Week"
    ),
    "ConstraintTeachersMinDaysPerWeek": _resource(
        MinDaysPerWeek, "teacher", None, min_days="Minimum_Days_Per_Week"
    ),
    "ConstraintTeacherMaxGapsPerWeek": _resource(
        MaxGaps, "teacher", "Teacher_Name", max_gaps="Max_Gaps"
    ),
    "ConstraintTeachersMaxGapsPerWeek": _resource(MaxGaps, "teacher", None, max_gaps="Max_Gaps"),
    "ConstraintTeacherMaxHoursContinuously": _resource(
        MaxHoursContinuously, "teacher", "Teacher_Name", max_hours="Maximum_Hours_Continuously"
    ),
    "ConstraintTeachersMaxHoursContinuously": _resource(
        MaxHoursContinuously, "teacher", None, max_hours="Maximum_Hours_Continuously"
    ),
    "ConstraintTeachersActivityTagMaxHoursContinuously": _resource(
        MaxHoursContinuously,
        "teacher",
        None,
        max_hours="Maximum_Hours_Continuously",
        tag="Activity_Tag_Name",
    ),
    "ConstraintTeacherActivityTagMaxHoursContinuously": _resource(
        MaxHoursContinuously,
        "teacher",
        "Teacher_Name",
        max_hours="Maximum_Hours_Continuously",
        tag="Activity_Tag_Name",
    ),
    # students
    "ConstraintStudentsMaxHoursDaily": _resource(
        MaxHoursDaily, "students", None, max_hours="Maximum_Hours_Daily"
    ),
    "ConstraintStudentsSetMaxHoursDaily": _resource(
        MaxHoursDaily, "students", "Students", max_hours="Maximum_Hours_Daily"
    ),
    "ConstraintStudentsActivityTagMaxHoursDaily": _resource(
        MaxHoursDaily, "students", None, max_hours="Maximum_Hours_Daily", tag="Activity_Tag"
    ),
    "ConstraintStudentsSetActivityTagMaxHoursDaily": _resource(
        MaxHoursDaily, "students", "Students", max_hours="Maximum_Hours_Daily", tag="Activity_Tag"
    ),
    "ConstraintStudentsMinHoursDaily": _resource(
        MinHoursDaily,
        "students",
        None,
        min_hours="Minimum_Hours_Daily",
        allow_empty_days="Allow_Empty_Days",
    ),
    "ConstraintStudentsSetMinHoursDaily": _resource(
        MinHoursDaily,
        "students",
        "Students",
        min_hours="Minimum_Hours_Daily",
        allow_empty_days="Allow_Empty_Days",
    ),
    "ConstraintStudentsMaxGapsPerWeek": _resource(MaxGaps, "students", None, max_gaps="Max_Gaps"),
    "ConstraintStudentsSetMaxGapsPerWeek": _resource(
        MaxGaps, "students", "Students", max_gaps="Max_Gaps"
    ),
    "ConstraintStudentsIntervalMaxDaysPerWeek": _interval_days("students", None),
    "ConstraintStudentsSetIntervalMaxDaysPerWeek": _interval_days("students", "Students"),
    "ConstraintStudentsMaxHoursContinuously": _resource(
        MaxHoursContinuously, "students", None, max_hours="Maximum_Hours_Continuously"
    ),
    "ConstraintStudentsSetMaxHoursContinuously": _resource(
        MaxHoursContinuously, "students", "Students", max_hours="Maximum_Hours_Continuously"
    ),
    "ConstraintStudentsActivityTagMaxHoursContinuously": _resource(
        MaxHoursContinuously,
        "students",
        None,
        max_hours="Maximum_Hours_Continuously",
        tag="Activity_Tag",
    ),
    "ConstraintStudentsEarlyMaxBeginningsAtSecondHour": _resource(
        EarlyMaxBeginningsAtSecondHour, "students", None, max_days="Max_Beginnings_At_Second_Hour"
    ),
    "ConstraintStudentsSetEarlyMaxBeginningsAtSecondHour": _resource(
        EarlyMaxBeginningsAtSecondHour,
        "students",
        "Students",
        max_days="Max_Beginnings_At_Second_Hour",
    ),
    # rooms
    "ConstraintActivityPreferredRoom": _room_pref(_by_activity, True),
    "ConstraintActivityPreferredRooms": _room_pref(_by_activity, False),
    "ConstraintSubjectPreferredRoom": _room_pref(_by_subject, True),
    "ConstraintSubjectPreferredRooms": _room_pref(_by_subject, False),
    "ConstraintActivityTagPreferredRoom": _room_pref(_by_tag, True),
    "ConstraintActivityTagPreferredRooms": _room_pref(_by_tag, False),
    "ConstraintSubjectActivityTagPreferredRoom": _room_pref(_by_subject_tag, True),
    "ConstraintSubjectActivityTagPreferredRooms": _room_pref(_by_subject_tag, False),
    "ConstraintTeacherHomeRoom": _room_pref(_by_teacher, True, home=True),
    "ConstraintTeacherHomeRooms": _room_pref(_by_teacher, False, home=True),
    "ConstraintStudentsSetHomeRoom": _room_pref(_by_students, True, home=True),
    "ConstraintStudentsSetHomeRooms": _room_pref(_by_students, False, home=True),
}

# Gaps per day for teachers/students share MaxGaps with per="day".
for _tag, _who, _name in (
    ("ConstraintTeacherMaxGapsPerDay", "teacher", "Teacher_Name"),
    ("ConstraintTeachersMaxGapsPerDay", "teacher", None),
    ("ConstraintStudentsMaxGapsPerDay", "students", None),
    ("ConstraintStudentsSetMaxGapsPerDay", "students", "Students"),
):

    def _gaps_day(
        ctx: _Ctx, el: Element, w: float, _who: str = _who, _name: str | None = _name
    ) -> list[Constraint]:
        names = (_text(el, _name),) if _name else ()
        return [MaxGaps(w, _who, names, None, _int(_text(el, "Max_Gaps")), "day")]  # type: ignore[arg-type]

    _HANDLERS[_tag] = _gaps_day


# Max span per day and min gaps between an ordered pair of activity tags (FET 6): per
# teacher / per students set, or for all of them; FET takes them at 100 % only (checks.py
# refuses the rest, as fet-cl does).
def _span_handler(who: str, name_tag: str | None) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        names = (_text(el, name_tag),) if name_tag else ()
        plus_one = _bool(_text(el, "Allow_One_Day_Exception_of_Plus_One"))
        span = _int(_text(el, "Max_Span"))
        return [MaxSpanPerDay(w, who, names, None, span, plus_one)]  # type: ignore[arg-type]

    return h


# Buildings (a room's <Building>) and the rooms of several activities: FET's space rules.
def _building_rule(who: str, name_tag: str | None, per: str | None) -> Handler:
    """Max building changes per day / week (``per``) or, ``per=None``, min gaps between
    building changes, for one teacher / student set (``name_tag``) or for all of them."""

    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        names = (_text(el, name_tag),) if name_tag else ()
        if per is None:
            n = _int(_text(el, "Min_Gaps_Between_Building_Changes"), 1)
            return [MinGapsBetweenBuildingChanges(w, who, names, None, n)]  # type: ignore[arg-type]
        n = _int(_text(el, f"Max_Building_Changes_Per_{per.capitalize()}"))
        return [MaxBuildingChanges(w, who, names, None, n, per)]  # type: ignore[arg-type]

    return h


def _resting_handler(who: str, name_tag: str | None) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        names = (_text(el, name_tag),) if name_tag else ()
        n = _int(_text(el, "Minimum_Resting_Hours"))
        circular = _bool(_text(el, "Circular"))
        return [MinRestingHours(w, who, names, None, n, circular)]  # type: ignore[arg-type]

    return h


def _tag_gaps_handler(who: str, name_tag: str | None) -> Handler:
    def h(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
        names = (_text(el, name_tag),) if name_tag else ()
        first, second = _text(el, "First_Activity_Tag"), _text(el, "Second_Activity_Tag")
        gaps = _int(_text(el, "MinGaps"), 1)
        return [MinGapsBetweenTags(w, who, names, None, first, second, gaps)]  # type: ignore[arg-type]

    return h


for _who, _kind, _name in (
    ("teacher", "Teacher", "Teacher_Name"),
    ("teacher", "Teachers", None),
    ("students", "StudentsSet", "Students"),
    ("students", "Students", None),
):
    _HANDLERS[f"Constraint{_kind}MaxSpanPerDay"] = _span_handler(_who, _name)
    _HANDLERS[f"Constraint{_kind}MinRestingHours"] = _resting_handler(_who, _name)


def _same_room_if_consecutive(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    return [SameRoomIfConsecutive(w, ids)] if len(ids) >= 2 else []


def _max_different_rooms(ctx: _Ctx, el: Element, w: float) -> list[Constraint]:
    ids = ctx.act_ids(el)
    n = _int(_text(el, "Max_Number_of_Different_Rooms"), 1)
    return [MaxDifferentRooms(w, ids, n)] if ids else []


for _who, _kind, _name in (
    ("teacher", "Teacher", "Teacher"),
    ("teacher", "Teachers", None),
    ("students", "StudentsSet", "Students"),
    ("students", "Students", None),
):
    _HANDLERS[f"Constraint{_kind}MinGapsBetweenOrderedPairOfActivityTags"] = _tag_gaps_handler(
        _who, _name
    )
    for _per in ("day", "week"):
        _HANDLERS[f"Constraint{_kind}MaxBuildingChangesPer{_per.capitalize()}"] = _building_rule(
            _who, _name, _per
        )
    _HANDLERS[f"Constraint{_kind}MinGapsBetweenBuildingChanges"] = _building_rule(_who, _name, None)
_HANDLERS["ConstraintActivitiesSameRoomIfConsecutive"] = _same_room_if_consecutive
_HANDLERS["ConstraintActivitiesOccupyMaxDifferentRooms"] = _max_different_rooms

SUPPORTED_TYPES: tuple[str, ...] = tuple(sorted(_HANDLERS))


# --- writing -----------------------------------------------------------------------------


def _sub(parent: Element, tag: str, text: str) -> None:
    StdET.SubElement(parent, tag).text = text


def write_locked(
    src: str | Path | bytes, problem: Problem, result: Result, out: str | Path
) -> None:
    """Write ``src`` again with every placed activity locked (time, and room where one was
    chosen) at 100 % and permanently, as FET's ``*_data_and_timetable.fet`` does."""
    data = src if isinstance(src, bytes) else Path(src).read_bytes()
    root = parse_xml(data)
    tlist = root.find("Time_Constraints_List")
    slist = root.find("Space_Constraints_List")
    if tlist is None:
        tlist = StdET.SubElement(root, "Time_Constraints_List")
    if slist is None:
        slist = StdET.SubElement(root, "Space_Constraints_List")
    # names as the file spells them: FET does not trim them (" 9 B" is a room of its own)
    days = [d.findtext("Name") or "" for d in root.findall("./Days_List/Day")] or problem.days
    hours = [h.findtext("Name") or "" for h in root.findall("./Hours_List/Hour")] or problem.hours
    room_names = {
        _text(r, "Name"): r.findtext("Name") or "" for r in root.findall("./Rooms_List/Room")
    }
    for aid in sorted(result.placements):
        p = result.placements[aid]
        c = StdET.SubElement(tlist, "ConstraintActivityPreferredStartingTime")
        _sub(c, "Weight_Percentage", "100")
        _sub(c, "Activity_Id", str(aid))
        _sub(c, "Preferred_Day", days[p.day])
        _sub(c, "Preferred_Hour", hours[p.hour])
        _sub(c, "Permanently_Locked", "true")
        _sub(c, "Active", "true")
        _sub(c, "Comments", "")
        if p.room is not None:
            c = StdET.SubElement(slist, "ConstraintActivityPreferredRoom")
            _sub(c, "Weight_Percentage", "100")
            _sub(c, "Activity_Id", str(aid))
            _sub(c, "Room", room_names.get(p.room, p.room))
            if p.real_rooms:
                _sub(c, "Number_of_Real_Rooms", str(len(p.real_rooms)))
                for real in p.real_rooms:
                    _sub(c, "Real_Room", room_names.get(real, real))
            _sub(c, "Permanently_Locked", "true")
            _sub(c, "Active", "true")
            _sub(c, "Comments", "")
    StdET.indent(root, space="\t")
    body = StdET.tostring(root, encoding="unicode")
    Path(out).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", encoding="utf-8")


def _el(parent: Element, tag: str, **children: object) -> Element:
    el = StdET.SubElement(parent, tag)
    for name, value in children.items():
        _sub(el, name, str(value))
    return el


def _rule(parent: Element, tag: str, weight: float) -> Element:
    el = StdET.SubElement(parent, tag)
    _sub(el, "Weight_Percentage", f"{weight:g}")
    return el


def _close(el: Element) -> None:
    _sub(el, "Active", "true")
    _sub(el, "Comments", "")


def write_problem(problem: Problem, current: dict[int, Slot] | None = None) -> bytes:
    """A school's rules as a FET file (FET 6's XML), for schools that move to or from FET.

    Written: days, hours, subjects, teachers, the students (a class is a year; its 習熟度
    groups are groups of atomic subgroups), activities, rooms, and the rules Ai states for a
    school (break times, teachers' unavailable times, min days between a subject's lessons,
    same starting time, preferred starting times and rooms; where 2時間続き may start, the
    weighted time-slot wishes, teachers' max hours a day / in a row and max gaps).
    ``current``: the timetable, each activity locked where it is (100 %, permanently), as FET's
    ``*_data_and_timetable.fet`` does; without it, FET (or Ai) generates a new one.
    A rule of another kind raises :class:`FetError` rather than being dropped.
    """
    root = StdET.Element("fet", version="6.8.5")
    _sub(root, "Institution_Name", problem.name or "Ai")
    _sub(root, "Comments", "Ai (校務支援システム) から書き出した時間割の条件")
    days = _el(root, "Days_List", Number_of_Days=len(problem.days))
    for d in problem.days:
        _el(days, "Day", Name=d)
    hours = _el(root, "Hours_List", Number_of_Hours=len(problem.hours))
    for h in problem.hours:
        _el(hours, "Hour", Name=h)
    subjects = StdET.SubElement(root, "Subjects_List")
    for name in sorted({a.subject for a in problem.activities if a.subject}):
        _el(subjects, "Subject", Name=name, Comments="")
    StdET.SubElement(root, "Activity_Tags_List")
    teachers = StdET.SubElement(root, "Teachers_List")
    for name in sorted({t for a in problem.activities for t in a.teachers} | set(problem.teachers)):
        t = _el(teachers, "Teacher", Name=name, Target_Number_of_Hours=0)
        StdET.SubElement(t, "Qualified_Subjects")
        _sub(t, "Comments", "")
    # a year per set that is not inside another one; its groups are the sets inside it
    sets = problem.subgroups_of
    named = {s for a in problem.activities for s in a.students}
    years = sorted(
        s
        for s in set(sets) | named
        if not any(o != s and sets.get(s, {s}) < sets.get(o, {o}) for o in sets)
    )
    students = StdET.SubElement(root, "Students_List")
    for y in years:
        atoms = sets.get(y, frozenset({y}))
        year = _el(
            students, "Year", Name=y, Number_of_Students=0, Comments="", Number_of_Categories=0
        )
        _sub(year, "Separator", " ")
        groups = sorted(g for g in sets if g != y and sets[g] < atoms)
        if not groups and atoms != {y}:
            groups = []
            for atom in sorted(atoms):  # atoms only: each its own group
                _el(year, "Group", Name=atom, Number_of_Students=0, Comments="")
        for g in groups:
            group = _el(year, "Group", Name=g, Number_of_Students=0, Comments="")
            for atom in sorted(sets[g]):
                if atom != g:
                    _el(group, "Subgroup", Name=atom, Number_of_Students=0, Comments="")
    activities = StdET.SubElement(root, "Activities_List")
    for a in problem.activities:
        el = StdET.SubElement(activities, "Activity")
        for t in a.teachers:
            _sub(el, "Teacher", t)
        _sub(el, "Subject", a.subject)
        for tag in a.tags:
            _sub(el, "Activity_Tag", tag)
        for s in a.students:
            _sub(el, "Students", s)
        _sub(el, "Duration", str(a.duration))
        _sub(el, "Total_Duration", str(a.duration))
        _sub(el, "Id", str(a.id))
        _sub(el, "Activity_Group_Id", str(a.group_id))
        _close(el)
    StdET.SubElement(root, "Buildings_List")
    rooms = StdET.SubElement(root, "Rooms_List")
    for r in problem.rooms.values():
        el = _el(rooms, "Room", Name=r.name, Building="", Capacity=r.capacity or 30000)
        _sub(el, "Virtual", "false")
        _sub(el, "Comments", "")
    time_list = StdET.SubElement(root, "Time_Constraints_List")
    _close(_rule(time_list, "ConstraintBasicCompulsoryTime", 100))
    space_list = StdET.SubElement(root, "Space_Constraints_List")
    _close(_rule(space_list, "ConstraintBasicCompulsorySpace", 100))

    def slots(el: Element, item: str, values: frozenset[Slot]) -> None:
        for d, h in sorted(values):
            s = StdET.SubElement(el, item)
            _sub(s, "Day", problem.days[d])
            _sub(s, "Hour", problem.hours[h])

    for c in problem.constraints:
        if isinstance(c, BreakTimes):
            el = _rule(time_list, "ConstraintBreakTimes", c.weight)
            _sub(el, "Number_of_Break_Times", str(len(c.slots)))
            slots(el, "Break_Time", c.slots)
        elif isinstance(c, NotAvailable) and c.kind == "teacher":
            el = _rule(time_list, "ConstraintTeacherNotAvailableTimes", c.weight)
            _sub(el, "Teacher", c.name)
            _sub(el, "Number_of_Not_Available_Times", str(len(c.slots)))
            slots(el, "Not_Available_Time", c.slots)
        elif isinstance(c, MinDaysBetween):
            el = _rule(time_list, "ConstraintMinDaysBetweenActivities", c.weight)
            _sub(el, "Consecutive_If_Same_Day", "true" if c.consecutive_if_same_day else "false")
            _sub(el, "Number_of_Activities", str(len(c.activity_ids)))
            for aid in c.activity_ids:
                _sub(el, "Activity_Id", str(aid))
            _sub(el, "MinDays", str(c.min_days))
        elif isinstance(c, SameStart) and c.what == "time":
            el = _rule(time_list, "ConstraintActivitiesSameStartingTime", c.weight)
            _sub(el, "Number_of_Activities", str(len(c.activity_ids)))
            for aid in c.activity_ids:
                _sub(el, "Activity_Id", str(aid))
        elif isinstance(c, PreferredStarts) and len(c.activity_ids) == 1 and len(c.slots) == 1:
            ((d, h),) = c.slots
            el = _rule(time_list, "ConstraintActivityPreferredStartingTime", c.weight)
            _sub(el, "Activity_Id", str(c.activity_ids[0]))
            _sub(el, "Preferred_Day", problem.days[d])
            _sub(el, "Preferred_Hour", problem.hours[h])
            # a pin (固定) is FET's permanent lock: it survives FET's "unlock all"
            _sub(el, "Permanently_Locked", "true")
        # 自動作成の決まり (2時間続きの開始, 時間帯の希望, 先生の上限): one FET rule each
        elif isinstance(c, PreferredStarts):
            for aid in c.activity_ids:
                el = _rule(time_list, "ConstraintActivityPreferredStartingTimes", c.weight)
                _sub(el, "Activity_Id", str(aid))
                _sub(el, "Number_of_Preferred_Starting_Times", str(len(c.slots)))
                for d, h in sorted(c.slots):
                    s = StdET.SubElement(el, "Preferred_Starting_Time")
                    _sub(s, "Preferred_Starting_Day", problem.days[d])
                    _sub(s, "Preferred_Starting_Hour", problem.hours[h])
                _close(el)
            continue
        elif isinstance(c, PreferredSlots):
            for aid in c.activity_ids:
                el = _rule(time_list, "ConstraintActivityPreferredTimeSlots", c.weight)
                _sub(el, "Activity_Id", str(aid))
                _sub(el, "Number_of_Preferred_Time_Slots", str(len(c.slots)))
                for d, h in sorted(c.slots):
                    s = StdET.SubElement(el, "Preferred_Time_Slot")
                    _sub(s, "Preferred_Day", problem.days[d])
                    _sub(s, "Preferred_Hour", problem.hours[h])
                _close(el)
            continue
        elif (
            isinstance(c, MaxHoursDaily | MaxHoursContinuously | MaxGaps)
            and c.who == "teacher"
            and c.names
            and c.tag is None
        ):
            if isinstance(c, MaxHoursDaily):
                tag, field, value = (
                    "ConstraintTeacherMaxHoursDaily",
                    "Maximum_Hours_Daily",
                    c.max_hours,
                )
            elif isinstance(c, MaxHoursContinuously):
                tag, field = "ConstraintTeacherMaxHoursContinuously", "Maximum_Hours_Continuously"
                value = c.max_hours
            else:
                tag = (
                    "ConstraintTeacherMaxGapsPerDay"
                    if c.per == "day"
                    else "ConstraintTeacherMaxGapsPerWeek"
                )
                field, value = "Max_Gaps", c.max_gaps
            for name in c.names:
                el = _rule(time_list, tag, c.weight)
                _sub(el, "Teacher_Name", name)
                _sub(el, field, str(value))
                _close(el)
            continue
        elif isinstance(c, PreferredRooms) and not c.home:
            for aid in c.activity_ids:
                el = _rule(space_list, "ConstraintActivityPreferredRooms", c.weight)
                _sub(el, "Activity_Id", str(aid))
                _sub(el, "Number_of_Preferred_Rooms", str(len(c.rooms)))
                for r in c.rooms:
                    _sub(el, "Preferred_Room", r)
                _close(el)
            continue
        else:
            raise FetError(f"FETファイルに書き出せない条件です: {c.label}")
        _close(el)
    for aid, (d, h) in sorted((current or {}).items()):
        el = _rule(time_list, "ConstraintActivityPreferredStartingTime", 100)
        _sub(el, "Activity_Id", str(aid))
        _sub(el, "Preferred_Day", problem.days[d])
        _sub(el, "Preferred_Hour", problem.hours[h])
        # locked where it is, not permanently, as FET's *_data_and_timetable.fet writes a
        # placed activity (the import tells pins from the rest of the week by this flag)
        _sub(el, "Permanently_Locked", "false")
        _close(el)
    StdET.indent(root, space="\t")
    body = StdET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode()
