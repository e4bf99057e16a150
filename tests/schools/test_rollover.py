"""Year roll-over (年度更新): prepare, cancel, confirm, switch; archived years stay unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from schools import rollover, services
from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    SchoolRollover,
    SchoolYear,
    Student,
)
from schools.permissions import actor_for_user
from tests import factories as f


@pytest.fixture
def setup(school, year, boe_admin):
    c1 = f.classroom(school, year, grade=1, name="1組")
    c1b = f.classroom(school, year, grade=1, name="2組")
    c5 = f.classroom(school, year, grade=5, name="1組")
    c6 = f.classroom(school, year, grade=6, name="1組")
    special = f.classroom(school, year, grade=None, name="なかよし学級", is_special_needs=True)
    first = f.students(c1, 3)
    f.students(c1b, 2)
    fifth = f.students(c5, 4)
    sixth = f.students(c6, 2)
    sp = Enrolment.objects.create(
        student=Student.objects.create(name="特別 一", kana="とくべつ はじめ"),
        classroom=special,
        school=school,
        school_year=year,
        grade=4,
        roll_number=1,
        enrolled_on=year.start,
    )
    services.transfer_out(
        fifth[1], by=actor_for_user(boe_admin), left_on=year.start.replace(month=10, day=1)
    )
    homeroom5 = f.homeroom_teacher(c5)
    homeroom6 = f.homeroom_teacher(c6)
    principal = f.school_admin(school, year)
    return locals()


def test_rollover_promotes_graduates_and_drafts_roles(setup, school, year, boe_admin):
    s = setup
    services.set_terms(school, year, services.term_preset("2", 2026), by=actor_for_user(boe_admin))
    record = rollover.rollover_school(school, by=actor_for_user(boe_admin))
    nxt = SchoolYear.objects.get(year=2027)
    assert nxt.state == SchoolYear.State.PREPARING and record.to_year == nxt
    labels = sorted(c.label for c in Classroom.objects.filter(school=school, school_year=nxt))
    assert labels == sorted(["1年1組", "1年2組", "2年1組", "2年2組", "6年1組", "なかよし学級"])
    # 5年1組 → 6年1組 without the student who left, renumbered 1..3 in old order.
    new6 = Enrolment.objects.filter(school_year=nxt, grade=6).order_by("roll_number")
    old_order = [e.student_id for e in s["fifth"] if e.pk != s["fifth"][1].pk]
    assert [e.student_id for e in new6] == old_order
    assert [e.roll_number for e in new6] == [1, 2, 3]
    assert all(e.entry == Enrolment.Entry.PROMOTION and e.enrolled_on == nxt.start for e in new6)
    # 6年 graduates on 31 March of the current year.
    for e in s["sixth"]:
        e.refresh_from_db()
        assert (e.exit, e.left_on) == (Enrolment.Exit.GRADUATION, year.end)
    # The special-needs student stays in their class, one grade up.
    sp = Enrolment.objects.get(school_year=nxt, classroom__is_special_needs=True)
    assert sp.grade == 5
    assert (record.promoted, record.graduated) == (9, 2)
    # Terms default to this year's, one year later.
    assert [(t.name, t.start) for t in nxt.terms.filter(school=school)] == [
        ("前期", dt.date(2027, 4, 1)),
        ("後期", dt.date(2027, 10, 11)),
    ]
    # Roles: drafts that follow the class (持ち上がり); the graduated class's teacher has none.
    drafts = RoleAssignment.objects.filter(school_year=nxt)
    assert all(r.is_draft for r in drafts)
    assert drafts.get(staff=s["homeroom5"]).classroom.label == "6年1組"
    assert not drafts.filter(staff=s["homeroom6"]).exists()
    assert drafts.get(staff=s["principal"], role=Role.SCHOOL_ADMIN)
    # Drafts give no rights yet; confirming does.
    new_class = Classroom.objects.get(school_year=nxt, grade=6)
    assert new_class.pk not in actor_for_user(s["homeroom5"].user).homeroom_classroom_ids
    rollover.confirm_rollover(record, by=actor_for_user(boe_admin))
    assert new_class.pk in actor_for_user(s["homeroom5"].user).homeroom_classroom_ids


def test_rollover_twice_is_refused_and_cancel_restores(setup, school, year, boe_admin):
    record = rollover.rollover_school(school, by=actor_for_user(boe_admin))
    with pytest.raises(ValidationError, match="既に"):
        rollover.rollover_school(school, by=actor_for_user(boe_admin))
    rollover.cancel_rollover(record, by=actor_for_user(boe_admin))
    nxt = SchoolYear.objects.get(year=2027)
    assert not Classroom.objects.filter(school_year=nxt).exists()
    assert not Enrolment.objects.filter(school_year=nxt).exists()
    assert not Enrolment.objects.filter(exit=Enrolment.Exit.GRADUATION).exists()
    assert not SchoolRollover.objects.exists()
    rollover.rollover_school(school, by=actor_for_user(boe_admin))  # and again, from a clean state


def test_placements_move_students_into_named_classes(setup, school, boe_admin):
    s = setup
    a, b, c = (e.student_id for e in s["first"])
    record = rollover.rollover_school(
        school,
        by=actor_for_user(boe_admin),
        placements={a: ("3組", 2), b: ("3組", 1), c: ("1組", None)},
    )
    nxt = record.to_year
    three = Enrolment.objects.filter(school_year=nxt, classroom__name="3組", grade=2)
    assert {(e.student_id, e.roll_number) for e in three} == {(a, 2), (b, 1)}


def test_switch_needs_every_school_confirmed(setup, school, year, other_school, boe_admin):
    f.students(f.classroom(other_school, year, grade=2), 2)
    record = rollover.rollover_school(school, by=actor_for_user(boe_admin))
    with pytest.raises(ValidationError, match="確定していない学校") as exc:
        rollover.switch_school_year(record.to_year, by=actor_for_user(boe_admin))
    assert other_school.name in str(exc.value) and school.name in str(exc.value)
    rollover.confirm_rollover(record, by=actor_for_user(boe_admin))
    other = rollover.rollover_school(other_school, by=actor_for_user(boe_admin))
    rollover.confirm_rollover(other, by=actor_for_user(boe_admin))
    rollover.switch_school_year(record.to_year, by=actor_for_user(boe_admin))
    year.refresh_from_db()
    assert year.state == SchoolYear.State.ARCHIVED
    assert SchoolYear.objects.get(year=2027).state == SchoolYear.State.CURRENT
    # The old year is now read-only: no change, no cancel.
    old_enrolment = Enrolment.objects.filter(school_year=year, left_on__isnull=True).first()
    with pytest.raises(ValidationError, match="過年度"):
        services.transfer_out(old_enrolment, by=actor_for_user(boe_admin), left_on=year.end)
    with pytest.raises(ValidationError, match="既に始まって"):
        rollover.cancel_rollover(record, by=actor_for_user(boe_admin))
