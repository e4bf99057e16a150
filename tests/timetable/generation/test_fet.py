"""FET files in and out, ``solve_fet`` without a municipality, and fet-cl as the referee."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from timetable.generation.fet import FetError, read_fet, read_fet_bytes, write_locked
from timetable.generation.model import PreferredRooms, PreferredSlots, PreferredStarts
from timetable.generation.referee import fet_cl_path, run_fet_cl
from timetable.generation.solver import solve

from .fet_samples import tiny_school_fet

EXAMPLES = Path("/usr/share/doc/fet-data/examples/FET-5-official")
needs_fet = pytest.mark.skipif(
    fet_cl_path() is None, reason="fet-cl is not installed (apt-get install fet)"
)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.fet"
    path.write_text(tiny_school_fet(), encoding="utf-8")
    return path


def test_read_fet_builds_the_problem(tiny: Path) -> None:
    p = read_fet(tiny)
    assert p.days == ["月", "火", "水", "木", "金"]
    assert p.hours[4] == "昼"
    assert len(p.activities) == 28
    assert p.subgroups_of["1年"] == frozenset({"1組", "2組"})
    assert not p.unsupported
    rika = [a for a in p.activities if a.subject == "理科"]
    assert {a.duration for a in rika} == {2}
    # home rooms hold only activities of exactly that class, so 合同 体育 is not in 1組教室
    home = [c for c in p.constraints if isinstance(c, PreferredRooms) and c.home]
    pe = {a.id for a in p.activities if a.subject == "体育"}
    assert all(not set(c.activity_ids) & pe for c in home)


def test_unsupported_constraint_is_named(tiny: Path) -> None:
    text = tiny.read_text(encoding="utf-8").replace(
        "</Time_Constraints_List>",
        # (max span per day, then min resting hours, were the example until modelled)
        "<ConstraintTeachersMaxThreeConsecutiveDays><Weight_Percentage>100</Weight_Percentage>"
        "<Allow_A_Not_Available_Or_Break_Day>false</Allow_A_Not_Available_Or_Break_Day>"
        "<Active>true</Active></ConstraintTeachersMaxThreeConsecutiveDays></Time_Constraints_List>",
    )
    p = read_fet_bytes(text.encode())
    assert p.unsupported == {"ConstraintTeachersMaxThreeConsecutiveDays": 1}
    r = solve(p, time_limit=5)
    assert r.status == "unsupported"
    assert "ConstraintTeachersMaxThreeConsecutiveDays" in r.reasons[0]


def test_entities_and_garbage_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE fet [<!ENTITY a "aaaa">]><fet>&a;</fet>'
    with pytest.raises(FetError):
        read_fet_bytes(bomb)
    with pytest.raises(FetError):
        read_fet_bytes(b"not xml at all")
    with pytest.raises(FetError):
        read_fet_bytes(b"<html></html>")


def test_locked_output_fixes_every_activity(tiny: Path, tmp_path: Path) -> None:
    p = read_fet(tiny)
    r = solve(p, time_limit=20)
    assert r.solved, r.reasons
    out = tmp_path / "locked.fet"
    write_locked(tiny, p, r, out)
    text = out.read_text(encoding="utf-8")
    assert text.count("<ConstraintActivityPreferredStartingTime>") == 28
    assert text.count("<Permanently_Locked>true</Permanently_Locked>") == 28 + text.count(
        "<ConstraintActivityPreferredRoom>"
    )
    # every activity has a room here (subject rooms and home rooms cover all of them)
    assert text.count("<ConstraintActivityPreferredRoom>") == 28
    again = read_fet(out)
    assert len(again.activities) == 28
    locked = [
        c
        for c in again.constraints
        if isinstance(c, PreferredStarts) and c.hard and len(c.slots) == 1
    ]
    assert {c.activity_ids[0] for c in locked} == {a.id for a in p.activities}
    assert solve(again, time_limit=20).solved


def test_solve_fet_command_needs_no_database(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # not marked django_db: any query would fail this test
    out = tmp_path / "out.fet"
    call_command("solve_fet", str(tiny), "--out", str(out), "--time-limit", "20", "--seed", "3")
    printed = capsys.readouterr().out
    assert re.search(r"first_solution_seconds: \d+\.\d+", printed)
    assert re.search(r"soft_conflicts: [\d.]+", printed)
    assert out.exists()


def test_solve_fet_exit_codes(tiny: Path, tmp_path: Path) -> None:
    text = tiny.read_text(encoding="utf-8")
    unsupported = tmp_path / "unsupported.fet"
    unsupported.write_text(
        text.replace(
            "</Space_Constraints_List>",
            # a FET 6 rule Ai has no model of (room changes, not building changes)
            "<ConstraintStudentsSetMaxRoomChangesPerDay><Weight_Percentage>100</Weight_Percentage>"
            "<Students>1組</Students><Max_Room_Changes_Per_Day>1</Max_Room_Changes_Per_Day>"
            "<Active>true</Active></ConstraintStudentsSetMaxRoomChangesPerDay></Space_Constraints_List>",
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as e:
        call_command("solve_fet", str(unsupported), "--out", str(tmp_path / "x.fet"))
    assert e.value.returncode == 2
    # 田中 away all week: 8 lessons, 0 periods
    away = "".join(
        f"<Not_Available_Time><Day>{d}</Day><Hour>{h}</Hour></Not_Available_Time>"
        for d in "月火水木金"
        for h in "12345"
    )
    impossible = tmp_path / "impossible.fet"
    impossible.write_text(
        re.sub(
            r"<Number_of_Not_Available_Times>\d+</Number_of_Not_Available_Times>.*?<Active>",
            f"<Number_of_Not_Available_Times>25</Number_of_Not_Available_Times>{away}<Active>",
            text,
            count=1,
            flags=re.S,
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as e:
        call_command("solve_fet", str(impossible), "--out", str(tmp_path / "y.fet"))
    assert e.value.returncode == 1
    assert not (tmp_path / "y.fet").exists()


@needs_fet
def test_fet_cl_accepts_the_locked_tiny_school(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-locked.fet"
    call_command("solve_fet", str(tiny), "--out", str(out), "--time-limit", "20")
    ref = run_fet_cl(out, time_limit=20)
    assert ref.success, ref.message
    assert ref.seconds < 15


@needs_fet
@pytest.mark.parametrize(
    "example",
    [
        "Denmark/small-school.fet",
        "Brazil/2/EEBLJ-Noturno.fet",
        "United-Kingdom/Hopwood/Hopwood.fet",
    ],
)
def test_fet_examples_verified_by_fet_cl(example: str, tmp_path: Path) -> None:
    src = EXAMPLES / example
    if not src.exists():
        pytest.skip("FET examples are not installed (apt-get install fet-data)")
    out = tmp_path / "locked.fet"
    call_command("solve_fet", str(src), "--out", str(out), "--time-limit", "20")
    ref = run_fet_cl(out, time_limit=20)
    assert ref.success, ref.message
    assert ref.seconds < 15


def test_zero_weight_min_days_still_keeps_same_day_lessons_adjacent(tiny: Path) -> None:
    # FET enforces "consecutive if same day" whatever the weight of the min-days rule
    p0 = read_fet(tiny)
    pe = [a.id for a in p0.activities if a.subject == "体育"]
    ids = "".join(f"<Activity_Id>{i}</Activity_Id>" for i in pe)
    extra = (
        "<ConstraintMinDaysBetweenActivities><Weight_Percentage>0</Weight_Percentage>"
        "<Consecutive_If_Same_Day>true</Consecutive_If_Same_Day><Number_of_Activities>2</Number_of_Activities>"
        f"{ids}<MinDays>1</MinDays><Active>true</Active></ConstraintMinDaysBetweenActivities>"
        "<ConstraintActivitiesSameStartingDay><Weight_Percentage>100</Weight_Percentage>"
        f"<Number_of_Activities>2</Number_of_Activities>{ids}<Active>true</Active></ConstraintActivitiesSameStartingDay>"
    )
    text = tiny.read_text(encoding="utf-8")
    # drop the 95 % rule on the same pair so only the 0 % one speaks
    text, n = re.subn(
        r"<ConstraintMinDaysBetweenActivities>(?:(?!</ConstraintMinDaysBetweenActivities>).)*?"
        + re.escape(ids)
        + r".*?</ConstraintMinDaysBetweenActivities>",
        "",
        text,
        flags=re.S,
    )
    assert n == 1
    p = read_fet_bytes(
        text.replace("</Time_Constraints_List>", extra + "</Time_Constraints_List>").encode()
    )
    r = solve(p, time_limit=20)
    assert r.solved, r.reasons
    a, b = (r.placements[i] for i in pe)
    assert a.day == b.day
    assert abs(a.hour - b.hour) == 1


# --- how long the search goes on (a school waits seconds, and 取り消す stops it) ----------

PRIMARIA = EXAMPLES / "Spain" / "3-school" / "primaria.fet"


def _primaria():
    if not PRIMARIA.exists():
        pytest.skip("FET examples are not installed (apt-get install fet-data)")
    return read_fet(PRIMARIA)


def test_the_search_ends_when_the_preferences_stop_improving() -> None:
    """primaria's preferences cannot reach 0, so without patience the search uses the whole
    time limit; with it, the same soft total comes once the improvements stop."""
    problem = _primaria()
    r = solve(problem, time_limit=120, workers=2, seed=0, patience=1.0)
    assert r.solved
    assert r.soft_total > 0  # a search that could reach 0 would end by itself
    assert r.wall_seconds < 60  # far below the 120 s it was allowed


def test_a_cancel_stops_the_search() -> None:
    """``stop`` (the job's 取り消す) ends a 120 s search within seconds."""
    problem = _primaria()
    asked = []

    def stop() -> bool:
        asked.append(1)
        return True

    r = solve(problem, time_limit=120, workers=2, seed=0, stop=stop)
    assert asked  # the solver asked
    assert r.wall_seconds < 60


# --- a rule for a students set binds every lesson of its students -------------------------


def _with_students_rules(tiny: Path) -> bytes:
    """The tiny school with two rules named by a students set that no activity names itself:
    英語 (taught to 1組 and 2組) only in periods 1-2, by a rule for the year 1年; 体育 (taught
    to the year 1年) only in period 5, by a rule for the class 1組."""

    def rule(students: str, subject: str, pairs: list[tuple[str, str]]) -> str:
        slots = "".join(
            f"<Preferred_Time_Slot><Preferred_Day>{d}</Preferred_Day><Preferred_Hour>{h}</Preferred_Hour></Preferred_Time_Slot>"
            for d, h in pairs
        )
        return (
            "<ConstraintActivitiesPreferredTimeSlots><Weight_Percentage>100</Weight_Percentage>"
            f"<Teacher_Name></Teacher_Name><Students_Name>{students}</Students_Name><Subject_Name>{subject}</Subject_Name>"
            "<Activity_Tag_Name></Activity_Tag_Name><Duration></Duration>"
            f"<Number_of_Preferred_Time_Slots>{len(pairs)}</Number_of_Preferred_Time_Slots>{slots}"
            "<Active>true</Active><Comments></Comments></ConstraintActivitiesPreferredTimeSlots>"
        )

    days = ["火", "水", "木", "金"]
    extra = rule("1年", "英語", [(d, h) for d in days for h in ("1", "2")]) + rule(
        "1組", "体育", [(d, "5") for d in days]
    )
    text = tiny.read_text(encoding="utf-8")
    return text.replace("</Time_Constraints_List>", extra + "</Time_Constraints_List>").encode()


def test_a_students_set_rule_takes_the_lessons_of_related_sets(tiny: Path) -> None:
    # FET takes every activity whose students share a subgroup with the named set (a year's
    # rule binds its classes' lessons and a class's rule the year's); reading only the
    # activities that name the set itself dropped both rules, and fet-cl refused the
    # locked timetable ("has no allowed slot": shc-2013 of fet-data)
    p = read_fet_bytes(_with_students_rules(tiny))
    english = {a.id for a in p.activities if a.subject == "英語"}
    pe = {a.id for a in p.activities if a.subject == "体育"}
    rules = [c for c in p.constraints if isinstance(c, PreferredSlots)]
    assert {frozenset(c.activity_ids) for c in rules} >= {frozenset(english), frozenset(pe)}
    r = solve(p, time_limit=20)
    assert r.solved, r.reasons
    assert all(p.hours[r.placements[i].hour] in ("1", "2") for i in english)
    assert all(p.hours[r.placements[i].hour] == "5" for i in pe)


@needs_fet
def test_fet_cl_accepts_the_locked_students_set_rules(tiny: Path, tmp_path: Path) -> None:
    data = _with_students_rules(tiny)
    p = read_fet_bytes(data)
    r = solve(p, time_limit=20)
    assert r.solved, r.reasons
    out = tmp_path / "locked.fet"
    write_locked(data, p, r, out)
    ref = run_fet_cl(out, time_limit=20)
    assert ref.success, ref.message
    assert ref.seconds < 15
