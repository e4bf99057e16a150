"""Benchmark: timetables (時間割) and class hours (授業時数) at a municipality's scale.

    .venv/bin/python -m bench.timetable [--schools 500] [--runs 5] [--es-classes 3]
        [--jh-classes 5]

Targets (issue 11): the whole-school grid of a 30-class school and a teacher's week cost a
constant number of queries; saving a class's week is one request; the clash check of a whole
school after an edit in at most 50 ms; the hours tally of one school for the year in at most
0.5 s, of 50 schools in at most 5 s, of 500 schools (Yokohama) in at most 30 s as a job.

Provisions a throw-away municipality (sub-domain bench-timetable) and fills it with bulk
inserts: school 1 an elementary school of 5 classes a grade (30 classes), then elementary
schools of ``--es-classes`` a grade and (3 in 10) junior highs of ``--jh-classes`` a grade;
a homeroom teacher per class (who teaches every subject in an elementary school), a subject
teacher per grade and subject in a junior high, rooms (gym for two), bell schedules, the
calendar with vacations, teaching assignments and one complete weekly timetable per school
placed by the demo's deterministic filler (``timetable.demo``: never a clash), a few daily
changes (cancels, a short day) and a class closure in every tenth school. Prints medians and
deletes the municipality.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from bench.common import (
    bench_code,
    peak_rss_mb,
    provision_bench,
    setup_django,
    summary,
    throwaway_municipalities,
)

SUBDOMAIN = "bench-timetable"
YEAR = 2026
BIG_PER_GRADE = 5  # school 1: 6 grades × 5 = 30 classes


def _ok(value: float, target: float) -> str:
    return f"target <= {target:g} s: {'OK' if value <= target else 'MISSED'}"


def generate(n_schools: int, es_per_grade: int, jh_per_grade: int) -> dict:
    """Fill year 2026 of the current schema (bulk inserts); returns what the timings need."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from schools import calendar
    from schools.models import (
        Classroom,
        Closure,
        Role,
        RoleAssignment,
        School,
        SchoolType,
        SchoolYear,
        Staff,
        Subject,
        TeachingAssignment,
        Vacation,
    )
    from timetable import demo, national
    from timetable.models import (
        BellPeriod,
        BellSchedule,
        DailyChange,
        Lesson,
        Room,
        Timetable,
    )

    year = SchoolYear.objects.create(year=YEAR, state=SchoolYear.State.CURRENT)
    start, end = calendar.year_bounds(year)
    n_jh = n_schools * 3 // 10

    def is_jh(i: int) -> bool:  # school 0 is the big elementary school
        return 0 < i <= n_jh

    schools = School.objects.bulk_create(
        School(
            name=f"ベンチ第{i + 1}{'中' if is_jh(i) else '小'}学校",
            school_type=SchoolType.JUNIOR_HIGH if is_jh(i) else SchoolType.ELEMENTARY,
            mext_code=f"{'C1' if is_jh(i) else 'B1'}473{i + 1:07d}0",
        )
        for i in range(n_schools)
    )
    Vacation.objects.bulk_create(
        Vacation(school=s, school_year=year, name=name, start=a, end=b)
        for s in schools
        for name, a, b in (
            ("夏季休業", dt.date(YEAR, 7, 21), dt.date(YEAR, 8, 31)),
            ("冬季休業", dt.date(YEAR, 12, 26), dt.date(YEAR + 1, 1, 7)),
            ("学年末休業", dt.date(YEAR + 1, 3, 25), dt.date(YEAR + 1, 3, 31)),
        )
    )
    calendar.ensure_calendars(year, schools)

    classes: list[Classroom] = []
    for i, school in enumerate(schools):
        per_grade = BIG_PER_GRADE if i == 0 else jh_per_grade if is_jh(i) else es_per_grade
        for grade in school.grades:
            for c in range(1, per_grade + 1):
                classes.append(
                    Classroom(
                        school=school, school_year=year, grade=grade, name=f"{c}組", sort_order=c
                    )
                )
    Classroom.objects.bulk_create(classes, batch_size=5000)
    subjects = {(s.school_type, s.name): s for s in Subject.objects.all()}

    # Teachers: a homeroom teacher per class, a principal per school, and in a junior high one
    # teacher per grade and subject (道徳, 総合, 特活: the homeroom teacher).
    jh_subject_names = [
        n for n in national.standard_hours("junior_high", 1) if n not in demo.HOMEROOM_SUBJECTS_JH
    ]
    people: list[tuple[str, object]] = []  # (kind, key)
    people += [("principal", s.pk) for s in schools]
    people += [("homeroom", c.pk) for c in classes]
    for i, school in enumerate(schools):
        if is_jh(i):
            people += [
                ("subject", (school.pk, g, n)) for g in school.grades for n in jh_subject_names
            ]
    password = make_password("Bench-pass-2026")
    User = get_user_model()
    users = User.objects.bulk_create(
        (User(username=f"tt-{i}", password=password) for i in range(len(people))),
        batch_size=5000,
    )
    staff = Staff.objects.bulk_create(
        (
            Staff(user=u, name=f"教員 {u.username}", kana=f"きょういん {i:06d}")
            for i, u in enumerate(users)
        ),
        batch_size=5000,
    )
    who = {key: s for (_, key), s in zip(people, staff, strict=True)}
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                staff=who[s.pk],
                role=Role.SCHOOL_ADMIN,
                school=s,
                school_year=year,
                title=RoleAssignment.Title.PRINCIPAL,
            )
            for s in schools
        ]
        + [
            RoleAssignment(
                staff=who[c.pk], role=Role.HOMEROOM, school=c.school, school_year=year, classroom=c
            )
            for c in classes
        ],
        batch_size=5000,
    )

    # Rooms, bell schedules, one timetable per school.
    rooms = Room.objects.bulk_create(
        Room(school=s, name=name, kind=kind, capacity=cap, sort_order=n)
        for s in schools
        for n, (name, kind, cap) in enumerate(demo.ROOMS)
    )
    room_of = {(r.school_id, r.name): r for r in rooms}
    schedules = BellSchedule.objects.bulk_create(
        BellSchedule(school=s, school_year=year, name=name, kind=kind, is_default=default)
        for s in schools
        for name, kind, default in (("通常日課", "normal", True), ("短縮日課", "short", False))
    )

    def hm(text: str) -> dt.time:
        h, m = text.split(":")
        return dt.time(int(h), int(m))

    periods = []
    school_by_pk = {s.pk: s for s in schools}
    for b in schedules:
        school = school_by_pk[b.school_id]
        bell = (
            demo.SHORT_BELL
            if b.kind == "short"
            else demo.JH_BELL
            if school.school_type == SchoolType.JUNIOR_HIGH
            else demo.ES_BELL
        )
        periods += [BellPeriod(schedule=b, number=n, start=hm(a), end=hm(z)) for n, a, z in bell]
    BellPeriod.objects.bulk_create(periods, batch_size=5000)
    short_of = {b.school_id: b for b in schedules if b.kind == "short"}
    timetables = Timetable.objects.bulk_create(
        Timetable(school=s, school_year=year, name="時間割", valid_from=start) for s in schools
    )
    timetable_of = {t.school_id: t for t in timetables}

    # Assignments and lessons: the demo's weekly periods and its filler, school by school.
    weeks = demo._weeks(schools[0], year)
    by_school: dict[int, list[Classroom]] = {}
    for c in classes:
        by_school.setdefault(c.school_id, []).append(c)
    assignments: list[TeachingAssignment] = []
    assignment_teachers: list[int] = []
    lessons: list[Lesson] = []
    lesson_teachers: list[int | None] = []
    for i, school in enumerate(schools):
        todo = []
        for c in by_school[school.pk]:
            standard = national.standard_hours(str(school.school_type), c.grade)
            weekly = demo._weekly(standard, weeks, 6 * 5)[1]
            for name in standard:
                subject = subjects.get((school.school_type, name))
                if subject is None or not weekly[name]:
                    continue
                if is_jh(i) and name not in demo.HOMEROOM_SUBJECTS_JH:
                    teacher = who[(school.pk, c.grade, name)].pk
                else:
                    teacher = who[c.pk].pk
                assignments.append(
                    TeachingAssignment(
                        school=school,
                        school_year=year,
                        classroom=c,
                        subject=subject,
                        weekly_periods=weekly[name],
                    )
                )
                assignment_teachers.append(teacher)
                room = room_of[(school.pk, demo.ROOM_OF[name])].pk if name in demo.ROOM_OF else None
                todo += [(c, subject, teacher, room)] * weekly[name]
        capacity = {r.pk: r.capacity for r in rooms if r.school_id == school.pk}
        for (c, subject, teacher, room), (wd, p) in demo._fill(todo, 6, capacity):
            lessons.append(
                Lesson(
                    timetable=timetable_of[school.pk],
                    weekday=wd,
                    period=p,
                    classroom=c,
                    subject=subject,
                    room_id=room,
                )
            )
            lesson_teachers.append(teacher)
    TeachingAssignment.objects.bulk_create(assignments, batch_size=5000)
    TeachingAssignment.teachers.through.objects.bulk_create(
        (
            TeachingAssignment.teachers.through(teachingassignment_id=a.pk, staff_id=t)
            for a, t in zip(assignments, assignment_teachers, strict=True)
        ),
        batch_size=10000,
    )
    Lesson.objects.bulk_create(lessons, batch_size=10000)
    Lesson.teachers.through.objects.bulk_create(
        (
            Lesson.teachers.through(lesson_id=x.pk, staff_id=t)
            for x, t in zip(lessons, lesson_teachers, strict=True)
            if t
        ),
        batch_size=10000,
    )

    # Daily changes: each school cancels its first class's Monday lessons of two weeks in June,
    # has a short day in July; every tenth school closes a class for three days (学級閉鎖).
    first_lessons: dict[int, list[Lesson]] = {}
    for x in lessons:
        if x.weekday == 0 and x.classroom_id == by_school[x.classroom.school_id][0].pk:
            first_lessons.setdefault(x.classroom.school_id, []).append(x)
    changes = []
    for school in schools:
        for monday in (dt.date(YEAR, 6, 8), dt.date(YEAR, 6, 15)):
            for x in first_lessons.get(school.pk, [])[:2]:
                changes.append(
                    DailyChange(school=school, date=monday, kind="cancel", lesson=x, note="行事")
                )
        changes.append(
            DailyChange(
                school=school,
                date=dt.date(YEAR, 7, 10),
                kind="bell",
                bell_schedule=short_of[school.pk],
                note="個人面談",
            )
        )
    DailyChange.objects.bulk_create(changes, batch_size=5000)
    Closure.objects.bulk_create(
        Closure(
            school=s,
            school_year=year,
            kind="class",
            classroom=by_school[s.pk][0],
            grade=by_school[s.pk][0].grade,
            start=dt.date(YEAR, 10, 14),
            end=dt.date(YEAR, 10, 16),
            reason="インフルエンザ",
        )
        for i, s in enumerate(schools)
        if i % 10 == 0
    )
    return {
        "year": year,
        "schools": schools,
        "big": schools[0],
        "principal": who[schools[0].pk],
        "classes": by_school[schools[0].pk],
        "lessons": len(lessons),
        "n_classes": len(classes),
        "teachers": len(staff),
        "teacher": who[by_school[schools[0].pk][0].pk],
    }


def _queries(fn) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        fn()
        took = time.perf_counter() - started
    return len(ctx.captured_queries), took


SMOKE_ARGS = "--schools 3 --runs 1 --es-classes 1 --jh-classes 1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--es-classes", type=int, default=3, help="classes a grade (elementary)")
    parser.add_argument("--jh-classes", type=int, default=5, help="classes a grade (junior high)")
    args = parser.parse_args(argv)
    setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django_tenants.utils import schema_context

    from schools.permissions import actor_for_user
    from tenants import jobs, provisioning
    from timetable import jobs as timetable_jobs
    from timetable import queries, rules
    from timetable.models import Lesson

    with throwaway_municipalities("timetable") as created:
        municipality = provision_bench(
            "ベンチ時間割市", SUBDOMAIN, bench_code(7800), actor="bench:timetable"
        )
        created.append(municipality)
        # The principal saves through the pages on loopback, as in the demo (no second factor).
        municipality.mfa_exempt_loopback = True
        municipality.save(update_fields=["mfa_exempt_loopback"])
        with schema_context(municipality.schema_name):
            t0 = time.perf_counter()
            data = generate(args.schools, args.es_classes, args.jh_classes)
            print(
                f"data: {args.schools} schools, {data['n_classes']} classes, "
                f"{data['teachers']} teachers, {data['lessons']} weekly lessons, "
                f"generated in {time.perf_counter() - t0:.1f} s"
            )
            year, big, classes = data["year"], data["big"], data["classes"]
            monday = dt.date(YEAR, 6, 1)
            n = args.runs

            # The whole-school grid (30 classes × 6 × 5) and a teacher's week.
            grid = [_queries(lambda: queries.grid(big, year, date=monday)) for _ in range(n)]
            found = queries.grid(big, year, date=monday)
            print(
                f"grid of {len(found.rows)} classes: {grid[0][0]} queries, "
                + summary("time", [t for _, t in grid])
                + f"; clashes {len(found.clashes)}"
            )
            week = [
                _queries(lambda: queries.teacher_week(data["teacher"], year, monday))
                for _ in range(n)
            ]
            print(f"teacher's week: {week[0][0]} queries, " + summary("time", [t for _, t in week]))

            # Saving a class's week: one POST through the page's form.
            client = Client(HTTP_HOST=provisioning.host_for(SUBDOMAIN))
            client.force_login(data["principal"].user)
            c0 = classes[0]
            form = {}
            for x in Lesson.objects.filter(classroom=c0).prefetch_related("teachers"):
                form[f"s-{x.weekday}-{x.period}"] = str(x.subject_id)
                teachers = [t.pk for t in x.teachers.all()]
                if teachers:
                    form[f"t-{x.weekday}-{x.period}"] = str(teachers[0])
                if x.room_id:
                    form[f"r-{x.weekday}-{x.period}"] = str(x.room_id)
            url = reverse("timetable:class-save", args=[c0.pk])
            saves, save_queries = [], 0
            for _ in range(n):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.post(url, form)
                    saves.append(time.perf_counter() - started)
                save_queries = len(ctx.captured_queries)
                connection.set_schema(municipality.schema_name)
                edit = reverse("timetable:class-edit", args=[c0.pk])
                assert response.status_code == 302 and response.url == edit, response
            print(
                summary(f"save of a class's week ({len(form)} fields, 1 request)", saves)
                + f"; {save_queries} queries"
            )

            # The clash check after an edit: load the school's week, move one lesson, check.
            timetable = queries.current_timetable(big, year, monday)

            loads, checks = [], []
            for i in range(n):
                started = time.perf_counter()
                lessons, rooms, assignments = queries.clash_inputs(timetable)
                loads.append(time.perf_counter() - started)
                edited = list(lessons)
                x = edited[i % len(edited)]
                edited[i % len(edited)] = rules.Lesson(
                    weekday=(x.weekday + 1) % 5,
                    period=x.period,
                    group=x.group,
                    subject=x.subject,
                    teachers=x.teachers,
                    room=x.room,
                    key=x.key,
                )
                started = time.perf_counter()
                found_clashes = rules.clashes(edited, rooms=rooms, assignments=assignments)
                checks.append(time.perf_counter() - started)
            print(
                summary(f"clash check of {len(lessons)} lessons (rules.clashes)", checks, 0.05)
                + f"; {len(found_clashes)} clash(es) after the move"
            )
            print(summary("  + loading the school's lessons, rooms, assignments", loads))
            total = [a + b for a, b in zip(loads, checks, strict=True)]
            print(summary("  load + check", total, 0.05))

            # The hours tally: one school, 50 schools, every school as a job.
            one = []
            for _ in range(n):
                started = time.perf_counter()
                tally = queries.hours_tally(big, year, as_of=monday)
                one.append(time.perf_counter() - started)
            print(summary(f"hours tally of one school ({len(tally.classes)} classes)", one, 0.5))
            fifty = data["schools"][:50]
            started = time.perf_counter()
            queries.municipality_tally(fifty, year, as_of=monday)
            took = time.perf_counter() - started
            print(f"hours tally of {len(fifty)} schools: {took:.2f} s  {_ok(took, 5)}")

            admin = get_user_model().objects.get(username="admin")
            job = timetable_jobs.start_municipality_tally(
                year, by=actor_for_user(admin), as_of=monday
            )
            started = time.perf_counter()
            job = jobs.run_now(job)
            took = time.perf_counter() - started
            assert job.state == "succeeded", (job.state, job.error)
            rows = job.result_data["schools"]
            print(
                f"hours tally of {len(rows)} schools as a job (xlsx {len(job.result_file):,} "
                f"bytes): {took:.1f} s  {_ok(took, 30)}"
            )
            print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
