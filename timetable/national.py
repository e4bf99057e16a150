"""標準授業時数 (学校教育法施行規則 別表第一・別表第二): pure data and tiny helpers.

The numbers are those of the 2017 curriculum (elementary from 2020, junior high from
2021), in 単位時間 per year: 45 minutes in elementary school, 50 in junior high. The
tables assume 35 school weeks (34 in elementary grade 1). A subject absent from a
grade's table is not studied in that grade (1-2年: 生活, no 社会/理科; 外国語活動 in
3-4年; 外国語 and 家庭 from 5年). Subject names are those of ``schools/national.py``.

A 義務教育学校 (compulsory, grades 1-9) follows the elementary tables in grades 1-6
and the junior-high ones in grades 7-9 (``stage``).

Municipalities and schools may adjust the subjects and hours; these are the defaults.
"""

from __future__ import annotations

from typing import Final

ELEMENTARY: Final = "elementary"
JUNIOR_HIGH: Final = "junior_high"
COMPULSORY: Final = "compulsory"

# 単位時間 (one "hour" of the tables) in minutes.
UNIT_MINUTES: Final[dict[str, int]] = {ELEMENTARY: 45, JUNIOR_HIGH: 50}

# Since 2025 boards ask schools planning this many hours a year or more to review the plan.
REVIEW_THRESHOLD_HOURS: Final = 1086

# Weeks the tables assume (elementary grade 1 starts later in April).
STANDARD_WEEKS: Final = 35
STANDARD_WEEKS_ELEMENTARY_GRADE_1: Final = 34

# subject -> hours per grade (index 0 = grade 1); None = not studied in that grade.
_ELEMENTARY_TABLE: Final[tuple[tuple[str, tuple[int | None, ...]], ...]] = (
    ("国語", (306, 315, 245, 245, 175, 175)),
    ("社会", (None, None, 70, 90, 100, 105)),
    ("算数", (136, 175, 175, 175, 175, 175)),
    ("理科", (None, None, 90, 105, 105, 105)),
    ("生活", (102, 105, None, None, None, None)),
    ("音楽", (68, 70, 60, 60, 50, 50)),
    ("図画工作", (68, 70, 60, 60, 50, 50)),
    ("家庭", (None, None, None, None, 60, 55)),
    ("体育", (102, 105, 105, 105, 90, 90)),
    ("外国語", (None, None, None, None, 70, 70)),
    ("特別の教科 道徳", (34, 35, 35, 35, 35, 35)),
    ("外国語活動", (None, None, 35, 35, None, None)),
    ("総合的な学習の時間", (None, None, 70, 70, 70, 70)),
    ("特別活動", (34, 35, 35, 35, 35, 35)),
)
# The 「総授業時数」 row of 別表第一 (tests check it is the sum of the rows).
_ELEMENTARY_TOTALS: Final = (850, 910, 980, 1015, 1015, 1015)

_JUNIOR_HIGH_TABLE: Final[tuple[tuple[str, tuple[int | None, ...]], ...]] = (
    ("国語", (140, 140, 105)),
    ("社会", (105, 105, 140)),
    ("数学", (140, 105, 140)),
    ("理科", (105, 140, 140)),
    ("音楽", (45, 35, 35)),
    ("美術", (45, 35, 35)),
    ("保健体育", (105, 105, 105)),
    ("技術・家庭", (70, 70, 35)),
    ("外国語", (140, 140, 140)),
    ("特別の教科 道徳", (35, 35, 35)),
    ("総合的な学習の時間", (50, 70, 70)),
    ("特別活動", (35, 35, 35)),
)
# The 「総授業時数」 row of 別表第二.
_JUNIOR_HIGH_TOTALS: Final = (1015, 1015, 1015)

_TABLES: Final = {ELEMENTARY: _ELEMENTARY_TABLE, JUNIOR_HIGH: _JUNIOR_HIGH_TABLE}
_TOTALS: Final = {ELEMENTARY: _ELEMENTARY_TOTALS, JUNIOR_HIGH: _JUNIOR_HIGH_TOTALS}
_GRADES: Final = {ELEMENTARY: 6, JUNIOR_HIGH: 3, COMPULSORY: 9}


def stage(school_type: str, grade: int) -> tuple[str, int]:
    """Which table a grade follows: ``(ELEMENTARY | JUNIOR_HIGH, grade within it)``.

    A 義務教育学校's grades 7-9 are junior high 1-3. Raises ``ValueError`` for a grade
    the school type does not have.
    """
    if school_type not in _GRADES or not 1 <= grade <= _GRADES[school_type]:
        raise ValueError(f"{school_type} has no grade {grade}")
    if school_type == COMPULSORY:
        return (ELEMENTARY, grade) if grade <= 6 else (JUNIOR_HIGH, grade - 6)
    return school_type, grade


def unit_minutes(school_type: str, grade: int) -> int:
    """Minutes of one 単位時間 for a grade (45 elementary, 50 junior high)."""
    return UNIT_MINUTES[stage(school_type, grade)[0]]


def standard_hours(school_type: str, grade: int) -> dict[str, int]:
    """標準授業時数 of a grade by subject, in the order of the national subject lists.

    Only the subjects the grade studies are present.
    """
    table_stage, g = stage(school_type, grade)
    return {name: hours[g - 1] for name, hours in _TABLES[table_stage] if hours[g - 1] is not None}


def standard_total(school_type: str, grade: int) -> int:
    """The 総授業時数 of a grade as the table states it."""
    table_stage, g = stage(school_type, grade)
    return _TOTALS[table_stage][g - 1]


def subjects_of_grade(school_type: str, grade: int) -> tuple[str, ...]:
    """Subjects a grade studies (those with hours in its table), in national order."""
    return tuple(standard_hours(school_type, grade))


def studies(school_type: str, grade: int, subject: str) -> bool:
    """Does the grade study the subject? (False for e.g. 社会 in 1年, 外国語活動 in 5年)."""
    return subject in standard_hours(school_type, grade)


def standard_weeks(school_type: str, grade: int) -> int:
    """School weeks the table assumes (34 for elementary grade 1, else 35)."""
    table_stage, g = stage(school_type, grade)
    if table_stage == ELEMENTARY and g == 1:
        return STANDARD_WEEKS_ELEMENTARY_GRADE_1
    return STANDARD_WEEKS
