"""Pure rules of the gradebook: scores -> 観点別評価 (A/B/C) -> 評定. No ORM, no I/O.

The chain, per student × class-subject × term:

1. each assessment feeds one or more viewpoints (観点) with a weight; a score is
   points out of the assessment's maximum, blank (not yet: excluded) or absent
   (欠: excluded, never zero);
2. viewpoint percentage = Σ weight × points / max ÷ Σ weight over the scored
   assessments of that viewpoint (exact fractions, so 80 % is 80 %, not 79.999…);
3. percentage -> A/B/C by thresholds (default ≥ 80 % A, ≥ 50 % B, else C);
4. three viewpoints -> 評定 by a rule the board or school chooses: a table of
   the ten A/B/C combinations (e.g. the Osaka table) or the A=3/B=2/C=1 mean
   cut into bands;
5. the teacher may override a viewpoint grade or the 評定 (with a reason); the
   評定 derives from the overridden viewpoints unless it is overridden itself.

The browser repeats steps 2-5 in ``static/gradebook/grid.js`` for instant feedback;
the server's result (this module) is the one stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import product
from typing import Final

# --- viewpoints and levels -----------------------------------------------------------------

KNOWLEDGE: Final = "knowledge"  # 知識・技能
THINKING: Final = "thinking"  # 思考・判断・表現
ATTITUDE: Final = "attitude"  # 主体的に学習に取り組む態度
VIEWPOINTS: Final = (KNOWLEDGE, THINKING, ATTITUDE)
VIEWPOINT_LABELS: Final = {
    KNOWLEDGE: "知識・技能",
    THINKING: "思考・判断・表現",
    ATTITUDE: "主体的に学習に取り組む態度",
}
VIEWPOINT_SHORT: Final = {KNOWLEDGE: "知", THINKING: "思", ATTITUDE: "態"}

LEVELS: Final = ("A", "B", "C")
LEVEL_POINTS: Final = {"A": 3, "B": 2, "C": 1}
ALL_COMBINATIONS: Final = tuple("".join(c) for c in product(LEVELS, repeat=3))  # 27


class Absent:
    """The 欠 mark: the student missed the test. Excluded from the percentage, not zero."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()
ABSENT_MARK: Final = "欠"
# What a teacher may type for "absent": 欠, 欠席, /, ／ (full-width forms normalise to these).
ABSENT_INPUTS: Final = frozenset({"欠", "欠席", "/"})

Score = Decimal | Absent | None  # None = blank, not yet entered


# --- parsing what a teacher types ------------------------------------------------------------

_NUMBER = re.compile(r"^\d+(\.\d)?$")


class ScoreError(ValueError):
    """A cell that cannot be stored; ``str(exc)`` is the Japanese message shown beside it."""


def parse_score(text: str | None, max_points: Decimal) -> Score:
    """A cell's text -> Decimal points, ABSENT or None (blank). Raises ScoreError.

    Accepts full-width digits (８０), one decimal place (7.5), 欠 / ／ for absent.
    """
    if text is None:
        return None
    value = unicodedata.normalize("NFKC", str(text)).strip()
    if value == "":
        return None
    if value in ABSENT_INPUTS:
        return ABSENT
    if value.startswith("-") and _NUMBER.match(value[1:]):
        raise ScoreError(f"0 から {format_points(max_points)} までの数で入力してください。")
    if not _NUMBER.match(value):
        raise ScoreError(
            f"「{text}」は点数として読めません。数字、空欄 (未入力)、欠 (欠席) のいずれかです。"
        )
    try:
        points = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise ScoreError(f"「{text}」は点数として読めません。") from exc
    if points > max_points:
        raise ScoreError(
            f"{format_points(points)} は満点 {format_points(max_points)} を超えています。"
        )
    return points


def format_score(score: Score) -> str:
    """The text a cell shows for a stored score (round-trips through ``parse_score``)."""
    if score is None:
        return ""
    if score is ABSENT:
        return ABSENT_MARK
    return format_points(score)


def format_points(points: Decimal | int) -> str:
    value = Decimal(points)
    return (
        str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value.normalize())
    )


# --- scores -> viewpoint percentage -> A/B/C ----------------------------------------------


@dataclass(frozen=True)
class AssessmentSpec:
    """What the rules need of an assessment: its maximum and the viewpoint weights."""

    key: object
    max_points: Decimal
    weights: Mapping[str, Decimal]  # viewpoint -> weight (0 = does not feed it)


def viewpoint_percentages(
    assessments: Iterable[AssessmentSpec], scores: Mapping[object, Score]
) -> dict[str, Fraction | None]:
    """Weighted percentage (0-100, exact) per viewpoint; None when nothing is scored yet."""
    sums = {vp: [Fraction(0), Fraction(0)] for vp in VIEWPOINTS}
    for spec in assessments:
        score = scores.get(spec.key)
        if score is None or score is ABSENT or not spec.max_points:
            continue
        ratio = Fraction(score) / Fraction(spec.max_points)
        for vp in VIEWPOINTS:
            weight = Fraction(spec.weights.get(vp) or 0)
            if weight > 0:
                sums[vp][0] += weight * ratio
                sums[vp][1] += weight
    return {vp: (num / den * 100 if den else None) for vp, (num, den) in sums.items()}


@dataclass(frozen=True)
class Thresholds:
    """Percentages at or above which a viewpoint is A, or B (else C)."""

    a: Decimal = Decimal(80)
    b: Decimal = Decimal(50)

    def __post_init__(self) -> None:
        if not (Decimal(0) <= self.b < self.a <= Decimal(100)):
            raise ValueError("しきい値は 0 ≦ B < A ≦ 100 にしてください。")

    def level(self, percentage: Fraction | Decimal | None) -> str | None:
        if percentage is None:
            return None
        if percentage >= Fraction(self.a):
            return "A"
        if percentage >= Fraction(self.b):
            return "B"
        return "C"


DEFAULT_THRESHOLDS: Final = Thresholds()


# --- three viewpoints -> 評定 --------------------------------------------------------------


def combination_key(levels: Iterable[str]) -> str:
    """The order-free key of a combination: ('B', 'A', 'C') -> 'ABC'."""
    return "".join(sorted(levels))


# The ten order-free combinations; a table rule gives each one a 評定.
COMBINATION_KEYS: Final = tuple(sorted({combination_key(c) for c in ALL_COMBINATIONS}))

# Osaka prefecture's published table (junior high, 5 levels).
OSAKA_TABLE: Final = {
    "AAA": 5,
    "AAB": 4,
    "ABB": 4,
    "BBB": 3,
    "ABC": 3,
    "AAC": 3,
    "BBC": 3,
    "ACC": 2,
    "BCC": 2,
    "CCC": 1,
}

# A=3/B=2/C=1, mean cut into bands: (lowest mean, 評定), highest band first.
# 5 levels: sum 9 -> 5, 7-8 -> 4, 5-6 -> 3, 4 -> 2, 3 -> 1.
AVERAGE_BANDS_5: Final = (
    (Decimal("2.75"), 5),
    (Decimal("2.25"), 4),
    (Decimal("1.5"), 3),
    (Decimal("1.25"), 2),
    (Decimal(0), 1),
)
# 3 levels: AAA, AAB -> 3; BCC, CCC -> 1; the rest -> 2 (mostly A / mostly C / between).
AVERAGE_BANDS_3: Final = ((Decimal("2.5"), 3), (Decimal("1.5"), 2), (Decimal(0), 1))


@dataclass(frozen=True)
class RatingRule:
    """How three viewpoints make a 評定 on a ``scale`` (5 or 3).

    ``kind`` "table": ``table`` maps each of the ten order-free combinations to a 評定;
    ``kind`` "average": A=3/B=2/C=1, the mean falls into the first band whose lower
    bound it reaches.
    """

    kind: str
    scale: int
    table: Mapping[str, int] = field(default_factory=dict)
    bands: tuple[tuple[Decimal, int], ...] = ()

    def __post_init__(self) -> None:
        if self.scale not in (3, 5):
            raise ValueError("評定の段階は 3 か 5 です。")
        if self.kind == "table":
            missing = set(COMBINATION_KEYS) - set(self.table)
            if missing:
                raise ValueError(f"評定表に組み合わせ {', '.join(sorted(missing))} がありません。")
            values = self.table.values()
        elif self.kind == "average":
            if not self.bands or self.bands[-1][0] > 1:
                raise ValueError("平均の区分は最後を 1 以下 (すべて C) にしてください。")
            lows = [low for low, _ in self.bands]
            if lows != sorted(lows, reverse=True):
                raise ValueError("平均の区分は高い順に並べてください。")
            values = [rating for _, rating in self.bands]
        else:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if any(not 1 <= v <= self.scale for v in values):
            raise ValueError(f"評定は 1 から {self.scale} の範囲です。")

    def rating(self, levels: Iterable[str | None]) -> int | None:
        levels = tuple(levels)
        if len(levels) != 3 or any(level not in LEVEL_POINTS for level in levels):
            return None  # a viewpoint not evaluated yet: no 評定 yet
        if self.kind == "table":
            return self.table[combination_key(levels)]
        mean = Fraction(sum(LEVEL_POINTS[level] for level in levels), 3)
        for low, rating in self.bands:
            if mean >= Fraction(low):
                return rating
        return self.bands[-1][1]  # pragma: no cover - the last band starts at or below 1

    def as_json(self) -> dict:
        """For the browser's copy of the rule (grid.js)."""
        if self.kind == "table":
            return {"kind": "table", "scale": self.scale, "table": dict(self.table)}
        return {
            "kind": "average",
            "scale": self.scale,
            "bands": [[float(low), rating] for low, rating in self.bands],
        }


# Named rules a board or school picks from (GradingSettings.rule_5 / rule_3).
RULES_5: Final = {
    "osaka": RatingRule("table", 5, table=OSAKA_TABLE),
    "average": RatingRule("average", 5, bands=AVERAGE_BANDS_5),
}
RULES_3: Final = {
    "average": RatingRule("average", 3, bands=AVERAGE_BANDS_3),
}
RULE_LABELS: Final = {
    "osaka": "大阪府方式の表 (AAA→5, AAB・ABB→4 …)",
    "average": "A=3・B=2・C=1 の平均を区分",
    "custom": "独自の表 (組み合わせごとに設定)",
}
CUSTOM: Final = "custom"


def named_rule(name: str, scale: int, custom_table: Mapping[str, int] | None = None) -> RatingRule:
    """The rule a board or school chose: a published one by name, or its own table."""
    if name == CUSTOM:
        return RatingRule("table", scale, table=dict(custom_table or {}))
    return (RULES_5 if scale == 5 else RULES_3)[name]


def default_table(scale: int) -> dict[str, int]:
    """The starting point of a custom table: what the default rule gives each combination."""
    rule = RULES_5[DEFAULT_RULE_5] if scale == 5 else RULES_3[DEFAULT_RULE_3]
    return {key: rule.rating(key) for key in COMBINATION_KEYS}


DEFAULT_RULE_5: Final = "osaka"
DEFAULT_RULE_3: Final = "average"


def rating_scale(school_type: str, grade: int | None, is_graded_subject: bool) -> int | None:
    """評定の段階: 5 in junior high (and grades 7-9 of 義務教育学校), 3 in elementary 3-6,
    none in elementary 1-2, none for subjects without 評定 (道徳, 総合 ...)."""
    if not is_graded_subject or grade is None:
        return None
    if school_type == "junior_high":
        return 5
    if school_type == "compulsory" and grade >= 7:
        return 5
    if school_type in ("elementary", "compulsory") and 3 <= grade <= 6:
        return 3
    return None


# --- one evaluation, with overrides --------------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    """A teacher's overrides of derived values (each None = keep the derived one)."""

    levels: Mapping[str, str | None] = field(default_factory=dict)
    rating: int | None = None


@dataclass(frozen=True)
class Result:
    percentages: dict[str, Fraction | None]
    derived_levels: dict[str, str | None]
    levels: dict[str, str | None]  # after overrides
    derived_rating: int | None
    rating: int | None  # after overrides
    overridden: frozenset[str]  # viewpoints and/or "rating"

    def percentage_text(self, viewpoint: str) -> str:
        value = self.percentages[viewpoint]
        return "" if value is None else f"{float(value):.1f}"


def evaluate(
    assessments: Iterable[AssessmentSpec],
    scores: Mapping[object, Score],
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    rule: RatingRule | None,
    overrides: Overrides | None = None,
) -> Result:
    """The whole chain for one student × class-subject × term. ``rule`` None: no 評定."""
    overrides = overrides or Overrides()
    percentages = viewpoint_percentages(assessments, scores)
    derived = {vp: thresholds.level(percentages[vp]) for vp in VIEWPOINTS}
    levels = dict(derived)
    overridden: set[str] = set()
    for vp in VIEWPOINTS:
        value = overrides.levels.get(vp)
        if value:
            if value not in LEVEL_POINTS:
                raise ValueError(f"観点の評価は A・B・C のいずれかです ({value!r})。")
            levels[vp] = value
            overridden.add(vp)
    derived_rating = rule.rating(levels[vp] for vp in VIEWPOINTS) if rule else None
    rating = derived_rating
    if rule is not None and overrides.rating is not None:
        if not 1 <= overrides.rating <= rule.scale:
            raise ValueError(f"評定は 1 から {rule.scale} の範囲です。")
        rating = overrides.rating
        overridden.add("rating")
    return Result(percentages, derived, levels, derived_rating, rating, frozenset(overridden))


def validate_override(
    level_overrides: Mapping[str, str | None], rating: int | None, scale: int | None, reason: str
) -> dict[str, str]:
    """Errors (field -> Japanese message) of an override request; empty when valid."""
    errors: dict[str, str] = {}
    for vp, value in level_overrides.items():
        if vp not in VIEWPOINTS:
            errors[vp] = "観点が正しくありません。"
        elif value and value not in LEVEL_POINTS:
            errors[vp] = "A・B・C のいずれかを選んでください。"
    if rating is not None:
        if scale is None:
            errors["rating"] = "この教科・学年には評定がありません。"
        elif not 1 <= rating <= scale:
            errors["rating"] = f"評定は 1 から {scale} の範囲で入力してください。"
    has_override = rating is not None or any(level_overrides.values())
    if has_override and not reason.strip():
        errors["reason"] = "変更の理由を入力してください。"
    return errors


# --- 行動の記録・特別活動の記録 (学習指導要領, 指導要録 参考様式) --------------------------------------
# key -> item name; the tuple order is the 指導要録's. ○ marks an item the pupil did well.
BEHAVIOUR_ITEMS: dict[str, str] = {
    "habits": "基本的な生活習慣",
    "health": "健康・体力の向上",
    "autonomy": "自主・自律",
    "responsibility": "責任感",
    "creativity": "創意工夫",
    "cooperation": "思いやり・協力",
    "life_nature": "生命尊重・自然愛護",
    "service": "勤労・奉仕",
    "fairness": "公正・公平",
    "public_spirit": "公共心・公徳心",
}


def special_activity_items(elementary: bool) -> dict[str, str]:
    """特別活動 of the school type: 児童会 in an elementary school, 生徒会 in a junior high;
    クラブ活動 only in an elementary school."""
    items = {
        "class": "学級活動",
        "council": "児童会活動" if elementary else "生徒会活動",
    }
    if elementary:
        items["club"] = "クラブ活動"
    items["events"] = "学校行事"
    return items


SPECIAL_ACTIVITY_KEYS = ("class", "council", "club", "events")
CONDUCT_TEXT_MAX = 400  # characters of the 外国語活動 / 総合的な学習の時間 text
