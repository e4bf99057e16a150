"""Every gradebook export and print leaves one audit record saying what was taken."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gradebook import services
from schools import audit
from schools.models import AuditEvent
from tests.gradebook.test_services import save


def only_record(action: str) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action=action)
    return event


def test_export_actions_are_registered_with_labels():
    for thing in services.EXPORTS:
        assert audit.label(f"gradebook.{thing}.export") != f"gradebook.{thing}.export"


def test_score_grid_export(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    url = reverse("gradebook:grid-xlsx", args=[setup.classroom.pk, setup.subject.pk, setup.term.pk])
    assert client.get(url).status_code == 200
    event = only_record("gradebook.scores.export")
    assert event.target_type == "schools.classroom" and event.target_id == str(setup.classroom.pk)
    assert event.school_id == setup.school.pk
    assert event.actor_id == setup.teacher.user.pk
    assert event.changes["classroom"] == setup.classroom.label
    assert event.changes["subject"] == setup.subject.name
    assert event.changes["term"] == setup.term.name
    assert event.changes["format"] == "xlsx"
    assert (event.changes["subject_id"], event.changes["term_id"]) == (
        setup.subject.pk,
        setup.term.pk,
    )


@pytest.mark.parametrize(
    ("name", "query", "output"),
    [("gradebook:class-list-xlsx", "", "xlsx"), ("gradebook:class-list", "?print=1", "print")],
)
def test_class_list_export_and_print(setup, client_for, muni, name, query, output):
    save(setup, {(0, 0): "90"})
    client = client_for(muni, setup.homeroom.user)
    url = reverse(name, args=[setup.classroom.pk, setup.term.pk]) + query
    assert client.get(url).status_code == 200
    event = only_record("gradebook.class_list.export")
    assert event.actor_id == setup.homeroom.user.pk
    assert event.changes["classroom_id"] == setup.classroom.pk
    assert event.changes["term"] == setup.term.name
    assert event.changes["format"] == output
    assert "subject" not in event.changes  # every subject of the class


def test_the_class_list_on_screen_is_not_an_export(setup, client_for, muni):
    client = client_for(muni, setup.homeroom.user)
    assert client.get(reverse("gradebook:class-list", args=[setup.classroom.pk, setup.term.pk]))
    assert not AuditEvent.objects.filter(action__endswith=".export").exists()


@pytest.mark.parametrize(
    ("name", "one_student", "query", "output"),
    [
        ("gradebook:report-cards", False, "", "print"),
        ("gradebook:report-card", True, "", "print"),
        ("gradebook:report-cards-xlsx", False, "?layout=row", "xlsx:row"),
    ],
)
def test_report_cards_print_and_export(setup, client_for, muni, name, one_student, query, output):
    client = client_for(muni, setup.homeroom.user)
    student = setup.students[0]
    args = [setup.classroom.pk, setup.term.pk] + ([student.pk] if one_student else [])
    assert client.get(reverse(name, args=args) + query).status_code == 200
    event = only_record("gradebook.report_cards.export")
    assert event.changes["classroom"] == setup.classroom.label
    assert event.changes["term_id"] == setup.term.pk
    assert event.changes["format"] == output
    assert event.changes.get("student_id") == (student.pk if one_student else None)


def test_a_refused_export_leaves_no_record(setup, client_for, muni):
    # the subject teacher does not read the class's 通知表
    client = client_for(muni, setup.teacher.user)
    url = reverse("gradebook:report-cards-xlsx", args=[setup.classroom.pk, setup.term.pk])
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action__endswith=".export").exists()
