"""Benchmark: the year roll-over (年度更新) of a whole municipality.

    .venv/bin/python -m bench.rollover [--schools 50] [--students 20000]

Target (issue 3): 50 schools and 20,000 students rolled over in at most 30 s.
Provisions a throw-away municipality (sub-domain bench-rollover), fills its current
year with bulk_create (elementary and junior high schools, classes of ~33, a
principal and a homeroom teacher per class), then times, per school, the
school administrator's actions: prepare (rollover_school) and confirm, and at the
end the board's switch of the year. Prints the figures and deletes the municipality.
"""

from __future__ import annotations

import argparse
import time

from bench.common import (
    bench_code,
    peak_rss_mb,
    provision_bench,
    setup_django,
    summary,
    throwaway_municipalities,
)

CLASS_SIZE = 33


def generate(n_schools: int, n_students: int) -> None:
    """Fill the current year (2026) of the current schema; one bulk_create per table."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from schools.models import (
        Classroom,
        Enrolment,
        Role,
        RoleAssignment,
        School,
        SchoolType,
        SchoolYear,
        Staff,
        Student,
    )

    year = SchoolYear.objects.create(year=2026, state=SchoolYear.State.CURRENT)
    n_jh = n_schools * 3 // 10
    schools = School.objects.bulk_create(
        School(
            name=f"ベンチ第{i + 1}{'中' if i < n_jh else '小'}学校",
            school_type=SchoolType.JUNIOR_HIGH if i < n_jh else SchoolType.ELEMENTARY,
            mext_code=f"{'C1' if i < n_jh else 'B1'}472{i + 1:07d}0",
        )
        for i in range(n_schools)
    )
    classes = []
    for i, school in enumerate(schools):
        in_school = n_students // n_schools + (1 if i < n_students % n_schools else 0)
        grades = list(school.grades)
        for g, grade in enumerate(grades):
            in_grade = in_school // len(grades) + (1 if g < in_school % len(grades) else 0)
            n_classes = max(1, round(in_grade / CLASS_SIZE))
            for c in range(1, n_classes + 1):
                size = in_grade // n_classes + (1 if c <= in_grade % n_classes else 0)
                classes.append(
                    (
                        Classroom(
                            school=school,
                            school_year=year,
                            grade=grade,
                            name=f"{c}組",
                            sort_order=c,
                        ),
                        size,
                    )
                )
    Classroom.objects.bulk_create(c for c, _ in classes)
    students, enrolments = [], []
    serial = 0
    for classroom, size in classes:
        for roll in range(1, size + 1):
            serial += 1
            student = Student(
                name=f"生徒 {serial}",
                kana=f"せいと {serial:06d}",
                student_number=f"B{serial:07d}",
                birth_date=dt.date(2019 - classroom.grade, 6, 1),
            )
            students.append(student)
            enrolments.append(
                Enrolment(
                    student=student,
                    classroom=classroom,
                    school=classroom.school,
                    school_year=year,
                    grade=classroom.grade,
                    roll_number=roll,
                    enrolled_on=year.start,
                )
            )
    Student.objects.bulk_create(students, batch_size=5000)
    for e in enrolments:
        e.student_id = e.student.pk
    Enrolment.objects.bulk_create(enrolments, batch_size=5000)
    password = make_password("Bench-pass-2026")
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"bench-{i}", password=password) for i in range(len(schools) + len(classes))
    )
    staff = Staff.objects.bulk_create(Staff(user=u, name=f"教員 {u.username}") for u in users)
    roles = [
        RoleAssignment(
            staff=staff[i],
            role=Role.SCHOOL_ADMIN,
            school=s,
            school_year=year,
            title=RoleAssignment.Title.PRINCIPAL,
        )
        for i, s in enumerate(schools)
    ] + [
        RoleAssignment(
            staff=staff[len(schools) + i],
            role=Role.HOMEROOM,
            school=c.school,
            school_year=year,
            classroom=c,
        )
        for i, (c, _) in enumerate(classes)
    ]
    RoleAssignment.objects.bulk_create(roles, batch_size=5000)


SMOKE_ARGS = "--schools 1 --students 100"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--students", type=int, default=20_000)
    args = parser.parse_args(argv)
    setup_django()

    from django_tenants.utils import schema_context

    from schools import rollover
    from schools.models import Enrolment, School, SchoolYear
    from schools.permissions import Actor

    with throwaway_municipalities("rollover") as created:
        municipality = provision_bench(
            "ベンチ年度更新市", "bench-rollover", bench_code(7900), actor="bench:rollover"
        )
        created.append(municipality)
        with schema_context(municipality.schema_name):
            t0 = time.perf_counter()
            generate(args.schools, args.students)
            generated = time.perf_counter() - t0
            students = Enrolment.objects.count()
            print(
                f"data: {args.schools} schools, {students} students, generated in {generated:.1f} s"
            )

            bench_actor = Actor.system("bench:rollover")
            per_school: list[float] = []
            started = time.perf_counter()
            for school in School.objects.order_by("pk"):
                t = time.perf_counter()
                record = rollover.rollover_school(school, by=bench_actor)
                rollover.confirm_rollover(record, by=bench_actor)
                per_school.append(time.perf_counter() - t)
            t = time.perf_counter()
            rollover.switch_school_year(SchoolYear.objects.get(year=2027), by=bench_actor)
            switch = time.perf_counter() - t
            total = time.perf_counter() - started

            promoted = Enrolment.objects.filter(school_year__year=2027).count()
            graduated = Enrolment.objects.filter(exit=Enrolment.Exit.GRADUATION).count()
            print(summary("roll-over of one school (prepare + confirm)", per_school))
            print(f"switch of the year: {switch * 1000:.0f} ms")
            print(f"promoted {promoted}, graduated {graduated}")
            print(
                f"municipality roll-over: {total:.1f} s  target <= 30 s: "
                f"{'OK' if total <= 30 else 'MISSED'}"
            )
            print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
