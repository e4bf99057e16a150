"""FET in: a ``.fet`` file (FET's XML) into a school's year, for schools that move from FET.

Upload → preview (nothing written) → commit of the same plan, as the other imports
(``schools.imports.base``): every error of the file at once, in Japanese, with where it is;
the commit plans again inside one transaction and writes everything or nothing, then one
audit record (``timetable.fet.import``).

What the file becomes:

- FET years/groups → the school's classes by name (「1年」/「1組」, 「1-1」, 「1年1組」); a
  name that matches no class is an error the 教務主任 fixes by renaming it in FET;
- a subgroup (or Ai's own 「1年1組/1年数学A」) → a split ``TeachingGroup`` (習熟度別・選択);
  an activity of several whole classes → a 合同 group of those classes;
- teachers by name → the school's ``Staff`` (spaces and full-width ignored; Ai never
  creates accounts from a file: an unknown teacher is an error naming them);
- subjects by name → the school's subjects (national names, short names, common spellings);
- rooms created or updated (Ai's capacity = classes at once: FET rooms 「体育館(1)」「体育館(2)」
  are one gym for two);
- activities → teaching assignments (weekly periods = sum of durations);
- ``ConstraintTeacherNotAvailableTimes`` → ``Unavailability`` of the teachers of the file;
- ``ConstraintActivityPreferredStartingTime`` at 100 % → pinned lessons; when every activity
  has one (FET's ``*_data_and_timetable.fet``), the whole week is the timetable's lessons
  (pinned where FET had it permanently locked);
- the rules that are Ai's 自動作成の決まり (``timetable.rulebook``, written through its
  services in the same transaction): activities of two periods → ``DoublePeriod``; their
  ``ActivityPreferredStartingTimes`` → 「1校時に置かない」/ lunch; ``MinDaysBetweenActivities``
  2 over a two-period subject → 「連続した日に置かない」; teachers' max hours a day / in a
  row / gaps → ``TeacherLimit`` and the school's default; soft time-slot preferences of a
  subject → ``SlotPreference`` (see :class:`_Rules`).

Every constraint it does not keep is listed by type and count (``plan.not_kept``), never
silently dropped. The reading is pure (``read``); the matching and writing need the ORM.
"""

from __future__ import annotations

import math
import re
import unicodedata
import xml.etree.ElementTree as StdET
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from schools import calendar, teaching
from schools.imports.base import ImportPlan, ImportRefused, digest, record_import
from schools.models import (
    Classroom,
    Role,
    RoleAssignment,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    Subject,
    TeachingAssignment,
    TeachingGroup,
)
from schools.permissions import Actor
from schools.spreadsheets import CellError, Limits
from timetable import curriculum, queries, rulebook, services
from timetable.generation import fet
from timetable.models import (
    WEEKDAYS,
    DoublePeriod,
    Lesson,
    Room,
    SlotPreference,
    TeacherLimit,
    Timetable,
    Unavailability,
)
from timetable.planning import SPLIT_KINDS, SUBJECT_ROOMS

KIND = "timetable.fet"
MAX_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 300_000  # a 5 MB file of tiny elements is refused before it is walked
MAX_ACTIVITIES = 5_000
LIMITS_TEXT = "FETファイル (.fet) 5MBまで・活動5,000件まで"


class _Limits(Limits):
    def describe(self) -> str:
        return LIMITS_TEXT


# the API's upload check (``api.imports.read_upload``) names the FET file's own limits
LIMITS = _Limits(max_bytes=MAX_BYTES, max_rows=MAX_ACTIVITIES)
CHANGED = "ファイルを読み込んだ後に学校のデータが変わりました。もう一度ファイルを選んでください。"
REASON = "FETファイルから取り込み"
SCHOOL_WEEKDAYS = 5  # the grid and the pages show 月〜金

Slot = tuple[int, int]


def norm(text: object) -> str:
    """Names as compared: NFKC (full-width → half-width), no spaces at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


# --- reading (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class FetActivity:
    id: int
    subject: str
    teachers: tuple[str, ...]
    students: tuple[str, ...]
    duration: int
    tags: tuple[str, ...] = ()


@dataclass
class FetYear:
    name: str
    groups: list[tuple[str, list[str]]]  # (group name, its subgroups)


@dataclass
class FetStart:
    day: int
    hour: int
    permanent: bool


@dataclass
class FetFile:
    """What the import reads of a FET file: names, activities and the constraints it maps."""

    days: list[str]
    hours: list[str]
    teachers: list[str]
    years: list[FetYear]
    rooms: list[tuple[str, bool]]  # (name, virtual)
    activities: list[FetActivity]
    inactive_activities: int = 0
    # activity id -> its 100 % starts with a day and an hour (FET's "locked")
    starts: dict[int, list[FetStart]] = field(default_factory=dict)
    locked_rooms: dict[int, str] = field(default_factory=dict)
    unavailable: dict[str, set[Slot]] = field(default_factory=dict)
    breaks: set[Slot] = field(default_factory=set)
    break_rules: list[set[Slot]] = field(default_factory=list)
    # (tag, element) of every other active constraint, classified by the plan
    others: list[tuple[str, StdET.Element]] = field(default_factory=list)
    kept: Counter = field(default_factory=Counter)
    not_kept: Counter = field(default_factory=Counter)
    inactive_constraints: int = 0


def _t(el: StdET.Element | None, tag: str) -> str:
    if el is None:
        return ""
    child = el.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _true(text: str, default: bool = False) -> bool:
    return text.strip().lower() in ("true", "1", "yes") if text.strip() else default


def _number(text: str, default: int = 0) -> int:
    try:
        return int(float(text))
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        return default


def read(data: bytes) -> FetFile:
    """The file as ``FetFile``, or ``fet.FetError`` with a Japanese reason (bad XML, DTD or
    entities, not a FET file, too large, no days or hours)."""
    if len(data) > MAX_BYTES:
        raise fet.FetError(f"ファイルが大きすぎます（{len(data):,}バイト）。{LIMITS_TEXT}。")
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:2] in (b"PK", b"\x1f\x8b") or b"\x00" in data[:1024]:
        raise fet.FetError(
            "圧縮ファイルやExcelファイルは読めません。FETで保存した .fet ファイル（XML）を選んでください。"
        )
    if not head.startswith(b"<"):
        raise fet.FetError("XMLではありません。FETで保存した .fet ファイルを選んでください。")
    root = fet.parse_xml(data)  # defusedxml: no DTD, no entities, no external fetches
    if root.tag != "fet":
        raise fet.FetError(
            f"FETファイルではありません（最初の要素が <{root.tag[:40]}> で、<fet> ではありません）。"
        )
    for count, _ in enumerate(root.iter(), 1):
        if count > MAX_ELEMENTS:
            raise fet.FetError(f"ファイルの要素が多すぎます。{LIMITS_TEXT}。")
    days = [_t(d, "Name") for d in root.findall("./Days_List/Day")]
    hours = [_t(h, "Name") for h in root.findall("./Hours_List/Hour")]
    if not days or not hours:
        raise fet.FetError("曜日（Days_List）または時限（Hours_List）がありません。")
    if any(not d for d in days) or any(not h for h in hours):
        raise fet.FetError("名前の無い曜日または時限があります。")
    day_index = {n: i for i, n in enumerate(days)}
    hour_index = {n: i for i, n in enumerate(hours)}
    years = []
    for y in root.findall("./Students_List/Year"):
        groups = [
            (_t(g, "Name"), [_t(s, "Name") for s in g.findall("Subgroup")])
            for g in y.findall("Group")
        ]
        years.append(FetYear(_t(y, "Name"), groups))
    activities, inactive = [], 0
    for el in root.findall("./Activities_List/Activity"):
        if not _true(_t(el, "Active"), True):
            inactive += 1
            continue
        activities.append(
            FetActivity(
                id=_number(_t(el, "Id"), -1),
                subject=_t(el, "Subject"),
                teachers=tuple((t.text or "").strip() for t in el.findall("Teacher")),
                students=tuple((s.text or "").strip() for s in el.findall("Students")),
                duration=max(1, _number(_t(el, "Duration"), 1)),
                tags=tuple((t.text or "").strip() for t in el.findall("Activity_Tag")),
            )
        )
    if len(activities) > MAX_ACTIVITIES:
        raise fet.FetError(f"活動が多すぎます（{len(activities):,}件）。{LIMITS_TEXT}。")
    out = FetFile(
        days=days,
        hours=hours,
        teachers=[_t(t, "Name") for t in root.findall("./Teachers_List/Teacher")],
        years=years,
        rooms=[(_t(r, "Name"), _true(_t(r, "Virtual"))) for r in root.findall("./Rooms_List/Room")],
        activities=activities,
        inactive_activities=inactive,
    )

    def slots(el: StdET.Element, item: str, day_tag: str, hour_tag: str) -> set[Slot]:
        found = set()
        for s in el.findall(item):
            d, h = day_index.get(_t(s, day_tag)), hour_index.get(_t(s, hour_tag))
            if d is not None and h is not None:
                found.add((d, h))
        return found

    for lst in ("Time_Constraints_List", "Space_Constraints_List"):
        for el in root.findall(f"./{lst}/*"):
            tag = el.tag
            if not _true(_t(el, "Active"), True):
                out.inactive_constraints += 1
                continue
            weight = _number(_t(el, "Weight_Percentage") or "100", 100)
            if tag in ("ConstraintBasicCompulsoryTime", "ConstraintBasicCompulsorySpace"):
                out.kept[tag] += 1  # no clashes: Ai's own basic rule
            elif tag == "ConstraintActivityPreferredStartingTime" and weight >= 100:
                d = day_index.get(_t(el, "Preferred_Day"))
                h = hour_index.get(_t(el, "Preferred_Hour"))
                if d is None or h is None:
                    out.not_kept[tag + "（曜日か時限だけの指定）"] += 1
                    continue
                start = FetStart(d, h, _true(_t(el, "Permanently_Locked")))
                out.starts.setdefault(_number(_t(el, "Activity_Id"), -1), []).append(start)
            elif tag == "ConstraintActivityPreferredRoom" and weight >= 100:
                # the room of a placed lesson when its activity is located, else a preference
                out.locked_rooms[_number(_t(el, "Activity_Id"), -1)] = _t(el, "Room")
                out.others.append((tag, el))
            elif tag == "ConstraintTeacherNotAvailableTimes" and weight >= 100:
                teacher = _t(el, "Teacher")
                found = slots(el, "Not_Available_Time", "Day", "Hour")
                out.unavailable.setdefault(teacher, set()).update(found)
            elif tag == "ConstraintBreakTimes" and weight >= 100:
                found = slots(el, "Break_Time", "Day", "Hour")
                out.breaks |= found
                out.break_rules.append(found)  # kept or not: decided once the hours are known
            else:
                out.others.append((tag, el))
    return out


# --- the school's names ----------------------------------------------------------------------

# Common spellings in FET files → the national subject names (the first the school has wins).
SUBJECT_ALIASES: dict[str, tuple[str, ...]] = {
    "道徳": ("特別の教科 道徳",),
    "特別の教科道徳": ("特別の教科 道徳",),
    "総合": ("総合的な学習の時間",),
    "総合学習": ("総合的な学習の時間",),
    "総合的な学習": ("総合的な学習の時間",),
    "学活": ("特別活動",),
    "学級活動": ("特別活動",),
    "特活": ("特別活動",),
    "hr": ("特別活動",),
    "lhr": ("特別活動",),
    "英語": ("外国語",),
    "英会話": ("外国語", "外国語活動"),
    "体育": ("保健体育",),
    "保体": ("保健体育",),
    "保健": ("保健体育",),
    "技術": ("技術・家庭",),
    "家庭": ("技術・家庭",),
    "技家": ("技術・家庭",),
    "技術家庭": ("技術・家庭",),
    "技・家": ("技術・家庭",),
    "図工": ("図画工作",),
    "japanese": ("国語",),
    "socialstudies": ("社会",),
    "social": ("社会",),
    "math": ("数学", "算数"),
    "maths": ("数学", "算数"),
    "mathematics": ("数学", "算数"),
    "science": ("理科",),
    "music": ("音楽",),
    "art": ("美術", "図画工作"),
    "pe": ("保健体育", "体育"),
    "physicaleducation": ("保健体育", "体育"),
    "english": ("外国語", "外国語活動"),
    "moraleducation": ("特別の教科 道徳",),
    "moral": ("特別の教科 道徳",),
    "homeroom": ("特別活動",),
    "integratedstudies": ("総合的な学習の時間",),
    "homeeconomics": ("技術・家庭", "家庭"),
    "technology": ("技術・家庭",),
    "life": ("生活",),
}
ROOM_WORDS: tuple[tuple[str, str], ...] = (
    ("理科", Room.Kind.SCIENCE),
    ("音楽", Room.Kind.MUSIC),
    ("家庭", Room.Kind.HOME_EC),
    ("調理", Room.Kind.HOME_EC),
    ("被服", Room.Kind.HOME_EC),
    ("美術", Room.Kind.ART),
    ("図工", Room.Kind.ART),
    ("技術", Room.Kind.TECH),
    ("コンピュータ", Room.Kind.COMPUTER),
    ("パソコン", Room.Kind.COMPUTER),
    ("pc", Room.Kind.COMPUTER),
    ("図書", Room.Kind.LIBRARY),
    ("体育館", Room.Kind.GYM),
    ("gym", Room.Kind.GYM),
    ("プール", Room.Kind.POOL),
    ("pool", Room.Kind.POOL),
    ("運動場", Room.Kind.GROUND),
    ("校庭", Room.Kind.GROUND),
    ("グラウンド", Room.Kind.GROUND),
)
_COPY = re.compile(r"^(.+)\((\d+)\)$")
_GRADE = re.compile(r"^(?:第)?(\d+)(?:年生?|学年)?$")
_CLASS = re.compile(r"^(\d+)(?:年生?|[-ー－_./・])(.+)$")
_PK = re.compile(r"^(.*)\((\d+)\)$")


def _class_key(name: str) -> str:
    """「1組」「01」「1」 → "1"; 「A組」 → "A"."""
    key = norm(name).removesuffix("組")
    return str(int(key)) if key.isdigit() else key


class _Classes:
    def __init__(self, classes: list[Classroom]):
        self.by_label = {norm(c.label): c for c in classes}
        self.by_grade: dict[tuple[int, str], Classroom] = {}
        self.of_grade: dict[int, list[Classroom]] = defaultdict(list)
        for c in classes:
            if c.grade is not None and not c.is_special_needs:
                self.by_grade[(c.grade, _class_key(c.name))] = c
                self.of_grade[c.grade].append(c)
            if c.is_special_needs:
                self.by_label.setdefault(norm(c.name), c)

    def match(self, name: str, year: str = "") -> Classroom | None:
        n = norm(name)
        if n in self.by_label:
            return self.by_label[n]
        found = _CLASS.match(n)
        if found:
            c = self.by_grade.get((int(found.group(1)), _class_key(found.group(2))))
            if c is not None:
                return c
        grade = _GRADE.match(norm(year)) if year else None
        if grade:
            rest = n.removeprefix(norm(year)).lstrip("-ー－_./・")
            return self.by_grade.get((int(grade.group(1)), _class_key(rest or n)))
        return None


class _Teachers:
    """The school's staff by full name, family name or Ai's own 「山田太郎(12)」; then anyone
    of the municipality by full name (a teacher new to the school has no role there yet)."""

    def __init__(self, staff: list[Staff], everyone: list[Staff]):
        self.by_pk = {s.pk: s for s in staff}
        self.full = self._index(staff)
        self.family: dict[str, Staff | None] = {}
        for s in staff:
            parts = unicodedata.normalize("NFKC", s.name).split()
            fam = norm(parts[0]) if parts else ""
            if fam and fam not in self.full:
                self.family[fam] = None if fam in self.family and self.family[fam] != s else s
        self.municipality = self._index(everyone)

    @staticmethod
    def _index(staff: list[Staff]) -> dict[str, Staff | None]:
        out: dict[str, Staff | None] = {}
        for s in staff:
            key = norm(s.name)
            out[key] = None if key in out and out[key] != s else s
        return out

    def match(self, name: str) -> tuple[Staff | None, bool]:
        """(staff, ambiguous)."""
        n = norm(name)
        with_pk = _PK.match(n)
        if with_pk and int(with_pk.group(2)) in self.by_pk:
            s = self.by_pk[int(with_pk.group(2))]
            if norm(s.name) == with_pk.group(1):
                return s, False
        for index in (self.full, self.family, self.municipality):
            if n in index:
                return index[n], index[n] is None
        return None, False


class _Subjects:
    def __init__(self, subjects: list[Subject]):
        self.by_name: dict[str, Subject] = {}
        for s in subjects:
            if s.short_name:
                self.by_name.setdefault(norm(s.short_name), s)
        for s in subjects:
            self.by_name[norm(s.name)] = s

    def match(self, name: str) -> Subject | None:
        n = norm(name)
        if n in self.by_name:
            return self.by_name[n]
        for wanted in SUBJECT_ALIASES.get(n.lower(), ()):
            if norm(wanted) in self.by_name:
                return self.by_name[norm(wanted)]
        return None


def _summary(classes: Iterable[Classroom]) -> str:
    """1年1組・1年2組 → 「1年1・2組」; other mixes listed."""
    cs = sorted(classes, key=lambda c: (c.grade or 0, c.sort_order, c.name))
    grades = {c.grade for c in cs}
    if len(grades) == 1 and None not in grades and all(c.name.endswith("組") for c in cs):
        return f"{cs[0].grade}年" + "・".join(c.name.removesuffix("組") for c in cs) + "組"
    return "・".join(c.label for c in cs)


def _slots_text(slots: Iterable[Slot]) -> str:
    return "・".join(f"{WEEKDAYS[d][1]}{p}" for d, p in sorted(slots)) or "なし"


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
        return _slots_text(self.before)

    @property
    def after_text(self) -> str:
        return _slots_text(self.after)


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


def _hour_periods(f: FetFile, periods: int, plan: FetImportPlan) -> dict[int, int] | None:
    """The file's hour index → the school's period; an hour that is a break on every day
    (「昼」) is not a period. None (with the reason) when the file has more hours."""
    lunch = [h for h in range(len(f.hours)) if all((d, h) in f.breaks for d in range(len(f.days)))]
    real = [h for h in range(len(f.hours)) if h not in lunch]
    if lunch:
        names = "・".join(f"「{f.hours[h]}」" for h in lunch)
        plan.notes.append(f"時限{names}は全曜日が休み時間なので校時に数えません。")
    if len(real) > periods:
        plan.file_errors.append(
            CellError(
                f"FETファイルの時限は1日{len(real)}時間ですが、この学校は1日{periods}校時です。"
                f"FETで時限を{periods}までにしてから書き出してください。",
                header="Hours_List",
            )
        )
        return None
    plan.hours = [f.hours[h] for h in real]
    return {h: i + 1 for i, h in enumerate(real)}


_DAY_WORDS = ("mon", "tue", "wed", "thu", "fri", "sat")


def _check_days(f: FetFile, plan: FetImportPlan) -> bool:
    if len(f.days) != SCHOOL_WEEKDAYS:
        plan.file_errors.append(
            CellError(
                f"FETファイルの曜日は{len(f.days)}日（{'・'.join(f.days[:7])}）ですが、"
                f"この学校の時間割は月〜金の{SCHOOL_WEEKDAYS}日です。",
                header="Days_List",
            )
        )
        return False
    for i, name in enumerate(f.days):
        n = norm(name).lower()
        known = next((k for k, (_, ja) in enumerate(WEEKDAYS) if n.startswith(ja)), None)
        if known is None:
            known = next((k for k, w in enumerate(_DAY_WORDS) if n.startswith(w)), None)
        if known is not None and known != i:
            plan.file_errors.append(
                CellError(
                    f"{i + 1}番目の曜日「{name}」が{WEEKDAYS[i][1]}曜日ではありません。"
                    "曜日は月〜金の順にしてください。",
                    header="Days_List",
                )
            )
            return False
    return True


class _Planner:
    def __init__(self, plan: FetImportPlan, f: FetFile):
        self.plan, self.f = plan, f
        school, year = plan.school, plan.year
        self.classes = list(Classroom.objects.filter(school=school, school_year=year))
        self.cls = _Classes(self.classes)
        self.teachers = _Teachers(
            queries.school_staff(school, year), list(Staff.objects.only("pk", "name"))
        )
        self.subjects = _Subjects(curriculum.subjects_of(school))
        self.errors: list[CellError] = []
        self.missing_teachers: Counter = Counter()
        self.missing_subjects: Counter = Counter()
        self.missing_sets: Counter = Counter()
        self.located: set[int] = set()
        self.subject_of = {a.id: a.subject for a in f.activities}

    def error(self, message: str, where: str = "") -> None:
        self.plan.file_errors.append(CellError(message, header=where))

    # students ------------------------------------------------------------------------
    def student_sets(self) -> dict[str, tuple]:
        """Set name → ("class", c) | ("part", c, part) | ("classes", [c...]); unmatched absent."""
        out: dict[str, tuple] = {}
        self.unmatched: dict[str, str] = {}
        for y in self.f.years:
            whole = self.cls.match(y.name)
            if whole is not None:
                out[y.name] = ("class", whole)
                for g, subs in y.groups:
                    out.setdefault(g, ("part", whole, self._part(g, whole, y.name)))
                    for s in subs:
                        out.setdefault(s, ("part", whole, self._part(s, whole, y.name)))
                continue
            members = []
            for g, subs in y.groups:
                c = self.cls.match(g, y.name)
                if c is None:
                    self.unmatched[g] = y.name
                    continue
                members.append(c)
                out[g] = ("class", c)
                for s in subs:
                    out.setdefault(s, ("part", c, self._part(s, c, g, y.name)))
            if members and len(members) == len(y.groups):
                out[y.name] = ("classes", members)
            else:
                self.unmatched.setdefault(y.name, "")
        return out

    @staticmethod
    def _part(name: str, c: Classroom, *prefixes: str) -> str:
        if "/" in name:  # Ai's own export: 「1年1組/1年数学A」
            return name.split("/", 1)[1]
        n = unicodedata.normalize("NFKC", name).strip()
        for p in sorted({c.label, *prefixes}, key=len, reverse=True):
            p = unicodedata.normalize("NFKC", p).strip()
            if p and n.startswith(p):
                n = n[len(p) :].strip(" -_./・")
                break
        return n or name

    # the plan --------------------------------------------------------------------------
    def run(self) -> None:
        plan, f = self.plan, self.f
        periods = calendar.periods_per_day(plan.school)
        days_ok = _check_days(f, plan)
        hour_map = _hour_periods(f, periods, plan)
        plan.days = len(f.days)
        sets = self.student_sets()
        used = [a for a in f.activities if a.students]
        # targets of each activity
        homerooms: dict[int, set[int]] = defaultdict(set)
        if plan.school.school_type == SchoolType.ELEMENTARY:
            for c, s in RoleAssignment.objects.filter(
                role=Role.HOMEROOM, classroom__in=self.classes, is_draft=False
            ).values_list("classroom_id", "staff_id"):
                homerooms[c].add(s)
        existing_groups = {
            g.name: g
            for g in TeachingGroup.objects.filter(school=plan.school, school_year=plan.year)
            .prefetch_related("classes")
            .order_by("name")
        }
        combined_by_classes = {
            frozenset(c.pk for c in g.classes.all()): g
            for g in existing_groups.values()
            if g.kind not in SPLIT_KINDS
        }
        group_classes: dict[str, set[int]] = defaultdict(set)
        group_kind: dict[str, str] = {}
        act_target: dict[int, tuple[Target, str, bool]] = {}
        act_teachers: dict[int, tuple[int, ...]] = {}
        act_subject: dict[int, Subject] = {}
        by_pk = {c.pk: c for c in self.classes}
        for a in used:
            where = f"活動 {a.id}"
            ok = True
            subject = self.subjects.match(a.subject)
            if subject is None:
                self.missing_subjects[a.subject] += 1
                ok = False
            teacher_ids = []
            for t in a.teachers:
                s, ambiguous = self.teachers.match(t)
                if s is None:
                    self.missing_teachers[(t, ambiguous)] += 1
                    ok = False
                else:
                    teacher_ids.append(s.pk)
            resolved = []
            for name in a.students:
                r = sets.get(name)
                if r is None:
                    self.missing_sets[name] += 1
                    ok = False
                else:
                    resolved.append(r)
            if not ok:
                continue
            wholes = [r for r in resolved if r[0] != "part"]
            parts = [r for r in resolved if r[0] == "part"]
            if wholes and parts:
                self.error(
                    "学級全体と、学級の一部（グループ）が同じ活動に入っています。"
                    "FETで活動を分けてください。",
                    where,
                )
                continue
            if wholes:
                cs = {c.pk for r in wholes for c in ([r[1]] if r[0] == "class" else r[1])}
                if len(cs) == 1:
                    (cid,) = cs
                    target, label, split = ("class", cid), by_pk[cid].label, False
                else:
                    key = frozenset(cs)
                    g = combined_by_classes.get(key)
                    name = g.name if g else _summary(by_pk[c] for c in cs) + "合同"
                    target, label, split = ("group", name), name, False
                    group_classes[name] |= cs
                    group_kind.setdefault(name, g.kind if g else TeachingGroup.Kind.COMBINED)
            else:
                part_names = {r[2] for r in parts}
                cs = {r[1].pk for r in parts}
                if len(part_names) == 1:
                    (p,) = part_names
                    ai_style = all("/" in n for n in a.students)
                    name = p if ai_style or "年" in p else f"{_summary(by_pk[c] for c in cs)} {p}"
                else:
                    name = "・".join(sorted(a.students))
                name = name[:40]
                target, label, split = ("group", name), name, True
                group_classes[name] |= cs
                g = existing_groups.get(name)
                group_kind.setdefault(name, g.kind if g else TeachingGroup.Kind.SPLIT)
            act_target[a.id] = (target, label, split)
            act_teachers[a.id] = tuple(dict.fromkeys(teacher_ids))
            act_subject[a.id] = subject
        self._name_errors()
        self._groups(group_classes, group_kind, existing_groups, by_pk)
        rooms = self._rooms()
        self._assignments(used, act_target, act_teachers, act_subject, homerooms)
        if hour_map is not None:
            self._unavailability(hour_map)
        if hour_map is not None and days_ok:
            self._lessons(used, act_target, act_teachers, act_subject, hour_map, rooms)
        self._constraints(used, act_target, act_subject, hour_map or {}, rooms)
        plan.classes = sorted(
            {by_pk[t[1]] for t, _, _ in act_target.values() if t[0] == "class"},
            key=lambda c: (c.grade or 0, c.sort_order, c.name),
        )

    def _name_errors(self) -> None:
        for name, n in sorted(self.missing_sets.items()):
            year = self.unmatched.get(name, "")
            where = f"学年「{year}」の" if year else ""
            self.error(
                f"{where}「{name}」に当たる学級がこの学校の{self.plan.year}にありません（活動 {n}件）。"
                "FETで名前を「1年1組」または学年「1年」・組「1組」の形に直してください。",
                "Students_List",
            )
        for (name, ambiguous), n in sorted(self.missing_teachers.items()):
            if ambiguous:
                message = f"教員「{name}」に当たる教職員が複数います（活動 {n}件）。FETで氏名をフルネームにしてください。"
            else:
                message = (
                    f"教員「{name}」が Ai の教職員にいません（活動 {n}件）。"
                    "FETファイルから教職員のアカウントは作りません。先に教職員を登録するか、"
                    "FETでの名前を Ai の氏名に直してください。"
                )
            self.error(message, "Teachers_List")
        for name, n in sorted(self.missing_subjects.items()):
            self.error(
                f"教科「{name}」がこの学校の教科にありません（活動 {n}件）。"
                "FETで教科名を 数学・外国語 などに直すか、学校独自の教科として登録してください。",
                "Subjects_List",
            )

    def _groups(self, classes, kinds, existing, by_pk) -> None:
        for name in sorted(classes):
            want = sorted((by_pk[c] for c in classes[name]), key=lambda c: (c.grade or 0, c.name))
            g = existing.get(name)
            if g is None:
                status = "new"
            elif {c.pk for c in g.classes.all()} >= {c.pk for c in want}:
                status = "same"
                want = sorted(g.classes.all(), key=lambda c: (c.grade or 0, c.name))
            else:
                status = "changed"
                want = sorted({*g.classes.all(), *want}, key=lambda c: (c.grade or 0, c.name))
            self.plan.groups.append(GroupChange(name, kinds[name], want, g, status))

    def _rooms(self) -> dict[str, str]:
        """The file's room name → the Ai room name (copies 「体育館(1)」「体育館(2)」 → 体育館)."""
        names = [n for n, virtual in self.f.rooms if n and not virtual]
        virtual = sum(1 for _, v in self.f.rooms if v)
        if virtual:
            self.f.not_kept["仮想の教室 (Virtual room)"] += virtual
        copies: dict[str, list[str]] = defaultdict(list)
        for n in names:
            found = _COPY.match(n)
            if found:
                copies[found.group(1)].append(n)
        mapping: dict[str, str] = {}
        capacity: Counter = Counter()
        for n in names:
            found = _COPY.match(n)
            base = found.group(1) if found and len(copies[found.group(1)]) >= 2 else n
            mapping[n] = base
            capacity[base] += 1
        existing = {norm(r.name): r for r in queries.rooms_of(self.plan.school)}
        kinds = self._room_kinds(mapping)
        for base in dict.fromkeys(mapping.values()):
            if len(base) > 30:
                self.error(f"教室名「{base}」が長すぎます（30文字まで）。", "Rooms_List")
                continue
            cap = min(capacity[base], 20)
            r = existing.get(norm(base))
            if r is None:
                kind = kinds.get(base) or _room_kind_of_name(base)
                self.plan.rooms.append(RoomChange(base, kind, cap, None, "new"))
            else:
                status = "same" if r.capacity == cap else "changed"
                self.plan.rooms.append(RoomChange(r.name, r.kind, cap, r, status))
        return mapping

    def _room_kinds(self, mapping: dict[str, str]) -> dict[str, str]:
        """A room preferred by the activities of 理科 is a 理科室 (Ai seats subjects by kind)."""
        subject_of = {a.id: a.subject for a in self.f.activities}
        votes: dict[str, Counter] = defaultdict(Counter)
        for tag, el in self.f.others:
            if "PreferredRoom" not in tag or "Teacher" in tag or "Students" in tag:
                continue
            subjects = []
            if tag.startswith("ConstraintSubject"):
                subjects = [_t(el, "Subject")]
            elif tag.startswith("ConstraintActivityPreferred"):
                subjects = [subject_of.get(_number(_t(el, "Activity_Id"), -1), "")]
            rooms = [(r.text or "").strip() for r in el.findall("Preferred_Room")] or [
                _t(el, "Room")
            ]
            for s in subjects:
                subject = self.subjects.match(s)
                kinds = SUBJECT_ROOMS.get(subject.name if subject else "", ())
                for r in rooms:
                    if r in mapping:
                        for k in kinds:
                            votes[mapping[r]][k] += 1
        out = {}
        for room, counter in votes.items():
            by_name = _room_kind_of_name(room)
            out[room] = by_name if by_name in counter else counter.most_common(1)[0][0]
        return out

    def _assignments(self, used, act_target, act_teachers, act_subject, homerooms) -> None:
        plan = self.plan
        periods: Counter = Counter()
        teachers: dict[tuple, list[int]] = defaultdict(list)
        labels: dict[tuple, str] = {}
        differ: set[tuple] = set()
        for a in used:
            if a.id not in act_target:
                continue
            target, label, _ = act_target[a.id]
            key = (target, act_subject[a.id].pk)
            periods[key] += a.duration
            if key in teachers and set(teachers[key]) != set(act_teachers[a.id]):
                differ.add(key)
            teachers[key] = list(dict.fromkeys([*teachers[key], *act_teachers[a.id]]))
            labels[key] = label
        existing: dict[tuple, TeachingAssignment] = {}
        for x in teaching.assignments_of(plan.school, plan.year):
            t = ("class", x.classroom_id) if x.classroom_id else ("group", x.group.name)
            existing[(t, x.subject_id)] = x
        subjects = {s.pk: s for s in act_subject.values()}
        staff = {
            s.pk: s
            for s in Staff.objects.filter(pk__in={t for ts in teachers.values() for t in ts})
        }
        for key in sorted(periods, key=lambda k: (labels[k], subjects[k[1]].sort_order)):
            target, subject_id = key
            ids = teachers[key]
            if target[0] == "class" and ids and set(ids) == homerooms.get(target[1], {-1}):
                ids = []  # elementary: the homeroom teacher teaches what no 専科 does
            if key in differ:
                plan.notes.append(
                    f"{labels[key]} {subjects[subject_id].name}: 活動ごとに教員が違うため、"
                    "全員をこの担当の教員にします。"
                )
            old = existing.get(key)
            want = [staff[t] for t in ids]
            if old is None:
                status, before = "new", ""
            else:
                same = (
                    int(old.weekly_periods) == old.weekly_periods == periods[key]
                    and {t.pk for t in old.teachers.all()} == set(ids)
                    and not old.is_draft
                )
                status = "same" if same else "changed"
                before = f"{old.weekly_periods.normalize()}時間・" + (
                    "・".join(t.name for t in old.teachers.all()) or "（学級担任）"
                )
            plan.assignments.append(
                AssignmentChange(
                    target,
                    labels[key],
                    subjects[subject_id],
                    periods[key],
                    want,
                    old,
                    status,
                    before,
                )
            )
        plan.untouched = sum(1 for k in existing if k not in periods)

    def _unavailability(self, hour_map: dict[int, int]) -> None:
        plan = self.plan
        rows = Unavailability.objects.filter(school=plan.school, school_year=plan.year)
        before: dict[int, set[Slot]] = defaultdict(set)
        for staff_id, d, p in rows.values_list("staff_id", "weekday", "period"):
            before[staff_id].add((d, p))
        seen: set[int] = set()
        for name in dict.fromkeys([*self.f.teachers, *self.f.unavailable]):
            s, _ = self.teachers.match(name)
            if s is None:
                if name in self.f.unavailable and self.f.unavailable[name]:
                    self.f.not_kept["ConstraintTeacherNotAvailableTimes（Aiにいない教員）"] += 1
                continue
            if s.pk in seen:
                continue
            seen.add(s.pk)
            after = {(d, hour_map[h]) for d, h in self.f.unavailable.get(name, ()) if h in hour_map}
            if after != before.get(s.pk, set()):
                plan.unavailability.append(UnavailabilityChange(s, before.get(s.pk, set()), after))
            if name in self.f.unavailable:
                self.f.kept["ConstraintTeacherNotAvailableTimes"] += 1

    def _lessons(self, used, act_target, act_teachers, act_subject, hour_map, rooms) -> None:
        plan, f = self.plan, self.f
        mine = [a for a in used if a.id in act_target]
        plan.with_week = bool(mine) and all(a.id in f.starts for a in mine)
        located = [a for a in mine if a.id in f.starts]
        self.located = {a.id for a in located}
        if not located:
            return
        for a in located:
            starts = f.starts[a.id]
            start = starts[0]
            if len({(s.day, s.hour) for s in starts}) > 1:
                self.error("同じ活動に違う開始時刻が固定されています。", f"活動 {a.id}")
                continue
            hours = [start.hour + k for k in range(a.duration)]
            if any(h not in hour_map for h in hours) or any(
                hour_map[h] != hour_map[hours[0]] + k for k, h in enumerate(hours)
            ):
                self.error(
                    f"{f.days[start.day]} {f.hours[start.hour]}から{a.duration}時限の授業が、"
                    "休み時間か1日の終わりにかかります。",
                    f"活動 {a.id}",
                )
                continue
            if a.duration > 4:
                self.error("5時限以上続く授業は取り込めません。", f"活動 {a.id}")
                continue
            target, label, split = act_target[a.id]
            pinned = any(s.permanent for s in starts) if plan.with_week else True
            plan.lessons.append(
                PlannedLesson(
                    target,
                    label,
                    act_subject[a.id],
                    act_teachers[a.id],
                    start.day,
                    hour_map[start.hour],
                    a.duration,
                    rooms.get(f.locked_rooms.get(a.id, ""), ""),
                    pinned,
                    split,
                )
            )
        for a in located:
            f.kept["ConstraintActivityPreferredStartingTime"] += len(f.starts[a.id])
        timetable = plan.timetable
        if timetable is None:
            return
        existing = list(
            Lesson.objects.filter(timetable=timetable)
            .select_related("group")
            .prefetch_related("teachers")
        )
        if plan.with_week:
            plan.removed = sorted(x.pk for x in existing)
        else:
            self._pins_replace(existing)
        # the same lessons again (the file imported twice): nothing to change
        rooms_now = {r.name: r.room.pk for r in plan.rooms if r.room is not None}
        removed = set(plan.removed)

        def key(target, subject, teachers, x) -> tuple:
            return (target, subject, tuple(sorted(teachers)), x.weekday, x.period, x.length)

        # a lesson the file places where it is today keeps today's room when the file has
        # none (Ai's own file carries times, not rooms)
        rooms_today: dict[tuple, list[int | None]] = defaultdict(list)
        for x in existing:
            if x.pk in removed:
                t = ("class", x.classroom_id) if x.classroom_id else ("group", x.group.name)
                teachers = [t.pk for t in x.teachers.all()]
                rooms_today[key(t, x.subject_id, teachers, x)].append(x.room_id)
        for x in plan.lessons:
            same = rooms_today.get(key(x.target, x.subject.pk, x.teachers, x))
            if x.room:
                x.room_id = rooms_now.get(x.room)
            elif same:
                x.room_id = same.pop(0)
        old = Counter(
            (
                *key(
                    ("class", x.classroom_id) if x.classroom_id else ("group", x.group.name),
                    x.subject_id,
                    [t.pk for t in x.teachers.all()],
                    x,
                ),
                x.room_id,
                x.pinned,
            )
            for x in existing
            if x.pk in removed
        )
        new = Counter(
            (*key(x.target, x.subject.pk, x.teachers, x), x.room_id, x.pinned) for x in plan.lessons
        )
        if old == new:
            plan.lessons, plan.removed = [], []
            return
        plan.differing = sum((new - old).values())
        # what the removed lessons show today, cell by cell, for the page's comparison
        group_classes = {
            g.pk: [c.pk for c in g.classes.all()]
            for g in TeachingGroup.objects.filter(school=plan.school, school_year=plan.year)
        }
        subjects = {s.pk: s.short_name or s.name for s in self.subjects.by_name.values()}
        for x in existing:
            if x.pk not in removed:
                continue
            for c in [x.classroom_id] if x.classroom_id else group_classes.get(x.group_id, []):
                for k in range(x.length):
                    text = subjects.get(x.subject_id, "?") + ("※" if x.pinned else "")
                    plan.now_cells[(c, x.weekday, x.period + k)].append(text)

    def _pins_replace(self, existing: list[Lesson]) -> None:
        """Rules only: the file's pins replace the timetable's pins and whatever lesson of
        the same classes they would sit on."""
        plan = self.plan
        group_classes = {
            g.pk: {c.pk for c in g.classes.all()}
            for g in TeachingGroup.objects.filter(school=plan.school, school_year=plan.year)
        }
        planned_classes = {g.name: {c.pk for c in g.classes} for g in plan.groups}

        def classes_of_new(x: PlannedLesson) -> set[int]:
            return (
                {x.target[1]} if x.target[0] == "class" else planned_classes.get(x.target[1], set())
            )

        taken = {
            (c, x.weekday, x.period + k)
            for x in plan.lessons
            for c in classes_of_new(x)
            for k in range(x.length)
        }
        for x in existing:
            cs = {x.classroom_id} if x.classroom_id else group_classes.get(x.group_id, set())
            if x.pinned or any(
                (c, x.weekday, x.period + k) in taken for c in cs for k in range(x.length)
            ):
                plan.removed.append(x.pk)

    def _constraints(self, used, act_target, act_subject, hour_map, rooms) -> None:
        f, plan = self.f, self.plan
        key_of = {
            a.id: (act_target[a.id][0], act_subject[a.id].pk) for a in used if a.id in act_target
        }
        split = {a.id for a in used if a.id in act_target and act_target[a.id][2]}
        group_classes = {g.name: frozenset(c.pk for c in g.classes) for g in plan.groups}
        skipped = {a.id for a in f.activities if not a.students}
        lunch = {
            (d, h) for d in range(len(f.days)) for h in range(len(f.hours)) if h not in hour_map
        }
        room_kinds = {r.name: r.kind for r in plan.rooms}
        done = _Rules(self, used, key_of, act_subject, hour_map).run() if hour_map else set()
        for tag, el in f.others:
            if id(el) in done:
                continue
            ids = [_number((x.text or ""), -1) for x in el.findall("Activity_Id")]
            if (
                tag == "ConstraintActivityPreferredRoom"
                and ids
                and ids[0] in self.located
                and _number(_t(el, "Weight_Percentage") or "100", 100) >= 100
            ):
                f.kept[tag + "（授業の教室）"] += 1
                continue
            if tag == "ConstraintMinDaysBetweenActivities" and _number(_t(el, "MinDays"), 0) == 1:
                keys = {key_of.get(i) for i in ids}
                if len(keys) == 1 and None not in keys and len(ids) <= len(f.days):
                    f.kept[tag + "（同じ教科は1日1コマ: Aiの既定）"] += 1
                    continue
            elif tag == "ConstraintActivitiesSameStartingTime":
                real = [i for i in ids if i not in skipped]
                if len(real) <= 1 and len(ids) > 1:
                    f.kept[tag + "（特別教室の複数学級分: 教室の数に反映）"] += 1
                    continue
                keys = [key_of.get(i) for i in real]
                if all(i in split for i in real) and None not in keys:
                    subjects = {k[1] for k in keys}
                    classes = {group_classes.get(k[0][1]) for k in keys}
                    if len(subjects) == 1 and len(classes) == 1:
                        f.kept[tag + "（習熟度別の同時開講: Aiの既定）"] += 1
                        continue
            elif self._room_pref_kept(tag, el, act_subject, rooms, room_kinds):
                f.kept[tag + "（教室の種類に反映）"] += 1
                continue
            f.not_kept[tag] += 1
        for slots in f.break_rules:
            if hour_map and slots <= lunch:
                f.kept["ConstraintBreakTimes（昼休みなど）"] += 1
            else:
                f.not_kept[
                    "ConstraintBreakTimes（曜日ごとの校時数は自動作成の画面で選びます）"
                ] += 1
        unplaced = sum(len(v) for k, v in f.starts.items() if k not in self.located)
        if unplaced:
            f.not_kept["ConstraintActivityPreferredStartingTime（取り込まない活動）"] += unplaced
        if skipped:
            f.not_kept["生徒の指定が無い活動（会議・教室の予約など）"] += len(skipped)
        longer = sum(1 for a in used if a.duration > 2)
        if longer:
            f.not_kept["3時限以上続く活動（週時数に合算）"] += longer
        if f.inactive_constraints:
            plan.notes.append(
                f"無効（Active=false）の条件 {f.inactive_constraints}件は読みません。"
            )
        if f.inactive_activities:
            plan.notes.append(f"無効（Active=false）の活動 {f.inactive_activities}件は読みません。")
        plan.not_kept = sorted(f.not_kept.items())
        plan.kept = sorted(f.kept.items())

    def _room_pref_kept(self, tag, el, act_subject, rooms, room_kinds) -> bool:
        if "PreferredRoom" not in tag or "Teacher" in tag or "Students" in tag:
            return False
        wanted = [(r.text or "").strip() for r in el.findall("Preferred_Room")] or [_t(el, "Room")]
        if tag.startswith("ConstraintSubject"):
            subject = self.subjects.match(_t(el, "Subject"))
        elif tag.startswith("ConstraintActivityPreferred"):
            aid = _number(_t(el, "Activity_Id"), -1)
            subject = act_subject.get(aid) or self.subjects.match(self.subject_of.get(aid, ""))
        else:
            return False
        kinds = SUBJECT_ROOMS.get(subject.name if subject else "", ())
        return bool(kinds) and all(room_kinds.get(rooms.get(r, "")) in kinds for r in wanted)


# --- 自動作成の決まり --------------------------------------------------------------------------

# FET's teacher limits → (rulebook.Limits field, the element's value tag, lowest value)
_LIMIT_TAGS = {
    "MaxHoursDaily": ("daily", "Maximum_Hours_Daily", 1),
    "MaxHoursContinuously": ("row", "Maximum_Hours_Continuously", 1),
    "MaxGapsPerDay": ("gaps_day", "Max_Gaps", 0),
    "MaxGapsPerWeek": ("gaps_week", "Max_Gaps", 0),
}
_LIMIT_FIELDS = ("daily", "row", "gaps_day", "gaps_week")
_SCHOOL_FIELD = {
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
        weight = float(_t(el, "Weight_Percentage") or "100")
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


class _Rules:
    """The file's rules that are Ai's 自動作成の決まり (``timetable.rulebook``): doubles,
    where they start, two-period subjects spread, teachers' limits, weighted wishes. Returns
    the elements it decided on (kept, or listed as not kept with the reason)."""

    def __init__(self, planner: _Planner, used, key_of, act_subject, hour_map) -> None:
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
            d, h = days.get(_t(s, day_tag)), hours.get(_t(s, hour_tag))
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
            a = self.acts.get(_number(_t(el, "Activity_Id"), -1))
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
            ids = [_number((x.text or ""), -1) for x in el.findall("Activity_Id")]
            keys = {self.key_of.get(i) for i in ids}
            if len(keys) != 1 or None in keys:
                continue
            acts = self.by_key[keys.pop()]
            two = (
                len(acts) == 2
                and all(a.duration == 1 for a in acts)
                and set(ids) == {a.id for a in acts}
            )
            days = _number(_t(el, "MinDays"), 0)
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
            value = _number(_t(el, value_tag), -1)
            if not low <= value <= rulebook.LIMIT_MAX:
                self.drop(tag, el, f"{low}〜{rulebook.LIMIT_MAX}の範囲外")
                continue
            if tag.startswith("ConstraintTeachers"):
                everyone[name] = min(value, everyone.get(name, value))
            else:
                staff, _ = self.p.teachers.match(_t(el, "Teacher_Name"))
                if staff is None:
                    self.drop(tag, el, "Aiにいない教員")
                    continue
                own[name][staff.pk] = min(value, own[name].get(staff.pk, value))
            self.keep(tag, el, "先生の上限")
        fields = [n for n in _LIMIT_FIELDS if n in own or n in everyone]
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
            self.after[_SCHOOL_FIELD[n]] = default[n]
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
            values = dict(zip(_LIMIT_FIELDS, old, strict=True))
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
                aid = _number(_t(el, "Activity_Id"), -1)
                subject = self.act_subject.get(aid)
                ids = {aid}
            else:
                other = [_t(el, x) for x in ("Teacher_Name", "Students_Name", "Activity_Tag_Name")]
                if any(other):
                    self.drop(tag, el, "教科以外で選んだ活動の希望")
                    continue
                subject = self.p.subjects.match(_t(el, "Subject_Name") or _t(el, "Subject"))
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


def _room_kind_of_name(name: str) -> str:
    n = norm(name).lower()
    for word, kind in ROOM_WORDS:
        if word in n:
            return kind
    return Room.Kind.ORDINARY


def plan_fet_import(
    school: School, school_year: SchoolYear, data: bytes, *, filename: str = ""
) -> FetImportPlan:
    """The preview: what the file would change in the school's year, and every error."""
    plan = FetImportPlan(year=school_year, filename=filename, sha256=digest(data), school=school)
    if school_year.is_read_only:
        plan.file_errors.append(
            CellError(f"{school_year}は過年度のため変更できません（閲覧のみ）。")
        )
        return plan
    try:
        f = read(data)
    except fet.FetError as exc:
        plan.file_errors.append(CellError(str(exc)))
        return plan
    plan.timetable = queries.current_timetable(school, school_year, timezone.localdate())
    _Planner(plan, f).run()
    return plan


# --- the commit --------------------------------------------------------------------------------


@transaction.atomic
def commit_fet_import(
    school: School,
    school_year: SchoolYear,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    expected_fingerprint: str | None = None,
) -> FetImportPlan:
    """Write the previewed plan in one transaction with its audit record, or nothing."""
    services.require_editor(by, school.pk)
    plan = plan_fet_import(school, school_year, data, filename=filename)
    plan.require_committable(expected_fingerprint, CHANGED)
    try:
        _write(plan, by)
    except ValidationError as exc:
        raise ImportRefused(exc.messages) from exc
    record_import(
        by,
        "timetable.fet.import",
        plan,
        school=school,
        target_type="timetable.timetable" if plan.timetable else "schools.school",
        target_id=str(plan.timetable.pk if plan.timetable else school.pk),
        changes={
            **plan.counts(),
            "with_week": plan.with_week,
            "not_kept": dict(plan.not_kept),
            "clashes": plan.clashes,
            "rules": [[r.what, r.before, r.after] for r in plan.rule_changes],
        },
    )
    return plan


def _write(plan: FetImportPlan, by: Actor) -> None:
    school, year = plan.school, plan.year
    rooms: dict[str, int] = {}
    for r in plan.rooms:
        if r.status == "same":
            rooms[r.name] = r.room.pk
            continue
        room = services.save_room(
            by=by, school=school, name=r.name, kind=r.kind, capacity=r.capacity, room=r.room
        )
        rooms[r.name] = room.pk
    groups: dict[str, TeachingGroup] = {}
    for g in plan.groups:
        if g.status == "same":
            groups[g.name] = g.group
            continue
        groups[g.name] = teaching.save_group(
            by=by,
            school=school,
            school_year=year,
            kind=g.kind,
            name=g.name,
            classes=g.classes,
            students=g.group.students.all() if g.group else (),
            group=g.group,
        )
    classes = {c.pk: c for c in Classroom.objects.filter(school=school, school_year=year)}
    saved_pks: dict[tuple, int] = {}
    for a in plan.assignments:
        if a.status == "same":
            saved_pks[(a.target, a.subject.pk)] = a.assignment.pk
            continue
        target = a.target
        saved = teaching.save_assignment(
            by=by,
            school=school,
            school_year=year,
            subject=a.subject,
            classroom=classes[target[1]] if target[0] == "class" else None,
            group=groups[target[1]] if target[0] == "group" else None,
            teachers=a.teachers,
            weekly_periods=a.periods,
        )
        if saved.is_draft:
            teaching.confirm_assignment(saved, by=by)
        saved_pks[(a.target, a.subject.pk)] = saved.pk
    for u in plan.unavailability:
        services.set_unavailability(
            by=by, school=school, school_year=year, staff=u.staff, slots=u.after, reason=REASON
        )
    _write_rules(plan, saved_pks, by)
    if not plan.lessons and not plan.removed:
        return
    if plan.timetable is None:
        plan.timetable = services.create_timetable(by=by, school=school, school_year=year)
    timetable = plan.timetable
    Lesson.objects.filter(timetable=timetable, pk__in=plan.removed).delete()
    rows, teachers = [], []
    for x in plan.lessons:
        group = groups.get(x.target[1]) if x.target[0] == "group" else None
        rows.append(
            Lesson(
                timetable=timetable,
                weekday=x.weekday,
                period=x.period,
                length=x.length,
                classroom_id=x.target[1] if x.target[0] == "class" else None,
                group=group,
                subject=x.subject,
                division=x.subject.name if x.split else "",
                section=group.name if x.split and group else "",
                room_id=rooms.get(x.room) if x.room else x.room_id,
                pinned=x.pinned,
            )
        )
        teachers.append(x.teachers)
    created = Lesson.objects.bulk_create(rows)
    through = Lesson.teachers.through
    through.objects.bulk_create(
        through(lesson_id=lesson.pk, staff_id=t)
        for lesson, ts in zip(created, teachers, strict=True)
        for t in ts
    )
    plan.clashes = len(queries.timetable_clashes(timetable))


def _write_rules(plan: FetImportPlan, assignment_pks: dict[tuple, int], by: Actor) -> None:
    """The file's 自動作成の決まり through rulebook's services (each audited)."""
    school = plan.school
    if plan.rule_settings is not None:
        x = plan.rule_settings
        rulebook.save_settings(
            school,
            by=by,
            double_not_first=bool(x["double_not_first"]),
            lunch_after=x["lunch_after"],
            spread_two_period=bool(x["spread_two_period"]),
            limits=rulebook.Limits(*(x[_SCHOOL_FIELD[n]] for n in _LIMIT_FIELDS)),
        )
    if plan.doubles:
        rulebook.save_doubles(
            school,
            plan.year,
            {assignment_pks[k]: n for k, n in plan.doubles.items() if k in assignment_pks},
            by=by,
        )
    if plan.teacher_limits:
        rulebook.save_teacher_limits(school, plan.teacher_limits, by=by)
    most = calendar.periods_per_day(school)
    for kind, subjects, periods, weekdays, weight in plan.preferences:
        rulebook.add_preference(
            school,
            by=by,
            kind=kind,
            subjects=subjects,
            periods=periods,
            weekdays=weekdays,
            weight=weight,
            most=most,
        )
