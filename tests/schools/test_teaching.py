"""Teaching assignments (担当): one record of who teaches what, and the elementary rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from schools import teaching
from schools.models import (
    AuditEvent,
    Role,
    RoleAssignment,
    SchoolType,
    SchoolYear,
    TeachingAssignment,
    TeachingGroup,
)
from schools.permissions import Actor, actor_for_user
from tests import factories as f


def test_elementary_homeroom_teacher_teaches_every_subject_but_the_specialists(
    school, year, classroom
):
    homeroom = f.homeroom_teacher(classroom)
    music, japanese, maths = (f.subject(name=n) for n in ("音楽", "国語", "算数"))
    specialist = f.staff()
    f.teach(specialist, classroom, music)  # 専科
    f.teach(None, classroom, maths, weekly_periods=5)  # an assignment with no teacher yet
    actor = actor_for_user(homeroom.user)
    assert actor.teaches(classroom.pk, japanese.pk)
    assert actor.teaches(classroom.pk, maths.pk)
    assert not actor.teaches(classroom.pk, music.pk)
    assert actor.can_edit_teaching(classroom, japanese.pk)
    assert not actor.can_edit_teaching(classroom, music.pk)
    assert actor_for_user(specialist.user).can_edit_teaching(classroom, music.pk)
    # Not another class of the school.
    other = f.classroom(school, year, grade=2, name="1組")
    assert not actor.can_edit_teaching(other, japanese.pk)
    # Team teaching with the specialist: the homeroom teacher is one of its teachers again.
    f.teach(homeroom, classroom, music)
    assert actor_for_user(homeroom.user).teaches(classroom.pk, music.pk)


def test_junior_high_homeroom_teacher_teaches_only_their_assignments(jhs, year):
    classroom = f.classroom(jhs, year, grade=1, name="1組")
    homeroom = f.homeroom_teacher(classroom)
    maths = f.subject(SchoolType.JUNIOR_HIGH, "数学")
    english = f.subject(SchoolType.JUNIOR_HIGH, "外国語")
    f.teach(homeroom, classroom, maths)
    actor = actor_for_user(homeroom.user)
    assert actor.teaches(classroom.pk, maths.pk)
    assert not actor.teaches(classroom.pk, english.pk)


def test_elementary_homeroom_teacher_writes_grades_of_every_subject(
    muni, client_for, school, year, classroom
):
    from gradebook import services as grades

    homeroom = f.homeroom_teacher(classroom)
    term = f.term(school, year)
    science, music = f.subject(name="理科"), f.subject(name="音楽")
    f.teach(f.staff(), classroom, music)
    by = actor_for_user(homeroom.user)
    data = {"name": "小テスト", "max_points": 10, "weight_knowledge": 1}
    grades.create_assessment(classroom, science, term, dict(data), by=by)
    with pytest.raises(PermissionDenied):
        grades.create_assessment(classroom, music, term, dict(data), by=by)


def test_group_assignment_gives_each_class_of_the_group(school, year, classroom):
    other = f.classroom(school, year, grade=1, name="2組")
    admin = Actor.system("test")
    group = teaching.save_group(
        by=admin,
        school=school,
        school_year=year,
        kind=TeachingGroup.Kind.COMBINED,
        name="1年合同体育",
        classes=[classroom, other],
    )
    teacher = f.staff()
    pe = f.subject(name="体育")
    teaching.save_assignment(
        by=admin,
        school=school,
        school_year=year,
        group=group,
        subject=pe,
        teachers=[teacher],
        weekly_periods="3",
    )
    actor = actor_for_user(teacher.user)
    assert actor.teaches(classroom.pk, pe.pk) and actor.teaches(other.pk, pe.pk)
    assert school.pk in actor.member_school_ids


def test_save_assignment_periods_fractions_audit_and_refusals(school, year, classroom):
    principal = f.school_admin(school, year)
    by = actor_for_user(principal.user)
    a, b = f.staff(), f.staff()
    maths = f.subject(name="算数")
    assignment = teaching.save_assignment(
        by=by,
        school=school,
        school_year=year,
        classroom=classroom,
        subject=maths,
        teachers=[a, b],  # TT
        weekly_periods="13/3",
    )
    assert assignment.weekly_periods == Decimal("4.33")
    assert set(assignment.teachers.all()) == {a, b}
    event = AuditEvent.objects.get(action="schools.teaching.save")
    assert event.changes["after"]["weekly_periods"] == "4.33"
    for bad in ("x", "-1", "41", "1/0"):
        with pytest.raises(ValidationError):
            teaching.periods_value(bad)
    with pytest.raises(PermissionDenied):
        teaching.save_assignment(
            by=actor_for_user(a.user),
            school=school,
            school_year=year,
            classroom=classroom,
            subject=maths,
        )
    with pytest.raises(ValidationError, match="教科ではありません"):
        teaching.save_assignment(
            by=by,
            school=school,
            school_year=year,
            classroom=classroom,
            subject=f.subject(SchoolType.JUNIOR_HIGH, "数学"),
        )
    old = f.school_year(2024, SchoolYear.State.ARCHIVED)
    with pytest.raises(ValidationError, match="過年度"):
        teaching.save_assignment(
            by=Actor.system("t"),
            school=school,
            school_year=old,
            classroom=f.classroom(school, old, grade=1),
            subject=maths,
        )


def test_subject_role_through_assign_role_is_an_assignment(school, year, classroom, boe_admin):
    from schools import services

    teacher = f.staff()
    maths = f.subject(name="算数")
    result = services.assign_role(
        by=actor_for_user(boe_admin),
        staff=teacher,
        role=Role.SUBJECT,
        classroom=classroom,
        subject=maths,
    )
    assert isinstance(result, TeachingAssignment)
    assert not RoleAssignment.objects.filter(role=Role.SUBJECT).exists()
    assert list(result.teachers.all()) == [teacher]
    assert AuditEvent.objects.filter(action="schools.teaching.assign").count() == 1


def test_migration_moves_subject_roles_into_assignments_and_back(muni):
    from django.db.migrations.executor import MigrationExecutor

    year = f.school_year(2026)
    school = f.school()
    classroom = f.classroom(school, year, grade=1)
    maths = f.subject(name="算数")
    one, two = f.staff(), f.staff()
    executor = MigrationExecutor(connection)
    executor.migrate([("schools", "0008_teaching_assignments"), ("timetable", None)])
    with connection.cursor() as cursor:
        for staff, draft in ((one, False), (two, True)):
            cursor.execute(
                "INSERT INTO schools_roleassignment (staff_id, role, title, school_id,"
                " school_year_id, classroom_id, subject_id, is_draft)"
                " VALUES (%s, 'subject', '', %s, %s, %s, %s, %s)",
                [staff.pk, school.pk, year.pk, classroom.pk, maths.pk, draft],
            )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assignment = TeachingAssignment.objects.get(classroom=classroom, subject=maths)
    assert set(assignment.teachers.all()) == {one, two}  # team teaching
    assert not assignment.is_draft  # one of the two roles was confirmed
    assert assignment.school_id == school.pk and assignment.school_year_id == year.pk
    assert not RoleAssignment.objects.filter(role="subject").exists()
    assert actor_for_user(one.user).teaches(classroom.pk, maths.pk)


def test_rollover_drafts_assignments_with_their_class_and_confirms_them(school, year, boe_admin):
    from schools import rollover

    c5 = f.classroom(school, year, grade=5, name="1組")
    c6 = f.classroom(school, year, grade=6, name="1組")
    f.students(c5, 2)
    music_teacher = f.staff()
    music = f.subject(name="音楽")
    f.teach(music_teacher, c5, music, weekly_periods=Decimal("1.5"))
    f.teach(music_teacher, c6, music)  # graduates: not copied
    by = actor_for_user(boe_admin)
    record = rollover.rollover_school(school, by=by)
    drafts = TeachingAssignment.objects.filter(school_year__year=2027)
    (draft,) = drafts
    assert draft.is_draft and draft.classroom.label == "6年1組"
    assert draft.weekly_periods == Decimal("1.5")
    assert list(draft.teachers.all()) == [music_teacher]
    assert not actor_for_user(music_teacher.user).teaches(draft.classroom_id, music.pk)
    rollover.confirm_rollover(record, by=by)
    assert actor_for_user(music_teacher.user).teaches(draft.classroom_id, music.pk)
    # A cancelled roll-over takes its drafts away.
    other = f.school()
    f.teach(music_teacher, f.classroom(other, year, grade=1), music)
    record = rollover.rollover_school(other, by=by)
    rollover.cancel_rollover(record, by=by)
    assert TeachingAssignment.objects.filter(school=other, school_year__year=2027).count() == 0


def test_gradebook_lists_every_subject_of_an_elementary_homeroom_but_the_specialists(
    school, year, classroom
):
    from gradebook import queries as grade_queries

    homeroom = f.homeroom_teacher(classroom)
    for name in ("国語", "算数"):
        f.teach(None, classroom, f.subject(name=name), weekly_periods=5)
    f.teach(f.staff(), classroom, f.subject(name="音楽"))
    rows = grade_queries.teaching_assignments(actor_for_user(homeroom.user), year.pk)
    assert sorted(r.subject.name for r in rows) == ["国語", "算数"]
