"""The 標準授業時数 tables against the totals of 学校教育法施行規則 別表 (hand-checked)."""

from __future__ import annotations

import pytest

from schools.national import ELEMENTARY_SUBJECTS, JUNIOR_HIGH_SUBJECTS
from timetable import national as n

# 総授業時数 as printed in 別表第一 / 別表第二 (not read from the module).
ELEMENTARY_TOTALS = {1: 850, 2: 910, 3: 980, 4: 1015, 5: 1015, 6: 1015}
JUNIOR_HIGH_TOTALS = {1: 1015, 2: 1015, 3: 1015}


@pytest.mark.parametrize("grade,total", ELEMENTARY_TOTALS.items())
def test_elementary_rows_sum_to_the_table_total(grade: int, total: int) -> None:
    assert sum(n.standard_hours(n.ELEMENTARY, grade).values()) == total
    assert n.standard_total(n.ELEMENTARY, grade) == total


@pytest.mark.parametrize("grade,total", JUNIOR_HIGH_TOTALS.items())
def test_junior_high_rows_sum_to_the_table_total(grade: int, total: int) -> None:
    assert sum(n.standard_hours(n.JUNIOR_HIGH, grade).values()) == total
    assert n.standard_total(n.JUNIOR_HIGH, grade) == total


def test_some_cells_of_the_tables() -> None:
    assert n.standard_hours(n.ELEMENTARY, 1)["国語"] == 306
    assert n.standard_hours(n.ELEMENTARY, 2)["算数"] == 175
    assert n.standard_hours(n.ELEMENTARY, 1)["特別活動"] == 34
    assert n.standard_hours(n.ELEMENTARY, 6)["家庭"] == 55
    assert n.standard_hours(n.ELEMENTARY, 4)["社会"] == 90
    assert n.standard_hours(n.JUNIOR_HIGH, 1)["総合的な学習の時間"] == 50
    assert n.standard_hours(n.JUNIOR_HIGH, 3)["技術・家庭"] == 35
    assert n.standard_hours(n.JUNIOR_HIGH, 2)["理科"] == 140


def test_subject_names_match_the_national_subject_lists() -> None:
    elementary = [name for name, _, _ in ELEMENTARY_SUBJECTS]
    junior = [name for name, _, _ in JUNIOR_HIGH_SUBJECTS]
    every_elementary = set().union(*(n.subjects_of_grade(n.ELEMENTARY, g) for g in range(1, 7)))
    every_junior = set().union(*(n.subjects_of_grade(n.JUNIOR_HIGH, g) for g in range(1, 4)))
    assert every_elementary == set(elementary)
    assert every_junior == set(junior)
    # Same order as the subject lists (report cards and grids list them so).
    for g in range(1, 7):
        subjects = n.subjects_of_grade(n.ELEMENTARY, g)
        assert list(subjects) == [s for s in elementary if s in subjects]
    assert list(n.subjects_of_grade(n.JUNIOR_HIGH, 1)) == junior
    assert "特別の教科 道徳" in every_junior
    assert "総合的な学習の時間" in every_elementary
    assert "特別活動" in every_elementary


def test_which_grades_study_what() -> None:
    for g in (1, 2):
        assert n.studies(n.ELEMENTARY, g, "生活")
        assert not n.studies(n.ELEMENTARY, g, "社会")
        assert not n.studies(n.ELEMENTARY, g, "理科")
        assert not n.studies(n.ELEMENTARY, g, "外国語活動")
        assert not n.studies(n.ELEMENTARY, g, "総合的な学習の時間")
    for g in (3, 4):
        assert n.studies(n.ELEMENTARY, g, "外国語活動")
        assert not n.studies(n.ELEMENTARY, g, "外国語")
        assert not n.studies(n.ELEMENTARY, g, "家庭")
        assert not n.studies(n.ELEMENTARY, g, "生活")
    for g in (5, 6):
        assert n.studies(n.ELEMENTARY, g, "外国語")
        assert n.studies(n.ELEMENTARY, g, "家庭")
        assert not n.studies(n.ELEMENTARY, g, "外国語活動")
    assert not n.studies(n.JUNIOR_HIGH, 1, "算数")
    assert n.studies(n.JUNIOR_HIGH, 1, "数学")
    assert len(n.subjects_of_grade(n.ELEMENTARY, 1)) == 8
    assert len(n.subjects_of_grade(n.ELEMENTARY, 3)) == 11
    assert len(n.subjects_of_grade(n.ELEMENTARY, 5)) == 12


def test_unit_minutes_and_compulsory_schools() -> None:
    assert n.unit_minutes(n.ELEMENTARY, 3) == 45
    assert n.unit_minutes(n.JUNIOR_HIGH, 3) == 50
    assert n.stage(n.COMPULSORY, 6) == (n.ELEMENTARY, 6)
    assert n.stage(n.COMPULSORY, 7) == (n.JUNIOR_HIGH, 1)
    assert n.unit_minutes(n.COMPULSORY, 6) == 45
    assert n.unit_minutes(n.COMPULSORY, 9) == 50
    assert n.standard_total(n.COMPULSORY, 1) == 850
    assert n.standard_hours(n.COMPULSORY, 8)["数学"] == 105


def test_thresholds_and_weeks() -> None:
    assert n.REVIEW_THRESHOLD_HOURS == 1086
    assert n.standard_weeks(n.ELEMENTARY, 1) == 34
    assert n.standard_weeks(n.ELEMENTARY, 2) == 35
    assert n.standard_weeks(n.JUNIOR_HIGH, 1) == 35
    # 34 weeks × weekly periods = the grade-1 table: e.g. 国語 9 a week.
    assert n.standard_hours(n.ELEMENTARY, 1)["国語"] == 34 * 9


BAD_GRADES = [("elementary", 0), ("elementary", 7), ("junior_high", 4), ("compulsory", 10)]


@pytest.mark.parametrize("school_type,grade", [*BAD_GRADES, ("high", 1)])
def test_unknown_grades_are_refused(school_type: str, grade: int) -> None:
    with pytest.raises(ValueError):
        n.stage(school_type, grade)
