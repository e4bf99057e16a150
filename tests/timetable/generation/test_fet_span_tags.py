"""FET 6's "max span per day", "min gaps between an ordered pair of activity tags" and
"min resting hours", for teachers and students, read from FET files and kept as FET keeps them (issue 12).

What FET means was found with fet-cl 6.8.5 on locked one- and two-day files (each case
below is also refereed by fet-cl where it is installed):

- span: from the first period taught to the last, every period between counting, breaks
  and unavailable ones too; a teacher's rule may allow one day one longer; the students'
  rules have no such exception;
- tags: a lesson tagged A followed later that day by one tagged B of the same teacher /
  students needs ``MinGaps`` periods between A's end and B's start, whatever is in them
  (a break, another lesson); B before A is free;
- resting hours: from a teacher's / students' last lesson of a day to their first of the
  next, the periods after the one and before the other (a break among them too) are at
  least ``Minimum_Resting_Hours``; circular: from the last day to the first as well;
- FET refuses all three below 100 % ("Cannot precompute - data is wrong"), and so does Ai.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from timetable.generation.fet import read_fet_bytes, write_locked
from timetable.generation.model import MaxSpanPerDay, MinGapsBetweenTags, MinRestingHours
from timetable.generation.referee import fet_cl_path, run_fet_cl
from timetable.generation.solver import solve

from .fet_build import Act, fet_file, teacher_not_available

needs_fet = pytest.mark.skipif(
    fet_cl_path() is None, reason="fet-cl is not installed (apt-get install fet)"
)

DAYS = ["Mo", "Tu"]
HOURS = ["1", "2", "3", "4", "5", "6"]


def lock(aid: int, day: str, hour: str) -> str:
    return (
        "<ConstraintActivityPreferredStartingTime><Weight_Percentage>100</Weight_Percentage>"
        f"<Activity_Id>{aid}</Activity_Id><Preferred_Day>{day}</Preferred_Day>"
        f"<Preferred_Hour>{hour}</Preferred_Hour><Permanently_Locked>true</Permanently_Locked>"
        "<Active>true</Active><Comments></Comments></ConstraintActivityPreferredStartingTime>\n"
    )


def breaks(*slots: tuple[str, str]) -> str:
    return (
        "<ConstraintBreakTimes><Weight_Percentage>100</Weight_Percentage>"
        f"<Number_of_Break_Times>{len(slots)}</Number_of_Break_Times>"
        + "".join(f"<Break_Time><Day>{d}</Day><Hour>{h}</Hour></Break_Time>" for d, h in slots)
        + "<Active>true</Active><Comments></Comments></ConstraintBreakTimes>\n"
    )


def span(
    n: int,
    kind: str = "Teacher",
    who: str = "<Teacher_Name>T</Teacher_Name>",
    plus_one: bool | None = None,
    weight: float = 100,
) -> str:
    tag = f"Constraint{kind}MaxSpanPerDay"
    flag = (
        ""
        if plus_one is None
        else "<Allow_One_Day_Exception_of_Plus_One>"
        f"{'true' if plus_one else 'false'}</Allow_One_Day_Exception_of_Plus_One>"
    )
    return (
        f"<{tag}><Weight_Percentage>{weight:g}</Weight_Percentage>{who}<Max_Span>{n}</Max_Span>"
        f"{flag}<Active>true</Active><Comments></Comments></{tag}>\n"
    )


def tag_gaps(
    first: str,
    second: str,
    n: int = 1,
    kind: str = "Students",
    who: str = "",
    weight: float = 100,
) -> str:
    tag = f"Constraint{kind}MinGapsBetweenOrderedPairOfActivityTags"
    return (
        f"<{tag}><Weight_Percentage>{weight:g}</Weight_Percentage>{who}"
        f"<First_Activity_Tag>{first}</First_Activity_Tag>"
        f"<Second_Activity_Tag>{second}</Second_Activity_Tag><MinGaps>{n}</MinGaps>"
        f"<Active>true</Active><Comments></Comments></{tag}>\n"
    )


def resting(
    n: int,
    kind: str = "Teacher",
    who: str = "<Teacher_Name>T</Teacher_Name>",
    circular: bool = False,
    weight: float = 100,
) -> str:
    tag = f"Constraint{kind}MinRestingHours"
    return (
        f"<{tag}><Weight_Percentage>{weight:g}</Weight_Percentage>{who}"
        f"<Minimum_Resting_Hours>{n}</Minimum_Resting_Hours>"
        f"<Circular>{'true' if circular else 'false'}</Circular>"
        f"<Active>true</Active><Comments></Comments></{tag}>\n"
    )


def _solve(data: bytes):
    problem = read_fet_bytes(data)
    assert not problem.unsupported
    return problem, solve(problem, time_limit=10)


def _ai_and_fet_agree(data: bytes, tmp_path: Path, solvable: bool) -> None:
    """Ai's verdict on ``data``; where fet-cl is installed, fet-cl's on the same file."""
    problem, result = _solve(data)
    assert result.solved is solvable, (result.status, result.reasons)
    if fet_cl_path() is None:
        return
    path = tmp_path / "case.fet"
    path.write_bytes(data)
    # fet-cl says yes within a second here; on a file it cannot place it runs to timeout
    ref = run_fet_cl(path, time_limit=2, grace=1)
    assert ref.success is solvable, ref.message
    if solvable:  # and Ai's own timetable passes fet-cl
        out = tmp_path / "locked.fet"
        write_locked(data, problem, result, out)
        assert run_fet_cl(out, time_limit=5).success


# --- reading ------------------------------------------------------------------------------


def test_the_four_span_rules_are_read() -> None:
    rules = (
        span(4, plus_one=True)
        + span(5, "Teachers", "", plus_one=False)
        + span(3, "StudentsSet", "<Students>S</Students>")
        + span(6, "Students", "")
    )
    problem = read_fet_bytes(fet_file(DAYS, HOURS, [Act(1)], rules))
    assert not problem.unsupported
    got = [
        (c.who, c.names, c.max_span, c.one_day_plus_one)
        for c in problem.constraints
        if isinstance(c, MaxSpanPerDay)
    ]
    assert got == [
        ("teacher", ("T",), 4, True),
        ("teacher", (), 5, False),
        ("students", ("S",), 3, False),
        ("students", (), 6, False),
    ]


def test_the_four_tag_gap_rules_are_read() -> None:
    rules = (
        tag_gaps("L", "Lab", 1, "Teacher", "<Teacher>T</Teacher>")
        + tag_gaps("L", "TS", 2, "Teachers")
        + tag_gaps("Lab", "L", 1, "StudentsSet", "<Students>S</Students>")
        + tag_gaps("(L)", "(TS)", 3)
    )
    problem = read_fet_bytes(fet_file(DAYS, HOURS, [Act(1, tags=("L",))], rules))
    assert not problem.unsupported
    got = [
        (c.who, c.names, c.first_tag, c.second_tag, c.min_gaps)
        for c in problem.constraints
        if isinstance(c, MinGapsBetweenTags)
    ]
    assert got == [
        ("teacher", ("T",), "L", "Lab", 1),
        ("teacher", (), "L", "TS", 2),
        ("students", ("S",), "Lab", "L", 1),
        ("students", (), "(L)", "(TS)", 3),
    ]


# --- max span per day ---------------------------------------------------------------------

TWO = [Act(1), Act(2)]


@pytest.mark.parametrize(
    ("second", "rules", "ok"),
    [
        ("3", "", True),  # periods 1-3: span 3
        ("4", "", False),  # periods 1-4: span 4
        ("4", breaks(("Mo", "2")), False),  # a break between still counts
        ("4", teacher_not_available("T", [("Mo", "2")]), False),  # so does an away period
    ],
)
def test_a_teachers_span_counts_every_period_between(
    second: str, rules: str, ok: bool, tmp_path: Path
) -> None:
    data = fet_file(DAYS, HOURS, TWO, rules + lock(1, "Mo", "1") + lock(2, "Mo", second) + span(3))
    _ai_and_fet_agree(data, tmp_path, ok)


@pytest.mark.parametrize(
    ("placed", "ok"),
    [
        ([("Mo", "1"), ("Mo", "4"), ("Tu", "1"), ("Tu", "3")], True),  # one day of 4
        ([("Mo", "1"), ("Mo", "4"), ("Tu", "1"), ("Tu", "4")], False),  # two days of 4
        ([("Mo", "1"), ("Mo", "5"), ("Tu", "1"), ("Tu", "2")], False),  # one day of 5
    ],
)
def test_one_day_may_be_one_longer(placed: list, ok: bool, tmp_path: Path) -> None:
    locks = "".join(lock(i, d, h) for i, (d, h) in enumerate(placed, start=1))
    data = fet_file(DAYS, HOURS, [Act(i) for i in range(1, 5)], locks + span(3, plus_one=True))
    _ai_and_fet_agree(data, tmp_path, ok)


@pytest.mark.parametrize(
    ("kind", "who"), [("Students", ""), ("StudentsSet", "<Students>S</Students>")]
)
def test_students_span_has_no_exception(kind: str, who: str, tmp_path: Path) -> None:
    placed = lock(1, "Mo", "1") + lock(2, "Mo", "4") + lock(3, "Tu", "1") + lock(4, "Tu", "3")
    acts = [Act(i) for i in range(1, 5)]
    _ai_and_fet_agree(fet_file(DAYS, HOURS, acts, placed + span(3, kind, who)), tmp_path, False)
    _ai_and_fet_agree(fet_file(DAYS, HOURS, acts, placed + span(4, kind, who)), tmp_path, True)


def test_the_span_decides_where_the_lessons_go() -> None:
    # the teacher's first lesson is fixed at period 1 and the other three must fit in a
    # span of 4: they end by period 4 on Monday or go to Tuesday
    acts = [Act(i) for i in range(1, 5)]
    away = teacher_not_available("T", [("Tu", h) for h in HOURS])
    rules = away + lock(1, "Mo", "1") + span(4)
    _, result = _solve(fet_file(DAYS, HOURS, acts, rules))
    assert result.solved
    assert sorted(p.hour for p in result.placements.values()) == [0, 1, 2, 3]
    _, result = _solve(fet_file(DAYS, HOURS, [*acts, Act(5)], rules))
    assert result.status == "infeasible"


# --- min gaps between an ordered pair of activity tags ------------------------------------

AB = [Act(1, tags=("A",)), Act(2, tags=("B",))]


@pytest.mark.parametrize(
    ("first", "second", "rules", "gaps", "ok"),
    [
        (("Mo", "1"), ("Mo", "2"), "", 1, False),  # B right after A
        (("Mo", "1"), ("Mo", "3"), "", 1, True),  # one period between
        (("Mo", "1"), ("Mo", "3"), "", 2, False),  # one is not two
        (("Mo", "2"), ("Mo", "1"), "", 1, True),  # B before A: free
        (("Mo", "1"), ("Tu", "2"), "", 1, True),  # another day: free
        (("Mo", "1"), ("Mo", "3"), breaks(("Mo", "2")), 1, True),  # a break is a gap
    ],
)
def test_min_gaps_between_tags_as_fet_counts(
    first: tuple, second: tuple, rules: str, gaps: int, ok: bool, tmp_path: Path
) -> None:
    data = fet_file(
        DAYS, HOURS, AB, rules + lock(1, *first) + lock(2, *second) + tag_gaps("A", "B", gaps)
    )
    _ai_and_fet_agree(data, tmp_path, ok)


def test_a_lesson_between_counts_and_a_double_ends_later(tmp_path: Path) -> None:
    abc = [*AB, Act(3)]
    locks = lock(1, "Mo", "1") + lock(3, "Mo", "2") + lock(2, "Mo", "3")
    _ai_and_fet_agree(fet_file(DAYS, HOURS, abc, locks + tag_gaps("A", "B")), tmp_path, True)
    double = [Act(1, tags=("A",), duration=2), Act(2, tags=("B",))]
    locks = lock(1, "Mo", "1") + lock(2, "Mo", "3")
    _ai_and_fet_agree(fet_file(DAYS, HOURS, double, locks + tag_gaps("A", "B")), tmp_path, False)


@pytest.mark.parametrize(
    ("kind", "who", "same_teacher", "ok"),
    [
        ("Students", "", False, True),  # other students: free
        ("StudentsSet", "<Students>S</Students>", True, False),
        ("Teacher", "<Teacher>T</Teacher>", False, True),  # other teacher: free
        ("Teacher", "<Teacher>T</Teacher>", True, False),
        ("Teachers", "", True, False),
    ],
)
def test_min_gaps_between_tags_is_per_teacher_or_students(
    kind: str, who: str, same_teacher: bool, ok: bool, tmp_path: Path
) -> None:
    acts = (
        AB
        if same_teacher
        else [Act(1, tags=("A",)), Act(2, teacher="U", students="S2", tags=("B",))]
    )
    locks = lock(1, "Mo", "1") + lock(2, "Mo", "2")
    _ai_and_fet_agree(
        fet_file(DAYS, HOURS, acts, locks + tag_gaps("A", "B", 1, kind, who)), tmp_path, ok
    )


def test_the_tag_gap_decides_where_the_lessons_go() -> None:
    # one day of three periods, A fixed at period 1: B must wait a period, so C sits between
    acts = [*AB, Act(3)]
    data = fet_file(["Mo"], ["1", "2", "3"], acts, lock(1, "Mo", "1") + tag_gaps("A", "B"))
    _, result = _solve(data)
    assert result.solved
    assert result.placements[2].hour == 2 and result.placements[3].hour == 1


# --- min resting hours -------------------------------------------------------------------


def test_the_four_resting_rules_are_read() -> None:
    rules = (
        resting(2)
        + resting(3, "Teachers", "", circular=True)
        + resting(4, "StudentsSet", "<Students>S</Students>")
        + resting(5, "Students", "", circular=True)
    )
    problem = read_fet_bytes(fet_file(DAYS, HOURS, [Act(1)], rules))
    assert not problem.unsupported
    got = [
        (c.who, c.names, c.min_hours, c.circular)
        for c in problem.constraints
        if isinstance(c, MinRestingHours)
    ]
    assert got == [
        ("teacher", ("T",), 2, False),
        ("teacher", (), 3, True),
        ("students", ("S",), 4, False),
        ("students", (), 5, True),
    ]


@pytest.mark.parametrize(
    ("placed", "rules", "ok"),
    [
        ([("Mo", "6"), ("Tu", "3")], "", True),  # 0 after Monday's, 2 before Tuesday's
        ([("Mo", "6"), ("Tu", "2")], "", False),  # 0 + 1
        ([("Mo", "5"), ("Tu", "2")], "", True),  # 1 + 1
        ([("Mo", "5"), ("Tu", "2")], breaks(("Mo", "6")), True),  # the break rests too
        ([("Tu", "6"), ("Mo", "1")], "", True),  # the week's end is not a night ...
    ],
)
def test_resting_hours_count_the_periods_around_the_night(
    placed: list, rules: str, ok: bool, tmp_path: Path
) -> None:
    locks = "".join(lock(i, d, h) for i, (d, h) in enumerate(placed, start=1))
    data = fet_file(DAYS, HOURS, TWO, rules + locks + resting(2))
    _ai_and_fet_agree(data, tmp_path, ok)


@pytest.mark.parametrize(
    ("kind", "who"), [("Teachers", ""), ("StudentsSet", "<Students>S</Students>")]
)
def test_circular_resting_hours_count_the_weekend_too(kind: str, who: str, tmp_path: Path) -> None:
    locks = lock(1, "Tu", "6") + lock(2, "Mo", "1")  # ... unless the rule is circular
    data = fet_file(DAYS, HOURS, TWO, locks + resting(2, kind, who, circular=True))
    _ai_and_fet_agree(data, tmp_path, False)


def test_resting_hours_decide_where_the_next_days_lesson_goes() -> None:
    # the second lesson cannot be on Monday (away): after Monday's last, it starts at 3 or later
    away = teacher_not_available("T", [("Mo", h) for h in HOURS[:5]])
    data = fet_file(DAYS, HOURS, TWO, away + lock(1, "Mo", "6") + resting(2))
    problem, result = _solve(data)
    assert result.solved, result.reasons
    assert result.placements[2].day == 1 and result.placements[2].hour >= 2


# --- below 100 %: refused, as fet-cl refuses ---------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [span(3, weight=95, plus_one=False), tag_gaps("A", "B", 1, weight=50), resting(2, weight=90)],
    ids=["span", "tags", "resting"],
)
def test_below_100_percent_is_refused_as_fet_does(rule: str, tmp_path: Path) -> None:
    data = fet_file(DAYS, HOURS, AB, rule)
    _, result = _solve(data)
    assert result.status == "infeasible"
    assert any("重み100%" in r for r in result.reasons), result.reasons
    if fet_cl_path() is not None:
        path = tmp_path / "soft.fet"
        path.write_bytes(data)
        assert "data is wrong" in run_fet_cl(path, time_limit=2, grace=1).message
