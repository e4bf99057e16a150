"""FET's virtual rooms (issue 12): a lesson in one takes a real room of each of its sets,
all different, so those real rooms are busy too (a class split over two labs).

Three labs; the virtual room 「理科分割」 is two of Lab1/Lab2 (sets {Lab1, Lab2} twice).
1組 is taught in it, 2組 in Lab1, 3組 in Lab2: 1組's lesson can share its period with
neither, so 2組 and 3組 share the other one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.timetable.generation.fet_build import Act, fet_file
from timetable.generation.fet import read_fet, read_fet_bytes, write_locked
from timetable.generation.referee import fet_cl_path, run_fet_cl
from timetable.generation.solver import solve

needs_fet = pytest.mark.skipif(
    fet_cl_path() is None, reason="fet-cl is not installed (apt-get install fet)"
)


def room(name: str) -> str:
    return (
        f"<Room><Name>{name}</Name><Building></Building><Capacity>40</Capacity>"
        "<Virtual>false</Virtual><Comments></Comments></Room>"
    )


def virtual(name: str, *sets: tuple[str, ...]) -> str:
    body = "".join(
        f"<Set_of_Real_Rooms><Number_of_Real_Rooms>{len(s)}</Number_of_Real_Rooms>"
        + "".join(f"<Real_Room>{r}</Real_Room>" for r in s)
        + "</Set_of_Real_Rooms>"
        for s in sets
    )
    return (
        f"<Room><Name>{name}</Name><Building></Building><Capacity>40</Capacity>"
        f"<Virtual>true</Virtual><Number_of_Sets_of_Real_Rooms>{len(sets)}"
        f"</Number_of_Sets_of_Real_Rooms>{body}<Comments></Comments></Room>"
    )


def in_room(aid: int, name: str, real: tuple[str, ...] = ()) -> str:
    named = (
        f"<Number_of_Real_Rooms>{len(real)}</Number_of_Real_Rooms>"
        + "".join(f"<Real_Room>{r}</Real_Room>" for r in real)
        if real
        else ""
    )
    return (
        "<ConstraintActivityPreferredRoom><Weight_Percentage>100</Weight_Percentage>"
        f"<Activity_Id>{aid}</Activity_Id><Room>{name}</Room>{named}"
        "<Permanently_Locked>false</Permanently_Locked><Active>true</Active>"
        "<Comments></Comments></ConstraintActivityPreferredRoom>"
    )


ROOMS = (
    room("Lab1")
    + room("Lab2")
    + room("Lab3")
    + virtual("理科分割", ("Lab1", "Lab2"), ("Lab1", "Lab2"))
)
ACTS = [Act(1, "田中", "1組", "理科"), Act(2, "鈴木", "2組", "理科"), Act(3, "佐藤", "3組", "理科")]
SPLIT = in_room(1, "理科分割") + in_room(2, "Lab1") + in_room(3, "Lab2")


def school(hours: int, space: str = SPLIT, time: str = "") -> bytes:
    return fet_file(["月"], [str(h) for h in range(1, hours + 1)], ACTS, time, space, rooms=ROOMS)


def test_a_virtual_room_is_read_with_its_sets_of_real_rooms() -> None:
    p = read_fet_bytes(school(2))
    assert not p.unsupported
    assert p.rooms["理科分割"].real_sets == (("Lab1", "Lab2"), ("Lab1", "Lab2"))
    assert p.rooms["理科分割"].virtual and not p.rooms["Lab1"].virtual


def test_a_lesson_in_a_virtual_room_keeps_its_real_rooms_busy() -> None:
    r = solve(read_fet_bytes(school(2)), time_limit=10)
    assert r.solved, r.reasons
    split, lab1, lab2 = r.placements[1], r.placements[2], r.placements[3]
    assert split.room == "理科分割"
    assert sorted(split.real_rooms) == ["Lab1", "Lab2"]  # one of each set, never twice
    assert lab1.hour == lab2.hour != split.hour


def test_a_virtual_room_holds_two_lessons_at_once_while_real_rooms_last() -> None:
    # as fet-cl does: the virtual room is not busy, only the real rooms each lesson takes
    rooms = ROOMS + room("Lab4") + virtual("二教室", ("Lab1", "Lab2"), ("Lab3", "Lab4"))
    both = in_room(1, "二教室") + in_room(2, "二教室")
    data = fet_file(["月"], ["1"], ACTS[:2], "", both, rooms=rooms)
    r = solve(read_fet_bytes(data), time_limit=10)
    assert r.solved, r.reasons
    taken = [*r.placements[1].real_rooms, *r.placements[2].real_rooms]
    assert sorted(taken) == ["Lab1", "Lab2", "Lab3", "Lab4"]
    # a third lesson finds no real room left
    three = fet_file(["月"], ["1"], ACTS, "", both + in_room(3, "二教室"), rooms=rooms)
    assert solve(read_fet_bytes(three), time_limit=10).status == "infeasible"


def test_one_period_for_the_split_class_and_a_lab_class_is_impossible() -> None:
    r = solve(read_fet_bytes(school(1)), time_limit=10)
    assert r.status == "infeasible"


def test_a_real_room_that_is_not_available_moves_the_virtual_rooms_lesson() -> None:
    closed = (
        "<ConstraintRoomNotAvailableTimes><Weight_Percentage>100</Weight_Percentage>"
        "<Room>Lab2</Room><Number_of_Not_Available_Times>1</Number_of_Not_Available_Times>"
        "<Not_Available_Time><Day>月</Day><Hour>1</Hour></Not_Available_Time>"
        "<Active>true</Active><Comments></Comments></ConstraintRoomNotAvailableTimes>"
    )
    r = solve(read_fet_bytes(school(2, in_room(1, "理科分割") + closed)), time_limit=10)
    assert r.solved, r.reasons
    assert r.placements[1].hour == 1  # the second period: Lab2 is closed in the first
    # and with 3組 in Lab2 too, Lab2 has one period for two lessons
    assert solve(read_fet_bytes(school(2, SPLIT + closed)), time_limit=10).status == "infeasible"


def test_the_real_rooms_a_file_names_are_the_ones_used() -> None:
    # sets {Lab1, Lab3} twice: the file placed 1組 in Lab3 and Lab1, in that order
    rooms = ROOMS + virtual("別室", ("Lab1", "Lab3"), ("Lab1", "Lab3"))
    space = in_room(1, "別室", ("Lab3", "Lab1"))
    data = fet_file(["月"], ["1"], ACTS[:1], "", space, rooms=rooms)
    r = solve(read_fet_bytes(data), time_limit=10)
    assert r.solved, r.reasons
    assert r.placements[1].real_rooms == ("Lab3", "Lab1")


@needs_fet
def test_fet_cl_accepts_the_locked_file_with_its_real_rooms(tmp_path: Path) -> None:
    src = tmp_path / "split.fet"
    src.write_bytes(school(2))
    p = read_fet(src)
    r = solve(p, time_limit=10)
    assert r.solved, r.reasons
    out = tmp_path / "locked.fet"
    write_locked(src, p, r, out)
    assert out.read_text(encoding="utf-8").count("<Real_Room>") == 4 + 2  # the sets, 1組's
    ref = run_fet_cl(out, time_limit=10)
    assert ref.success, ref.message
