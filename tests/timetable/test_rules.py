"""Pure timetable rules: clashes, daily changes, substitutes, class hours (no database).

Expected values are counted by hand from small calendars (two school weeks of April
2027 start on Monday 12 April; 29 February 2028 is a Tuesday).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from timetable import national
from timetable.rules import (
    Add,
    Assignment,
    BellPeriod,
    BellSchedule,
    Cancel,
    ClashKind,
    ClassInfo,
    Event,
    Group,
    Lesson,
    LessonStatus,
    Move,
    Names,
    Part,
    Room,
    SchoolDay,
    SelfStudy,
    SetBell,
    Substitute,
    SwapPeriods,
    SwapWeekday,
    Timetable,
    clashes,
    day_lessons,
    format_hours,
    hours_tally,
    lesson_units,
    placed_vs_assigned,
    slot_label,
    suggest_substitutes,
    timetable_on,
)

MON, TUE, WED, THU, FRI, SAT = range(6)
A, B, C, D = "1-1", "1-2", "1-3", "2-1"
SN = "特支1"  # a special-needs class
NAMES = Names(
    teachers={"yamada": "山田", "sato": "佐藤", "suzuki": "鈴木", "tanaka": "田中", "ito": "伊藤"},
    classes={A: "1年1組", B: "1年2組", C: "1年3組", D: "2年1組", SN: "特別支援1組"},
    rooms={"gym": "体育館", "sci": "理科室", "mus": "音楽室"},
    schools={"east": "東中学校"},
)
GYM = Room("gym", "体育館", capacity=2)
SCI = Room("sci", "理科室")
ROOMS = {"gym": GYM, "sci": SCI}


def cls(c: str) -> Group:
    return Group.of_class(c)


def lesson(wd: int, p: int, who: str | Group, subject: str, *teachers: str, **kw) -> Lesson:
    group = who if isinstance(who, Group) else cls(who)
    return Lesson(wd, p, group, subject, tuple(teachers), **kw)


def kinds(found) -> list[tuple[ClashKind, int, int]]:
    return [(c.kind, c.weekday, c.period) for c in found]


def t(hh: int, mm: int) -> dt.time:
    return dt.time(hh, mm)


# 8:30-8:45 a morning module slot (0), then six 45-minute periods.
NORMAL = BellSchedule(
    "normal",
    (
        BellPeriod(0, t(8, 30), t(8, 45)),
        BellPeriod(1, t(8, 50), t(9, 35)),
        BellPeriod(2, t(9, 45), t(10, 30)),
        BellPeriod(3, t(10, 50), t(11, 35)),
        BellPeriod(4, t(11, 45), t(12, 30)),
        BellPeriod(5, t(13, 30), t(14, 15)),
        BellPeriod(6, t(14, 25), t(15, 10)),
    ),
    "通常日課",
)
# A short day: four periods of 40 minutes.
SHORT = BellSchedule(
    "short",
    (
        BellPeriod(1, t(8, 50), t(9, 30)),
        BellPeriod(2, t(9, 40), t(10, 20)),
        BellPeriod(3, t(10, 35), t(11, 15)),
        BellPeriod(4, t(11, 25), t(12, 5)),
    ),
    "短縮日課",
)
BELLS = {"normal": NORMAL, "short": SHORT}


# --- clashes ---------------------------------------------------------------------------------


def test_a_clean_timetable_has_no_clash() -> None:
    week = [
        lesson(MON, 1, A, "国語", "yamada"),
        lesson(MON, 1, B, "算数", "sato"),
        lesson(MON, 2, A, "算数", "yamada"),
        lesson(MON, 2, B, "国語", "sato"),
    ]
    assert clashes(week, rooms=ROOMS) == []
    assert clashes([]) == []


def test_a_teacher_in_two_places() -> None:
    week = [
        lesson(MON, 1, A, "国語", "yamada"),
        lesson(MON, 1, B, "国語", "yamada"),
        lesson(MON, 2, B, "国語", "yamada"),
    ]
    found = clashes(week, names=NAMES)
    assert kinds(found) == [(ClashKind.TEACHER, MON, 1)]
    assert found[0].who == "yamada"
    assert found[0].message == (
        "月曜1校時: 山田先生が2つの授業に入っています（1年1組 国語、1年2組 国語）"
    )
    assert found[0].lessons == (week[0], week[1])


def test_team_teaching_is_one_lesson_with_two_teachers() -> None:
    tt = lesson(TUE, 3, A, "算数", "yamada", "sato")
    assert clashes([tt]) == []
    # The same teacher listed twice is still one place.
    assert clashes([lesson(TUE, 3, A, "算数", "yamada", "yamada")]) == []
    # The second TT teacher is also given another class: only they clash.
    found = clashes([tt, lesson(TUE, 3, B, "国語", "sato")])
    assert [(c.kind, c.who) for c in found] == [(ClashKind.TEACHER, "sato")]


def test_a_class_with_two_lessons_at_once() -> None:
    found = clashes(
        [lesson(WED, 4, A, "国語", "yamada"), lesson(WED, 4, A, "音楽", "sato")], names=NAMES
    )
    assert kinds(found) == [(ClashKind.CLASS, WED, 4)]
    assert (
        found[0].message
        == "水曜4校時: 1年1組に2つの授業が重なっています（1年1組 国語、1年1組 音楽）"
    )


def test_two_halves_of_a_split_class_at_the_same_time_are_fine() -> None:
    half_a = Group.section([A], "習熟度", "A", key="g-a")
    half_b = Group.section([A], "習熟度", "B", key="g-b")
    week = [
        lesson(MON, 2, half_a, "数学", "yamada", room="r1"),
        lesson(MON, 2, half_b, "数学", "sato", room="r2"),
    ]
    assert clashes(week) == []
    # ... but not with a lesson of the whole class,
    whole = lesson(MON, 2, A, "国語", "suzuki")
    assert kinds(clashes([*week, whole])) == [(ClashKind.CLASS, MON, 2)]
    assert len(clashes([*week, whole])[0].lessons) == 3
    # nor with a section of another division (a pupil of 習熟度A may be a boy),
    boys = Group.section([A], "男女", "男子")
    assert kinds(clashes([week[0], lesson(MON, 2, boys, "保健体育", "suzuki")])) == [
        (ClashKind.CLASS, MON, 2)
    ]
    # nor twice the same section.
    again = lesson(MON, 2, Group.section([A], "習熟度", "A"), "英語", "suzuki")
    assert kinds(clashes([week[0], again])) == [(ClashKind.CLASS, MON, 2)]


def test_technology_and_home_economics_in_parallel_halves_across_two_classes() -> None:
    tech = Group.section([A, B], "技家", "技術", key="tech")
    home = Group.section([A, B], "技家", "家庭", key="home")
    week = [
        lesson(THU, 5, tech, "技術・家庭", "tanaka", room="tech-room"),
        lesson(THU, 5, home, "技術・家庭", "ito", room="home-room"),
    ]
    assert clashes(week) == []
    # Class 1-2 has no other lesson then; 1-3 may.
    assert clashes([*week, lesson(THU, 5, C, "国語", "yamada")]) == []
    found = clashes([*week, lesson(THU, 5, B, "国語", "yamada")])
    assert [(c.kind, c.who, len(c.lessons)) for c in found] == [(ClashKind.CLASS, B, 3)]


def test_merged_classes_clash_for_the_class_that_has_another_lesson() -> None:
    merged = Group.merged([A, B], key="pe-12", name="1年1・2組合同")
    week = [lesson(FRI, 3, merged, "体育", "suzuki", "tanaka", room="gym")]
    assert clashes(week, rooms=ROOMS) == []
    found = clashes([*week, lesson(FRI, 3, B, "国語", "sato")], rooms=ROOMS, names=NAMES)
    assert [(c.kind, c.who) for c in found] == [(ClashKind.CLASS, B)]
    assert "1年1・2組合同 体育" in found[0].message


def test_special_needs_pupils_join_their_exchange_class() -> None:
    # Pupils of 特支1 whose 交流学級 is 1-1 join its 音楽; the others stay with their teacher.
    joined = Group(
        (Part(A), Part(SN, "交流", "1年1組へ")),
        key="music-a",
    )
    stay = Group.section([SN], "交流", "残り")
    week = [
        lesson(MON, 3, joined, "音楽", "ito", room="mus"),
        lesson(MON, 3, stay, "自立活動", "tanaka"),
    ]
    assert clashes(week) == []
    # The whole special-needs class having another lesson then is a clash.
    found = clashes([*week, lesson(MON, 3, SN, "国語", "yamada")])
    assert [(c.kind, c.who) for c in found] == [(ClashKind.CLASS, SN)]


def test_a_gym_holds_two_classes_and_a_third_is_a_clash() -> None:
    two = [
        lesson(TUE, 2, A, "体育", "suzuki", room="gym"),
        lesson(TUE, 2, B, "体育", "tanaka", room="gym"),
    ]
    assert clashes(two, rooms=ROOMS) == []
    third = lesson(TUE, 2, C, "体育", "ito", room="gym")
    found = clashes([*two, third], rooms=ROOMS, names=NAMES)
    assert kinds(found) == [(ClashKind.ROOM, TUE, 2)]
    assert found[0].who == "gym"
    assert found[0].message.startswith("火曜2校時: 体育館の定員（2学級）を超えています")
    # A merged lesson of two classes fills the gym by itself.
    merged = lesson(TUE, 2, Group.merged([A, B]), "体育", "suzuki", "tanaka", room="gym")
    assert clashes([merged], rooms=ROOMS) == []
    assert kinds(clashes([merged, third], rooms=ROOMS)) == [(ClashKind.ROOM, TUE, 2)]
    # Boys and girls of two classes in the gym: two lessons, two classes.
    boys = lesson(TUE, 2, Group.section([A, B], "男女", "男子"), "体育", "suzuki", room="gym")
    girls = lesson(TUE, 2, Group.section([A, B], "男女", "女子"), "体育", "tanaka", room="gym")
    assert clashes([boys, girls], rooms=ROOMS) == []


def test_ordinary_and_special_rooms_hold_one_lesson() -> None:
    found = clashes(
        [
            lesson(MON, 1, A, "理科", "ito", room="sci"),
            lesson(MON, 1, B, "理科", "tanaka", room="sci"),
        ],
        rooms=ROOMS,
    )
    assert kinds(found) == [(ClashKind.ROOM, MON, 1)]
    # A room not listed holds one class.
    found = clashes(
        [
            lesson(MON, 1, A, "国語", "yamada", room="r9"),
            lesson(MON, 1, B, "算数", "sato", room="r9"),
        ]
    )
    assert kinds(found) == [(ClashKind.ROOM, MON, 1)]
    # Two halves of one class in one ordinary room: two lessons, one room.
    halves = [
        lesson(MON, 1, Group.section([A], "少人数", "1"), "算数", "yamada", room="r1"),
        lesson(MON, 1, Group.section([A], "少人数", "2"), "算数", "sato", room="r1"),
    ]
    assert kinds(clashes(halves)) == [(ClashKind.ROOM, MON, 1)]


def test_double_periods_occupy_both_periods() -> None:
    double = lesson(WED, 3, A, "理科", "ito", room="sci", length=2)
    assert list(double.periods) == [3, 4]
    assert clashes([double, lesson(WED, 5, B, "理科", "ito", room="sci")], rooms=ROOMS) == []
    # The science room at period 4 is still taken, and so is the teacher.
    found = clashes([double, lesson(WED, 4, B, "理科", "ito", room="sci")], rooms=ROOMS)
    assert {(c.kind, c.period) for c in found} == {(ClashKind.TEACHER, 4), (ClashKind.ROOM, 4)}
    # Two doubles on top of each other: one clash each, at their first common period.
    other = lesson(WED, 3, B, "理科", "tanaka", room="sci", length=2)
    assert kinds(clashes([double, other], rooms=ROOMS)) == [(ClashKind.ROOM, WED, 3)]
    # A teacher change inside a double period: two lessons of one class, one after the other.
    first = lesson(WED, 3, C, "美術", "suzuki")
    second = lesson(WED, 4, C, "美術", "sato")
    assert clashes([first, second]) == []
    # The class has two lessons at period 4 if a double overlaps a single.
    assert kinds(clashes([lesson(WED, 3, C, "美術", "suzuki", length=2), second])) == [
        (ClashKind.CLASS, WED, 4)
    ]


def test_teachers_outside_their_assignments() -> None:
    assignments = [
        Assignment("国語", ("yamada",), 5, classroom=A),
        Assignment("算数", ("yamada", "sato"), 5, classroom=A),  # TT
        Assignment("数学", ("suzuki",), 3, group="g-a"),
        Assignment("体育", ("tanaka",), 3, classroom=B),
    ]
    ok = [
        lesson(MON, 1, A, "国語", "yamada"),
        lesson(MON, 2, A, "算数", "yamada", "sato"),
        lesson(MON, 3, Group.section([A, B], "習熟度", "A", key="g-a"), "数学", "suzuki"),
        # A merged lesson: each teacher needs an assignment for one of its classes.
        lesson(MON, 4, Group.merged([A, B]), "体育", "tanaka"),
        # A whole-class assignment covers a section of the class.
        lesson(MON, 5, Group.section([A], "少人数", "1"), "国語", "yamada"),
    ]
    assert clashes(ok, assignments=assignments) == []
    wrong = [
        lesson(TUE, 1, A, "理科", "yamada"),  # no 理科 assignment
        lesson(TUE, 2, B, "国語", "yamada"),  # 国語 of another class
        lesson(TUE, 3, A, "算数", "yamada", "ito"),  # ito is not in the TT
    ]
    found = clashes(wrong, assignments=assignments, names=NAMES)
    assert [(c.kind, c.period, c.who) for c in found] == [
        (ClashKind.ASSIGNMENT, 1, "yamada"),
        (ClashKind.ASSIGNMENT, 2, "yamada"),
        (ClashKind.ASSIGNMENT, 3, "ito"),
    ]
    assert found[0].message == "火曜1校時: 山田先生は1年1組 理科の担当ではありません"
    # Without assignments the check is skipped; a substitute on the day is exempt.
    assert clashes(wrong) == []
    sub = lesson(TUE, 1, A, "理科", "yamada", status=LessonStatus.SUBSTITUTE)
    assert clashes([sub], assignments=assignments) == []


def test_teachers_on_unavailable_periods() -> None:
    unavailable = {"sato": {(THU, 1), (THU, 2)}, "ito": {(FRI, 6)}}
    week = [
        lesson(THU, 1, A, "国語", "sato"),
        lesson(THU, 3, B, "国語", "sato"),
        lesson(FRI, 5, C, "理科", "ito", length=2),  # runs into period 6
    ]
    found = clashes(week, unavailable=unavailable, names=NAMES)
    assert kinds(found) == [(ClashKind.UNAVAILABLE, THU, 1), (ClashKind.UNAVAILABLE, FRI, 6)]
    assert found[0].message == "木曜1校時: 佐藤先生はこの時間に授業に入れません（1年1組 国語）"


def test_a_teacher_at_two_schools_by_period() -> None:
    here = [lesson(WED, 2, A, "音楽", "ito"), lesson(THU, 2, A, "音楽", "ito")]
    there = [
        lesson(WED, 2, Group.of_class("east-1"), "音楽", "ito", school="east"),
        lesson(WED, 2, Group.of_class("east-2"), "音楽", "ito", school="east"),  # their problem
        lesson(WED, 2, Group.of_class("east-3"), "国語", "someone", school="east"),
    ]
    found = clashes(here, other_lessons=there, names=NAMES)
    assert [(c.kind, c.weekday, c.period, c.who) for c in found] == [
        (ClashKind.TEACHER, WED, 2, "ito"),
        (ClashKind.TEACHER, WED, 2, "ito"),
    ]
    assert found[0].message.startswith(
        "水曜2校時: 伊藤先生は同じ時間に東中学校で授業があります（兼務"
    )
    # Lessons of another school passed among this school's lessons are not checked as ours.
    assert clashes([*here, *there[:2]]) == []


def test_a_teacher_moving_between_schools_by_clock_time() -> None:
    # The other school's periods are 50 minutes from 8:40.
    east = BellSchedule(
        "east",
        (
            BellPeriod(1, t(8, 40), t(9, 30)),
            BellPeriod(2, t(9, 40), t(10, 30)),
            BellPeriod(3, t(10, 40), t(11, 30)),
        ),
    )
    there = lesson(MON, 2, Group.of_class("east-1"), "音楽", "ito", school="east")  # 9:40-10:30
    east_bells = {"east": east}
    # Here period 1 is 8:50-9:35: five minutes before 9:40 at the other school.
    p1 = lesson(MON, 1, A, "音楽", "ito")
    assert clashes([p1], other_lessons=[there], bell=NORMAL, other_bells=east_bells) == []
    for travel, clash in ((5, False), (6, True), (20, True)):
        found = clashes(
            [p1], other_lessons=[there], bell=NORMAL, other_bells=east_bells, travel_minutes=travel
        )
        assert kinds(found) == ([(ClashKind.TEACHER, MON, 1)] if clash else [])
    # Period 2 here (9:45-10:30) overlaps their period 2; period 3 here (10:50-11:35)
    # starts after it.
    p2 = lesson(MON, 2, A, "音楽", "ito")
    p3 = lesson(MON, 3, A, "音楽", "ito")
    found = clashes([p2, p3], other_lessons=[there], bell=NORMAL, other_bells=east_bells)
    assert kinds(found) == [(ClashKind.TEACHER, MON, 2)]
    # By the clock, their period 3 (10:40-11:30) meets our period 3 (10:50-11:35) and
    # not our period 2 (ending 10:30).
    their3 = lesson(MON, 3, Group.of_class("east-1"), "音楽", "ito", school="east")
    found = clashes([p2, p3], other_lessons=[their3], bell=NORMAL, other_bells=east_bells)
    assert kinds(found) == [(ClashKind.TEACHER, MON, 3)]
    # A double period there (their 2-3, 9:40-11:30) meets both.
    double = lesson(MON, 2, Group.of_class("east-1"), "音楽", "ito", school="east", length=2)
    found = clashes([p2, p3], other_lessons=[double], bell=NORMAL, other_bells=east_bells)
    assert kinds(found) == [(ClashKind.TEACHER, MON, 2), (ClashKind.TEACHER, MON, 3)]
    # Without the other school's bell schedule, periods are compared by number.
    found = clashes([p2, p3], other_lessons=[their3], bell=NORMAL)
    assert kinds(found) == [(ClashKind.TEACHER, MON, 3)]
    # Another weekday never clashes.
    assert clashes([lesson(TUE, 2, A, "音楽", "ito")], other_lessons=[there]) == []


def test_clashes_come_sorted_by_weekday_period_and_kind() -> None:
    week = [
        lesson(FRI, 1, A, "国語", "yamada"),
        lesson(FRI, 1, B, "国語", "yamada"),
        lesson(MON, 6, A, "国語", "sato"),
        lesson(MON, 6, A, "算数", "suzuki"),
        lesson(MON, 2, C, "理科", "ito", room="sci"),
        lesson(MON, 2, D, "理科", "tanaka", room="sci"),
    ]
    assert kinds(clashes(week, rooms=ROOMS)) == [
        (ClashKind.ROOM, MON, 2),
        (ClashKind.CLASS, MON, 6),
        (ClashKind.TEACHER, FRI, 1),
    ]
    assert slot_label(SAT, 3) == "土曜3校時"


# --- placed vs assigned ----------------------------------------------------------------------


def test_weekly_periods_placed_against_the_assignments() -> None:
    half_a = Group.section([A], "習熟度", "A", key="g-a")
    half_b = Group.section([A], "習熟度", "B", key="g-b")
    assignments = [
        Assignment("国語", ("yamada",), 5, classroom=A),
        Assignment("理科", ("ito",), 3, classroom=A),
        Assignment("数学", ("suzuki",), 2, group="g-a"),
        Assignment("数学", ("sato",), 2, group="g-b"),
        Assignment("体育", ("tanaka",), 3, classroom=B),
    ]
    week = [
        *(lesson(wd, 1, A, "国語", "yamada") for wd in (MON, TUE, WED, THU)),  # 4 of 5
        lesson(MON, 3, A, "理科", "ito", length=2),  # a double counts 2
        lesson(WED, 3, A, "理科", "ito"),
        lesson(TUE, 2, half_a, "数学", "suzuki"),
        lesson(TUE, 2, half_b, "数学", "sato"),
        lesson(THU, 2, half_a, "数学", "suzuki"),
        lesson(THU, 2, half_b, "数学", "sato"),
        lesson(FRI, 4, Group.merged([A, B]), "体育", "tanaka"),
        lesson(FRI, 5, B, "音楽", "ito"),  # nobody is assigned 音楽 of 1-2
        lesson(FRI, 6, A, "国語", "yamada", school="east"),  # another school's lesson
    ]
    rows = placed_vs_assigned(week, assignments)
    got = [(r.classroom, r.group, r.subject, r.assigned, r.placed, r.difference) for r in rows]
    assert got == [
        (A, None, "国語", 5, 4, -1),
        (A, None, "理科", 3, 3, 0),
        (None, "g-a", "数学", 2, 2, 0),
        (None, "g-b", "数学", 2, 2, 0),
        (B, None, "体育", 3, 1, -2),
        (B, None, "音楽", 0, 1, 1),
    ]
    assert rows[1].ok and not rows[0].ok
    assert rows[0].teachers == ("yamada",)


def test_a_class_assignment_counts_a_split_period_once() -> None:
    assignments = [Assignment("算数", ("yamada", "sato"), 2, classroom=A)]
    week = [
        lesson(MON, 1, Group.section([A], "少人数", "1"), "算数", "yamada"),
        lesson(MON, 1, Group.section([A], "少人数", "2"), "算数", "sato"),
        lesson(TUE, 1, A, "算数", "yamada"),
    ]
    assert [(r.assigned, r.placed) for r in placed_vs_assigned(week, assignments)] == [(2, 2)]
    # Two assignment rows of one class and subject add up (a 専科 takes one period).
    more = [*assignments, Assignment("算数", ("ito",), 1, classroom=A)]
    (row,) = placed_vs_assigned(week, more)
    assert (row.assigned, row.teachers) == (3, ("yamada", "sato", "ito"))


# --- daily changes ---------------------------------------------------------------------------

WEEK = (
    lesson(MON, 1, A, "国語", "yamada", key=1),
    lesson(MON, 2, A, "算数", "yamada", key=2),
    lesson(MON, 3, A, "体育", "suzuki", room="gym", key=3),
    lesson(MON, 5, A, "音楽", "ito", key=4),
    lesson(MON, 1, B, "算数", "sato", key=5),
    lesson(MON, 2, B, "国語", "sato", key=6),
    lesson(THU, 1, A, "理科", "ito", key=7),
    lesson(THU, 2, A, "図画工作", "yamada", length=2, key=8),
    lesson(THU, 1, B, "国語", "sato", key=9),
)
MONDAY = dt.date(2027, 4, 12)
THURSDAY = dt.date(2027, 4, 15)


def keys(day) -> list:
    return [x.key for x in day.lessons]


def test_a_day_without_changes_is_the_weekly_day() -> None:
    day = day_lessons(WEEK, MONDAY)
    assert (day.weekday, day.bell) == (MON, None)
    assert keys(day) == [1, 5, 2, 6, 3, 4]
    assert all(x.status == LessonStatus.REGULAR for x in day.lessons)
    assert day.cancelled == () and day.problems == ()
    # Changes of other dates are ignored.
    assert keys(day_lessons(WEEK, MONDAY, [Cancel(THURSDAY, 7)])) == [1, 5, 2, 6, 3, 4]


def test_a_weekday_swap_uses_another_weekdays_timetable() -> None:
    # 曜日振替: Thursday 15 April follows Monday's timetable.
    day = day_lessons(WEEK, THURSDAY, [SwapWeekday(THURSDAY, MON)])
    assert day.weekday == MON
    assert keys(day) == [1, 5, 2, 6, 3, 4]
    # The lessons carry the real weekday (for unavailability and clash messages).
    assert {x.weekday for x in day.lessons} == {THU}
    # The calendar may give the swapped weekday itself.
    assert keys(day_lessons(WEEK, THURSDAY, weekday=MON)) == [1, 5, 2, 6, 3, 4]
    # A Saturday school day (授業参観) with Thursday's lessons.
    saturday = dt.date(2027, 4, 17)
    assert keys(day_lessons(WEEK, saturday, weekday=THU)) == [7, 9, 8]
    assert keys(day_lessons(WEEK, saturday)) == []


def test_cancel_move_add_and_swap() -> None:
    extra = lesson(MON, 6, A, "学級活動", "yamada", key="x1")
    changes = [
        Cancel(MONDAY, 4, "校外学習の準備"),
        Move(MONDAY, 3, 4, room="playground"),
        Add(MONDAY, extra),
        SwapPeriods(MONDAY, B, 1, 2),
    ]
    day = day_lessons(WEEK, MONDAY, changes)
    by_key = {x.key: x for x in day.lessons}
    assert set(by_key) == {1, 2, 3, 5, 6, "x1"}
    assert [x.key for x in day.cancelled] == [4]
    assert day.cancelled[0].note == "校外学習の準備"
    assert (by_key[3].period, by_key[3].room, by_key[3].status) == (
        4,
        "playground",
        LessonStatus.MOVED,
    )
    assert by_key[3].note == "3校時から移動"
    assert (by_key["x1"].period, by_key["x1"].status) == (6, LessonStatus.ADDED)
    assert (by_key[5].period, by_key[6].period) == (2, 1)  # 1-2's periods swapped
    assert by_key[5].status == LessonStatus.MOVED
    assert (by_key[1].period, by_key[2].period) == (1, 2)  # 1-1 untouched
    assert clashes(day.lessons) == []


def test_the_same_clash_checks_apply_to_a_day() -> None:
    # Moving 1-1's 国語 onto its 算数 period: the class has two lessons.
    day = day_lessons(WEEK, MONDAY, [Move(MONDAY, 1, 2)])
    assert kinds(clashes(day.lessons)) == [
        (ClashKind.TEACHER, MON, 2),
        (ClashKind.CLASS, MON, 2),
    ]


def test_substitute_and_self_study() -> None:
    changes = [
        Substitute(MONDAY, 1, "yamada", "tanaka"),
        SelfStudy(MONDAY, 2, "suzuki"),
    ]
    day = day_lessons(WEEK, MONDAY, changes, names=NAMES)
    first, second = (x for x in day.lessons if x.key in (1, 2))
    assert (first.teachers, first.absent, first.status) == (
        ("tanaka",),
        ("yamada",),
        LessonStatus.SUBSTITUTE,
    )
    assert first.note == "田中先生が代替"
    assert (second.teachers, second.absent, second.status) == (
        ("suzuki",),
        ("yamada",),
        LessonStatus.SELF_STUDY,
    )
    assert second.note == "自習（監督: 鈴木先生）"
    # Substitutes and 自習 are exempt from the assignment check; the others are not.
    flagged = {c.lessons[0].key for c in clashes(day.lessons, assignments=[])}
    assert flagged == {3, 4, 5, 6}


def test_a_team_teaching_substitute_keeps_the_other_teacher() -> None:
    week = [lesson(TUE, 1, A, "算数", "yamada", "sato", key=1)]
    tuesday = dt.date(2027, 4, 13)
    day = day_lessons(week, tuesday, [Substitute(tuesday, 1, "sato", "ito")])
    assert day.lessons[0].teachers == ("yamada", "ito")


def test_changes_that_do_not_apply_are_reported() -> None:
    day = day_lessons(
        WEEK, MONDAY, [Cancel(MONDAY, 99), Substitute(MONDAY, 1, "sato", "ito")], names=NAMES
    )
    assert day.problems == (
        "04/12: 変更の対象の授業（99）がこの日の時間割にありません",
        "04/12: 佐藤先生は1年1組 国語の担当ではありません",
    )
    assert keys(day) == [1, 5, 2, 6, 3, 4]
    # A Thursday lesson does not exist on Monday.
    assert day_lessons(WEEK, MONDAY, [Cancel(MONDAY, 7)]).problems != ()


def test_switching_the_bell_schedule_drops_the_periods_the_day_lacks() -> None:
    day = day_lessons(WEEK, MONDAY, [SetBell(MONDAY, "short")], bell="normal", bells=BELLS)
    assert day.bell == "short"
    assert keys(day) == [1, 5, 2, 6, 3]
    assert [(x.key, x.note) for x in day.cancelled] == [(4, "短縮日課に5校時なし")]
    # Without the schedules nothing is dropped.
    assert len(day_lessons(WEEK, MONDAY, [SetBell(MONDAY, "short")]).lessons) == 6


def test_events_replace_lessons() -> None:
    # 避難訓練 in period 2 for 1-1 only; 身体測定 for the whole school in period 5.
    changes = [
        Event(MONDAY, "避難訓練", frozenset({2}), frozenset({A})),
        Event(MONDAY, "身体測定", frozenset({5})),
    ]
    day = day_lessons(WEEK, MONDAY, changes)
    assert keys(day) == [1, 5, 6, 3]
    assert [(x.key, x.note) for x in day.cancelled] == [(2, "避難訓練"), (4, "身体測定")]
    # A whole-day event (運動会) removes every lesson, and a double period in part of it.
    assert day_lessons(WEEK, MONDAY, [Event(MONDAY, "運動会")]).lessons == ()
    thursday = day_lessons(WEEK, THURSDAY, [Event(THURSDAY, "集会", frozenset({3}))])
    assert keys(thursday) == [7, 9]


def test_timetable_on_a_date() -> None:
    first = Timetable(dt.date(2027, 4, 1), (WEEK[0],))
    second = Timetable(dt.date(2027, 9, 1), (WEEK[1],))
    assert timetable_on([second, first], dt.date(2027, 3, 31)) == ()
    assert timetable_on([second, first], dt.date(2027, 4, 1)) == (WEEK[0],)
    assert timetable_on([second, first], dt.date(2027, 8, 31)) == (WEEK[0],)
    assert timetable_on([second, first], dt.date(2027, 9, 1)) == (WEEK[1],)


# --- substitutes -----------------------------------------------------------------------------

TEACHERS = ["yamada", "sato", "suzuki", "tanaka", "ito", "kato", "kimura"]
ASSIGNMENTS = [
    Assignment("国語", ("yamada",), 5, classroom=A),
    Assignment("算数", ("yamada",), 5, classroom=A),
    Assignment("国語", ("sato",), 5, classroom=B),
    Assignment("算数", ("sato",), 5, classroom=B),
    Assignment("国語", ("tanaka",), 1, classroom=A),  # TT 国語 of 1-1 on another day
    Assignment("音楽", ("ito",), 2, classroom=A),
    Assignment("体育", ("suzuki",), 3, classroom=C),
    Assignment("国語", ("kato",), 5, classroom=C),
]


def test_substitutes_by_fit_then_fewest_duties() -> None:
    day = day_lessons(
        [
            lesson(MON, 1, A, "国語", "yamada", key=1),
            lesson(MON, 3, A, "算数", "yamada", key=2),
            lesson(MON, 1, C, "体育", "suzuki", key=3),
            lesson(MON, 3, B, "国語", "sato", key=4),
        ],
        MONDAY,
    )
    duties = {"sato": 2, "tanaka": 1, "ito": 0, "kato": 3, "kimura": 0}
    found = suggest_substitutes(
        "yamada",
        MONDAY,
        day.lessons,
        TEACHERS,
        assignments=ASSIGNMENTS,
        duties=duties,
        unavailable={"kimura": {(MON, 3)}},
        names=NAMES,
    )
    assert [s.lesson.key for s in found] == [1, 2]
    first, second = found
    # Period 1 国語 of 1-1: tanaka teaches 国語 of this class; sato and kato teach 国語;
    # ito teaches this class (音楽); suzuki is busy; kimura only supervises.
    assert [(c.teacher, c.fit) for c in first.substitutes] == [
        ("tanaka", 0),
        ("sato", 1),
        ("kato", 1),
        ("ito", 2),
    ]
    assert first.substitutes[0].reasons == (
        "この学級の国語を担当",
        "今週の補充 1回",
        "この日の授業 0時間",
    )
    assert first.substitutes[3].reasons[0] == "1年1組の授業を担当"
    assert [c.teacher for c in first.supervisors] == ["ito", "kimura", "tanaka", "sato", "kato"]
    assert first.supervisors[1].reasons[0] == "空き時間"
    # Period 3 算数 of 1-1: sato teaches 算数 but is busy; kimura is unavailable; ito and
    # tanaka both teach the class, ito has fewer duties.
    assert [(c.teacher, c.fit) for c in second.substitutes] == [("ito", 2), ("tanaka", 2)]
    assert [c.teacher for c in second.supervisors] == ["ito", "suzuki", "tanaka", "kato"]
    assert second.remaining == ()


def test_substitutes_ties_follow_the_teacher_order_and_lessons_that_day() -> None:
    day = day_lessons(
        [
            lesson(MON, 2, A, "国語", "yamada", key=1),
            lesson(MON, 1, B, "算数", "sato", key=2),
            lesson(MON, 4, C, "国語", "kato", key=3),
            lesson(MON, 5, C, "国語", "kato", key=4),
        ],
        MONDAY,
    )
    (s,) = suggest_substitutes("yamada", MONDAY, day.lessons, TEACHERS, assignments=ASSIGNMENTS)
    # sato and kato both teach 国語 with no duties: sato has 1 lesson that day, kato 2.
    assert [c.teacher for c in s.substitutes[:3]] == ["tanaka", "sato", "kato"]
    again = suggest_substitutes("yamada", MONDAY, day.lessons, TEACHERS, assignments=ASSIGNMENTS)
    assert again == [s]


def test_substitutes_for_a_double_period_and_a_team_taught_lesson() -> None:
    day = day_lessons(
        [
            lesson(MON, 3, A, "図画工作", "yamada", "ito", length=2, key=1),
            lesson(MON, 4, B, "国語", "sato", key=2),  # sato busy in the second period
        ],
        MONDAY,
    )
    (s,) = suggest_substitutes(
        "yamada", MONDAY, day.lessons, TEACHERS, assignments=ASSIGNMENTS, absent=["tanaka"]
    )
    assert s.remaining == ("ito",)
    free = [c.teacher for c in s.supervisors]
    assert "sato" not in free and "tanaka" not in free and "ito" not in free
    assert free == ["suzuki", "kato", "kimura"]


def test_substitutes_skip_a_teacher_busy_at_their_other_school() -> None:
    day = day_lessons([lesson(MON, 2, A, "音楽", "yamada", key=1)], MONDAY)
    there = [lesson(MON, 2, Group.of_class("east-1"), "音楽", "ito", school="east")]
    (s,) = suggest_substitutes(
        "yamada", MONDAY, day.lessons, TEACHERS, assignments=ASSIGNMENTS, other_lessons=there
    )
    assert "ito" not in [c.teacher for c in s.supervisors]
    (s,) = suggest_substitutes("yamada", MONDAY, day.lessons, TEACHERS, assignments=ASSIGNMENTS)
    assert s.substitutes[0].teacher == "ito"  # teaches 音楽 of this class


# --- class hours -----------------------------------------------------------------------------


def weekdays(start: dt.date, weeks: int) -> list[SchoolDay]:
    """Monday to Friday of ``weeks`` weeks from a Monday."""
    return [SchoolDay(start + dt.timedelta(days=7 * w + d)) for w in range(weeks) for d in range(5)]


APRIL = dt.date(2027, 4, 1)
ONE_A = ClassInfo(A, "1年1組", 1)
ONE_B = ClassInfo(B, "1年2組", 1)


def simple_week() -> Timetable:
    """1-1: 国語 every day in period 1, 生活 double on Monday 2-3, a 国語 module (15 min,
    slot 0) on Wednesday; 1-2: 算数 every day in period 1; both: 体育 together on Friday 5."""
    lessons = [
        *(lesson(wd, 1, A, "国語", "yamada", key=f"a{wd}") for wd in range(5)),
        lesson(MON, 2, A, "生活", "yamada", length=2, key="a-life"),
        lesson(WED, 0, A, "国語", "yamada", key="a-module"),
        *(lesson(wd, 1, B, "算数", "sato", key=f"b{wd}") for wd in range(5)),
        lesson(FRI, 5, Group.merged([A, B]), "体育", "suzuki", key="pe"),
    ]
    return Timetable(APRIL, tuple(lessons))


def hours(tally, classroom, subject) -> tuple[Fraction, Fraction, Fraction]:
    row = tally.of(classroom).subject(subject)
    return (row.planned, row.held, row.projected)


def test_planned_hours_over_two_weeks() -> None:
    tally = hours_tally(
        [ONE_A, ONE_B], weekdays(MONDAY, 2), [simple_week()], BELLS, default_bell="normal"
    )
    # 1-1 a week: 国語 5 + 1/3 (module), 生活 2, 体育 1; two weeks twice that.
    assert hours(tally, A, "国語") == (Fraction(32, 3), 0, Fraction(32, 3))
    assert hours(tally, A, "生活")[0] == 4
    assert hours(tally, A, "体育")[0] == 2
    assert hours(tally, B, "算数")[0] == 10
    assert hours(tally, B, "体育")[0] == 2
    a = tally.of(A)
    assert (a.planned, a.held, a.standard) == (Fraction(50, 3), 0, 850)
    # Rows follow the national table of grade 1; subjects not timetabled are 0.
    assert [r.subject for r in a.subjects] == list(national.subjects_of_grade("elementary", 1))
    assert hours(tally, A, "音楽") == (0, 0, 0)
    assert a.subject("社会") is None


def test_class_closure_and_school_closure() -> None:
    tally = hours_tally(
        [ONE_A, ONE_B],
        weekdays(MONDAY, 2),
        [simple_week()],
        BELLS,
        default_bell="normal",
        closed={A: {dt.date(2027, 4, 13)}},  # 学級閉鎖 of 1-1 on Tuesday
        school_closed={dt.date(2027, 4, 23)},  # 臨時休業 on the second Friday
        as_of=dt.date(2027, 4, 16),
    )
    # 1-1: 国語 32/3 - 1 (Tuesday) - 1 (Friday) = 26/3; 体育 2 - 1 = 1.
    assert hours(tally, A, "国語") == (Fraction(26, 3), Fraction(13, 3), Fraction(26, 3))
    assert hours(tally, A, "体育") == (1, 1, 1)
    # 1-2 loses only the school's closed day: 算数 10 - 1.
    assert hours(tally, B, "算数") == (9, 5, 9)
    assert hours(tally, B, "体育") == (1, 1, 1)


def test_a_merged_lesson_counts_for_the_class_that_is_open() -> None:
    tally = hours_tally(
        [ONE_A, ONE_B],
        weekdays(MONDAY, 1),
        [simple_week()],
        BELLS,
        default_bell="normal",
        closed={B: {dt.date(2027, 4, 16)}},  # 1-2 closed on Friday
    )
    assert hours(tally, A, "体育")[0] == 1
    assert hours(tally, B, "体育")[0] == 0
    assert hours(tally, B, "算数")[0] == 4


def test_a_bell_schedule_switch_on_a_date() -> None:
    wednesday = dt.date(2027, 4, 14)
    friday = dt.date(2027, 4, 16)
    days = weekdays(MONDAY, 1)
    # The calendar plans Friday as a short day; Wednesday is switched by a daily change.
    days[4] = SchoolDay(friday, bell="short")
    tally = hours_tally(
        [ONE_A],
        days,
        [simple_week()],
        BELLS,
        default_bell="normal",
        changes=[SetBell(wednesday, "short")],
    )
    # 国語: Mon, Tue, Thu 1 each; Wednesday and Friday 40 of 45 minutes = 8/9 each; the
    # Wednesday module (slot 0) does not exist on a short day. 体育 (period 5) neither.
    assert hours(tally, A, "国語")[0] == 3 + Fraction(16, 9)
    assert hours(tally, A, "体育")[0] == 0
    assert hours(tally, A, "生活")[0] == 2
    # A board that counts a shortened period as a whole one.
    whole = hours_tally(
        [ONE_A],
        days,
        [simple_week()],
        BELLS,
        default_bell="normal",
        changes=[SetBell(wednesday, "short")],
        whole_periods=True,
    )
    assert hours(whole, A, "国語")[0] == 5


def test_a_timetable_that_changes_mid_year() -> None:
    first = Timetable(APRIL, tuple(lesson(wd, 1, A, "国語", "yamada") for wd in range(5)))
    second = Timetable(
        dt.date(2027, 4, 21),  # a Wednesday
        tuple(lesson(wd, 1, A, "算数", "yamada") for wd in range(5)),
    )
    tally = hours_tally([ONE_A], weekdays(MONDAY, 2), [first, second], BELLS, default_bell="normal")
    # 12-20 April: 7 school days of 国語; 21-23 April: 3 of 算数.
    assert hours(tally, A, "国語")[0] == 7
    assert hours(tally, A, "算数")[0] == 3


def test_a_weekday_swap_in_the_calendar_and_as_a_change() -> None:
    week = Timetable(
        APRIL,
        (
            lesson(MON, 1, A, "音楽", "ito"),
            lesson(MON, 2, A, "音楽", "ito"),
            *(lesson(wd, 1, A, "国語", "yamada") for wd in (TUE, WED, THU, FRI)),
        ),
    )
    days = weekdays(MONDAY, 1)
    days[3] = SchoolDay(THURSDAY, weekday=MON)  # the calendar's 曜日振替
    tally = hours_tally([ONE_A], days, [week], BELLS, default_bell="normal")
    assert (hours(tally, A, "音楽")[0], hours(tally, A, "国語")[0]) == (4, 3)
    # The same as a daily change: it shapes the plan too.
    by_change = hours_tally(
        [ONE_A],
        weekdays(MONDAY, 1),
        [week],
        BELLS,
        default_bell="normal",
        changes=[SwapWeekday(THURSDAY, MON)],
    )
    assert (hours(by_change, A, "音楽")[0], hours(by_change, A, "国語")[0]) == (4, 3)


def test_29_february_is_a_school_day_of_a_leap_year() -> None:
    days = [
        SchoolDay(dt.date(2028, 2, 28)),
        SchoolDay(dt.date(2028, 2, 29)),
        SchoolDay(dt.date(2028, 3, 1)),
    ]
    week = Timetable(
        APRIL,
        (
            lesson(MON, 1, A, "国語", "yamada"),
            lesson(TUE, 1, A, "算数", "yamada"),
            lesson(TUE, 2, A, "算数", "yamada"),
            lesson(WED, 1, A, "体育", "suzuki"),
        ),
    )
    tally = hours_tally(
        [ONE_A], days, [week], BELLS, default_bell="normal", as_of=dt.date(2028, 2, 29)
    )
    assert hours(tally, A, "算数") == (2, 2, 2)  # Tuesday 29 February
    assert hours(tally, A, "体育") == (1, 0, 1)
    closed = hours_tally(
        [ONE_A], days, [week], BELLS, default_bell="normal", closed={A: {dt.date(2028, 2, 29)}}
    )
    assert hours(closed, A, "算数")[0] == 0
    assert [x.subject for x in day_lessons(week.lessons, dt.date(2028, 2, 29)).lessons] == [
        "算数",
        "算数",
    ]


def test_modules_count_in_fractions() -> None:
    # A 15-minute module three mornings a week (slot 0) is one elementary hour a week.
    week = Timetable(APRIL, tuple(lesson(wd, 0, A, "国語", "yamada") for wd in (MON, WED, FRI)))
    tally = hours_tally([ONE_A], weekdays(MONDAY, 1), [week], BELLS, default_bell="normal")
    assert hours(tally, A, "国語")[0] == 1
    assert isinstance(hours(tally, A, "国語")[0], Fraction)
    # A module with its own minutes; in junior high the unit is 50 minutes.
    module = lesson(MON, 1, A, "国語", "yamada", minutes=15)
    assert lesson_units(module, NORMAL, 45) == Fraction(1, 3)
    assert lesson_units(module, NORMAL, 50) == Fraction(3, 10)
    assert lesson_units(lesson(MON, 1, A, "国語"), NORMAL, 50) == Fraction(9, 10)  # 45 of 50
    assert lesson_units(lesson(MON, 2, A, "理科", length=2), NORMAL, 45) == 2
    assert lesson_units(lesson(MON, 5, A, "理科"), SHORT, 45) is None
    assert format_hours(Fraction(916, 3)) == "305 1/3"
    assert format_hours(Fraction(1086)) == "1,086"
    assert format_hours(Fraction(-2, 3)) == "-2/3"


def test_split_halves_count_once_and_exchange_pupils_count_for_their_class() -> None:
    special = ClassInfo(SN, "特別支援1組", 1, standard={"音楽": 68, "自立活動": 35})
    week = Timetable(
        APRIL,
        (
            lesson(MON, 1, Group.section([A], "少人数", "1"), "算数", "yamada"),
            lesson(MON, 1, Group.section([A], "少人数", "2"), "算数", "sato"),
            lesson(MON, 2, Group((Part(A), Part(SN, "交流", "1組へ"))), "音楽", "ito"),
            lesson(MON, 2, Group.section([SN], "交流", "残り"), "自立活動", "tanaka"),
        ),
    )
    tally = hours_tally([ONE_A, special], weekdays(MONDAY, 1), [week], BELLS, default_bell="normal")
    assert hours(tally, A, "算数")[0] == 1
    assert hours(tally, A, "音楽")[0] == 1
    assert hours(tally, SN, "音楽")[0] == 1
    assert hours(tally, SN, "自立活動")[0] == 1
    assert tally.of(SN).standard == 103


def test_held_and_projected_with_daily_changes() -> None:
    tuesday, wednesday = dt.date(2027, 4, 13), dt.date(2027, 4, 14)
    next_monday = dt.date(2027, 4, 19)
    changes = [
        Cancel(tuesday, "a1"),  # past: held and projected lose it
        SelfStudy(wednesday, "a2", "sato"),  # past 自習
        Add(next_monday, lesson(MON, 4, A, "国語", "yamada", key="extra")),  # future
        Cancel(next_monday, "b0"),  # future, 1-2
    ]
    args = ([ONE_A, ONE_B], weekdays(MONDAY, 2), [simple_week()], BELLS)
    tally = hours_tally(*args, default_bell="normal", as_of=dt.date(2027, 4, 16), changes=changes)
    # 国語 of 1-1: planned 32/3; held week 1 = 16/3 - 1; projected = 32/3 - 1 + 1.
    assert hours(tally, A, "国語") == (Fraction(32, 3), Fraction(13, 3), Fraction(32, 3))
    assert hours(tally, B, "算数") == (10, 5, 9)
    # A board that does not count 自習.
    strict = hours_tally(
        *args,
        default_bell="normal",
        as_of=dt.date(2027, 4, 16),
        changes=changes,
        count_self_study=False,
    )
    assert hours(strict, A, "国語") == (Fraction(32, 3), Fraction(10, 3), Fraction(29, 3))
    # Everything held at the end of the year.
    done = hours_tally(*args, default_bell="normal", as_of=dt.date(2027, 4, 23), changes=changes)
    assert hours(done, A, "国語") == (Fraction(32, 3), Fraction(32, 3), Fraction(32, 3))


def test_events_shape_the_plan() -> None:
    wednesday = dt.date(2027, 4, 14)
    changes = [
        Event(MONDAY, "入学式", classrooms=frozenset({A})),  # 1-1 has no lessons on Monday
        Event(wednesday, "避難訓練", periods=frozenset({1})),
    ]
    tally = hours_tally(
        [ONE_A, ONE_B],
        weekdays(MONDAY, 1),
        [simple_week()],
        BELLS,
        default_bell="normal",
        changes=changes,
    )
    # 1-1: 国語 16/3 - 1 (Mon) - 1 (Wed p1) = 10/3, 生活 0; 1-2: 算数 5 - 1 (Wed).
    assert hours(tally, A, "国語")[0] == Fraction(10, 3)
    assert hours(tally, A, "生活")[0] == 0
    assert hours(tally, B, "算数") == (4, 0, 4)


def test_warnings_for_a_class_falling_short() -> None:
    small = ClassInfo(A, "1年1組", 1, standard={"国語": 10, "生活": 4, "体育": 2})
    tally = hours_tally(
        [small],
        weekdays(MONDAY, 2),
        [simple_week()],
        BELLS,
        default_bell="normal",
        closed={A: {dt.date(2027, 4, 19), dt.date(2027, 4, 20)}},
    )
    # 国語 32/3 - 2 = 26/3 < 10; 生活 4 - 2 (Monday's double) = 2 < 4; 体育 2.
    assert tally.warnings == (
        "1年1組 国語: 年間見込み 8 2/3 時間で標準授業時数 10 時間に 1 1/3 時間不足します",
        "1年1組 生活: 年間見込み 2 時間で標準授業時数 4 時間に 2 時間不足します",
    )
    assert tally.of(A).subject("国語").shortfall == Fraction(4, 3)
    assert tally.of(A).subject("体育").shortfall == 0


def full_days_week(subject: str = "国語") -> Timetable:
    return Timetable(
        APRIL, tuple(lesson(wd, p, A, subject, "yamada") for wd in range(5) for p in range(1, 7))
    )


@pytest.mark.parametrize("weeks,warned", [(36, False), (37, True)])
def test_a_plan_of_1086_hours_or_more_is_flagged(weeks: int, warned: bool) -> None:
    # Six periods a day, five days a week: 30 hours a week; 36 weeks = 1,080, 37 = 1,110.
    junior = ClassInfo(A, "1年1組", 1, national.JUNIOR_HIGH, standard={"国語": 0})
    fifty = BellSchedule("jh", tuple(BellPeriod(p, t(8 + p, 0), t(8 + p, 50)) for p in range(1, 7)))
    tally = hours_tally(
        [junior], weekdays(MONDAY, weeks), [full_days_week()], {"jh": fifty}, default_bell="jh"
    )
    assert tally.of(A).planned == 30 * weeks
    review = [w for w in tally.warnings if "見直し" in w]
    if warned:
        assert review == [
            "1年1組: 年間見込み 1,110 時間（1,086 時間以上: 教育課程の見直しの対象です）"
        ]
    else:
        assert review == []


def test_junior_high_units_and_default_standard() -> None:
    junior = ClassInfo(D, "2年1組", 2, national.JUNIOR_HIGH)
    week = Timetable(APRIL, (lesson(MON, 1, D, "数学", "sato"),))
    # A normal (45-minute) period in a junior high school counts 45/50.
    tally = hours_tally([junior], weekdays(MONDAY, 1), [week], BELLS, default_bell="normal")
    assert hours(tally, D, "数学")[0] == Fraction(9, 10)
    assert tally.of(D).standard == 1015
    assert tally.of(D).subject("数学").standard == 105
    # Compulsory school grade 7 uses the junior-high table and 50 minutes.
    seventh = ClassInfo("7-1", "7年1組", 7, national.COMPULSORY)
    assert seventh.unit() == 50 and seventh.standard_hours()["数学"] == 140


def test_subjects_outside_the_table_come_last_and_missing_bells_are_reported() -> None:
    week = Timetable(
        APRIL, (lesson(MON, 1, A, "読書", "yamada"), lesson(TUE, 1, A, "国語", "yamada"))
    )
    days = [SchoolDay(MONDAY), SchoolDay(dt.date(2027, 4, 13), bell="exam")]
    tally = hours_tally([ONE_A], days, [week], BELLS, default_bell="normal")
    a = tally.of(A)
    assert a.subjects[-1].subject == "読書"
    assert a.subjects[-1].standard is None and a.subjects[-1].planned == 1
    assert a.subject("国語").planned == 0
    assert "校時表（exam）が見つかりません: その日の授業時数を数えていません" in tally.warnings


def test_a_swapped_weekday_keeps_the_real_days_unavailability() -> None:
    # Thursday follows Monday's timetable; ito cannot teach on Thursday mornings.
    day = day_lessons(WEEK, THURSDAY, [SwapWeekday(THURSDAY, MON)])
    found = clashes(day.lessons, unavailable={"ito": {(THU, 5)}, "yamada": {(MON, 1)}})
    assert [(c.kind, c.weekday, c.period, c.who) for c in found] == [
        (ClashKind.UNAVAILABLE, THU, 5, "ito")
    ]


def test_moves_and_swaps_on_a_day_keep_the_hours() -> None:
    changes = [SwapPeriods(MONDAY, A, 1, 4), Move(dt.date(2027, 4, 13), "a1", 3)]
    args = ([ONE_A], weekdays(MONDAY, 1), [simple_week()], BELLS)
    plain = hours_tally(*args, default_bell="normal", as_of=dt.date(2027, 4, 16))
    moved = hours_tally(*args, default_bell="normal", as_of=dt.date(2027, 4, 16), changes=changes)
    assert moved.of(A) == plain.of(A)
    assert hours(moved, A, "国語") == (Fraction(16, 3),) * 3
    # Moving a lesson past the last period of the day's schedule loses it.
    lost = hours_tally(
        *args,
        default_bell="normal",
        as_of=dt.date(2027, 4, 16),
        changes=[Move(dt.date(2027, 4, 13), "a1", 7)],
    )
    assert hours(lost, A, "国語") == (Fraction(16, 3), Fraction(13, 3), Fraction(13, 3))


def test_an_assignment_covers_lessons_of_its_class_or_group() -> None:
    by_class = Assignment("算数", ("yamada",), 5, classroom=A)
    by_group = Assignment("数学", ("suzuki",), 3, group="g-a")
    assert by_class.covers(lesson(MON, 1, A, "算数"))
    assert by_class.covers(lesson(MON, 1, Group.merged([A, B]), "算数"))
    assert by_class.covers(lesson(MON, 1, Group.section([A], "少人数", "1"), "算数"))
    assert not by_class.covers(lesson(MON, 1, B, "算数"))
    assert not by_class.covers(lesson(MON, 1, A, "国語"))
    assert by_group.covers(lesson(MON, 1, Group.section([A, B], "習熟度", "A", key="g-a"), "数学"))
    assert not by_group.covers(
        lesson(MON, 1, Group.section([A, B], "習熟度", "B", key="g-b"), "数学")
    )
    assert not by_group.covers(lesson(MON, 1, A, "数学"))
