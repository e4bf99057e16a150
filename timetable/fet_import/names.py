"""The school's names for what a FET file names: classes, teachers, subjects, rooms."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from schools.models import Classroom, Staff, Subject
from timetable.fet_import.reader import Slot, norm
from timetable.models import WEEKDAYS, Room

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
COPY = re.compile(r"^(.+)\((\d+)\)$")
_GRADE = re.compile(r"^(?:第)?(\d+)(?:年生?|学年)?$")
_CLASS = re.compile(r"^(\d+)(?:年生?|[-ー－_./・])(.+)$")
_PK = re.compile(r"^(.*)\((\d+)\)$")


def _class_key(name: str) -> str:
    """「1組」「01」「1」 → "1"; 「A組」 → "A"."""
    key = norm(name).removesuffix("組")
    return str(int(key)) if key.isdigit() else key


class Classes:
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


class Teachers:
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


class Subjects:
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


def summary(classes: Iterable[Classroom]) -> str:
    """1年1組・1年2組 → 「1年1・2組」; other mixes listed."""
    cs = sorted(classes, key=lambda c: (c.grade or 0, c.sort_order, c.name))
    grades = {c.grade for c in cs}
    if len(grades) == 1 and None not in grades and all(c.name.endswith("組") for c in cs):
        return f"{cs[0].grade}年" + "・".join(c.name.removesuffix("組") for c in cs) + "組"
    return "・".join(c.label for c in cs)


def slots_text(slots: Iterable[Slot]) -> str:
    return "・".join(f"{WEEKDAYS[d][1]}{p}" for d, p in sorted(slots)) or "なし"


def room_kind_of_name(name: str) -> str:
    n = norm(name).lower()
    for word, kind in ROOM_WORDS:
        if word in n:
            return kind
    return Room.Kind.ORDINARY
