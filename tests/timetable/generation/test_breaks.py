"""Lessons "next to each other" across a break, as FET means it (issue 12, shc-prelim-08).

FET skips break periods when it asks whether two lessons follow each other in "two
activities consecutive" and "two/three activities grouped": a lesson just before lunch and
one just after it follow each other. Ai used to count the break as a period between them
and called such files impossible (Belize's shc-prelim-08: four "consecutive" pairs across
lunch, fet-cl solves it). The "consecutive if same day" of min days is stricter in FET:
there the break does separate (fet-cl finds nothing), and Ai keeps it so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from timetable.generation.fet import read_fet_bytes, write_locked
from timetable.generation.referee import fet_cl_path, run_fet_cl
from timetable.generation.solver import solve

needs_fet = pytest.mark.skipif(
    fet_cl_path() is None, reason="fet-cl is not installed (apt-get install fet)"
)


def _day_with_lunch(rule: str, hours: list[str], n: int = 2) -> bytes:
    """One day whose only free periods are split by 昼 (a break): the rule can hold only
    with the break between the lessons."""
    acts = "".join(
        f"<Activity><Teacher>田中</Teacher><Subject>国語</Subject><Students>1組</Students>"
        f"<Duration>1</Duration><Total_Duration>1</Total_Duration><Id>{i}</Id>"
        "<Activity_Group_Id>0</Activity_Group_Id><Active>true</Active></Activity>"
        for i in range(1, n + 1)
    )
    hour_list = "".join(f"<Hour><Name>{h}</Name></Hour>" for h in hours)
    ids = "".join(f"<Activity_Id>{i}</Activity_Id>" for i in range(1, n + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<fet version="6.0.0"><Institution_Name>t</Institution_Name>
<Days_List><Number_of_Days>1</Number_of_Days><Day><Name>月</Name></Day></Days_List>
<Hours_List><Number_of_Hours>{len(hours)}</Number_of_Hours>{hour_list}</Hours_List>
<Subjects_List><Subject><Name>国語</Name></Subject></Subjects_List>
<Teachers_List><Teacher><Name>田中</Name></Teacher></Teachers_List>
<Students_List><Year><Name>1組</Name><Number_of_Students>0</Number_of_Students></Year></Students_List>
<Activities_List>{acts}</Activities_List>
<Rooms_List></Rooms_List>
<Time_Constraints_List>
<ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active></ConstraintBasicCompulsoryTime>
<ConstraintBreakTimes><Weight_Percentage>100</Weight_Percentage><Number_of_Break_Times>1</Number_of_Break_Times>
<Break_Time><Day>月</Day><Hour>昼</Hour></Break_Time><Active>true</Active></ConstraintBreakTimes>
{rule.format(ids=ids, n=n)}
</Time_Constraints_List>
<Space_Constraints_List><ConstraintBasicCompulsorySpace><Weight_Percentage>100</Weight_Percentage><Active>true</Active></ConstraintBasicCompulsorySpace></Space_Constraints_List>
</fet>
""".encode()


PAIR = "<First_Activity_Id>1</First_Activity_Id><Second_Activity_Id>2</Second_Activity_Id>"
CASES = {
    "consecutive": (
        "<ConstraintTwoActivitiesConsecutive><Weight_Percentage>100</Weight_Percentage>"
        f"{PAIR}<Active>true</Active></ConstraintTwoActivitiesConsecutive>",
        ["3", "昼", "4"],
        2,
    ),
    "grouped": (
        "<ConstraintTwoActivitiesGrouped><Weight_Percentage>100</Weight_Percentage>"
        f"{PAIR}<Active>true</Active></ConstraintTwoActivitiesGrouped>",
        ["3", "昼", "4"],
        2,
    ),
    "three grouped": (
        "<ConstraintThreeActivitiesGrouped><Weight_Percentage>100</Weight_Percentage>"
        f"{PAIR}<Third_Activity_Id>3</Third_Activity_Id>"
        "<Active>true</Active></ConstraintThreeActivitiesGrouped>",
        ["3", "4", "昼", "5"],
        3,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lessons_either_side_of_a_break_are_next_to_each_other(case: str, tmp_path: Path) -> None:
    rule, hours, n = CASES[case]
    data = _day_with_lunch(rule, hours, n)
    p = read_fet_bytes(data)
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons  # was: すべての条件を同時に満たす時間割はありません。
    lunch = hours.index("昼")
    assert sorted(pl.hour for pl in r.placements.values()) == [
        h for h in range(len(hours)) if h != lunch
    ]
    if case == "consecutive":
        assert r.placements[1].hour < r.placements[2].hour


def test_a_period_between_is_still_not_next_to(tmp_path: Path) -> None:
    # only the break is skipped: with a lesson period between them they are not adjacent
    rule, _, n = CASES["consecutive"]
    p = read_fet_bytes(
        _day_with_lunch(rule, ["3", "昼", "4", "5"], n).replace(
            b"</Time_Constraints_List>",
            b"<ConstraintActivityPreferredStartingTime><Weight_Percentage>100</Weight_Percentage>"
            b"<Activity_Id>2</Activity_Id><Preferred_Day>\xe6\x9c\x88</Preferred_Day>"
            b"<Preferred_Hour>5</Preferred_Hour><Permanently_Locked>true</Permanently_Locked>"
            b"<Active>true</Active></ConstraintActivityPreferredStartingTime></Time_Constraints_List>",
        )
    )
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert (r.placements[1].hour, r.placements[2].hour) == (2, 3)


MIN_DAYS_ADJACENT = (
    "<ConstraintMinDaysBetweenActivities><Weight_Percentage>0</Weight_Percentage>"
    "<Consecutive_If_Same_Day>true</Consecutive_If_Same_Day>"
    "<Number_of_Activities>{n}</Number_of_Activities>{ids}<MinDays>1</MinDays>"
    "<Active>true</Active></ConstraintMinDaysBetweenActivities>"
)


def test_min_days_same_day_lessons_are_not_adjacent_across_a_break(tmp_path: Path) -> None:
    p = read_fet_bytes(_day_with_lunch(MIN_DAYS_ADJACENT, ["3", "昼", "4"]))
    assert solve(p, time_limit=10).status == "infeasible"


@needs_fet
def test_fet_cl_agrees_min_days_does_not_skip_the_break(tmp_path: Path) -> None:
    src = tmp_path / "lunch.fet"
    src.write_bytes(_day_with_lunch(MIN_DAYS_ADJACENT, ["3", "昼", "4"]))
    assert not run_fet_cl(src, time_limit=3).success


@needs_fet
@pytest.mark.parametrize("case", list(CASES))
def test_fet_cl_accepts_lessons_across_the_break(case: str, tmp_path: Path) -> None:
    rule, hours, n = CASES[case]
    src = tmp_path / "lunch.fet"
    src.write_bytes(_day_with_lunch(rule, hours, n))
    p = read_fet_bytes(src.read_bytes())
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    out = tmp_path / "locked.fet"
    write_locked(src, p, r, out)
    ref = run_fet_cl(out, time_limit=10)
    assert ref.success, ref.message
