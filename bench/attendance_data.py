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

from bench.common import BENCH_PASSWORD, bench_code, provision_bench, setup_django

SUBDOMAIN = "bench-attendance"
CODE_INDEX = 7901


def municipality(create: bool = True):
    """The bench municipality, provisioned if missing (None if missing and not ``create``)."""
    from tenants.models import Municipality

    found = Municipality.objects.filter(code=bench_code(CODE_INDEX)).first()
    if found is not None or not create:
        return found
    return provision_bench("ベンチ出欠市", SUBDOMAIN, bench_code(CODE_INDEX), "bench:attendance")


def drop() -> None:
    from tenants import provisioning

    found = municipality(create=False)
    if found is not None:
        provisioning.delete(found, confirm_schema=found.schema_name, actor="bench:attendance")


def is_generated() -> bool:
    """Every school has marks (a run cut short is resumed by ``generate``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM schools_school s WHERE NOT EXISTS (SELECT 1 FROM"
            " attendance_mark m JOIN schools_enrolment e ON e.id = m.enrolment_id"
            " WHERE e.school_id = s.id)"
        )
        missing = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM schools_school")
        return cursor.fetchone()[0] > 0 and missing == 0


def generate(n_schools: int, n_students: int, stdout=print) -> None:
    """Fill the current schema (empty municipality) with roster, calendars and a year of marks."""
    from django.db import connection

    from schools.models import Enrolment, SchoolDate, SchoolYear

    if not Enrolment.objects.exists():
        t = time.perf_counter()
        _retry(lambda: generate_roster(n_schools, n_students))
        stdout(f"  roster: {time.perf_counter() - t:.1f} s")
    year = SchoolYear.objects.get(year=2026)
    if not SchoolDate.objects.exists():
        _retry(lambda: generate_calendars(year, stdout))
    t = time.perf_counter()
    count = generate_marks(year.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    stdout(f"  marks: {count:,} rows, {time.perf_counter() - t:.1f} s")


def _retry(step, attempts: int = 5):
    """Run a step (one transaction) again if the connection is lost (a shared dev cluster)."""
    from django.db import OperationalError, connection

    for attempt in range(attempts):
        try:
            return step()
        except OperationalError as exc:
            if attempt == attempts - 1:
                raise
            print(f"  retrying ({exc})")
            connection.close()
            time.sleep(1 + attempt)


def generate_roster(n_schools: int, n_students: int) -> None:
    """Schools, classes of ~33, students and enrolments, a principal per school and a
    homeroom teacher per class (``bench-<classroom id>``): set-based SQL, a few seconds."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from schools.models import Classroom, School, SchoolType, SchoolYear

    with transaction.atomic():
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
        classes: list[tuple[Classroom, int]] = []
        for i, school in enumerate(schools):
            in_school = n_students // n_schools + (1 if i < n_students % n_schools else 0)
            grades = list(school.grades)
            for g, grade in enumerate(grades):
                in_grade = in_school // len(grades) + (1 if g < in_school % len(grades) else 0)
                n_classes = max(1, round(in_grade / 33))
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
        ids, schools_of, grades_of, sizes, offsets = [], [], [], [], []
        offset = 0
        for classroom, size in classes:
            ids.append(classroom.pk)
            schools_of.append(classroom.school_id)
            grades_of.append(classroom.grade)
            sizes.append(size)
            offsets.append(offset)
            offset += size
        password = make_password(BENCH_PASSWORD)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_slots ON COMMIT DROP AS SELECT * FROM"
                " unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[])"
                " AS t(classroom_id, school_id, grade, size, first)",
                [ids, schools_of, grades_of, sizes, offsets],
            )
            cursor.execute(
                "INSERT INTO schools_student (student_number, name, kana, sex, birth_date)"
                " SELECT 'B' || lpad(g::text, 7, '0'), '生徒 ' || g, 'せいと ' || lpad(g::text, 6, '0'),"
                " CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END, NULL"
                " FROM generate_series(1, %s) g",
                [offset],
            )
            cursor.execute(
                "INSERT INTO schools_enrolment (student_id, classroom_id, school_id, school_year_id,"
                " grade, roll_number, enrolled_on, entry, exit)"
                " SELECT st.id, s.classroom_id, s.school_id, %s, s.grade, n - s.first, %s,"
                " 'admission', ''"
                " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM schools_student) st"
                " JOIN bench_slots s ON st.n > s.first AND st.n <= s.first + s.size",
                [year.pk, year.start],
            )
            # Teachers: a principal per school, a homeroom teacher per class.
            cursor.execute(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
                " email, is_staff, is_active, date_joined)"
                " SELECT %s, false, 'bench-' || classroom_id, '', '', '', false, true, now()"
                " FROM bench_slots UNION ALL"
                " SELECT %s, false, 'bench-principal-' || id, '', '', '', false, true, now()"
                " FROM schools_school",
                [password, password],
            )
            cursor.execute(
                "INSERT INTO schools_staff (user_id, name, kana)"
                " SELECT id, '教員 ' || username, '' FROM auth_user WHERE username LIKE 'bench-%%'"
            )
            cursor.execute(
                "INSERT INTO schools_roleassignment (staff_id, role, title, school_id,"
                " school_year_id, classroom_id, subject_id, is_draft)"
                " SELECT sf.id, 'homeroom', '', s.school_id, %s, s.classroom_id, NULL, false"
                " FROM bench_slots s JOIN auth_user u ON u.username = 'bench-' || s.classroom_id"
                " JOIN schools_staff sf ON sf.user_id = u.id",
                [year.pk],
            )
            cursor.execute(
                "INSERT INTO schools_roleassignment (staff_id, role, title, school_id,"
                " school_year_id, classroom_id, subject_id, is_draft)"
                " SELECT sf.id, 'school_admin', 'principal', sc.id, %s, NULL, NULL, false"
                " FROM schools_school sc JOIN auth_user u ON u.username = 'bench-principal-' || sc.id"
                " JOIN schools_staff sf ON sf.user_id = u.id",
                [year.pk],
            )


def generate_calendars(year, stdout=print) -> None:
    from django.db import connection, transaction

    from attendance.demo import OVERRIDES, VACATIONS
    from schools import calendar
    from schools.models import CalendarOverride, Classroom, Closure, School, SchoolDate, Vacation

    t = time.perf_counter()
    schools = list(School.objects.order_by("pk"))
    with transaction.atomic():
        Vacation.objects.bulk_create(
            Vacation(school=s, school_year=year, name=n, start=a, end=b)
            for s in schools
            for n, a, b in VACATIONS
        )
        CalendarOverride.objects.bulk_create(
            CalendarOverride(school=s, date=d, is_school_day=flag, note=n)
            for s in schools
            for d, flag, n in OVERRIDES
        )
        first = schools[0]
        calendar.rebuild_calendar(first, year)
        # Every school has the same calendar here: copy the first one's dates in SQL.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO schools_schooldate"
                " (school_id, school_year_id, date, is_school_day, cum, note)"
                " SELECT s.id, sd.school_year_id, sd.date, sd.is_school_day, sd.cum, sd.note"
                " FROM schools_school s CROSS JOIN schools_schooldate sd"
                " WHERE sd.school_id = %s AND s.id <> %s",
                [first.pk, first.pk],
            )
        # A few closures to exercise those paths at scale.
        classes = list(Classroom.objects.filter(school_year=year).order_by("pk")[::97])
        for i, c in enumerate(classes):
            day = (
                SchoolDate.objects.filter(school=first, is_school_day=True)
                .order_by("date")[20 + (i * 7) % 150]
                .date
            )
            Closure.objects.create(
                school_id=c.school_id,
                school_year=year,
                kind="class",
                classroom=c,
                grade=c.grade,
                start=day,
                end=day,
                reason="インフルエンザ",
            )
    stdout(f"  calendars: {SchoolDate.objects.count()} dates, {time.perf_counter() - t:.1f} s")


MARKS_SQL = """
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
  JOIN schools_schooldate d ON d.school_id = e.school_id AND d.is_school_day
  WHERE e.school_year_id = %s AND e.school_id = ANY(%s)
) x
WHERE x.r < CASE WHEN x.u >= 0.985 THEN 0.24 ELSE 0.032 * (0.2 + 3.2 * power(x.u, 4)) END
"""


def generate_marks(year_id: int, chunk: int = 25) -> int:
    """A year of marks, a few schools per statement; resumable (schools with marks are skipped)."""
    from django.db import OperationalError, connection, transaction

    from schools.models import School

    count = 0
    school_ids = list(School.objects.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(school_ids), chunk):
        part = school_ids[i : i + chunk]
        for attempt in range(5):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM attendance_mark m JOIN schools_enrolment e"
                        " ON e.id = m.enrolment_id WHERE e.school_id = ANY(%s) LIMIT 1",
                        [part],
                    )
                    if cursor.fetchone():
                        break
                    cursor.execute("SELECT setseed(%s)", [0.001 * (i // chunk + 1)])
                    cursor.execute(MARKS_SQL, [year_id, part])
                    count += cursor.rowcount
                break
            except OperationalError as exc:  # a lost connection: retry this chunk
                print(f"  retrying schools {part[0]}..{part[-1]} ({exc})")
                connection.close()
                time.sleep(1 + attempt)
    return count


def ensure(n_schools: int, n_students: int, *, fresh: bool = False, stdout=print):
    """The bench municipality with its data (generated the first time)."""
    from django_tenants.utils import schema_context

    from schools.models import School

    found = municipality(create=False)
    if found is not None and not fresh:
        with schema_context(found.schema_name):
            size = School.objects.count()
        if size and size != n_schools:  # e.g. left by a smoke run: not the size asked for
            stdout(f"the bench municipality has {size} schools, not {n_schools}: generating again")
            fresh = True
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


# The smallest run that still goes through every step (``bench.run --smoke``).
SMOKE_ARGS = "--schools 2 --students 300"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--students", type=int, default=260_000)
    parser.add_argument("--fresh", action="store_true", help="drop and generate again")
    parser.add_argument("--drop", action="store_true", help="delete the bench municipality")
    args = parser.parse_args(argv)
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
        print(
            f"{found.name} ({found.schema_name}): {Enrolment.objects.count():,} enrolments, "
            f"{Mark.objects.count():,} marks"
        )


if __name__ == "__main__":
    main()
