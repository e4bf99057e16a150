"""The gradebook's part of the audit trail: who opened which 通知表, and the board finds a
pupil's grade changes by searching the pupil (issue 10)."""

from __future__ import annotations

from django.urls import reverse

from gradebook import services
from schools.models import AuditEvent


def test_opening_a_report_card_is_recorded(setup, client_for, muni):
    student = setup.students[0]
    client = client_for(muni, setup.homeroom.user)
    url = reverse("gradebook:report-card", args=[setup.classroom.pk, setup.term.pk, student.pk])
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.get(action="gradebook.report_card.view")
    assert event.actor_id == setup.homeroom.user_id
    assert event.changes["student_id"] == student.pk
    assert event.changes["student_ids"] == [student.pk]
    url = reverse("gradebook:report-cards", args=[setup.classroom.pk, setup.term.pk])
    assert client.get(url).status_code == 200
    whole = AuditEvent.objects.filter(action="gradebook.report_card.view").latest("id")
    assert whole.changes["student_ids"] == [s.pk for s in setup.students]
    # the subject teacher may not read the class's 通知表: refused, nothing recorded
    other = client_for(muni, setup.teacher.user)
    assert other.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="gradebook.report_card.view").count() == 2


def test_the_board_finds_a_pupils_score_changes_by_the_pupil(setup, client_for, muni, boe_admin):
    pupil, other = setup.students[0], setup.students[1]
    services.save_scores(
        setup.classroom,
        setup.subject,
        setup.term,
        [services.CellInput(pupil.pk, setup.assessments[0].pk, "80")],
        by=setup.actor(setup.teacher),
    )
    event = AuditEvent.objects.get(action="gradebook.scores.save")
    assert event.changes["cells"] == [[pupil.pk, setup.assessments[0].pk, "", "80"]]
    board = client_for(muni, boe_admin)
    rows = board.get("/roster/audit/", {"student": pupil.name}).context["rows"]
    assert [r["event"].pk for r in rows] == [event.pk]
    rows = board.get("/roster/audit/", {"student": other.name}).context["rows"]
    assert event.pk not in [r["event"].pk for r in rows]
