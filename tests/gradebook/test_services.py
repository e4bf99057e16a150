"""Saving scores, conflicts, overrides, finalising and history, on a real schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gradebook import queries, services
from gradebook.models import Evaluation, Finalisation, GradeChange, Score
from gradebook.services import CellInput, GridConflict, GridInvalid
from schools.models import AuditEvent, Role
from tests import factories


def cells(setup, values, version=0):
    """values: {(student index, assessment index): text}"""
    return [
        CellInput(setup.students[s].pk, setup.assessments[a].pk, text, version)
        for (s, a), text in values.items()
    ]


def save(setup, values, who=None, version=0, reason=""):
    who = who or setup.teacher
    return services.save_scores(
        setup.classroom,
        setup.subject,
        setup.term,
        cells(setup, values, version),
        by=setup.actor(who),
        reason=reason,
    )


def test_save_scores_and_the_grid_shows_them(setup):
    result = save(setup, {(0, 0): "80", (0, 1): "欠", (1, 0): "", (1, 2): "１０"})
    assert result.changed == 3  # the blank one was blank already
    grid = queries.grid(setup.classroom, setup.subject, setup.term)
    row = grid.rows[0]
    assert row.cells[setup.assessments[0].pk].points == Decimal(80)
    assert row.cells[setup.assessments[1].pk].is_absent
    assert grid.rows[1].cells[setup.assessments[2].pk].points == Decimal(10)
    # absent is excluded: thinking has no score yet for student 0
    assert row.result.percentages["thinking"] is None
    assert row.result.levels["knowledge"] == "A"
    assert GradeChange.objects.filter(kind="score").count() == 3
    event = AuditEvent.objects.get(action="gradebook.scores.save")
    assert event.changes["count"] == 3


def test_invalid_cells_write_nothing(setup):
    with pytest.raises(GridInvalid) as exc:
        save(setup, {(0, 0): "80", (0, 1): "21", (1, 0): "abc"})
    messages = {(p.student_id, p.assessment_id): p.message for p in exc.value.problems}
    assert "満点 20" in messages[(setup.students[0].pk, setup.assessments[1].pk)]
    assert "点数として読めません" in messages[(setup.students[1].pk, setup.assessments[0].pk)]
    assert not Score.objects.exists()
    assert not GradeChange.objects.exists()


def test_cells_of_another_class_are_refused(setup, builder):
    other = builder()
    bad = [CellInput(other.students[0].pk, setup.assessments[0].pk, "5", 0)]
    with pytest.raises(GridInvalid):
        services.save_scores(
            setup.classroom, setup.subject, setup.term, bad, by=setup.actor(setup.teacher)
        )


def test_two_teachers_editing_the_same_cell_the_second_is_told(setup):
    other_teacher = factories.staff()
    factories.give_role(
        other_teacher, Role.SUBJECT, classroom=setup.classroom, subject=setup.subject
    )
    save(setup, {(0, 0): "70"})  # both loaded version 0 (blank); the first one saves
    with pytest.raises(GridConflict) as exc:
        save(setup, {(0, 0): "75", (1, 0): "50"}, who=other_teacher, version=0)
    (problem,) = exc.value.problems
    assert problem.current_text == "70"
    assert problem.current_version == 1
    # nothing of the second save was written, not even the non-conflicting cell
    assert Score.objects.get(student=setup.students[0]).points == 70
    assert not Score.objects.filter(student=setup.students[1]).exists()
    # retried from the current version, it goes through
    save(setup, {(0, 0): "75"}, who=other_teacher, version=1)
    assert Score.objects.get(student=setup.students[0]).version == 2


def test_same_value_from_an_old_version_is_not_a_conflict(setup):
    save(setup, {(0, 0): "70"})
    assert save(setup, {(0, 0): "70"}, version=0).changed == 0


def test_teacher_of_another_subject_cannot_write(setup):
    stranger = factories.staff()
    factories.give_role(
        stranger,
        Role.SUBJECT,
        classroom=setup.classroom,
        subject=factories.subject("junior_high", "国語"),
    )
    with pytest.raises(PermissionDenied):
        save(setup, {(0, 0): "70"}, who=stranger)
    with pytest.raises(PermissionDenied):
        save(setup, {(0, 0): "70"}, who=setup.homeroom)


def test_override_with_reason_and_history(setup):
    save(setup, {(0, 0): "40", (0, 1): "8", (0, 2): "30"})
    sid = setup.students[0].pk
    actor = setup.actor(setup.teacher)
    with pytest.raises(ValidationError) as exc:
        services.override_evaluation(
            setup.classroom,
            setup.subject,
            setup.term,
            sid,
            by=actor,
            levels={"attitude": "A"},
            rating=None,
            reason="",
        )
    assert "reason" in exc.value.message_dict
    services.override_evaluation(
        setup.classroom,
        setup.subject,
        setup.term,
        sid,
        by=actor,
        levels={"attitude": "A"},
        rating=4,
        reason="提出物を再評価",
    )
    row = queries.grid(setup.classroom, setup.subject, setup.term).rows[0]
    assert row.result.levels["attitude"] == "A"
    assert row.result.rating == 4
    assert row.result.overridden == {"attitude", "rating"}
    changes = GradeChange.objects.filter(student_id=sid, kind__in=["level", "rating"])
    assert {(c.field, c.old, c.new, c.reason) for c in changes} == {
        ("override:attitude", "", "A", "提出物を再評価"),
        ("override:rating", "", "4", "提出物を再評価"),
    }
    # a rating of 5 levels only in junior high: 6 is refused
    with pytest.raises(ValidationError):
        services.override_evaluation(
            setup.classroom,
            setup.subject,
            setup.term,
            sid,
            by=actor,
            levels={},
            rating=6,
            reason="x",
        )


def test_finalise_then_only_the_administrator_writes_with_history(setup):
    save(setup, {(0, 0): "90", (0, 1): "18", (0, 2): "95"})  # AAA -> 5
    admin_actor = setup.actor(setup.admin)
    with pytest.raises(PermissionDenied):
        services.finalise(setup.term, by=setup.actor(setup.teacher))
    services.finalise(setup.term, by=admin_actor)
    ev = Evaluation.objects.get(student=setup.students[0], subject=setup.subject)
    assert (ev.final_knowledge, ev.final_thinking, ev.final_attitude, ev.final_rating) == (
        "A",
        "A",
        "A",
        5,
    )
    with pytest.raises(PermissionDenied, match="確定済み"):
        save(setup, {(0, 0): "10"})
    with pytest.raises(ValidationError):
        save(setup, {(0, 0): "10"}, who=setup.admin, version=1)  # no reason
    save(setup, {(0, 0): "10"}, who=setup.admin, version=1, reason="採点の誤り")
    ev.refresh_from_db()
    assert ev.final_knowledge == "C"
    assert ev.final_rating == 3  # AAC
    history = {
        (c.field, c.old, c.new, c.after_finalisation)
        for c in queries.history(student_id=setup.students[0].pk, term=setup.term)
    }
    assert ("points", "90", "10", True) in history
    assert ("final:knowledge", "A", "C", True) in history
    assert ("final:rating", "5", "3", True) in history


def test_finalised_snapshot_does_not_move_with_the_settings(setup):
    from gradebook.models import GradingSettings

    save(setup, {(0, 0): "79", (0, 1): "18", (0, 2): "95"})
    services.finalise(setup.term, setup.classroom, by=setup.actor(setup.admin))
    GradingSettings.objects.create(school=None, threshold_a=Decimal(70), threshold_b=Decimal(40))
    row = queries.grid(setup.classroom, setup.subject, setup.term).rows[0]
    assert row.snapshot
    assert row.result.levels["knowledge"] == "B"  # finalised with 80 %, stays B
    fin = Finalisation.objects.get()
    services.unfinalise(fin, by=setup.actor(setup.admin), reason="再確認")
    row = queries.grid(setup.classroom, setup.subject, setup.term).rows[0]
    assert row.result.levels["knowledge"] == "A"  # live again under the new thresholds


def test_remarks_with_version_check(setup):
    actor = setup.actor(setup.homeroom)
    sid = setup.students[0].pk
    services.save_remarks(
        setup.classroom, setup.term, [services.RemarkInput(sid, "よく頑張りました。", 0)], by=actor
    )
    with pytest.raises(ValidationError, match="他の人が先に"):
        services.save_remarks(
            setup.classroom, setup.term, [services.RemarkInput(sid, "別の所見", 0)], by=actor
        )
    with pytest.raises(PermissionDenied):
        services.save_remarks(
            setup.classroom,
            setup.term,
            [services.RemarkInput(sid, "x", 1)],
            by=setup.actor(setup.teacher),
        )


def test_grid_query_count_is_constant(builder, django_assert_num_queries):
    counts = []
    for students, assessments in [(5, 3), (40, 20)]:
        s = builder(students=students, assessments=assessments)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            grid = queries.grid(s.classroom, s.subject, s.term)
        assert len(grid.rows) == students
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_save_query_count_is_constant(builder):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for students, assessments in [(5, 3), (40, 20)]:
        s = builder(students=students, assessments=assessments)
        values = {(i, j): str(j % 10) for i in range(students) for j in range(assessments)}
        save(s, {k: "1" for k in values})  # creates
        with CaptureQueriesContext(connection) as ctx:
            save(s, values, version=1)  # updates (some unchanged)
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_max_points_cannot_drop_below_an_entered_score(setup):
    save(setup, {(0, 0): "90"})
    a = setup.assessments[0]
    data = {f: getattr(a, f) for f in services.ASSESSMENT_FIELDS}
    with pytest.raises(ValidationError) as exc:
        services.update_assessment(
            a, {**data, "max_points": Decimal(50)}, by=setup.actor(setup.teacher)
        )
    assert "90" in exc.value.message_dict["max_points"][0]


def test_archived_year_is_read_only_even_for_the_administrator(setup):
    from schools.models import SchoolYear

    SchoolYear.objects.filter(pk=setup.classroom.school_year_id).update(state="archived")
    setup.classroom.school_year.refresh_from_db()
    from schools.permissions import Actor

    boe = Actor(user_id=None, is_boe_admin=True)
    with pytest.raises(PermissionDenied):
        services.save_scores(
            setup.classroom, setup.subject, setup.term, cells(setup, {(0, 0): "1"}), by=boe
        )
    assert not Score.objects.exists()


def test_students_who_left_before_the_term_are_not_in_the_grid(setup):
    import datetime as dt

    e = setup.enrolments[0]
    e.left_on = setup.term.start - dt.timedelta(days=1)
    e.enrolled_on = e.left_on - dt.timedelta(days=3)
    e.save()
    grid = queries.grid(setup.classroom, setup.subject, setup.term)
    assert e.student_id not in {r.enrolment.student_id for r in grid.rows}
    with pytest.raises(GridInvalid):
        save(setup, {(0, 0): "10"})
