"""The preview of a FET import: every change it would make, and its errors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from schools.imports.base import ImportPlan
from schools.models import Classroom, School, Staff, Subject, TeachingAssignment, TeachingGroup
from timetable import rulebook
from timetable.fet_import.names import slots_text
from timetable.fet_import.reader import Slot
from timetable.models import WEEKDAYS, Room, Timetable

# --- the plan --------------------------------------------------------------------------------

Target = tuple[str, object]  # ("class", classroom pk) or ("group", group name)


@dataclass
class GroupChange:
    name: str
    kind: str
    classes: list[Classroom]
    group: TeachingGroup | None
    status: str  # "new", "changed", "same"

    @property
    def classes_text(self) -> str:
        return "・".join(c.label for c in self.classes)


@dataclass
class RoomChange:
    name: str
    kind: str
    capacity: int
    room: Room | None
    status: str

    @property
    def kind_label(self) -> str:
        return Room.Kind(self.kind).label


@dataclass
class AssignmentChange:
    target: Target
    label: str  # 「1年1組」 or the group's name
    subject: Subject
    periods: int
    teachers: list[Staff]
    assignment: TeachingAssignment | None
    status: str
    before: str = ""

    @property
    def teachers_text(self) -> str:
        return "・".join(t.name for t in self.teachers) or "（学級担任）"


@dataclass
class UnavailabilityChange:
    staff: Staff
    before: set[Slot]
    after: set[Slot]

    @property
    def before_text(self) -> str:
        return slots_text(self.before)

    @property
    def after_text(self) -> str:
        return slots_text(self.after)


@dataclass
class RuleChange:
    """One line of the preview's 自動作成の決まり: what, today, after the import."""

    what: str
    before: str
    after: str


# a wish to add: (kind, subject pks, periods, weekdays, weight)
Wish = tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...], int]


@dataclass
class PlannedLesson:
    target: Target
    label: str
    subject: Subject
    teachers: tuple[int, ...]
    weekday: int
    period: int
    length: int
    room: str  # room name in the file ("" for none)
    pinned: bool
    split: bool
    room_id: int | None = None  # kept from the same lesson today when the file names none


@dataclass(kw_only=True)
class FetImportPlan(ImportPlan):
    school: School
    timetable: Timetable | None = None
    with_week: bool = False  # the file carries a whole timetable
    days: int = 0
    hours: list[str] = field(default_factory=list)  # the file's hours that are periods
    classes: list[Classroom] = field(default_factory=list)
    groups: list[GroupChange] = field(default_factory=list)
    rooms: list[RoomChange] = field(default_factory=list)
    assignments: list[AssignmentChange] = field(default_factory=list)
    untouched: int = 0  # the school's assignments the file does not name (kept)
    unavailability: list[UnavailabilityChange] = field(default_factory=list)
    lessons: list[PlannedLesson] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # lesson pks the commit deletes
    not_kept: list[tuple[str, int]] = field(default_factory=list)
    kept: list[tuple[str, int]] = field(default_factory=list)
    # 自動作成の決まり the file sets (rulebook's services write them)
    rule_settings: dict[str, object] | None = None  # the school's whole row after, if changed
    doubles: dict[tuple, int] = field(default_factory=dict)  # (target, subject pk) -> per week
    teacher_limits: dict[int, rulebook.Limits] = field(default_factory=dict)  # staff pk -> own
    preferences: list[Wish] = field(default_factory=list)
    rule_changes: list[RuleChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    clashes: int = 0
    differing: int = 0  # planned lessons that are not in the timetable as they are
    now_cells: dict[tuple[int, int, int], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def counts(self) -> dict[str, int]:
        def n(items, status):
            return sum(1 for x in items if x.status == status)

        return {
            "assignments_new": n(self.assignments, "new"),
            "assignments_changed": n(self.assignments, "changed"),
            "assignments_same": n(self.assignments, "same"),
            "assignments_untouched": self.untouched,
            "groups_new": n(self.groups, "new"),
            "groups_changed": n(self.groups, "changed"),
            "rooms_new": n(self.rooms, "new"),
            "rooms_changed": n(self.rooms, "changed"),
            "unavailability_changed": len(self.unavailability),
            "lessons": len(self.lessons),
            "lessons_pinned": sum(1 for x in self.lessons if x.pinned),
            "lessons_removed": len(self.removed),
            "lessons_differing": self.differing,
            "constraints_not_kept": sum(c for _, c in self.not_kept),
        }

    @property
    def changed_assignments(self) -> list[AssignmentChange]:
        return [a for a in self.assignments if a.status != "same"]

    @property
    def same_assignments(self) -> list[AssignmentChange]:
        return [a for a in self.assignments if a.status == "same"]

    @property
    def has_changes(self) -> bool:
        return bool(
            any(x.status != "same" for x in [*self.assignments, *self.groups, *self.rooms])
            or self.unavailability
            or self.lessons
            or self.removed
            or self.rule_changes
        )

    def fingerprint_parts(self) -> Iterable[object]:
        yield self.timetable.pk if self.timetable else None
        for g in self.groups:
            yield "g", g.name, g.kind, sorted(c.pk for c in g.classes), g.status
        for r in self.rooms:
            yield "r", r.name, r.kind, r.capacity, r.status
        for a in self.assignments:
            yield "a", a.target, a.subject.pk, a.periods, [t.pk for t in a.teachers], a.status
        yield "kept", self.untouched
        for u in self.unavailability:
            yield "u", u.staff.pk, sorted(u.before), sorted(u.after)
        for x in self.lessons:
            yield "l", x.target, x.subject.pk, x.teachers, x.weekday, x.period, x.length, x.room
            yield x.room_id
            yield x.pinned
        yield "rm", sorted(self.removed)
        yield "rules", sorted((self.rule_settings or {}).items())
        yield sorted(self.doubles.items())
        yield sorted((k, tuple(v)) for k, v in self.teacher_limits.items())
        yield self.preferences

    def grid(self) -> dict[str, object]:
        """The planned lessons as the whole-school grid: a row per class, a column per slot
        (a group's lesson shown in each of its classes)."""
        groups = {g.name: [c.pk for c in g.classes] for g in self.groups}
        cells: dict[tuple[int, int, int], list[str]] = defaultdict(list)
        for x in self.lessons:
            text = (x.subject.short_name or x.subject.name) + ("※" if x.pinned else "")
            for c in [x.target[1]] if x.target[0] == "class" else groups.get(x.target[1], []):
                for k in range(x.length):
                    cells[(c, x.weekday, x.period + k)].append(text)
        periods = len(self.hours)
        slots = [(d, p) for d in range(self.days) for p in range(1, periods + 1)]
        classes = sorted(
            {c for g in self.groups for c in g.classes} | set(self.classes),
            key=lambda c: (c.is_special_needs, c.grade or 0, c.sort_order, c.name),
        )
        return {
            "days": [(WEEKDAYS[d][1], periods) for d in range(self.days)],
            "slots": slots,
            "rows": [(c, [self._cell(cells, c.pk, d, p) for d, p in slots]) for c in classes],
        }

    def _cell(self, cells, c: int, d: int, p: int) -> tuple[str, str, bool, bool]:
        """(the file's lessons, today's lessons, whether they differ, first period)."""
        new = "・".join(sorted(cells.get((c, d, p), [])))
        now = "・".join(sorted(self.now_cells.get((c, d, p), [])))
        changes_cell = bool(self.removed) or bool(new)
        return new, now, changes_cell and new != now, p == 1
