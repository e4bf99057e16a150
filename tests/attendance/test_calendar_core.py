"""The school calendar in the core: reads never write, refusals are not 500s, exports are
recorded, the period is checked, and the calendar exists from the lifecycle events on."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from attendance import services
from attendance.models import Mark
from schools import calendar, signals
from schools.models import AuditEvent, SchoolDate, SchoolYear, Vacation
from schools.permissions import Actor
from tenants import jobs
from tests import factories
from tests.attendance.helpers import D, actor_of, save, setup_class

MONDAY = D(2026, 6, 1)


@pytest.fixture
def klass(muni):
    year, school, classroom, ens = setup_class(4)
    teacher = factories.homeroom_teacher(classroom)
    return classroom, ens, teacher.user


def test_every_page_that_only_shows_works_on_a_read_only_database(
    muni, client_for, klass, boe_admin
):
    classroom, ens, user = klass
    school, year = classroom.school, classroom.school_year
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})
    admin = factories.school_admin(school, year)
    clients = {
        "teacher": client_for(muni, user),
        "admin": client_for(muni, admin.user),
        "board": client_for(muni, boe_admin),
    }
    c = classroom.pk
    pages = [
        ("teacher", "/attendance/"),
        ("teacher", f"/attendance/class/{c}/day/2026-06-01/"),
        ("teacher", f"/attendance/class/{c}/register/2026/6/"),
        ("teacher", f"/attendance/class/{c}/year/"),
        ("admin", f"/attendance/school/{school.pk}/calendar/?year=2026"),
        ("admin", "/attendance/overview/"),
        ("board", "/attendance/overview/?year=2026"),
        ("board", f"/attendance/overview/?school={school.pk}"),
        ("teacher", f"/api/v1/attendance/calendar/?school={school.pk}&year=2026"),
        ("teacher", f"/api/v1/attendance/class-marks/{c}/?date=2026-06-01"),
        ("teacher", f"/api/v1/attendance/student-marks/{ens[0].student_id}/?from=2026-04-01"),
        ("teacher", f"/api/v1/attendance/figures/?scope=classroom&id={c}&year=2026"),
        ("teacher", f"/api/v1/attendance/figures/?scope=student&id={ens[0].student_id}"),
        ("admin", f"/api/v1/attendance/figures/?scope=school&id={school.pk}&month=6"),
        ("board", "/api/v1/attendance/long-absence/?year=2026"),
    ]
    with transaction.atomic():  # a savepoint: read-only inside, undone afterwards
        with connection.cursor() as cursor:
            # From here on the transaction refuses every write, as a replica would.
            cursor.execute("SET LOCAL transaction_read_only = on")
        for who, url in pages:
            response = clients[who].get(url)
            assert response.status_code == 200, (who, url, response.status_code)
        with pytest.raises(DatabaseError), transaction.atomic():  # the mode really refuses
            calendar.rebuild_calendar(school, year)
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone()[0] == "on"
        transaction.set_rollback(True)


def test_deleting_a_vacation_of_an_archived_year_is_refused_not_a_500(
    muni, client_for, klass, boe_admin
):
    classroom, *_ = klass
    school, year = classroom.school, classroom.school_year
    vacation = calendar.add_vacation(
        school,
        year,
        by=actor_of(boe_admin),
        name="夏季休業",
        start=D(2026, 7, 21),
        end=D(2026, 8, 31),
    )
    SchoolYear.objects.filter(pk=year.pk).update(state=SchoolYear.State.ARCHIVED)
    client = client_for(muni, boe_admin)
    url = f"/attendance/school/{school.pk}/calendar/vacations/{vacation.pk}/delete/"
    response = client.post(url, {"year": "2026"}, follow=True)
    assert response.status_code == 200
    assert "過年度" in response.content.decode()
    assert Vacation.objects.filter(pk=vacation.pk).exists()
    # The page itself no longer takes POSTs of several kinds.
    assert client.post(f"/attendance/school/{school.pk}/calendar/").status_code == 405


def test_calendar_services_ask_the_actor(muni, klass):
    classroom, ens, user = klass
    with pytest.raises(Exception, match="学校暦を変更する権限"):
        calendar.add_vacation(
            classroom.school,
            classroom.school_year,
            by=actor_of(user),
            name="夏",
            start=D(2026, 7, 21),
            end=D(2026, 8, 31),
        )


def test_exports_are_recorded(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    teacher = client_for(muni, user)
    c = classroom.pk
    assert teacher.get(f"/attendance/class/{c}/register/2026/6/export.xlsx").status_code == 200
    event = AuditEvent.objects.get(action="attendance.register.export")
    assert event.changes == {"year": 2026, "month": 6} and event.actor_id == user.pk
    assert event.target_id == str(c) and event.school_id == classroom.school_id
    assert teacher.get(f"/attendance/class/{c}/year/export.xlsx").status_code == 200
    assert AuditEvent.objects.filter(
        action="attendance.year_figures.export", target_id=str(c), actor_id=user.pk
    ).exists()
    board = client_for(muni, boe_admin)
    response = board.post("/attendance/overview/figures.xlsx", {"year": "2026"})
    assert response.status_code == 302  # a job: recorded when it runs
    assert not AuditEvent.objects.filter(action="attendance.municipality_figures.export").exists()
    jobs.run_now(jobs.find(int(response.url.strip("/").rsplit("/", 1)[-1])))
    event = AuditEvent.objects.get(action="attendance.municipality_figures.export")
    assert event.actor_id == boe_admin.pk and event.changes["year"] == 2026
    assert event.changes["rows"] >= len(ens)


def test_the_period_is_checked(muni, client_for):
    year = factories.school_year(2026)
    school = factories.school(school_type="junior_high", per_period_attendance=True)
    classroom = factories.classroom(school, year, grade=2)
    ens = factories.students(classroom, 2)
    calendar.rebuild_calendar(school, year)
    teacher = factories.homeroom_teacher(classroom)
    last = calendar.periods_per_day(school)
    url = f"/api/v1/attendance/class-marks/{classroom.pk}/"
    body = {
        "date": "2026-06-01",
        "period": last + 1,
        "marks": [{"enrolment": ens[0].pk, "code": "late"}],
    }
    client = client_for(muni, teacher.user)
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "校時は1から" in str(response.json()["error"]["fields"])
    body["period"] = last
    assert client.put(url, body, content_type="application/json").status_code == 200
    # A school that does not take attendance per period refuses per-period marks.
    _, _, other, other_ens = setup_class(2, name="5組")
    with pytest.raises(ValidationError, match="校時別の出欠を使っていません"):
        services.save_day_marks(
            other,
            MONDAY,
            {other_ens[0].pk: services.MarkInput("late")},
            by=actor_of(teacher.user, other),
            period=1,
            valid_codes={"late"},
            class_day=(True, False),
            enrolments=other_ens,
        )
    assert not Mark.objects.filter(enrolment=other_ens[0]).exists()


def test_the_calendar_is_built_by_the_lifecycle_not_by_reads(muni):
    year = factories.school_year(2026)
    school = factories.school()
    assert not calendar.has_calendar(school, year)
    signals.school_created.send(sender=type(school), school=school, by=None)
    assert SchoolDate.objects.filter(school=school, school_year=year).count() == 365
    later = SchoolYear.objects.create(year=2027, state=SchoolYear.State.PREPARING)
    signals.school_year_opened.send(sender=SchoolYear, school_year=later, by=None)
    assert calendar.has_calendar(school, later)


def test_the_migration_builds_missing_calendars(muni):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("schools.migrations.0005_calendar_from_attendance")
    year = factories.school_year(2026)
    school = factories.school()
    migration.build_missing_calendars(apps, None)
    days = calendar.school_dates(school, year)
    assert len(days) == 365 and days[-1].cum == sum(d.is_school_day for d in days)


def test_the_tables_moved_with_their_names(muni):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename LIKE %s ORDER BY 1",
            ["%_schooldate"],
        )
        assert [r[0] for r in cursor.fetchall()] == ["schools_schooldate"]
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND indexname IN ('closure_school_kind', 'school_date_year')"
        )
        assert len(cursor.fetchall()) == 2


def test_the_migration_moves_the_rows_and_back(muni):
    """Back to attendance's tables, some data written there, then forward: nothing is lost."""
    from django.db.migrations.executor import MigrationExecutor

    year = factories.school_year(2026)
    school = factories.school()
    executor = MigrationExecutor(connection)
    before = [("schools", "0004_audit_action_grammar"), ("attendance", "0003_taken_day")]
    executor.migrate(before)
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO attendance_vacation (school_id, school_year_id, name, start, "end")'
            " VALUES (%s, %s, '夏季休業', '2026-07-21', '2026-08-31') RETURNING id",
            [school.pk, year.pk],
        )
        vacation_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO schools_auditevent (actor_name, action, target_type, target_id, changes,"
            " reason, request_id, at) VALUES ('x', 'schools.vacation.add', 'attendance.vacation',"
            " %s, '{}', '', '', now())",
            [str(vacation_id)],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    vacation = Vacation.objects.get(pk=vacation_id)
    assert vacation.name == "夏季休業" and vacation.school_id == school.pk
    # The calendar of the school was built from it by the migration.
    assert not SchoolDate.objects.get(school=school, date=D(2026, 8, 3)).is_school_day
    assert SchoolDate.objects.get(school=school, date=D(2026, 8, 3)).note == "夏季休業"
    assert (
        AuditEvent.objects.get(actor_name="x", target_id=str(vacation_id)).target_type
        == "schools.vacation"
    )
    # New rows get fresh ids after the moved ones (the sequences came along).
    added = calendar.add_vacation(
        school,
        year,
        by=Actor.system("test"),
        name="冬季休業",
        start=D(2026, 12, 25),
        end=D(2027, 1, 7),
    )
    assert added.pk > vacation_id
