"""Read models of the timetable: rows turned into the values of ``timetable.rules``.

Every function costs a constant number of queries, whatever the size of the school (the
tests assert it for a small and a large school). A read never writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Q

from schools import calendar
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
    TeachingGroup,
)
from timetable import curriculum, national, rules
from timetable.models import (
    BellSchedule,
    BellScheduleDay,
    DailyChange,
    Lesson,
    Room,
    Timetable,
    Unavailability,
)

# --- years and timetables ------------------------------------------------------------------


def year_of(date: dt.date) -> SchoolYear | None:
    """The 年度 a date belongs to (April to March)."""
    return SchoolYear.objects.filter(year=date.year if date.month >= 4 else date.year - 1).first()


def timetables_of(school: School, school_year: SchoolYear) -> list[Timetable]:
    return list(Timetable.objects.filter(school=school, school_year=school_year))


def timetable_on(school: School, date: dt.date) -> Timetable | None:
    """The weekly timetable in force on a date (the latest starting on or before it)."""
    return (
        Timetable.objects.filter(school=school, valid_from__lte=date)
        .select_related("school", "school_year")
        .order_by("-valid_from")
        .first()
    )


def current_timetable(school: School, school_year: SchoolYear, date: dt.date) -> Timetable | None:
    """The timetable in force on ``date`` if it is in the year, else the year's first one."""
    qs = Timetable.objects.filter(school=school, school_year=school_year).select_related(
        "school", "school_year"
    )
    return qs.filter(valid_from__lte=date).order_by("-valid_from").first() or qs.first()


# --- rows → rules values ------------------------------------------------------------------


def _group(
    lesson: Lesson, group_classes: dict[int, list[int]], groups: dict[int, str]
) -> rules.Group:
    return _group_of(
        lesson.classroom_id, lesson.group_id, lesson.division, lesson.section, group_classes, groups
    )


def _group_of(
    classroom_id: int | None,
    group_id: int | None,
    division: str,
    section: str,
    group_classes: dict[int, list[int]],
    groups: dict[int, str],
) -> rules.Group:
    if group_id is None:
        return rules.Group((rules.Part(classroom_id, division, section),))
    classes = group_classes.get(group_id, [])
    name = groups.get(group_id, "")
    if division:
        return rules.Group.section(classes, division, section, key=group_id, name=name)
    return rules.Group.merged(classes, key=group_id, name=name)


def _group_classes(group_ids: Iterable[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    ids = set(group_ids)
    if ids:
        for g, c in TeachingGroup.classes.through.objects.filter(
            teachinggroup_id__in=ids
        ).values_list("teachinggroup_id", "classroom_id"):
            result[g].append(c)
    return result


def _lessons(qs) -> tuple[list[rules.Lesson], dict[int, Lesson]]:
    """Lessons of a queryset as rules values (3 queries), and the rows by id."""
    rows = list(qs.select_related("subject", "room", "group", "classroom", "timetable__school"))
    teachers: dict[int, list[int]] = defaultdict(list)
    if rows:
        for lesson_id, staff_id in (
            Lesson.teachers.through.objects.filter(lesson_id__in=[r.pk for r in rows])
            .order_by("pk")
            .values_list("lesson_id", "staff_id")
        ):
            teachers[lesson_id].append(staff_id)
    group_ids = {r.group_id for r in rows if r.group_id}
    group_classes = _group_classes(group_ids)
    names = {r.group_id: r.group.name for r in rows if r.group_id}
    values = []
    for r in rows:
        r.teacher_ids = teachers[r.pk]
        values.append(
            rules.Lesson(
                weekday=r.weekday,
                period=r.period,
                group=_group(r, group_classes, names),
                subject=r.subject.name,
                teachers=tuple(teachers[r.pk]),
                room=r.room_id,
                length=r.length,
                minutes=r.minutes,
                key=r.pk,
            )
        )
    return values, {r.pk: r for r in rows}


LESSON_FIELDS = (
    "pk",
    "timetable_id",
    "weekday",
    "period",
    "length",
    "classroom_id",
    "group_id",
    "division",
    "section",
    "subject__name",
    "room_id",
    "minutes",
)


def _lesson_values(qs) -> list[tuple[int, rules.Lesson]]:
    """(timetable id, lesson) of a queryset as rules values, without model rows (2 queries,
    3 with groups): the tally and the clash check read thousands of lessons, and building
    Django rows for them cost most of their time."""
    rows = list(qs.values_list(*LESSON_FIELDS))
    teachers: dict[int, list[int]] = defaultdict(list)
    if rows:
        for lesson_id, staff_id in (
            Lesson.teachers.through.objects.filter(lesson_id__in=qs.values("pk"))
            .order_by("pk")
            .values_list("lesson_id", "staff_id")
        ):
            teachers[lesson_id].append(staff_id)
    group_ids = {r[6] for r in rows if r[6]}
    group_classes = _group_classes(group_ids)
    names: dict[int, str] = {}
    if group_ids:
        names = dict(TeachingGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    result = []
    made: dict[tuple, rules.Group] = {}  # one value per class or group: most lessons share it
    for (
        pk,
        timetable,
        weekday,
        period,
        length,
        classroom,
        group,
        div,
        sec,
        subject,
        room,
        mins,
    ) in rows:
        whose = (classroom, group, div, sec)
        if whose not in made:
            made[whose] = _group_of(classroom, group, div, sec, group_classes, names)
        result.append(
            (
                timetable,
                rules.Lesson(
                    weekday=weekday,
                    period=period,
                    group=made[whose],
                    subject=subject,
                    teachers=tuple(teachers[pk]),
                    room=room,
                    length=length,
                    minutes=mins,
                    key=pk,
                ),
            )
        )
    return result


def _bell_value(schedule: BellSchedule) -> rules.BellSchedule:
    return rules.BellSchedule(
        schedule.pk,
        tuple(rules.BellPeriod(p.number, p.start, p.end) for p in schedule.periods.all()),
        schedule.name,
    )


def bell_schedules(school: School, school_year: SchoolYear) -> list[BellSchedule]:
    """The school's bell schedules of a year with their periods (2 queries)."""
    return list(
        BellSchedule.objects.filter(school=school, school_year=school_year).prefetch_related(
            "periods"
        )
    )


def bell_days(school: School, school_year: SchoolYear) -> list[BellScheduleDay]:
    """Dates that use another schedule than the default (1 query)."""
    return list(
        BellScheduleDay.objects.filter(
            school=school, date__range=calendar.year_bounds(school_year)
        ).select_related("schedule")
    )


def rooms_of(school: School) -> list[Room]:
    return list(Room.objects.filter(school=school))


def _assignments(school: School, school_year: SchoolYear) -> list[TeachingAssignment]:
    return list(
        TeachingAssignment.objects.filter(school=school, school_year=school_year, is_draft=False)
        .select_related("subject", "classroom", "group")
        .prefetch_related("teachers")
    )


def assignments_for(school: School, school_year: SchoolYear) -> list[TeachingAssignment]:
    """The confirmed assignments of a school's year, with subjects, targets and teachers."""
    return _assignments(school, school_year)


def _homerooms(classes: Iterable[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    for c, s in RoleAssignment.objects.filter(
        role=Role.HOMEROOM, classroom_id__in=list(classes), is_draft=False
    ).values_list("classroom_id", "staff_id"):
        result[c].append(s)
    return result


def assignment_values(
    assignments: list[TeachingAssignment],
    classes: list[Classroom],
    homerooms: dict[int, list[int]],
    subjects: list[Subject],
    *,
    for_clashes: bool,
) -> list[rules.Assignment]:
    """Assignments as rules values. For clash checks the elementary rule is added: the
    homeroom teacher teaches every subject of the class that no 専科 teaches."""
    values = [
        rules.Assignment(
            subject=a.subject.name,
            teachers=tuple(t.pk for t in a.teachers.all()),
            periods=Fraction(a.weekly_periods),
            classroom=a.classroom_id,
            group=a.group_id,
        )
        for a in assignments
    ]
    if not for_clashes:
        return values
    taught = {(a.classroom_id, a.subject_id) for a in assignments if a.teachers.all()}
    for c in classes:
        if c.school.school_type != SchoolType.ELEMENTARY or not homerooms.get(c.pk):
            continue
        for s in subjects:
            if (c.pk, s.pk) not in taught:
                values.append(rules.Assignment(s.name, tuple(homerooms[c.pk]), 0, classroom=c.pk))
    return values


# --- the whole-school grid ------------------------------------------------------------------


@dataclass
class ClassRow:
    classroom: Classroom
    cells: dict[tuple[int, int], list[Lesson]]
    placements: list[rules.Placement]
    clash_slots: set[tuple[int, int]] = field(default_factory=set)
    homeroom: str = ""
    # (lessons, clash?, first period of the day?) in the grid's order, for the page
    display: list[tuple[list[Lesson], bool, bool]] = field(default_factory=list)

    @property
    def placed(self) -> int:
        return sum(p.placed for p in self.placements)

    @property
    def assigned(self) -> Fraction:
        return sum((Fraction(p.assigned) for p in self.placements), Fraction(0))

    @property
    def short(self) -> list[rules.Placement]:
        return [p for p in self.placements if p.difference != 0]


@dataclass
class Grid:
    school: School
    school_year: SchoolYear
    timetable: Timetable | None
    periods: list[int]
    weekdays: list[int]
    rows: list[ClassRow]
    clashes: list[rules.Clash]
    names: rules.Names
    subjects: list[Subject]
    rooms: list[Room]
    staff: list[Staff]


def school_week(timetable: Timetable) -> tuple[list[rules.Lesson], dict[int, Lesson]]:
    return _lessons(Lesson.objects.filter(timetable=timetable))


def _other_school_lessons(
    timetable: Timetable, teacher_ids: set[int], date: dt.date
) -> list[rules.Lesson]:
    """兼務 teachers' lessons at their other schools, in the timetables in force (2 queries)."""
    if not teacher_ids:
        return []
    others = list(
        Timetable.objects.filter(school_year_id=timetable.school_year_id, valid_from__lte=date)
        .exclude(school_id=timetable.school_id)
        .filter(lessons__teachers__in=teacher_ids)
        .distinct()
        .order_by("school_id", "valid_from")
    )
    in_force = {t.school_id: t.pk for t in others}  # the latest per school wins
    if not in_force:
        return []
    rows = (
        Lesson.objects.filter(timetable_id__in=in_force.values(), teachers__in=teacher_ids)
        .select_related("subject", "timetable")
        .prefetch_related("teachers")
        .distinct()
    )
    return [
        rules.Lesson(
            weekday=r.weekday,
            period=r.period,
            group=rules.Group.of_class(f"other-{r.classroom_id or r.group_id}"),
            subject=r.subject.name,
            teachers=tuple(t.pk for t in r.teachers.all() if t.pk in teacher_ids),
            length=r.length,
            key=f"other-{r.pk}",
            school=r.timetable.school_id,
        )
        for r in rows
    ]


def _subjects(school: School) -> list[Subject]:
    return curriculum.subjects_of(school)


def clash_inputs(
    timetable: Timetable,
) -> tuple[list[rules.Lesson], dict[int, rules.Room], list[rules.Assignment]]:
    """What ``rules.clashes`` needs to check a school's week: its lessons, rooms and
    assignments (with the elementary homeroom rule); a constant number of queries."""
    school, school_year = timetable.school, timetable.school_year
    lessons = [x for _, x in _lesson_values(Lesson.objects.filter(timetable=timetable))]
    rooms = {
        pk: rules.Room(pk, name, capacity)
        for pk, name, capacity in Room.objects.filter(school=school).values_list(
            "pk", "name", "capacity"
        )
    }
    # Plain values, not rows (as ``assignment_values`` with ``for_clashes``): this runs after
    # every edit of the grid.
    rows = list(
        TeachingAssignment.objects.filter(
            school=school, school_year=school_year, is_draft=False
        ).values_list(
            "pk", "subject_id", "subject__name", "weekly_periods", "classroom_id", "group_id"
        )
    )
    teachers: dict[int, list[int]] = defaultdict(list)
    for a, t in TeachingAssignment.teachers.through.objects.filter(
        teachingassignment__school=school,
        teachingassignment__school_year=school_year,
        teachingassignment__is_draft=False,
    ).values_list("teachingassignment_id", "staff_id"):
        teachers[a].append(t)
    assignments = [
        rules.Assignment(
            subject=name,
            teachers=tuple(teachers[pk]),
            periods=Fraction(periods),
            classroom=classroom,
            group=group,
        )
        for pk, _, name, periods, classroom, group in rows
    ]
    if school.school_type == SchoolType.ELEMENTARY:
        classes = Classroom.objects.filter(school=school, school_year=school_year).values("pk")
        homerooms = defaultdict(list)
        for c, t in RoleAssignment.objects.filter(
            role=Role.HOMEROOM, classroom__in=classes, is_draft=False
        ).values_list("classroom_id", "staff_id"):
            homerooms[c].append(t)
        taught = {(c, s) for pk, s, _, _, c, _ in rows if teachers[pk]}
        subjects = _subjects(school)
        for c, ts in homerooms.items():
            for s in subjects:
                if (c, s.pk) not in taught:
                    assignments.append(rules.Assignment(s.name, tuple(ts), 0, classroom=c))
    return lessons, rooms, assignments


def unavailable_slots(school: School, school_year: SchoolYear) -> dict[int, set[rules.Slot]]:
    """Teacher -> the (weekday, period) slots they cannot teach at this school (one query)."""
    found: dict[int, set[rules.Slot]] = defaultdict(set)
    for staff_id, weekday, period in Unavailability.objects.filter(
        school=school, school_year=school_year
    ).values_list("staff_id", "weekday", "period"):
        found[staff_id].add((weekday, period))
    return dict(found)


def unavailability_rows(school: School, school_year: SchoolYear) -> list[Unavailability]:
    return list(
        Unavailability.objects.filter(school=school, school_year=school_year).select_related(
            "staff"
        )
    )


def timetable_staff(school: School, school_year: SchoolYear) -> list[Staff]:
    """The teachers of a school's timetable: assigned, homeroom, or already marked unavailable."""
    classes = list(
        Classroom.objects.filter(school=school, school_year=school_year).values_list(
            "pk", flat=True
        )
    )
    ids = {t.pk for a in _assignments(school, school_year) for t in a.teachers.all()}
    ids |= {t for ts in _homerooms(classes).values() for t in ts}
    ids |= set(
        Unavailability.objects.filter(school=school, school_year=school_year).values_list(
            "staff_id", flat=True
        )
    )
    return list(Staff.objects.filter(pk__in=ids).order_by("kana", "name", "pk"))


def school_staff(school: School, school_year: SchoolYear) -> list[Staff]:
    """Everyone who may teach at the school this year: any role there, or already teaching."""
    ids = set(
        RoleAssignment.objects.filter(school=school, school_year=school_year).values_list(
            "staff_id", flat=True
        )
    )
    ids |= {s.pk for s in timetable_staff(school, school_year)}
    return list(Staff.objects.filter(pk__in=ids).order_by("kana", "name", "pk"))


def timetable_clashes(timetable: Timetable) -> list[rules.Clash]:
    """Every clash of a weekly timetable (constant number of queries)."""
    return grid(timetable.school, timetable.school_year, timetable=timetable).clashes


def grid(
    school: School,
    school_year: SchoolYear,
    *,
    timetable: Timetable | None = None,
    date: dt.date | None = None,
) -> Grid:
    """The whole-school grid: classes × weekday-periods, clashes, placed vs assigned."""
    date = date or dt.date.today()
    timetable = timetable or current_timetable(school, school_year, date)
    classes = list(
        Classroom.objects.filter(school=school, school_year=school_year).select_related("school")
    )
    subjects = _subjects(school)
    rooms = rooms_of(school)
    assignments = _assignments(school, school_year)
    homerooms = _homerooms(c.pk for c in classes)
    lessons: list[rules.Lesson] = []
    rows_by_id: dict[int, Lesson] = {}
    if timetable is not None:
        lessons, rows_by_id = school_week(timetable)
    teacher_ids = {t for x in lessons for t in x.teachers}
    teacher_ids |= {t.pk for a in assignments for t in a.teachers.all()}
    teacher_ids |= {t for ts in homerooms.values() for t in ts}
    staff = list(Staff.objects.filter(pk__in=teacher_ids).order_by("kana", "pk"))
    names = rules.Names(
        teachers={s.pk: s.name for s in staff},
        classes={c.pk: c.label for c in classes},
        rooms={r.pk: r.name for r in rooms},
    )
    found: list[rules.Clash] = []
    if timetable is not None:
        found = rules.clashes(
            lessons,
            rooms={r.pk: rules.Room(r.pk, r.name, r.capacity) for r in rooms},
            assignments=assignment_values(
                assignments, classes, homerooms, subjects, for_clashes=True
            ),
            other_lessons=_other_school_lessons(timetable, teacher_ids, date),
            unavailable=unavailable_slots(school, school_year),
            names=names,
        )
    placements = rules.placed_vs_assigned(
        lessons, assignment_values(assignments, classes, homerooms, subjects, for_clashes=False)
    )
    by_class: dict[int, ClassRow] = {}
    for c in classes:
        by_class[c.pk] = ClassRow(
            c,
            defaultdict(list),
            [],
            homeroom="・".join(names.teachers.get(t, "") for t in homerooms.get(c.pk, [])),
        )
    for value in lessons:
        row = rows_by_id[value.key]
        for c in value.group.classrooms:
            if c in by_class:
                for slot in value.slots:
                    by_class[c].cells[slot].append(row)
    for p in placements:
        if p.classroom in by_class:
            by_class[p.classroom].placements.append(p)
    for clash in found:
        for x in clash.lessons:
            for c in x.group.classrooms:
                if c in by_class:
                    by_class[c].clash_slots.update(x.slots)
    periods = list(range(1, calendar.periods_per_day(school) + 1))
    weekdays = [0, 1, 2, 3, 4]
    for row in by_class.values():
        row.display = [
            (row.cells.get((d, p), []), (d, p) in row.clash_slots, p == 1)
            for d in weekdays
            for p in periods
        ]
    return Grid(
        school,
        school_year,
        timetable,
        periods,
        weekdays,
        list(by_class.values()),
        found,
        names,
        subjects,
        rooms,
        staff,
    )


# --- one class, one teacher, one room -----------------------------------------------------


@dataclass
class Week:
    """A week of one class, teacher or room: cells by (weekday, period)."""

    title: str
    periods: list[int]
    weekdays: list[int]
    cells: dict[tuple[int, int], list[Lesson]]
    bell: BellSchedule | None = None
    names: dict[int, str] = field(default_factory=dict)  # staff id -> name

    def cell(self, weekday: int, period: int) -> list[Lesson]:
        return self.cells.get((weekday, period), [])

    @property
    def table(self) -> list[tuple[int, str, list[list[Lesson]]]]:
        """Rows for the page: (period, its times on the default schedule, lessons by weekday)."""
        times = {}
        if self.bell is not None:
            times = {p.number: f"{p.start:%H:%M}〜{p.end:%H:%M}" for p in self.bell.periods.all()}
        return [
            (p, times.get(p, ""), [self.cell(d, p) for d in self.weekdays]) for p in self.periods
        ]

    @property
    def count(self) -> int:
        return len({id(x) for lessons in self.cells.values() for x in lessons})


def _week(title: str, rows: list[Lesson], periods: int, bell: BellSchedule | None) -> Week:
    cells: dict[tuple[int, int], list[Lesson]] = defaultdict(list)
    for r in rows:
        for p in range(r.period, r.period + r.length):
            cells[(r.weekday, p)].append(r)
    staff_ids = {t for r in rows for t in getattr(r, "teacher_ids", [])}
    names = dict(Staff.objects.filter(pk__in=staff_ids).values_list("pk", "name"))
    for r in rows:
        r.teacher_names = [names.get(t, "") for t in getattr(r, "teacher_ids", [])]
    return Week(title, list(range(1, periods + 1)), [0, 1, 2, 3, 4], dict(cells), bell, names)


def default_bell(school: School, school_year: SchoolYear) -> BellSchedule | None:
    return (
        BellSchedule.objects.filter(school=school, school_year=school_year, is_default=True)
        .prefetch_related("periods")
        .first()
    )


def class_week(classroom: Classroom, date: dt.date | None = None) -> Week:
    """A class's week in the timetable in force (its own lessons and its groups')."""
    date = date or dt.date.today()
    timetable = current_timetable(classroom.school, classroom.school_year, date)
    rows: list[Lesson] = []
    if timetable is not None:
        groups = TeachingGroup.objects.filter(classes=classroom).values("pk")
        _, by_id = _lessons(
            Lesson.objects.filter(timetable=timetable).filter(
                Q(classroom=classroom) | Q(group__in=groups)
            )
        )
        rows = list(by_id.values())
    return _week(
        f"{classroom.label}の時間割",
        rows,
        calendar.periods_per_day(classroom.school),
        default_bell(classroom.school, classroom.school_year),
    )


def room_week(room: Room, school_year: SchoolYear, date: dt.date | None = None) -> Week:
    date = date or dt.date.today()
    timetable = current_timetable(room.school, school_year, date)
    rows: list[Lesson] = []
    if timetable is not None:
        _, by_id = _lessons(Lesson.objects.filter(timetable=timetable, room=room))
        rows = list(by_id.values())
    return _week(
        f"{room.name}の使用予定",
        rows,
        calendar.periods_per_day(room.school),
        default_bell(room.school, school_year),
    )


def teacher_week(staff: Staff, school_year: SchoolYear, date: dt.date | None = None) -> Week:
    """A teacher's week across every school they teach at (兼務), in the timetables in force."""
    date = date or dt.date.today()
    candidates = list(
        Timetable.objects.filter(
            school_year=school_year, lessons__teachers=staff, valid_from__lte=date
        )
        .distinct()
        .order_by("school_id", "valid_from")
    )
    in_force = {t.school_id: t.pk for t in candidates}
    if not in_force:  # before the first timetable starts: the year's first ones
        for t in (
            Timetable.objects.filter(school_year=school_year, lessons__teachers=staff)
            .distinct()
            .order_by("school_id", "-valid_from")
        ):
            in_force[t.school_id] = t.pk
    rows: list[Lesson] = []
    if in_force:
        _, by_id = _lessons(
            Lesson.objects.filter(timetable_id__in=in_force.values(), teachers=staff)
        )
        rows = list(by_id.values())
    periods = max(
        [calendar.periods_per_day(r.timetable.school) for r in rows]
        or [calendar.DEFAULT_PERIODS_PER_DAY]
    )
    bell = None
    if len(in_force) == 1:
        bell = (
            BellSchedule.objects.filter(
                school_id=next(iter(in_force)), school_year=school_year, is_default=True
            )
            .prefetch_related("periods")
            .first()
        )
    return _week(f"{staff.name}先生の週の授業", rows, periods, bell)


# --- daily changes -------------------------------------------------------------------------


def changes_of(school: School, start: dt.date, end: dt.date | None = None) -> list[DailyChange]:
    end = end or start
    return list(
        DailyChange.objects.filter(school=school, date__range=(start, end))
        .select_related(
            "lesson__subject",
            "lesson__classroom",
            "classroom",
            "subject",
            "absent",
            "room",
            "bell_schedule",
        )
        .prefetch_related("teachers")
        .order_by("date", "pk")
    )


def changes_by_id(school: School, pk: object) -> list[DailyChange]:
    """The change ``pk`` of the school (empty when there is none)."""
    from schools.permissions import as_pk

    key = as_pk(pk)
    return list(DailyChange.objects.filter(school=school, pk=key)) if key else []


def change_values(changes: Iterable[DailyChange]) -> list[rules.Change]:
    """Daily change rows as rules values (the rows' teachers must be prefetched)."""
    K = DailyChange.Kind
    values: list[rules.Change] = []
    for c in changes:
        teachers = tuple(t.pk for t in c.teachers.all())
        if c.kind == K.SWAP:
            values.append(rules.SwapPeriods(c.date, c.classroom_id, c.period, c.other_period))
        elif c.kind == K.MOVE:
            values.append(rules.Move(c.date, c.lesson_id, c.period, c.room_id))
        elif c.kind == K.CANCEL:
            values.append(rules.Cancel(c.date, c.lesson_id, c.note))
        elif c.kind == K.ADD:
            values.append(
                rules.Add(
                    c.date,
                    rules.Lesson(
                        c.date.weekday(),
                        c.period,
                        rules.Group.of_class(c.classroom_id),
                        c.subject.name,
                        teachers,
                        c.room_id,
                        key=f"add-{c.pk}",
                        status=rules.LessonStatus.ADDED,
                    ),
                )
            )
        elif c.kind == K.SUBSTITUTE and teachers:
            values.append(rules.Substitute(c.date, c.lesson_id, c.absent_id, teachers[0]))
        elif c.kind == K.SELF_STUDY and teachers:
            values.append(rules.SelfStudy(c.date, c.lesson_id, teachers[0]))
        elif c.kind == K.BELL:
            values.append(rules.SetBell(c.date, c.bell_schedule_id))
        elif c.kind == K.WEEKDAY:
            values.append(rules.SwapWeekday(c.date, c.weekday))
    return values


@dataclass
class DayView:
    school: School
    date: dt.date
    day: rules.Day
    changes: list[DailyChange]
    names: rules.Names
    subjects: dict[str, Subject]
    is_school_day: bool
    bells: dict[int, BellSchedule]
    lessons_by_id: dict[int, Lesson]


def _bell_of(school: School, date: dt.date, schedules: list[BellSchedule]) -> int | None:
    override = (
        BellScheduleDay.objects.filter(school=school, date=date)
        .values_list("schedule_id", flat=True)
        .first()
    )
    if override:
        return override
    return next((s.pk for s in schedules if s.is_default), None)


def school_day(school: School, date: dt.date) -> DayView:
    """The school's lessons of a date after its changes (constant number of queries)."""
    year = year_of(date)
    timetable = timetable_on(school, date)
    weekly: list[rules.Lesson] = []
    by_id: dict[int, Lesson] = {}
    if timetable is not None:
        weekly, by_id = school_week(timetable)
    schedules = bell_schedules(school, year) if year else []
    rows = changes_of(school, date)
    values = change_values(rows)
    bells = {s.pk: _bell_value(s) for s in schedules}
    day = rules.day_lessons(
        weekly,
        date,
        values,
        bell=_bell_of(school, date, schedules),
        bells=bells or None,
    )
    staff_ids = {t for x in weekly for t in x.teachers} | {t for c in values for t in _people(c)}
    classes = Classroom.objects.filter(school=school, school_year=year) if year else []
    names = rules.Names(
        teachers=dict(Staff.objects.filter(pk__in=staff_ids).values_list("pk", "name")),
        classes={c.pk: c.label for c in classes},
        rooms={r.pk: r.name for r in rooms_of(school)},
    )
    is_day = date.weekday() < 5
    if year is not None:
        found = [d for d in calendar.school_dates(school, year) if d.date == date]
        if found:
            is_day = found[0].is_school_day
    return DayView(
        school,
        date,
        day,
        rows,
        names,
        {s.name: s for s in _subjects(school)},
        is_day,
        {s.pk: s for s in schedules},
        by_id,
    )


def _people(change: rules.Change) -> tuple:
    if isinstance(change, rules.Substitute):
        return (change.absent, change.substitute)
    if isinstance(change, rules.SelfStudy):
        return (change.supervisor,)
    if isinstance(change, rules.Add):
        return change.lesson.teachers
    return ()


def my_day(staff: Staff, date: dt.date) -> list[tuple[School, rules.Day, rules.Names]]:
    """A teacher's lessons of a date in each of their schools, with the day's changes."""
    schools = School.objects.filter(
        Q(timetables__lessons__teachers=staff) | Q(daily_changes__teachers=staff)
    ).distinct()
    result = []
    for school in schools:  # a teacher has one or two schools (兼務)
        view = school_day(school, date)
        mine = [x for x in view.day.lessons if staff.pk in x.teachers or staff.pk in x.absent]
        day = rules.Day(
            view.day.date, view.day.weekday, view.day.bell, tuple(mine), view.day.cancelled
        )
        result.append((school, day, view.names))
    return result


def substitute_suggestions(
    school: School, date: dt.date, absent: Staff
) -> tuple[list[rules.Suggestion], rules.Names]:
    """Who can take ``absent``'s lessons of a date: 代替 candidates and 自習 supervisors."""
    view = school_day(school, date)
    year = year_of(date)
    assignments = _assignments(school, year) if year else []
    classes = (
        list(Classroom.objects.filter(school=school, school_year=year).select_related("school"))
        if year
        else []
    )
    homerooms = _homerooms(c.pk for c in classes)
    teachers = sorted(
        {t for x in view.day.lessons for t in x.teachers}
        | {t.pk for a in assignments for t in a.teachers.all()}
        | {t for ts in homerooms.values() for t in ts}
    )
    names = dict(Staff.objects.filter(pk__in=teachers).values_list("pk", "name"))
    week_start = date - dt.timedelta(days=date.weekday())
    duties: dict[int, int] = defaultdict(int)
    for staff_id in DailyChange.objects.filter(
        school=school,
        date__range=(week_start, week_start + dt.timedelta(days=6)),
        kind__in=[DailyChange.Kind.SUBSTITUTE, DailyChange.Kind.SELF_STUDY],
    ).values_list("teachers", flat=True):
        if staff_id:
            duties[staff_id] += 1
    away = set(
        DailyChange.objects.filter(school=school, date=date, absent__isnull=False)
        .exclude(absent=absent)
        .values_list("absent_id", flat=True)
    )
    all_names = rules.Names(
        teachers={**view.names.teachers, **names},
        classes=view.names.classes,
        rooms=view.names.rooms,
    )
    suggestions = rules.suggest_substitutes(
        absent.pk,
        date,
        view.day.lessons,
        sorted(teachers, key=lambda t: names.get(t, "")),
        assignments=assignment_values(
            assignments, classes, homerooms, _subjects(school), for_clashes=True
        ),
        duties=duties,
        absent=away,
        unavailable=unavailable_slots(school, year) if year else {},
        names=all_names,
    )
    return suggestions, all_names


# --- class hours (授業時数) ------------------------------------------------------------------


def _class_info(c: Classroom, standards: curriculum.Standards) -> rules.ClassInfo | None:
    """A class with its grade's standard hours as the board and the school adjusted them."""
    if c.grade is None:
        return None
    school_type = c.school.school_type
    if school_type == SchoolType.COMPULSORY:
        school_type = national.COMPULSORY
    return rules.ClassInfo(
        c.pk, c.label, c.grade, str(school_type), standard=standards.of(school_type, c.grade)
    )


def hours_tally(
    school: School, school_year: SchoolYear, *, as_of: dt.date | None = None
) -> rules.Tally:
    """授業時数 of every class of a school's year: planned, held up to ``as_of``, projected,
    against the standard hours (``rules.hours_tally`` fed from ``schools.calendar``)."""
    return next(school_tallies([school], school_year, as_of=as_of)).tally


def _closed_days(
    classes: list[Classroom],
    closures: list,
    school_days: set[dt.date],
    start: dt.date,
    end: dt.date,
) -> dict[int, set[dt.date]]:
    closed: dict[int, set[dt.date]] = defaultdict(set)
    for closure in closures:
        if closure.kind == "school":  # already not a school day in the calendar
            continue
        for c in classes:
            if closure.applies_to(c.grade, c.pk):
                day = max(closure.start, start)
                while day <= min(closure.end, end):
                    if day in school_days:
                        closed[c.pk].add(day)
                    day += dt.timedelta(days=1)
    return closed


TALLY_CHUNK = 50  # schools loaded together: few queries, bounded memory


def school_tallies(
    schools: Iterable[School],
    school_year: SchoolYear,
    *,
    as_of: dt.date | None = None,
    chunk: int = TALLY_CHUNK,
) -> Iterator[SchoolTally]:
    """Each school's 授業時数, one after the other (for a job's progress). The schools' rows
    are loaded ``chunk`` schools at a time in bulk (about a dozen queries a chunk, whatever
    the number of classes and lessons), never per school or per class."""
    schools = list(schools)
    for i in range(0, len(schools), chunk):
        yield from _tallies_of(schools[i : i + chunk], school_year, as_of)


def _tallies_of(
    schools: list[School], school_year: SchoolYear, as_of: dt.date | None
) -> Iterator[SchoolTally]:
    ids = [s.pk for s in schools]
    start, end = calendar.year_bounds(school_year)
    classes: dict[int, list[Classroom]] = defaultdict(list)
    for c in Classroom.objects.filter(school_id__in=ids, school_year=school_year).select_related(
        "school"
    ):
        classes[c.school_id].append(c)
    timetables: dict[int, dict[int, dt.date]] = defaultdict(dict)
    school_of: dict[int, int] = {}
    for pk, school_id, valid_from in Timetable.objects.filter(
        school_id__in=ids, school_year=school_year
    ).values_list("pk", "school_id", "valid_from"):
        timetables[school_id][pk] = valid_from
        school_of[pk] = school_id
    lessons: dict[int, list[rules.Lesson]] = defaultdict(list)
    if school_of:
        for timetable_id, x in _lesson_values(
            Lesson.objects.filter(timetable_id__in=list(school_of))
        ):
            lessons[timetable_id].append(x)
    schedules: dict[int, list[BellSchedule]] = defaultdict(list)
    for schedule in BellSchedule.objects.filter(
        school_id__in=ids, school_year=school_year
    ).prefetch_related("periods"):
        schedules[schedule.school_id].append(schedule)
    overrides: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for school_id, date, schedule_id in BellScheduleDay.objects.filter(
        school_id__in=ids, date__range=(start, end)
    ).values_list("school_id", "date", "schedule_id"):
        overrides[school_id][date] = schedule_id
    dates = calendar.school_day_dates(ids, school_year)
    closures = calendar.closures_by_school(ids, start, end)
    changes: dict[int, list[DailyChange]] = defaultdict(list)
    for change in (
        DailyChange.objects.filter(school_id__in=ids, date__range=(start, end))
        .select_related("subject")
        .prefetch_related("teachers")
        .order_by("school_id", "date", "pk")
    ):
        changes[change.school_id].append(change)
    standards = curriculum.standards_of_schools(schools)  # national, board, school: 2 queries
    for school in schools:
        mine = classes[school.pk]
        infos = [i for i in (_class_info(c, standards[school.pk]) for c in mine) if i is not None]
        tts = [
            rules.Timetable(valid_from, tuple(lessons[pk]))
            for pk, valid_from in timetables[school.pk].items()
            if lessons[pk]
        ]
        bells = {s.pk: _bell_value(s) for s in schedules[school.pk]}
        default = next((s.pk for s in schedules[school.pk] if s.is_default), None)
        days = [rules.SchoolDay(d, None, overrides[school.pk].get(d)) for d in dates[school.pk]]
        closed = _closed_days(mine, closures[school.pk], set(dates[school.pk]), start, end)
        tally = rules.hours_tally(
            infos,
            days,
            tts,
            bells,
            default_bell=default,
            as_of=as_of,
            changes=change_values(changes[school.pk]),
            closed=closed,
        )
        yield SchoolTally(school, tally)


@dataclass
class SchoolTally:
    school: School
    tally: rules.Tally

    @property
    def short_classes(self) -> int:
        return sum(1 for c in self.tally.classes if any(s.shortfall for s in c.subjects))

    @property
    def over_classes(self) -> int:
        return sum(1 for c in self.tally.classes if c.projected >= national.REVIEW_THRESHOLD_HOURS)


def municipality_tally(
    schools: Iterable[School], school_year: SchoolYear, *, as_of: dt.date | None = None
) -> list[SchoolTally]:
    """The board's view: every school's tally (schools loaded in bulk, ``school_tallies``)."""
    return list(school_tallies(schools, school_year, as_of=as_of))
