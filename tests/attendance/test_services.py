"""Saving marks and keeping the calendar, on the municipality's real schema."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError

from attendance import figures, queries, rules, services
from attendance.models import AttendanceCode, Mark
from attendance.services import MarkInput
from schools import calendar
from schools.models import AuditEvent, Enrolment, SchoolDate, SchoolYear
from tests import factories
from tests.attendance.helpers import D, actor_of, save, setup_class

MONDAY = D(2026, 6, 1)


def test_codes_are_seeded_with_the_domain_table(muni):
    assert list(AttendanceCode.objects.values_list("code", flat=True)) == [
        c.code for c in rules.DEFAULT_CODES
    ]
    assert queries.codes() == list(rules.DEFAULT_CODES)


def test_calendar_has_every_date_and_running_count(muni):
    year, school, *_ = setup_class()
    rows = list(SchoolDate.objects.filter(school=school).order_by("date"))
    assert len(rows) == 365
    assert rows[-1].cum == sum(r.is_school_day for r in rows)
    showa = next(r for r in rows if r.date == D(2026, 4, 29))
    assert not showa.is_school_day and showa.note == "昭和の日"


def test_save_stores_only_non_present_marks_and_twice_changes_nothing(muni, boe_admin):
    _, _, classroom, ens = setup_class()
    result = save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick", ens[1].pk: "late"})
    assert result.changed == 2
    assert Mark.objects.filter(enrolment__classroom=classroom).count() == 2
    events = AuditEvent.objects.filter(action="attendance.marks.save").count()
    again = save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick", ens[1].pk: "late"})
    assert again.changed == 0
    assert AuditEvent.objects.filter(action="attendance.marks.save").count() == events
    # Back to present deletes the row.
    save(boe_admin, classroom, MONDAY, {ens[1].pk: "late"})
    assert list(Mark.objects.values_list("enrolment_id", "code")) == [(ens[1].pk, "late")]


def test_a_saved_mark_is_recorded_with_old_and_new_and_its_pupil(muni, boe_admin):
    _, _, classroom, ens = setup_class()
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "late"})
    event = AuditEvent.objects.filter(action="attendance.marks.save").order_by("-id").first()
    assert event.changes["marks"][str(ens[0].pk)]["code"] == ["sick", "late"]
    assert event.changes["student_ids"] == [ens[0].student_id]  # the audit page finds it


def test_two_teachers_saving_the_same_class_lose_nothing(muni, boe_admin):
    _, _, classroom, ens = setup_class()
    base = {}  # both pages loaded with everyone present
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"}, base=base)
    # The second teacher changed only student 2; their page still shows student 1 present.
    result = save(boe_admin, classroom, MONDAY, {ens[1].pk: "late"}, base=base)
    assert dict(Mark.objects.values_list("enrolment_id", "code")) == {
        ens[0].pk: "sick",
        ens[1].pk: "late",
    }
    assert result.conflicts == []


def test_refuses_a_non_school_day_and_a_student_not_enrolled(muni, boe_admin):
    _, _, classroom, ens = setup_class()
    with pytest.raises(ValidationError, match="授業日ではない"):
        save(boe_admin, classroom, D(2026, 6, 6), {ens[0].pk: "sick"})
    Enrolment.objects.filter(pk=ens[0].pk).update(left_on=D(2026, 5, 29))
    with pytest.raises(ValidationError, match="在籍していない"):
        save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})
    with pytest.raises(ValidationError, match="使えません"):
        save(boe_admin, classroom, MONDAY, {ens[1].pk: "nonsense"})
    assert not Mark.objects.exists()


def test_class_closure_day_refuses_marks(muni, boe_admin):
    year, school, classroom, ens = setup_class()
    calendar.add_closure(
        school,
        year,
        by=actor_of(boe_admin),
        kind="class",
        classroom=classroom,
        start=MONDAY,
        end=MONDAY,
        reason="インフルエンザ",
    )
    with pytest.raises(ValidationError, match="学級閉鎖"):
        save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})


def test_archived_year_is_read_only(muni, boe_admin):
    year, school, classroom, ens = setup_class()
    SchoolYear.objects.filter(pk=year.pk).update(state=SchoolYear.State.ARCHIVED)
    classroom.school_year.refresh_from_db()
    with pytest.raises(ValidationError, match="過年度"):
        save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})


def test_override_makes_an_existing_mark_ignored(muni, boe_admin):
    year, school, classroom, ens = setup_class()
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})
    calendar.set_override(
        school, year, by=actor_of(boe_admin), date=MONDAY, is_school_day=False, note="振替休業日"
    )
    reg = queries.register(classroom, D(2026, 6, 1), D(2026, 6, 30))
    assert reg.rows[0].figures.absent_days == 0
    assert reg.rows[0].figures.school_days == 21
    assert Mark.objects.count() == 1  # kept, in case the date becomes a school day again


def _random_setup(boe_admin):
    year, school, classroom, ens = setup_class(8, grade=2)
    other = factories.classroom(school, year, grade=2, name="2組")
    other_ens = factories.students(other, 3)
    # transfers: in mid-June, out mid-October (the leaving day counts), re-transfer.
    Enrolment.objects.filter(pk=ens[1].pk).update(enrolled_on=D(2026, 6, 17))
    Enrolment.objects.filter(pk=ens[2].pk).update(left_on=D(2026, 10, 14), exit="transfer_out")
    Enrolment.objects.create(
        student=ens[2].student,
        classroom=classroom,
        school=school,
        school_year=year,
        grade=2,
        roll_number=20,
        enrolled_on=D(2027, 1, 12),
        entry="transfer_in",
    )
    calendar.add_vacation(
        school,
        year,
        by=actor_of(boe_admin),
        name="夏季休業",
        start=D(2026, 7, 21),
        end=D(2026, 8, 31),
    )
    calendar.set_override(
        school,
        year,
        by=actor_of(boe_admin),
        date=D(2026, 6, 13),
        is_school_day=True,
        note="授業参観",
    )
    calendar.add_closure(
        school,
        year,
        by=actor_of(boe_admin),
        kind="school",
        start=D(2026, 9, 8),
        end=D(2026, 9, 9),
        reason="台風",
    )
    calendar.add_closure(
        school,
        year,
        by=actor_of(boe_admin),
        kind="grade",
        grade=2,
        start=D(2026, 11, 10),
        end=D(2026, 11, 12),
        reason="学年閉鎖",
    )
    calendar.add_closure(
        school,
        year,
        by=actor_of(boe_admin),
        kind="class",
        classroom=classroom,
        start=D(2026, 12, 1),
        end=D(2026, 12, 3),
        reason="学級閉鎖",
    )
    rng = random.Random(4)
    codes = [c.code for c in rules.DEFAULT_CODES]
    rows = []
    for e in [*Enrolment.objects.filter(classroom__in=[classroom, other])]:
        for day in rules.date_range(D(2026, 4, 1), D(2027, 3, 31)):
            if rng.random() < 0.12:  # also on weekends, closures and outside enrolment
                rows.append(Mark(enrolment=e, date=day, code=rng.choice(codes)))
    Mark.objects.bulk_create(rows)
    return year, school, classroom, other, ens, other_ens


def test_sql_figures_equal_the_day_by_day_rule(muni, boe_admin):
    year, school, classroom, other, *_ = _random_setup(boe_admin)
    start, end = rules.school_year_bounds(2026)
    _, rows = queries.class_year_figures(classroom)
    _, rows_other = queries.class_year_figures(other)
    expected = {r.enrolment.pk: r.year for r in rows + rows_other}
    sql = dict(figures.figures_rows(year, start, end, group="enrolment"))
    assert {k[0]: f for k, f in sql.items()} == expected
    assert any(f.suspended_days for f in expected.values())
    # Monthly figures add up to the same per month.
    for (y, m), i in zip(queries.school_year_months(2026), range(12), strict=True):
        mstart, mend = queries.month_bounds(y, m)
        month_sql = {
            k[0]: f for k, f in figures.figures_rows(year, mstart, mend, group="enrolment")
        }
        for r in rows:
            assert month_sql.get(r.enrolment.pk, rules.Figures()) == r.months[i], (y, m)


def test_long_absence_watch_and_monthly_rates(muni, boe_admin):
    year, school, classroom, ens = setup_class(3)
    days = sorted(
        SchoolDate.objects.filter(
            school=school, is_school_day=True, date__lte=D(2026, 11, 26)
        ).values_list("date", flat=True)
    )
    Mark.objects.bulk_create(
        [Mark(enrolment=ens[0], date=d, code="sick") for d in days[:31]]
        + [Mark(enrolment=ens[1], date=d, code="absent") for d in days[-20:]]
        + [Mark(enrolment=ens[2], date=d, code="sick") for d in days[:3]]
    )
    watch = figures.long_absence_watch(year, D(2026, 11, 26))
    by_student = {w.student_id: w for w in watch}
    assert by_student[ens[0].student_id].status == "reached"
    assert by_student[ens[0].student_id].absent == 31
    assert by_student[ens[1].student_id].status == "projected"
    assert ens[2].student_id not in by_student
    assert sum(by_student[ens[0].student_id].trend) == 31
    rates = figures.monthly_rates(year, D(2026, 11, 26), [school.pk])
    assert len(rates[school.pk]) == 8  # April .. November
    april = rates[school.pk][0]
    assert april.required == 3 * len([d for d in days if d.month == 4])
    assert 0 < april.rate < 1


def test_save_query_count_is_constant(muni, boe_admin):
    counts = []
    for size in (5, 40):
        _, _, classroom, ens = setup_class(size, name=f"{size}組")
        entry = queries.daily_entry(classroom, MONDAY)
        marks = {e.pk: MarkInput("sick") for e in ens[::2]}
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        user = type(boe_admin).objects.get(pk=boe_admin.pk)  # fresh, as in a request
        actor = actor_of(user, classroom)
        with CaptureQueriesContext(connection) as ctx:
            services.save_day_marks(
                classroom,
                MONDAY,
                marks,
                by=actor,
                base={},
                valid_codes={c.code for c in entry.codes},
                class_day=(entry.is_school_day, entry.is_closed),
                enrolments=entry.enrolments,
            )
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_re_transfer_year_figures(muni, boe_admin):
    _, _, classroom, _, ens, _ = _random_setup(boe_admin)
    _, rows = queries.class_year_figures(classroom)
    first, second = [r for r in rows if r.enrolment.student_id == ens[2].student_id]
    assert first.year.school_days > 0 and second.year.school_days > 0
    assert first.enrolment.left_on == dt.date(2026, 10, 14)


def test_figures_table_matches_the_rules(muni, boe_admin):
    year, school, classroom, other, *_ = _random_setup(boe_admin)
    start, end = rules.school_year_bounds(2026)
    _, rows = queries.class_year_figures(classroom)
    table = {r[0]: r[1:] for r in figures.figures_table(year, start, end, group="enrolment")}
    for r in rows:
        expected = r.year.as_dict()
        assert table[r.enrolment.pk] == tuple(expected[k] for k, _ in rules.FIGURE_COLUMNS)


def test_school_month_figures_equal_the_per_enrolment_sql(muni, boe_admin):
    year, school, *_ = _random_setup(boe_admin)
    start, end = rules.school_year_bounds(2026)
    per_enrolment = {
        key: (f.school_days, f.suspended_days, f.absent_days)
        for key, f in figures.figures_rows(year, start, end, group="school_month")
    }
    grouped = {
        key: (f.school_days, f.suspended_days, f.absent_days)
        for key, f in figures.school_month_figures(year, start, end)
    }
    assert grouped == per_enrolment
