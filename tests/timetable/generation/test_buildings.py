"""FET's building rules and its rules on the rooms of several activities (issue 12).

Each small problem is one the rule decides: a hard rule's timetable never breaks it (or
the problem is said impossible), a soft rule costs what FET's own soft-conflict measure
says (fet-cl checks a locked file and prints the same total).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from timetable.generation.fet import read_fet, read_fet_bytes, write_locked
from timetable.generation.model import (
    Activity,
    BreakTimes,
    Constraint,
    MaxBuildingChanges,
    MaxDifferentRooms,
    MinGapsBetweenBuildingChanges,
    PreferredRooms,
    Problem,
    Result,
    Room,
    SameRoomIfConsecutive,
    SameStart,
)
from timetable.generation.referee import fet_cl_path, run_fet_cl
from timetable.generation.solver import solve

EXAMPLES = Path("/usr/share/doc/fet-data/examples/FET-5-official")
needs_fet = pytest.mark.skipif(
    fet_cl_path() is None, reason="fet-cl is not installed (apt-get install fet)"
)

ROOMS = {
    "A1": Room("A1", 0, "本館"),
    "A2": Room("A2", 0, "本館"),
    "B1": Room("B1", 0, "別館"),
    "B2": Room("B2", 0, "別館"),
    "C1": Room("C1", 0, "体育館棟"),
    "X": Room("X", 0, ""),  # a room in no building
}


def lessons(
    rooms: list[str | tuple[str, ...]],
    days: int = 1,
    hours: int = 3,
    constraints: list[Constraint] | None = None,
    teacher: str = "田中",
    students: str = "1年",
) -> Problem:
    """One teacher and one class; lesson i may use ``rooms[i]`` (a room or a choice)."""
    acts, rules = [], list(constraints or [])
    for i, r in enumerate(rooms, start=1):
        acts.append(Activity(i, 1, (teacher,), f"科目{i}", (), (students,)))
        rules.append(PreferredRooms(100, (i,), (r,) if isinstance(r, str) else r))
    return Problem(
        days=["月", "火", "水"][:days],
        hours=[str(h + 1) for h in range(hours)],
        activities=acts,
        teachers=[teacher],
        rooms=dict(ROOMS),
        subgroups_of={"1年": frozenset({"1組", "2組"})},
        constraints=rules,
    )


def day_order(p: Problem, r: Result) -> dict[int, list[str]]:
    """Per day: the rooms' buildings in the order of the periods."""
    out: dict[int, list[tuple[int, str]]] = {}
    for pl in r.placements.values():
        out.setdefault(pl.day, []).append((pl.hour, p.rooms[pl.room].building))  # type: ignore[index]
    return {d: [b for _, b in sorted(v)] for d, v in out.items()}


def changes(seq: list[str]) -> int:
    seq = [b for b in seq if b]
    return sum(1 for x, y in zip(seq, seq[1:], strict=False) if x != y)


# --- max building changes ----------------------------------------------------------------


def test_no_building_change_puts_each_building_on_its_own_day() -> None:
    rule = MaxBuildingChanges(100, "teacher", ("田中",), None, 0, "day")
    p = lessons(["A1", "B1", "A2", "B2"], days=2, constraints=[rule])
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert all(changes(seq) == 0 for seq in day_order(p, r).values())


def test_no_building_change_in_one_day_is_impossible() -> None:
    rule = MaxBuildingChanges(100, "teacher", (), None, 0, "day")
    r = solve(lessons(["A1", "B1"], constraints=[rule]), time_limit=10)
    assert r.status == "infeasible"
    assert any("校舎の移動回数の上限" in x for x in r.reasons)


def test_a_room_choice_follows_the_building_rule() -> None:
    # the middle lesson may go to either building: only 本館 keeps the day to one change
    rule = MaxBuildingChanges(100, "students", ("1年",), None, 1, "day")
    p = lessons(["A1", ("A2", "B2"), "B1"], constraints=[rule])
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert changes(day_order(p, r)[0]) <= 1


def test_a_lesson_without_building_is_not_a_change() -> None:
    # A, X (no building), A: no change; FET walks past the lesson without a building
    rule = MaxBuildingChanges(100, "teacher", ("田中",), None, 0, "day")
    r = solve(lessons(["A1", "X", "A2"], constraints=[rule]), time_limit=10)
    assert r.solved, r.reasons


@pytest.mark.parametrize(
    ("per", "most", "weight", "cost"),
    [
        ("day", 0, 50, 1.0),  # 本館→別館→本館: two changes over 0, at 50 %
        ("day", 1, 50, 0.5),
        ("week", 1, 80, 0.8),
        ("week", 2, 80, 0.0),
    ],
)
def test_soft_building_changes_cost_what_fet_counts(
    per: str, most: int, weight: float, cost: float
) -> None:
    rule = MaxBuildingChanges(weight, "teacher", ("田中",), None, most, per)  # type: ignore[arg-type]
    r = solve(lessons(["A1", "B1", "C1"], constraints=[rule]), time_limit=10)
    assert r.solved, r.reasons
    assert r.soft_total == pytest.approx(cost)


def test_a_student_set_rule_counts_every_subgroup() -> None:
    # 1年 has two subgroups (1組, 2組) in the same lessons: FET counts the change twice
    rule = MaxBuildingChanges(50, "students", ("1年",), None, 0, "day")
    r = solve(lessons(["A1", "B1"], hours=2, constraints=[rule]), time_limit=10)
    assert r.solved, r.reasons
    assert r.soft_total == pytest.approx(1.0)


# --- min gaps between building changes -----------------------------------------------------


def test_min_gaps_keeps_a_free_period_before_another_building() -> None:
    rule = MinGapsBetweenBuildingChanges(100, "teacher", (), None, 1)
    p = lessons(["A1", "B1"], hours=3, constraints=[rule])
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert abs(r.placements[1].hour - r.placements[2].hour) >= 2


def test_a_break_counts_as_the_gap() -> None:
    rule = MinGapsBetweenBuildingChanges(100, "teacher", ("田中",), None, 1)
    p = lessons(["A1", "B1"], hours=3, constraints=[rule, BreakTimes(100, frozenset({(0, 1)}))])
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert {r.placements[1].hour, r.placements[2].hour} == {0, 2}


def test_min_gaps_without_room_for_a_gap_is_impossible_or_costs() -> None:
    hard = MinGapsBetweenBuildingChanges(100, "teacher", ("田中",), None, 1)
    assert solve(lessons(["A1", "B1"], hours=2, constraints=[hard]), time_limit=10).status == (
        "infeasible"
    )
    soft = MinGapsBetweenBuildingChanges(70, "students", (), None, 2)
    # 本館, 本館, 別館 in three periods: one change right after a lesson, for two subgroups
    r = solve(lessons(["A1", "A2", "B1"], constraints=[soft]), time_limit=10)
    assert r.solved
    assert r.soft_total == pytest.approx(1.4)


# --- same room if consecutive ----------------------------------------------------------


def test_consecutive_lessons_get_the_same_room() -> None:
    rule = SameRoomIfConsecutive(100, (1, 2))
    p = lessons([("A1", "B1"), ("A2", "B1")], hours=2, constraints=[rule])
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert r.placements[1].room == r.placements[2].room == "B1"


def test_same_room_if_consecutive_apart_or_impossible() -> None:
    rule = SameRoomIfConsecutive(100, (1, 2))
    p = lessons(["A1", "A2"], hours=3, constraints=[rule])
    r = solve(p, time_limit=10)
    assert r.solved
    assert abs(r.placements[1].hour - r.placements[2].hour) == 2  # never next to each other
    assert solve(lessons(["A1", "A2"], hours=2, constraints=[rule]), time_limit=10).status == (
        "infeasible"
    )
    soft = SameRoomIfConsecutive(60, (1, 2, 3))
    # three lessons in three rooms, three periods: two pairs follow each other
    r = solve(lessons(["A1", "A2", "B1"], constraints=[soft]), time_limit=10)
    assert r.soft_total == pytest.approx(1.2)


# --- occupy max different rooms ----------------------------------------------------------


def test_max_different_rooms_one_room_for_all() -> None:
    rule = MaxDifferentRooms(100, (1, 2, 3), 1)
    p = lessons([("A1", "B1"), ("A2", "B1"), ("B1", "B2")], constraints=[rule])
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    assert {pl.room for pl in r.placements.values()} == {"B1"}


def test_max_different_rooms_impossible_or_costs_once() -> None:
    # three lessons of three classes at the same time cannot share one room
    acts = [Activity(i, 1, (f"T{i}",), "s", (), (f"{i}組",)) for i in (1, 2, 3)]
    rules: list[Constraint] = [
        PreferredRooms(100, (1, 2, 3), ("A1", "A2", "B1")),
        SameStart(100, (1, 2, 3)),
    ]
    p = Problem(["月"], ["1", "2"], acts, rooms=dict(ROOMS), constraints=rules)
    hard = Problem(**{**p.__dict__, "constraints": [*rules, MaxDifferentRooms(100, (1, 2, 3), 2)]})
    assert solve(hard, time_limit=10).status == "infeasible"
    soft = Problem(**{**p.__dict__, "constraints": [*rules, MaxDifferentRooms(40, (1, 2, 3), 1)]})
    r = solve(soft, time_limit=10)
    assert r.solved
    assert r.soft_total == pytest.approx(0.4)  # FET: broken once, however many rooms over


def test_no_common_room_is_said_before_solving() -> None:
    rule = MaxDifferentRooms(100, (1, 2), 1)
    r = solve(lessons(["A1", "B1"], constraints=[rule]), time_limit=10)
    assert r.status == "infeasible"
    assert "共通の教室がありません" in " ".join(r.reasons)


# --- FET XML -------------------------------------------------------------------------------


def fet_file(
    space_rules: str, rooms: list[tuple[str, str]], acts: list[tuple[int, str]], hours: int = 3
) -> str:
    """One teacher, one year of two subgroups, 1 day × ``hours``; ``acts``: (id, rooms
    separated by spaces)."""
    room_xml = "".join(
        f"<Room><Name>{r}</Name><Building>{b}</Building><Capacity>30000</Capacity>"
        "<Virtual>false</Virtual><Comments></Comments></Room>"
        for r, b in rooms
    )
    act_xml = "".join(
        f"<Activity><Teacher>田中</Teacher><Subject>国語</Subject><Students>1年</Students>"
        f"<Duration>1</Duration><Total_Duration>1</Total_Duration><Id>{i}</Id>"
        "<Activity_Group_Id>0</Activity_Group_Id><Active>true</Active><Comments></Comments>"
        "</Activity>"
        for i, _ in acts
    )
    pref_xml = "".join(
        "<ConstraintActivityPreferredRooms><Weight_Percentage>100</Weight_Percentage>"
        f"<Activity_Id>{i}</Activity_Id><Number_of_Preferred_Rooms>{len(r.split())}"
        "</Number_of_Preferred_Rooms>"
        + "".join(f"<Preferred_Room>{x}</Preferred_Room>" for x in r.split())
        + "<Active>true</Active><Comments></Comments></ConstraintActivityPreferredRooms>"
        for i, r in acts
    )
    buildings = "".join(
        f"<Building><Name>{b}</Name><Comments></Comments></Building>" for b in {b for _, b in rooms}
    )
    hour_xml = "".join(f"<Hour><Name>{h + 1}</Name></Hour>" for h in range(hours))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<fet version="6.8.5"><Institution_Name>t</Institution_Name><Comments></Comments>
<Days_List><Number_of_Days>1</Number_of_Days><Day><Name>月</Name></Day></Days_List>
<Hours_List><Number_of_Hours>{hours}</Number_of_Hours>{hour_xml}</Hours_List>
<Subjects_List><Subject><Name>国語</Name><Comments></Comments></Subject></Subjects_List>
<Activity_Tags_List></Activity_Tags_List>
<Teachers_List><Teacher><Name>田中</Name><Target_Number_of_Hours>0</Target_Number_of_Hours><Qualified_Subjects></Qualified_Subjects><Comments></Comments></Teacher></Teachers_List>
<Students_List><Year><Name>1年</Name><Number_of_Students>0</Number_of_Students><Comments></Comments><Number_of_Categories>0</Number_of_Categories><Separator> </Separator>
<Group><Name>1組</Name><Number_of_Students>0</Number_of_Students><Comments></Comments></Group>
<Group><Name>2組</Name><Number_of_Students>0</Number_of_Students><Comments></Comments></Group></Year></Students_List>
<Activities_List>{act_xml}</Activities_List>
<Buildings_List>{buildings}</Buildings_List>
<Rooms_List>{room_xml}</Rooms_List>
<Time_Constraints_List><ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active><Comments></Comments></ConstraintBasicCompulsoryTime></Time_Constraints_List>
<Space_Constraints_List><ConstraintBasicCompulsorySpace><Weight_Percentage>100</Weight_Percentage><Active>true</Active><Comments></Comments></ConstraintBasicCompulsorySpace>
{pref_xml}{space_rules}</Space_Constraints_List>
</fet>
"""


def rule(tag: str, weight: float, **fields: object) -> str:
    body = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<{tag}><Weight_Percentage>{weight:g}</Weight_Percentage>{body}<Active>true</Active><Comments></Comments></{tag}>"


ROOMS_XML = [("A1", "本館"), ("A2", "本館"), ("B1", "別館")]
ACTS_XML = [(1, "A1"), (2, "B1"), (3, "A2")]


def test_every_new_rule_type_is_read() -> None:
    ids = "<Number_of_Activities>2</Number_of_Activities><Activity_Id>1</Activity_Id><Activity_Id>2</Activity_Id>"
    rules = "".join(
        [
            rule(
                "ConstraintTeacherMaxBuildingChangesPerDay",
                100,
                Teacher="田中",
                Max_Building_Changes_Per_Day=1,
            ),
            rule("ConstraintTeachersMaxBuildingChangesPerDay", 90, Max_Building_Changes_Per_Day=2),
            rule(
                "ConstraintTeacherMaxBuildingChangesPerWeek",
                100,
                Teacher="田中",
                Max_Building_Changes_Per_Week=3,
            ),
            rule(
                "ConstraintTeachersMaxBuildingChangesPerWeek", 100, Max_Building_Changes_Per_Week=4
            ),
            rule(
                "ConstraintTeacherMinGapsBetweenBuildingChanges",
                100,
                Teacher="田中",
                Min_Gaps_Between_Building_Changes=1,
            ),
            rule(
                "ConstraintTeachersMinGapsBetweenBuildingChanges",
                100,
                Min_Gaps_Between_Building_Changes=2,
            ),
            rule(
                "ConstraintStudentsSetMaxBuildingChangesPerDay",
                100,
                Students="1組",
                Max_Building_Changes_Per_Day=1,
            ),
            rule("ConstraintStudentsMaxBuildingChangesPerDay", 100, Max_Building_Changes_Per_Day=1),
            rule(
                "ConstraintStudentsSetMaxBuildingChangesPerWeek",
                100,
                Students="1年",
                Max_Building_Changes_Per_Week=5,
            ),
            rule(
                "ConstraintStudentsMaxBuildingChangesPerWeek", 100, Max_Building_Changes_Per_Week=6
            ),
            rule(
                "ConstraintStudentsSetMinGapsBetweenBuildingChanges",
                100,
                Students="2組",
                Min_Gaps_Between_Building_Changes=1,
            ),
            rule(
                "ConstraintStudentsMinGapsBetweenBuildingChanges",
                100,
                Min_Gaps_Between_Building_Changes=3,
            ),
            f"<ConstraintActivitiesSameRoomIfConsecutive><Weight_Percentage>95</Weight_Percentage>{ids}<Active>true</Active></ConstraintActivitiesSameRoomIfConsecutive>",
            f"<ConstraintActivitiesOccupyMaxDifferentRooms><Weight_Percentage>100</Weight_Percentage>{ids}<Max_Number_of_Different_Rooms>1</Max_Number_of_Different_Rooms><Active>true</Active></ConstraintActivitiesOccupyMaxDifferentRooms>",
        ]
    )
    p = read_fet_bytes(fet_file(rules, ROOMS_XML, ACTS_XML).encode())
    assert not p.unsupported
    assert p.rooms["B1"].building == "別館"
    got = [c for c in p.constraints if not isinstance(c, PreferredRooms)]
    assert got == [
        MaxBuildingChanges(100, "teacher", ("田中",), None, 1, "day"),
        MaxBuildingChanges(90, "teacher", (), None, 2, "day"),
        MaxBuildingChanges(100, "teacher", ("田中",), None, 3, "week"),
        MaxBuildingChanges(100, "teacher", (), None, 4, "week"),
        MinGapsBetweenBuildingChanges(100, "teacher", ("田中",), None, 1),
        MinGapsBetweenBuildingChanges(100, "teacher", (), None, 2),
        MaxBuildingChanges(100, "students", ("1組",), None, 1, "day"),
        MaxBuildingChanges(100, "students", (), None, 1, "day"),
        MaxBuildingChanges(100, "students", ("1年",), None, 5, "week"),
        MaxBuildingChanges(100, "students", (), None, 6, "week"),
        MinGapsBetweenBuildingChanges(100, "students", ("2組",), None, 1),
        MinGapsBetweenBuildingChanges(100, "students", (), None, 3),
        SameRoomIfConsecutive(95, (1, 2)),
        MaxDifferentRooms(100, (1, 2), 1),
    ]


SAME_ROOM = (
    "<ConstraintActivitiesSameRoomIfConsecutive><Weight_Percentage>{w}</Weight_Percentage>"
    "<Number_of_Activities>3</Number_of_Activities><Activity_Id>1</Activity_Id>"
    "<Activity_Id>2</Activity_Id><Activity_Id>3</Activity_Id><Active>true</Active>"
    "</ConstraintActivitiesSameRoomIfConsecutive>"
)
MAX_ROOMS = (
    "<ConstraintActivitiesOccupyMaxDifferentRooms><Weight_Percentage>{w}</Weight_Percentage>"
    "<Number_of_Activities>2</Number_of_Activities><Activity_Id>1</Activity_Id>"
    "<Activity_Id>3</Activity_Id><Max_Number_of_Different_Rooms>1</Max_Number_of_Different_Rooms>"
    "<Active>true</Active></ConstraintActivitiesOccupyMaxDifferentRooms>"
)


@needs_fet
@pytest.mark.parametrize(
    ("rules", "hours"),
    [
        # 4 periods: 本館, 本館, a free period, 別館 (or the reverse) is the only way
        (
            rule("ConstraintTeachersMaxBuildingChangesPerDay", 100, Max_Building_Changes_Per_Day=1)
            + rule(
                "ConstraintStudentsMinGapsBetweenBuildingChanges",
                100,
                Min_Gaps_Between_Building_Changes=1,
            ),
            4,
        ),
        (
            rule(
                "ConstraintTeacherMaxBuildingChangesPerWeek",
                100,
                Teacher="田中",
                Max_Building_Changes_Per_Week=1,
            )
            + rule(
                "ConstraintStudentsSetMaxBuildingChangesPerDay",
                100,
                Students="1年",
                Max_Building_Changes_Per_Day=1,
            ),
            3,
        ),
        # rooms chosen by Ai: 1 and 3 share one (A1); 2 cannot, so it keeps apart
        (SAME_ROOM.format(w=100) + MAX_ROOMS.format(w=100), 4),
    ],
    ids=["changes-and-gaps", "per-week", "rooms"],
)
def test_fet_cl_accepts_the_locked_file(rules: str, hours: int, tmp_path: Path) -> None:
    acts = ACTS_XML if "Building" in rules else [(1, "A1 B1"), (2, "A2 B1"), (3, "A1 A2")]
    src = tmp_path / "in.fet"
    src.write_text(fet_file(rules, ROOMS_XML, acts, hours), encoding="utf-8")
    p = read_fet(src)
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    out = tmp_path / "locked.fet"
    write_locked(src, p, r, out)
    text = out.read_text(encoding="utf-8")
    # the rules stay in the locked file, so fet-cl checks them
    for tag in ("BuildingChanges", "SameRoomIfConsecutive", "OccupyMaxDifferentRooms"):
        assert text.count(tag) == src.read_text(encoding="utf-8").count(tag)
    ref = run_fet_cl(out, time_limit=10)
    assert ref.success, ref.message
    if "Occupy" in rules:
        assert r.placements[1].room == r.placements[3].room


@needs_fet
def test_fet_cl_takes_these_rules_only_at_100_percent(tmp_path: Path) -> None:
    # fet-cl 6.8.5 refuses the file ("weight under 100%"): Ai prices a soft one by FET's own
    # measure (the tests above), but no FET run can referee it
    src = tmp_path / "soft.fet"
    src.write_text(fet_file(SAME_ROOM.format(w=90), ROOMS_XML, ACTS_XML), encoding="utf-8")
    assert "refuses" in run_fet_cl(src, time_limit=5).message


@needs_fet
def test_fet_example_with_a_building_rule_verified_by_fet_cl(tmp_path: Path) -> None:
    # Corfu's exam timetable: teachers never change building in a day (86 activities)
    src = EXAMPLES / "Greece/Corfu/THE-2008-2009-exams-sep.fet"
    if not src.exists():
        pytest.skip("FET examples are not installed (apt-get install fet-data)")
    p = read_fet(src)
    assert not p.unsupported
    r = solve(p, time_limit=10, stop_at_first=True)
    assert r.solved, r.reasons
    out = tmp_path / "locked.fet"
    write_locked(src, p, r, out)
    ref = run_fet_cl(out, time_limit=20)
    assert ref.success, ref.message


BREAK = (
    "<ConstraintBreakTimes><Weight_Percentage>100</Weight_Percentage>"
    "<Number_of_Break_Times>1</Number_of_Break_Times><Break_Time><Day>月</Day><Hour>2</Hour>"
    "</Break_Time><Active>true</Active><Comments></Comments></ConstraintBreakTimes>"
)


@needs_fet
def test_a_break_separates_lessons_for_the_room_rules_as_in_fet(tmp_path: Path) -> None:
    # periods 1, (break), 3: the two lessons are not "consecutive" (fet-cl accepts them in
    # two rooms), but the break does not hide a change of building (fet-cl finds nothing)
    same = SAME_ROOM.format(w=100).replace("<Activity_Id>3</Activity_Id>", "")
    same = same.replace("<Number_of_Activities>3<", "<Number_of_Activities>2<")
    text = fet_file(same, ROOMS_XML, [(1, "A1"), (2, "B1")]).replace(
        "</ConstraintBasicCompulsoryTime>", "</ConstraintBasicCompulsoryTime>" + BREAK
    )
    src = tmp_path / "break.fet"
    src.write_text(text, encoding="utf-8")
    p = read_fet(src)
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    write_locked(src, p, r, tmp_path / "locked.fet")
    assert run_fet_cl(tmp_path / "locked.fet", time_limit=10).success
    no_change = rule(
        "ConstraintTeachersMaxBuildingChangesPerDay", 100, Max_Building_Changes_Per_Day=0
    )
    src.write_text(text.replace(same, no_change), encoding="utf-8")
    assert solve(read_fet(src), time_limit=10).status == "infeasible"
    assert not run_fet_cl(src, time_limit=3).success


def fet_changes(day: list[str]) -> int:
    """FET's count of building changes in one day ("" = no lesson, or none in a building)."""
    last, n = "", 0
    for bl in day:
        if bl:
            n += bool(last and bl != last)
            last = bl
    return n


def fet_close_changes(day: list[str], gaps: int) -> int:
    """FET's count of changes after fewer than ``gaps`` periods without a building."""
    at = [h for h, bl in enumerate(day) if bl]
    return sum(1 for i, j in zip(at, at[1:], strict=False) if day[i] != day[j] and j - i - 1 < gaps)


@pytest.mark.parametrize("seed", range(2))
def test_the_soft_cost_is_fets_count_at_its_best(seed: int) -> None:
    # small days with lessons in random buildings: Ai's cost is FET's count of its own
    # timetable and the least count over every order of the lessons
    rnd = random.Random(seed)
    for _ in range(6):
        hours, n = rnd.randint(3, 5), rnd.randint(2, 4)
        n = min(n, hours)
        rooms = [rnd.choice(["A1", "B1", "C1", "X"]) for _ in range(n)]
        most, gaps = rnd.randint(0, 2), rnd.randint(1, 2)
        if rnd.random() < 0.5:
            rule_: Constraint = MaxBuildingChanges(50, "teacher", (), None, most, "day")

            def cost(day: list[str], most: int = most) -> int:
                return max(0, fet_changes(day) - most)
        else:
            rule_ = MinGapsBetweenBuildingChanges(50, "teacher", ("田中",), None, gaps)

            def cost(day: list[str], gaps: int = gaps) -> int:
                return fet_close_changes(day, gaps)

        p = lessons(list(rooms), hours=hours, constraints=[rule_])
        best = min(
            cost(
                [
                    next((ROOMS[rooms[i]].building for i, x in enumerate(hs) if x == h), "")
                    for h in range(hours)
                ]
            )
            for hs in itertools.permutations(range(hours), n)
        )
        r = solve(p, time_limit=10)
        day = [""] * hours
        for pl in r.placements.values():
            day[pl.hour] = ROOMS[pl.room].building  # type: ignore[index]
        assert r.soft_total == pytest.approx(0.5 * cost(day)) == 0.5 * best, (rooms, rule_)


@needs_fet
def test_the_locked_file_names_a_room_as_the_file_spells_it(tmp_path: Path) -> None:
    # FET does not trim names: " A1" is not "A1" (stjosephemhss has a room " 9 B")
    text = fet_file("", ROOMS_XML, ACTS_XML).replace("<Name>A1</Name>", "<Name> A1</Name>")
    text = text.replace(
        "<Preferred_Room>A1</Preferred_Room>", "<Preferred_Room> A1</Preferred_Room>"
    )
    src = tmp_path / "spaced.fet"
    src.write_text(text, encoding="utf-8")
    p = read_fet(src)
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    write_locked(src, p, r, tmp_path / "locked.fet")
    assert "<Room> A1</Room>" in (tmp_path / "locked.fet").read_text(encoding="utf-8")
    ref = run_fet_cl(tmp_path / "locked.fet", time_limit=10)
    assert ref.success, ref.message
