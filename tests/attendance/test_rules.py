"""The 指導要録 「出欠の記録」 formulas, as pure functions (no database)."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from attendance import rules
from attendance.rules import Closure, ClosureKind, Figure, Figures, Span

D = dt.date
JP_2026 = set(holidays.Japan(years=[2026, 2027]).keys())


def june_days() -> list[dt.date]:
    """June 2026: no national holiday, 22 weekdays."""
    return rules.school_days(D(2026, 6, 1), D(2026, 6, 30), holidays=JP_2026)


def test_june_2026_has_22_school_days():
    days = june_days()
    assert len(days) == 22
    assert D(2026, 6, 6) not in days  # Saturday
    assert D(2026, 6, 1) in days


def test_national_holidays_and_vacations_are_not_school_days():
    days = rules.school_days(
        D(2026, 4, 1), D(2026, 5, 31), holidays=JP_2026, vacations=[(D(2026, 4, 1), D(2026, 4, 6))]
    )
    assert D(2026, 4, 29) not in days  # 昭和の日
    assert D(2026, 5, 4) not in days and D(2026, 5, 6) not in days  # みどりの日, 振替休日
    assert D(2026, 4, 6) not in days  # 春季休業
    assert D(2026, 4, 7) in days


def test_overrides_add_a_saturday_event_and_remove_a_weekday():
    days = rules.school_days(
        D(2026, 6, 1),
        D(2026, 6, 30),
        holidays=JP_2026,
        overrides={D(2026, 6, 13): True, D(2026, 6, 15): False},
    )
    assert D(2026, 6, 13) in days  # 土曜授業 (授業参観)
    assert D(2026, 6, 15) not in days  # 振替休業日
    assert len(days) == 22


def test_override_can_make_a_holiday_a_school_day():
    days = rules.school_days(
        D(2026, 11, 1), D(2026, 11, 30), holidays=JP_2026, overrides={D(2026, 11, 3): True}
    )
    assert D(2026, 11, 3) in days  # 文化の日 with 学習発表会


def test_whole_school_closure_wins_over_an_override():
    days = rules.school_days(
        D(2026, 6, 1),
        D(2026, 6, 30),
        holidays=JP_2026,
        overrides={D(2026, 6, 13): True},
        school_closures=[(D(2026, 6, 12), D(2026, 6, 13))],
    )
    assert D(2026, 6, 12) not in days and D(2026, 6, 13) not in days


def test_leap_year_february_29_is_a_school_day():
    days = rules.school_days(D(2028, 2, 1), D(2028, 2, 29), holidays=holidays.Japan(years=2028))
    assert D(2028, 2, 29) in days  # Tuesday
    start, end = rules.school_year_bounds(2027)
    assert end == D(2028, 3, 31)
    assert len(list(rules.date_range(start, end))) == 366


def test_leap_day_marks_count():
    days = rules.school_days(D(2028, 2, 1), D(2028, 2, 29), holidays=holidays.Japan(years=2028))
    f = rules.figures(school_days=days, spans=[Span(D(2027, 4, 1))], marks={D(2028, 2, 29): "sick"})
    assert f.absent_days == 1
    assert f.school_days == len(days)


def test_year_with_no_marks_everyone_present():
    start, end = rules.school_year_bounds(2026)
    days = rules.school_days(start, end, holidays=JP_2026)
    f = rules.figures(school_days=days, spans=[Span(start)], marks={})
    assert f.school_days == len(days)
    assert f.suspended_days == f.absent_days == f.late == f.early == f.deemed_present == 0
    assert f.required_days == f.present_days == len(days)
    assert f.attendance_rate == 1.0


def test_every_default_code_feeds_its_figure():
    days = june_days()
    marks = dict(
        zip(
            days,
            ["sick", "absent", "late", "early", "suspended", "mourning", "disaster", "deemed"],
            strict=False,
        )
    )
    f = rules.figures(school_days=days, spans=[Span(D(2026, 4, 1))], marks=marks)
    assert f.school_days == 22
    assert f.suspended_days == 3  # 停 忌 災
    assert f.required_days == 19
    assert f.absent_days == 2  # 欠(病) 欠(事)
    assert f.present_days == 17
    assert (f.late, f.early, f.deemed_present) == (1, 1, 1)
    assert f.by_code == {c: 1 for c in marks.values()}


def test_transfer_in_mid_month_counts_from_the_first_day():
    f = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 6, 15))],
        marks={D(2026, 6, 10): "sick", D(2026, 6, 15): "sick"},
    )
    # 15th to 30th: 12 weekdays; the mark before enrolment is ignored.
    assert f.school_days == 12
    assert f.absent_days == 1
    assert f.present_days == 11


def test_transfer_out_mid_month_the_leaving_day_counts():
    f = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 4, 1), D(2026, 6, 10))],
        marks={D(2026, 6, 10): "late", D(2026, 6, 11): "sick"},
    )
    assert f.school_days == 8  # 1st to 10th
    assert f.late == 1
    assert f.absent_days == 0


def test_re_transfer_into_the_same_school_counts_both_spans_only():
    spans = [Span(D(2026, 4, 1), D(2026, 6, 5)), Span(D(2026, 6, 22))]
    f = rules.figures(
        school_days=june_days(),
        spans=spans,
        marks={D(2026, 6, 3): "sick", D(2026, 6, 12): "sick", D(2026, 6, 22): "absent"},
    )
    assert f.school_days == 5 + 7
    assert f.absent_days == 2  # the mark while away is ignored


def test_overlapping_spans_count_a_day_once():
    spans = [Span(D(2026, 6, 1), D(2026, 6, 10), 1, 11), Span(D(2026, 6, 10), None, 1, 12)]
    f = rules.figures(school_days=june_days(), spans=spans, marks={})
    assert f.school_days == 22


def test_school_closure_removes_school_days():
    days = rules.school_days(
        D(2026, 6, 1),
        D(2026, 6, 30),
        holidays=JP_2026,
        school_closures=[(D(2026, 6, 8), D(2026, 6, 9))],
    )
    closure = Closure(ClosureKind.SCHOOL, D(2026, 6, 8), D(2026, 6, 9))
    # Both paths (calendar or closure object) give the same figure.
    f1 = rules.figures(school_days=days, spans=[Span(D(2026, 4, 1))], marks={})
    f2 = rules.figures(
        school_days=june_days(), spans=[Span(D(2026, 4, 1))], marks={}, closures=[closure]
    )
    assert f1.school_days == f2.school_days == 20


def test_grade_closure_removes_days_for_that_grade_only():
    closure = Closure(ClosureKind.GRADE, D(2026, 6, 8), D(2026, 6, 12), grade=3)
    marks = {D(2026, 6, 9): "sick"}
    grade3 = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 4, 1), None, 3, 31)],
        marks=marks,
        closures=[closure],
    )
    grade4 = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 4, 1), None, 4, 41)],
        marks=marks,
        closures=[closure],
    )
    assert grade3.school_days == 17 and grade3.absent_days == 0  # mark on a closed day ignored
    assert grade4.school_days == 22 and grade4.absent_days == 1


def test_class_closure_keeps_the_day_and_counts_as_suspended():
    closure = Closure(ClosureKind.CLASS, D(2026, 6, 8), D(2026, 6, 10), classroom_id=31)
    marks = {D(2026, 6, 9): "sick", D(2026, 6, 11): "sick"}
    closed = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 4, 1), None, 3, 31)],
        marks=marks,
        closures=[closure],
    )
    other = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 4, 1), None, 3, 32)],
        marks=marks,
        closures=[closure],
    )
    assert closed.school_days == 22
    assert closed.suspended_days == 3  # the closure wins over the mark of the 9th
    assert closed.required_days == 19
    assert closed.absent_days == 1
    assert closed.present_days == 18
    assert other.suspended_days == 0 and other.absent_days == 2


def test_class_closure_only_counts_while_enrolled():
    closure = Closure(ClosureKind.CLASS, D(2026, 6, 8), D(2026, 6, 12), classroom_id=31)
    f = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 6, 11), None, 3, 31)],
        marks={},
        closures=[closure],
    )
    assert f.suspended_days == 2


def test_mark_on_a_date_that_became_a_non_school_day_is_ignored():
    marks = {D(2026, 6, 15): "sick", D(2026, 6, 16): "absent"}
    before = rules.figures(school_days=june_days(), spans=[Span(D(2026, 4, 1))], marks=marks)
    days = rules.school_days(
        D(2026, 6, 1), D(2026, 6, 30), holidays=JP_2026, overrides={D(2026, 6, 15): False}
    )
    after = rules.figures(school_days=days, spans=[Span(D(2026, 4, 1))], marks=marks)
    assert before.absent_days == 2
    assert after.absent_days == 1 and after.school_days == 21


def test_marks_on_weekends_are_ignored():
    f = rules.figures(
        school_days=june_days(), spans=[Span(D(2026, 4, 1))], marks={D(2026, 6, 6): "sick"}
    )
    assert f.absent_days == 0


def test_unknown_code_counts_as_present():
    f = rules.figures(
        school_days=june_days(), spans=[Span(D(2026, 4, 1))], marks={D(2026, 6, 1): "removed-code"}
    )
    assert f.present_days == 22


def test_municipality_codes_change_the_figure_a_code_feeds():
    codes = [
        rules.CodeDef("late", "チ", "遅刻", Figure.LATE),
        rules.CodeDef("sick", "欠", "欠席", Figure.ABSENT),
        rules.CodeDef("quarantine", "停", "出席停止", Figure.SUSPENDED),
    ]
    marks = {D(2026, 6, 1): "late", D(2026, 6, 2): "quarantine", D(2026, 6, 3): "mourning"}
    f = rules.figures(
        school_days=june_days(), spans=[Span(D(2026, 4, 1))], marks=marks, codes=codes
    )
    assert (f.late, f.suspended_days, f.absent_days) == (1, 1, 0)


def test_period_limits_the_figures_to_a_month():
    marks = {D(2026, 6, 1): "sick", D(2026, 7, 1): "sick"}
    days = rules.school_days(D(2026, 4, 1), D(2026, 7, 31), holidays=JP_2026)
    f = rules.figures(
        school_days=days,
        spans=[Span(D(2026, 4, 1))],
        marks=marks,
        period=(D(2026, 6, 1), D(2026, 6, 30)),
    )
    assert f.school_days == 22 and f.absent_days == 1


def test_monthly_figures_add_up_to_the_year():
    start, end = rules.school_year_bounds(2026)
    days = rules.school_days(
        start, end, holidays=JP_2026, vacations=[(D(2026, 7, 21), D(2026, 8, 31))]
    )
    spans = [Span(D(2026, 5, 18), D(2027, 1, 20))]
    marks = {d: "sick" for d in days[::9]} | {d: "late" for d in days[4::13]}
    year = rules.figures(school_days=days, spans=spans, marks=marks)
    total = Figures()
    for m in range(12):
        month_start = D(2026 + (m + 3) // 12, (m + 3) % 12 + 1, 1)
        next_start = D(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
        total = total + rules.figures(
            school_days=days,
            spans=spans,
            marks=marks,
            period=(month_start, next_start - rules.ONE_DAY),
        )
    assert total == year
    assert year.present_days + year.absent_days + year.suspended_days == year.school_days


def test_figures_from_counts_matches_the_day_by_day_rule():
    closure = Closure(ClosureKind.CLASS, D(2026, 6, 8), D(2026, 6, 9), classroom_id=1)
    marks = {D(2026, 6, 1): "sick", D(2026, 6, 2): "mourning", D(2026, 6, 3): "deemed"}
    f = rules.figures(
        school_days=june_days(),
        spans=[Span(D(2026, 4, 1), None, 1, 1)],
        marks=marks,
        closures=[closure],
    )
    g = rules.figures_from_counts(
        school_days=22, closed_days=2, counts={"sick": 1, "mourning": 1, "deemed": 1}
    )
    assert f == g and g.by_code == f.by_code


@pytest.mark.parametrize(
    ("absent", "so_far", "total", "expected"),
    [
        (30, 100, 200, "reached"),
        (15, 100, 200, "projected"),
        (14, 100, 200, None),
        (0, 0, 200, None),
        (5, 0, 200, None),
    ],
)
def test_long_absence_status(absent, so_far, total, expected):
    assert rules.long_absence_status(absent, so_far, total) == expected


# --- figures as of a date: days still to come are not counted ---------------------------

YEAR = (D(2026, 4, 1), D(2027, 3, 31))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 3, 31), None),  # the day before the year: nothing counted
        (D(2025, 11, 30), None),
        (D(2026, 4, 1), (D(2026, 4, 1), D(2026, 4, 1))),  # the first day: that day only
        (D(2026, 11, 30), (D(2026, 4, 1), D(2026, 11, 30))),  # mid-year: up to today
        (D(2027, 3, 31), YEAR),  # the last day: the whole year
        (D(2027, 4, 1), YEAR),  # after the year: the whole year, not beyond
        (D(2030, 1, 1), YEAR),
    ],
)
def test_as_of_counts_only_the_days_that_have_happened(today, expected):
    assert rules.as_of(YEAR, today) == expected


def test_as_of_every_day_of_a_month_and_around_it():
    june = (D(2026, 6, 1), D(2026, 6, 30))
    for offset in range(-3, 34):
        today = D(2026, 6, 1) + dt.timedelta(days=offset)
        got = rules.as_of(june, today)
        if today < june[0]:
            assert got is None
        else:
            assert got == (june[0], min(today, june[1]))
            assert got[0] <= got[1]


@pytest.mark.parametrize(
    ("period", "counted", "expected"),
    [
        ((D(2026, 6, 1), D(2026, 6, 30)), None, None),
        ((D(2026, 6, 1), D(2026, 6, 30)), (D(2026, 4, 1), D(2026, 5, 31)), None),  # later month
        (
            (D(2026, 6, 1), D(2026, 6, 30)),
            (D(2026, 4, 1), D(2026, 6, 10)),
            (D(2026, 6, 1), D(2026, 6, 10)),
        ),
        ((D(2026, 6, 1), D(2026, 6, 30)), YEAR, (D(2026, 6, 1), D(2026, 6, 30))),
        (
            (D(2026, 6, 1), D(2026, 6, 30)),
            (D(2026, 4, 1), D(2026, 6, 1)),
            (D(2026, 6, 1), D(2026, 6, 1)),
        ),
    ],
)
def test_within_narrows_a_month_to_the_counted_days(period, expected, counted):
    assert rules.within(period, counted) == expected


def test_future_school_days_are_not_counted_as_attended():
    """Mid-June, a student absent on 2 June: 授業日数 and 出席日数 stop at today."""
    days = june_days()
    marks = {D(2026, 6, 2): "sick"}
    spans = [Span(D(2026, 4, 1))]
    whole = rules.figures(school_days=days, spans=spans, marks=marks)
    assert (whole.school_days, whole.present_days) == (22, 21)
    for today, school_days in ((D(2026, 6, 10), 8), (D(2026, 6, 13), 10), (D(2026, 6, 30), 22)):
        counted = rules.as_of((D(2026, 6, 1), D(2026, 6, 30)), today)
        f = rules.figures(school_days=days, spans=spans, marks=marks, period=counted)
        assert f.school_days == school_days
        assert f.present_days == school_days - 1 and f.absent_days == 1
