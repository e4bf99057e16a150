"""Demo timetables (``make run``): complete, clash-free weeks for the demo schools.

Uses the demo's classes, subjects and staff: in an elementary school the homeroom teacher
teaches the class (音楽 in the music room, 体育 in the gym, a gym holds two classes); in a
junior high the subject teachers of the roster teach their subject, the homeroom teacher
道徳, 総合 and 特活. Weekly periods come from the national standard over the school
calendar's weeks. A simple deterministic filler places the lessons (most constrained
first) and never creates a clash. Then a few daily changes, a short day, and one class
running behind (lessons cancelled in May).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from schools import calendar, teaching
from schools.models import (
    Classroom,
    Role,
    RoleAssignment,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    Subject,
    TeachingAssignment,
)
from schools.permissions import Actor
from timetable import national, queries, services
from timetable.models import (
    DoublePeriod,
    GenerationRules,
    Lesson,
    SlotPreference,
    TeacherLimit,
    Timetable,
)

DEMO_YEAR = 2026
BY = Actor.system("seed_demo")
ES_BELL = [
    (1, "8:45", "9:30"),
    (2, "9:40", "10:25"),
    (3, "10:45", "11:30"),
    (4, "11:40", "12:25"),
    (5, "13:40", "14:25"),
    (6, "14:35", "15:20"),
]
JH_BELL = [
    (1, "8:50", "9:40"),
    (2, "9:50", "10:40"),
    (3, "10:50", "11:40"),
    (4, "11:50", "12:40"),
    (5, "13:30", "14:20"),
    (6, "14:30", "15:20"),
]
SHORT_BELL = [(n, f"{8 + n}:00", f"{8 + n}:40") for n in range(1, 6)]
ROOMS = (
    ("理科室", "science", 1),
    ("音楽室", "music", 1),
    ("家庭科室", "home_ec", 1),
    ("体育館", "gym", 2),
    ("プール", "pool", 2),
    ("コンピュータ室", "computer", 1),
)
ROOM_OF = {
    "音楽": "音楽室",
    "体育": "体育館",
    "保健体育": "体育館",
    "理科": "理科室",
    "家庭": "家庭科室",
    "技術・家庭": "家庭科室",
}
HOMEROOM_SUBJECTS_JH = ("特別の教科 道徳", "総合的な学習の時間", "特別活動")
WEEKDAYS = range(5)


def seed(municipality) -> None:
    year = SchoolYear.objects.filter(year=DEMO_YEAR).first()
    if year is None or Timetable.objects.filter(school_year=year).exists():
        return
    schools = list(School.objects.filter(classrooms__school_year=year).distinct())
    behind = None
    for school in schools:
        timetable = _school(school, year)
        if school.school_type == SchoolType.JUNIOR_HIGH:
            _generation_rules(school, year)
        if behind is None and school.school_type == SchoolType.ELEMENTARY:
            behind = timetable
    if behind is not None:
        _changes(behind, year)


SECOND_TERM = dt.date(DEMO_YEAR, 9, 1)
# Hours above the standard that each subject keeps, so that a short day (短縮日課) or an
# absence covered by 自習 does not make it fall short.
MARGIN = 2
Counts = tuple[tuple[int, ...], tuple[int, ...]]  # school days per weekday, 1学期 and 2学期


def _day_counts(school: School, year: SchoolYear, classes: list[Classroom]) -> dict[int, Counts]:
    """Per class, the school days of each weekday before and from the 2学期, without the days
    the class is closed (学級閉鎖, 学年閉鎖): what one weekly lesson is worth in hours."""
    start, end = calendar.year_bounds(year)
    days = [
        d.date
        for d in calendar.school_dates(school, year)
        if d.is_school_day and d.date.weekday() < 5
    ]
    closures = [c for c in calendar.closures_of(school, start, end) if c.kind != "school"]
    counts: dict[int, Counts] = {}
    for c in classes:
        closed = [x for x in closures if x.applies_to(c.grade, c.pk)]
        terms = ([0] * 5, [0] * 5)
        for day in days:
            if not any(x.start <= day <= x.end for x in closed):
                terms[day >= SECOND_TERM][day.weekday()] += 1
        counts[c.pk] = (tuple(terms[0]), tuple(terms[1]))
    return counts


def _weekly(
    standard: dict[str, int], counts: Counts, slots: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Whole periods a week in the 1学期 and from the 2学期 whose hours (on average weekdays)
    reach each subject's standard (plus ``MARGIN``) with the least surplus; ``_tune`` then
    corrects on the real weekdays."""
    w1, w2 = sum(counts[0]) / 5, sum(counts[1]) / 5
    first, second = {}, {}
    for name, hours in standard.items():
        target = hours + MARGIN
        best = min(
            (a * w1 + b * w2 - target, abs(a - b), a, b)
            for a in range(0, 12)
            for b in range(0, 12)
            if abs(a - b) <= 3 and a * w1 + b * w2 >= target
        )
        first[name], second[name] = best[2], best[3]
    for weekly in (first, second):
        while sum(weekly.values()) > slots:  # the subject with the largest surplus gives
            name = max(weekly, key=lambda n: (first[n] * w1 + second[n] * w2 - standard[n], n))
            weekly[name] -= 1
    return first, second


def _school(school: School, year: SchoolYear) -> Timetable:
    bell = ES_BELL if school.school_type == SchoolType.ELEMENTARY else JH_BELL
    services.save_bell_schedule(
        by=BY, school=school, school_year=year, name="通常日課", periods=bell, is_default=True
    )
    services.save_bell_schedule(
        by=BY, school=school, school_year=year, name="短縮日課", kind="short", periods=SHORT_BELL
    )
    rooms = {
        name: services.save_room(by=BY, school=school, name=name, kind=kind, capacity=cap)
        for name, kind, cap in ROOMS
    }
    timetables = [
        services.create_timetable(by=BY, school=school, school_year=year, name="1学期"),
        services.create_timetable(
            by=BY, school=school, school_year=year, name="2学期", valid_from=SECOND_TERM
        ),
    ]
    classes = list(
        Classroom.objects.filter(school=school, school_year=year, grade__isnull=False).order_by(
            "grade", "sort_order"
        )
    )
    subjects = {s.name: s for s in Subject.objects.filter(school_type=school.school_type)}
    homerooms = dict(
        RoleAssignment.objects.filter(
            role=Role.HOMEROOM, classroom__in=classes, is_draft=False
        ).values_list("classroom_id", "staff_id")
    )
    existing = {
        (a.classroom_id, a.subject.name): a
        for a in TeachingAssignment.objects.filter(classroom__in=classes)
        .select_related("subject")
        .prefetch_related("teachers")
    }
    counts = _day_counts(school, year, classes)
    slots = len(bell) * len(WEEKDAYS)
    capacity = {r.pk: r.capacity for r in rooms.values()}
    # (classroom, subject, teacher, room) per lesson still to place, per timetable
    todo: list[list[tuple[Classroom, Subject, int | None, int | None]]] = [[], []]
    targets: dict[tuple[int, int], int] = {}
    teachers_of: dict[tuple[int, int], list[int]] = {}
    for c in classes:
        standard = national.standard_hours(str(school.school_type), c.grade)
        plans = _weekly(standard, counts[c.pk], slots)
        for name in standard:
            subject = subjects.get(name)
            if subject is None:
                continue
            assignment = existing.get((c.pk, name))
            teachers = [t.pk for t in assignment.teachers.all()] if assignment else []
            if not teachers and (
                school.school_type == SchoolType.ELEMENTARY or name in HOMEROOM_SUBJECTS_JH
            ):
                teachers = [homerooms[c.pk]] if c.pk in homerooms else []
            teachers_of[(c.pk, subject.pk)] = teachers
            targets[(c.pk, subject.pk)] = standard[name] + MARGIN
            room = rooms[ROOM_OF[name]].pk if name in ROOM_OF else None
            for i, weekly in enumerate(plans):
                todo[i] += [(c, subject, teachers[0] if teachers else None, room)] * weekly[name]
    placed = [_fill(lessons, len(bell), capacity) for lessons in todo]
    _tune(placed, todo, counts, targets, len(bell), capacity)
    for c in classes:
        for name in national.standard_hours(str(school.school_type), c.grade):
            subject = subjects.get(name)
            if subject is None:
                continue
            teaching.save_assignment(
                by=BY,
                school=school,
                school_year=year,
                classroom=c,
                subject=subject,
                teachers=Staff.objects.filter(pk__in=teachers_of[(c.pk, subject.pk)]),
                # the 2学期's: the timetable of most of the year
                weekly_periods=sum(
                    1 for (x, s, _, _), _ in placed[1] if x.pk == c.pk and s.pk == subject.pk
                ),
            )
    for timetable, lessons in zip(timetables, placed, strict=True):
        by_class: dict[int, list[dict]] = defaultdict(list)
        for (c, subject, teacher, room), (wd, p) in lessons:
            by_class[c.pk].append(
                {
                    "weekday": wd,
                    "period": p,
                    "subject": subject.pk,
                    "teachers": [teacher] if teacher else [],
                    "room": room,
                }
            )
        for c in classes:
            services.replace_class_week(
                by=BY, timetable=timetable, classroom=c, lessons=by_class[c.pk]
            )
    return timetables[0]


def _fill(todo, periods: int, capacity: dict[int, int]):
    """Place each lesson in a free slot of its class, teacher and room (most constrained first).

    Deterministic; a lesson that finds no slot is left out (never a clash). Subjects are spread
    over the week: a class's lessons of one subject go to different days first.
    """
    slots = [(wd, p) for p in range(1, periods + 1) for wd in WEEKDAYS]
    busy = _Busy.empty(capacity)
    load = defaultdict(int)
    for _, _, t, _ in todo:
        if t:
            load[t] += 1
    order = sorted(
        enumerate(todo),
        key=lambda it: (-(load[it[1][2]] if it[1][2] else 0), it[1][3] is None, it[1][0].pk, it[0]),
    )
    result = []
    for _, lesson in order:
        c, subject = lesson[0], lesson[1]
        offset = (c.pk * 7 + subject.pk * 3) % len(slots)
        candidates = slots[offset:] + slots[:offset]
        slot = next((s for s in candidates if busy.free(lesson, s, spread=True)), None) or next(
            (s for s in candidates if busy.free(lesson, s, spread=False)), None
        )
        if slot is None:
            continue
        busy.take(lesson, slot)
        result.append((lesson, slot))
    return result


def _tune(placed, todo, counts: dict[int, Counts], targets, periods: int, capacity) -> None:
    """Make each class's subjects reach their target hours on the real weekdays with the least
    surplus: add a lesson where one is short, drop or move one where the surplus allows.

    ``placed``: per timetable, the (lesson, slot) pairs of ``_fill`` (changed in place). A
    class's 総授業時数 then stays close to the standard (well under 1,086 a year)."""
    slots = [(wd, p) for p in range(1, periods + 1) for wd in WEEKDAYS]
    busy = [_Busy.empty(capacity) for _ in placed]
    for term, pairs in enumerate(placed):
        for lesson, slot in pairs:
            busy[term].take(lesson, slot)
    kinds: dict[tuple[int, int], tuple] = {}
    for lessons in todo:
        for lesson in lessons:
            kinds.setdefault((lesson[0].pk, lesson[1].pk), lesson)

    def worth(lesson, term: int, slot) -> int:
        return counts[lesson[0].pk][term][slot[0]]

    for key, lesson in kinds.items():
        _tune_subject(placed, busy, slots, lesson, targets[key], worth)


def _tune_subject(placed, busy, slots, lesson, target: int, worth) -> None:
    key = (lesson[0].pk, lesson[1].pk)
    terms = range(len(placed))

    def mine():
        return [
            (term, i, x, slot)
            for term in terms
            for i, (x, slot) in enumerate(placed[term])
            if (x[0].pk, x[1].pk) == key
        ]

    def hours() -> int:
        return sum(worth(x, term, slot) for term, _, x, slot in mine())

    roomless = (*lesson[:3], None)  # a special room that is full: the class's own room
    while hours() < target:  # add the lesson that covers the gap with the least surplus
        need = target - hours()
        options = [
            (x is roomless, worth(x, t, s) < need, abs(worth(x, t, s) - need), t, s, x)
            for x in dict.fromkeys((lesson, roomless))
            for t in terms
            for s in slots
            if busy[t].free(x, s, spread=False)
        ]
        if not options:
            break
        *_, term, slot, x = min(options)
        busy[term].take(x, slot)
        placed[term].append((x, slot))
    while True:  # drop the lesson worth the most that the surplus can spare
        spare = hours() - target
        drops = [
            (worth(x, term, slot), term, i, x, slot)
            for term, i, x, slot in mine()
            if worth(x, term, slot) <= spare
        ]
        if not drops:
            break
        _, term, i, x, slot = max(drops)
        busy[term].give(x, slot)
        del placed[term][i]
    while True:  # move a lesson to a weekday (or term) worth fewer days, as the surplus allows
        spare = hours() - target
        moves = [
            (worth(x, term, slot) - worth(x, t, s), term, i, x, slot, t, s)
            for term, i, x, slot in mine()
            for t in terms
            for s in slots
            if 0 < worth(x, term, slot) - worth(x, t, s) <= spare
            and busy[t].free(x, s, spread=False)
        ]
        if not moves:
            break
        _, term, i, x, slot, t, s = max(moves)
        busy[term].give(x, slot)
        del placed[term][i]
        busy[t].take(x, s)
        placed[t].append((x, s))


@dataclass
class _Busy:
    classes: dict
    teachers: dict
    rooms: dict
    days: dict
    capacity: dict

    @classmethod
    def empty(cls, capacity: dict[int, int]) -> _Busy:
        return cls(defaultdict(set), defaultdict(set), defaultdict(int), defaultdict(set), capacity)

    def take(self, lesson, slot) -> None:
        c, subject, teacher, room = lesson
        self.classes[c.pk].add(slot)
        if teacher:
            self.teachers[teacher].add(slot)
        if room:
            self.rooms[(room, slot)] += 1
        self.days[(c.pk, subject.pk)].add(slot[0])

    def give(self, lesson, slot) -> None:
        c, subject, teacher, room = lesson
        self.classes[c.pk].discard(slot)
        if teacher:
            self.teachers[teacher].discard(slot)
        if room:
            self.rooms[(room, slot)] -= 1
        # days: a spreading hint only; a freed weekday may still hold another of these lessons

    def free(self, lesson, slot, *, spread: bool) -> bool:
        c, subject, teacher, room = lesson
        if slot in self.classes[c.pk]:
            return False
        if teacher and slot in self.teachers[teacher]:
            return False
        if room and self.rooms[(room, slot)] >= self.capacity.get(room, 1):
            return False
        return not (spread and slot[0] in self.days[(c.pk, subject.pk)])


def _changes(timetable: Timetable, year: SchoolYear) -> None:
    """Some daily changes, and one class running behind: its 算数 cancelled in May and June."""
    school = timetable.school
    lessons = list(
        Lesson.objects.filter(timetable=timetable)
        .select_related("classroom", "subject")
        .prefetch_related("teachers")
        .order_by("classroom__grade", "classroom__sort_order", "weekday", "period")
    )
    if not lessons:
        return
    days = [d.date for d in calendar.school_dates(school, year) if d.is_school_day]
    first_class = lessons[0].classroom_id
    behind = [x for x in lessons if x.classroom_id == first_class and x.subject.name == "算数"]
    spring = [d for d in days if d.month in (5, 6)]
    for day in spring:
        for x in behind:
            if x.weekday == day.weekday():
                services.add_daily_change(
                    by=BY,
                    school=school,
                    date=day,
                    kind="cancel",
                    lesson=x.pk,
                    note="学級の行事の準備",
                )
    # Today (or the first school day from June) in the staff room: an absence and a short day.
    today = dt.date.today()
    day = next((d for d in days if d >= max(today, dt.date(DEMO_YEAR, 6, 1))), None)
    if day is None:
        return
    todays = [x for x in lessons if x.weekday == day.weekday() and x.teachers.all()]
    if todays:
        absent = todays[0].teachers.all()[0]
        suggestions, _ = queries.substitute_suggestions(school, day, absent)
        for offer in suggestions[:2]:
            if offer.supervisors:
                services.add_daily_change(
                    by=BY,
                    school=school,
                    date=day,
                    kind="self_study",
                    lesson=offer.lesson.key,
                    absent=absent.pk,
                    teachers=[offer.supervisors[0].teacher],
                    note="出張",
                )
    later = next((d for d in days if d > day + dt.timedelta(days=7)), None)
    short = timetable.school.bell_schedules.filter(kind="short").first()
    if later and short:
        services.add_daily_change(
            by=BY,
            school=school,
            date=later,
            kind="bell",
            bell_schedule=short.pk,
            note="個人面談のため短縮日課",
        )


def _generation_rules(school: School, year: SchoolYear) -> None:
    """自動作成の決まり of a demo 中学校: 理科 of 2年 and 技術・家庭 (週2) as one double a week,
    teachers at most 4 in a row (the 音楽 teacher, 兼務, 4 a day), 保健体育 not right after
    lunch (80 %), 国語・数学・外国語 in the morning (50 %)."""
    GenerationRules.objects.get_or_create(school=school, defaults={"teacher_max_row": 4})
    assignments = TeachingAssignment.objects.filter(
        school=school, school_year=year, classroom__isnull=False
    ).select_related("subject", "classroom")
    for a in assignments:
        science = a.subject.name == "理科" and a.classroom.grade == 2
        if (science or a.subject.name == "技術・家庭") and a.weekly_periods >= 2:
            DoublePeriod.objects.get_or_create(assignment=a)
    music = next((a for a in assignments if a.subject.name == "音楽"), None)
    teacher = music.teachers.first() if music else None
    if teacher is not None:
        TeacherLimit.objects.get_or_create(school=school, staff=teacher, defaults={"max_daily": 4})
    subjects = {s.name: s for s in Subject.objects.filter(school_type=school.school_type)}
    wishes = (
        (SlotPreference.Kind.AVOID, ("保健体育",), [5], 80),
        (SlotPreference.Kind.PREFER, ("国語", "数学", "外国語"), [1, 2, 3, 4], 50),
    )
    for kind, names, periods, weight in wishes:
        chosen = [subjects[n] for n in names if n in subjects]
        if chosen:
            pref = SlotPreference.objects.create(
                school=school, kind=kind, periods=periods, weight=weight
            )
            pref.subjects.set(chosen)
