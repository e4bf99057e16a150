"""Reading a ``.fet`` file (pure: no ORM): the names, activities and constraints the
import maps, or ``fet.FetError`` with a Japanese reason."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as StdET
from collections import Counter
from dataclasses import dataclass, field

from timetable.generation import fet

MAX_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 300_000  # a 5 MB file of tiny elements is refused before it is walked
MAX_ACTIVITIES = 5_000
LIMITS_TEXT = "FETファイル (.fet) 5MBまで・活動5,000件まで"

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


def text_of(el: StdET.Element | None, tag: str) -> str:
    if el is None:
        return ""
    child = el.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _true(text: str, default: bool = False) -> bool:
    return text.strip().lower() in ("true", "1", "yes") if text.strip() else default


def number(text: str, default: int = 0) -> int:
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
    days = [text_of(d, "Name") for d in root.findall("./Days_List/Day")]
    hours = [text_of(h, "Name") for h in root.findall("./Hours_List/Hour")]
    if not days or not hours:
        raise fet.FetError("曜日（Days_List）または時限（Hours_List）がありません。")
    if any(not d for d in days) or any(not h for h in hours):
        raise fet.FetError("名前の無い曜日または時限があります。")
    day_index = {n: i for i, n in enumerate(days)}
    hour_index = {n: i for i, n in enumerate(hours)}
    years = []
    for y in root.findall("./Students_List/Year"):
        groups = [
            (text_of(g, "Name"), [text_of(s, "Name") for s in g.findall("Subgroup")])
            for g in y.findall("Group")
        ]
        years.append(FetYear(text_of(y, "Name"), groups))
    activities, inactive = [], 0
    for el in root.findall("./Activities_List/Activity"):
        if not _true(text_of(el, "Active"), True):
            inactive += 1
            continue
        activities.append(
            FetActivity(
                id=number(text_of(el, "Id"), -1),
                subject=text_of(el, "Subject"),
                teachers=tuple((t.text or "").strip() for t in el.findall("Teacher")),
                students=tuple((s.text or "").strip() for s in el.findall("Students")),
                duration=max(1, number(text_of(el, "Duration"), 1)),
                tags=tuple((t.text or "").strip() for t in el.findall("Activity_Tag")),
            )
        )
    if len(activities) > MAX_ACTIVITIES:
        raise fet.FetError(f"活動が多すぎます（{len(activities):,}件）。{LIMITS_TEXT}。")
    out = FetFile(
        days=days,
        hours=hours,
        teachers=[text_of(t, "Name") for t in root.findall("./Teachers_List/Teacher")],
        years=years,
        rooms=[
            (text_of(r, "Name"), _true(text_of(r, "Virtual")))
            for r in root.findall("./Rooms_List/Room")
        ],
        activities=activities,
        inactive_activities=inactive,
    )

    def slots(el: StdET.Element, item: str, day_tag: str, hour_tag: str) -> set[Slot]:
        found = set()
        for s in el.findall(item):
            d, h = day_index.get(text_of(s, day_tag)), hour_index.get(text_of(s, hour_tag))
            if d is not None and h is not None:
                found.add((d, h))
        return found

    for lst in ("Time_Constraints_List", "Space_Constraints_List"):
        for el in root.findall(f"./{lst}/*"):
            tag = el.tag
            if not _true(text_of(el, "Active"), True):
                out.inactive_constraints += 1
                continue
            weight = number(text_of(el, "Weight_Percentage") or "100", 100)
            if tag in ("ConstraintBasicCompulsoryTime", "ConstraintBasicCompulsorySpace"):
                out.kept[tag] += 1  # no clashes: Ai's own basic rule
            elif tag == "ConstraintActivityPreferredStartingTime" and weight >= 100:
                d = day_index.get(text_of(el, "Preferred_Day"))
                h = hour_index.get(text_of(el, "Preferred_Hour"))
                if d is None or h is None:
                    out.not_kept[tag + "（曜日か時限だけの指定）"] += 1
                    continue
                start = FetStart(d, h, _true(text_of(el, "Permanently_Locked")))
                out.starts.setdefault(number(text_of(el, "Activity_Id"), -1), []).append(start)
            elif tag == "ConstraintActivityPreferredRoom" and weight >= 100:
                # the room of a placed lesson when its activity is located, else a preference
                out.locked_rooms[number(text_of(el, "Activity_Id"), -1)] = text_of(el, "Room")
                out.others.append((tag, el))
            elif tag == "ConstraintTeacherNotAvailableTimes" and weight >= 100:
                teacher = text_of(el, "Teacher")
                found = slots(el, "Not_Available_Time", "Day", "Hour")
                out.unavailable.setdefault(teacher, set()).update(found)
            elif tag == "ConstraintBreakTimes" and weight >= 100:
                found = slots(el, "Break_Time", "Day", "Hour")
                out.breaks |= found
                out.break_rules.append(found)  # kept or not: decided once the hours are known
            else:
                out.others.append((tag, el))
    return out
