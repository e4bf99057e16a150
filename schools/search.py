"""Finding a pupil by name, kana or roll number, the way staff type them.

Names are stored exactly as written (𠮷, 髙, 﨑 survive); a search compares a *key* of
both sides instead: NFKC (full-width letters and digits, half-width kana, compatibility
ideographs), the variant kanji of names folded to their common form (``VARIANTS``),
katakana to hiragana, no spaces, lower case. PostgreSQL computes the same key of the
stored names in the query (``name_key``): nothing is stored twice, nothing to keep in
step, and one query finds the pupils (a second fetches their enrolments).

The variant table is ours, on purpose: the general 異体字 packages (ja-itaiji) mix in
simplified Chinese and loose families (靄/謁) that would match the wrong pupils. It
holds the variants that the 戸籍 and school rosters actually use in names; add to it
when a school finds one missing (both sides are folded, so either form finds the other).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import Lower

from schools.models import Enrolment, SchoolYear, Student

# variant → the common form (both the query and the stored names are folded).
VARIANTS: dict[str, str] = {
    "𠮷": "吉",
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "碕": "崎",
    "邉": "辺",
    "邊": "辺",
    "濵": "浜",
    "濱": "浜",
    "嶋": "島",
    "嶌": "島",
    "澤": "沢",
    "齋": "斎",
    "齊": "斉",
    "齎": "斎",
    "斉": "斉",
    "廣": "広",
    "櫻": "桜",
    "國": "国",
    "圀": "国",
    "冨": "富",
    "德": "徳",
    "惠": "恵",
    "眞": "真",
    "瀨": "瀬",
    "曾": "曽",
    "槇": "槙",
    "淺": "浅",
    "藝": "芸",
    "龍": "竜",
    "瀧": "滝",
    "彌": "弥",
    "祐": "祐",
    "禮": "礼",
    "靜": "静",
    "榮": "栄",
    "穗": "穂",
    "實": "実",
    "壽": "寿",
    "豐": "豊",
    "傳": "伝",
    "藏": "蔵",
    "萬": "万",
    "與": "与",
    "會": "会",
    "聰": "聡",
    "縣": "県",
    "螢": "蛍",
    "搜": "捜",
    "戶": "戸",
    "隆": "隆",
    "琢": "琢",
    "晴": "晴",
    "黑": "黒",
    "兒": "児",
    "櫛": "櫛",
    "峯": "峰",
    "嶺": "嶺",
    "凜": "凛",
    "遙": "遥",
    "堯": "尭",
    "荻": "荻",
    "薰": "薫",
    "驒": "騨",
    "籠": "篭",
    "杉": "杉",
    "檜": "桧",
    "桒": "桑",
    "舘": "館",
    "舩": "船",
    "栁": "柳",
    "莊": "荘",
    "條": "条",
    "鐵": "鉄",
    "鉃": "鉄",
    "綠": "緑",
    "逸": "逸",
    "增": "増",
    "昻": "昂",
    "晧": "皓",
    "辻": "辻",
}
VARIANTS = {k: v for k, v in VARIANTS.items() if k != v}
assert all(len(k) == 1 and len(v) == 1 for k, v in VARIANTS.items())  # translate() is 1 → 1
_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_HIRAGANA = "".join(chr(c - 0x60) for c in range(0x30A1, 0x30F7))
_FOLD = str.maketrans({**VARIANTS, **dict(zip(_KATAKANA, _HIRAGANA, strict=True))})
_IVS = re.compile("[\U000e0100-\U000e01ef\ufe00-\ufe0f]")  # variation selectors
_SPACES = re.compile(r"\s+")
MAX_QUERY = 60  # characters of a search box
LIMIT = 50  # pupils listed


def search_key(text: str) -> str:
    """The comparison key of a name, a kana reading or a typed query (see the module doc)."""
    text = unicodedata.normalize("NFKC", _IVS.sub("", text or ""))
    return _SPACES.sub("", text.translate(_FOLD)).lower()


def _sql_key(field: str):
    """The same key computed by PostgreSQL from a stored column (``search_key`` in SQL)."""
    sources = "".join(VARIANTS) + _KATAKANA
    targets = "".join(VARIANTS.values()) + _HIRAGANA
    normalised = Func(F(field), template="normalize(%(expressions)s, NFKC)")
    without_ivs_and_spaces = Func(
        normalised,
        Value("[\U000e0100-\U000e01ef\ufe00-\ufe0f[:space:]]"),
        Value(""),
        Value("g"),
        function="regexp_replace",
    )
    folded = Func(without_ivs_and_spaces, Value(sources), Value(targets), function="translate")
    return Lower(folded)


@dataclass(frozen=True)
class Hit:
    """One pupil found, with the enrolment staff know them by (this year's, or the last)."""

    student: Student
    enrolment: Enrolment | None

    @property
    def label(self) -> str:
        e = self.enrolment
        return f"{e.school.name} {e.classroom.label} {e.roll_number}番" if e else ""


def parse(query: str) -> tuple[list[str], list[int]]:
    """Words of a name or reading, and numbers (roll numbers, 学籍番号) of a typed query."""
    words, numbers = [], []
    for token in unicodedata.normalize("NFKC", query or "")[:MAX_QUERY].split():
        token = token.strip("番")
        if token.isdigit() and len(token) <= 9:
            numbers.append(int(token))
        elif token:
            words.append(search_key(token))
    return words, numbers


def find_students(
    readable: QuerySet[Student], query: str, *, year: SchoolYear | None, limit: int = LIMIT
) -> list[Hit]:
    """Pupils of ``readable`` (the actor's read scope) matching every word and number.

    A word matches the name or the reading; a number matches this year's roll number or
    the 学籍番号. Two queries whatever the number of pupils.
    """
    words, numbers = parse(query)
    if not words and not numbers:
        return []
    qs = readable.annotate(name_key=_sql_key("name"), kana_key=_sql_key("kana"))
    for word in words:
        qs = qs.filter(Q(name_key__contains=word) | Q(kana_key__contains=word))
    for number in numbers:
        matches = Q(student_number=str(number))
        if year is not None:
            matches |= Q(enrolments__school_year=year, enrolments__roll_number=number)
        qs = qs.filter(matches)
    students = list(qs.distinct().order_by("kana", "id")[:limit])
    enrolments: dict[int, Enrolment] = {}
    for e in (
        Enrolment.objects.filter(student__in=[s.pk for s in students])
        .select_related("school", "classroom", "school_year")
        .order_by("student_id", "school_year__year", "enrolled_on")
    ):
        current = enrolments.get(e.student_id)
        # This year's (latest) enrolment wins; otherwise the latest one.
        this_year = year.pk if year is not None else None
        if (
            current is None
            or current.school_year_id != this_year
            or e.school_year_id == current.school_year_id
        ):
            enrolments[e.student_id] = e
    return [Hit(s, enrolments.get(s.pk)) for s in students]
