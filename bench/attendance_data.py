"""Synthetic attendance at Yokohama scale: the bench municipality the attendance benchmarks use.

    .venv/bin/python -m bench.attendance_data [--schools 500] [--students 260000] [--fresh|--drop]

Provisions (once) a municipality on sub-domain ``bench-attendance`` and fills year 2026:
the roster from ``bench.rollover.generate`` (classes of ~33, a principal per school, a
homeroom teacher per class, users ``bench-<n>`` / ``Bench-pass-2026``), each school's
calendar (national holidays, vacations, a Saturday open day), a few grade and class
closures, and a full year of marks generated in one INSERT … SELECT at realistic
rates: about 2 % of student-days absent (skewed: most students rarely, a few often),
1 % late or early, and ~1.5 % of students absent a fifth of the time (長期欠席).
Kept between runs (``--fresh`` rebuilds it, ``--drop`` deletes it).
"""

from __future__ import annotations

import argparse
import time

from bench.common import bench_code, setup_django

SUBDOMAIN = "bench-attendance"
CODE_INDEX = 7901
PASSWORD = "Bench-pass-2026"


def municipality(create: bool = True):
    """The bench municipality, provisioned if missing (None if missing and not ``create``)."""
    from tenants import provisioning
    from tenants.models import Municipality

    found = Municipality.objects.filter(code=bench_code(CODE_INDEX)).first()
    if found is not None or not create:
        return found
    data = provisioning.NewMunicipality(
        name="ベンチ出欠市", code=bench_code(CODE_INDEX), subdomain=SUBDOMAIN,
        admin_username="admin", admin_password=PASSWORD, admin_name="ベンチ 管理者",
    )  # fmt: skip
    return provisioning.provision(data, actor="bench:attendance")


def drop() -> None:
    from tenants import provisioning

    found = municipality(create=False)
    if found is not None:
        provisioning.delete(found, confirm_schema=found.schema_name, actor="bench:attendance")


def is_generated() -> bool:
    from attendance.models import Mark

    return Mark.objects.exists()


def generate(n_schools: int, n_students: int, stdout=print) -> None:
    """Fill the current schema (empty municipality) with roster, calendars and a year of marks."""
    from django.db import connection, transaction

    from attendance import services
    from attendance.demo import OVERRIDES, VACATIONS
    from attendance.models import CalendarOverride, Closure, SchoolDate, Vacation
    from bench.rollover import generate as generate_roster
    from schools.models import Classroom, School, SchoolYear

    t = time.perf_counter()
    with transaction.atomic():
        generate_roster(n_schools, n_students)
    stdout(f"  roster: {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    year = SchoolYear.objects.get(year=2026)
    schools = list(School.objects.order_by("pk"))
    with transaction.atomic():
        Vacation.objects.bulk_create(
            Vacation(school=s, school_year=year, name=n, start=a, end=b)
            for s in schools for n, a, b in VACATIONS
        )  # fmt: skip
        CalendarOverride.objects.bulk_create(
            CalendarOverride(school=s, date=d, is_school_day=flag, note=n)
            for s in schools for d, flag, n in OVERRIDES
        )  # fmt: skip
        first = schools[0]
        services.rebuild_calendar(first, year)
        # Every school has the same calendar here: copy the first one's dates in SQL.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO attendance_schooldate"
                " (school_id, school_year_id, date, is_school_day, cum, note)"
                " SELECT s.id, sd.school_year_id, sd.date, sd.is_school_day, sd.cum, sd.note"
                " FROM schools_school s CROSS JOIN attendance_schooldate sd"
                " WHERE sd.school_id = %s AND s.id <> %s",
                [first.pk, first.pk],
            )
        # A few closures to exercise those paths at scale.
        classes = list(Classroom.objects.filter(school_year=year).order_by("pk")[::97])
        for i, c in enumerate(classes):
            day = SchoolDate.objects.filter(school=first, is_school_day=True).order_by("date")[
                20 + (i * 7) % 150
            ].date
            Closure.objects.create(
                school_id=c.school_id, school_year=year, kind="class", classroom=c,
                grade=c.grade, start=day, end=day, reason="インフルエンザ",
            )  # fmt: skip
    stdout(f"  calendars: {SchoolDate.objects.count()} dates, {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
INSERT INTO attendance_mark (enrolment_id, date, period, code, note, updated_at)
SELECT x.id, x.date, 0,
  CASE WHEN x.r2 < 0.52 THEN 'sick' WHEN x.r2 < 0.68 THEN 'absent' WHEN x.r2 < 0.86 THEN 'late'
       WHEN x.r2 < 0.95 THEN 'early' WHEN x.r2 < 0.985 THEN 'suspended' WHEN x.r2 < 0.995
       THEN 'mourning' ELSE 'deemed' END,
  '', now()
FROM (
  SELECT e.id, d.date, random() AS r, random() AS r2,
         ((e.id::bigint * 2654435761) %% 1000) / 1000.0 AS u
  FROM schools_enrolment e
  JOIN attendance_schooldate d ON d.school_id = e.school_id AND d.is_school_day
  WHERE e.school_year_id = %s
) x
WHERE x.r < CASE WHEN x.u >= 0.985 THEN 0.24 ELSE 0.032 * (0.2 + 3.2 * power(x.u, 4)) END
""",
            [year.pk],
        )
        count = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    stdout(f"  marks: {count:,} rows, {time.perf_counter() - t:.1f} s")


def ensure(n_schools: int, n_students: int, *, fresh: bool = False, stdout=print):
    """The bench municipality with its data (generated the first time)."""
    from django_tenants.utils import schema_context

    if fresh:
        drop()
    found = municipality()
    with schema_context(found.schema_name):
        if not is_generated():
            stdout(f"generating {n_schools} schools, {n_students:,} students ...")
            t = time.perf_counter()
            generate(n_schools, n_students, stdout)
            stdout(f"generated in {time.perf_counter() - t:.1f} s")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--students", type=int, default=260_000)
    parser.add_argument("--fresh", action="store_true", help="drop and generate again")
    parser.add_argument("--drop", action="store_true", help="delete the bench municipality")
    args = parser.parse_args()
    setup_django()
    if args.drop:
        drop()
        print("dropped")
        return
    found = ensure(args.schools, args.students, fresh=args.fresh)
    from django_tenants.utils import schema_context

    from attendance.models import Mark
    from schools.models import Enrolment

    with schema_context(found.schema_name):
        print(f"{found.name} ({found.schema_name}): {Enrolment.objects.count():,} enrolments, "
              f"{Mark.objects.count():,} marks")  # fmt: skip


if __name__ == "__main__":
    main()
