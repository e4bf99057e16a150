"""The audit trail, complete and readable (issue 10): the board's 操作記録 page and export,
old and new values of changes, and the reads that leave an access log. Real HTTP, real
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schools import audit, services
from schools.models import AuditEvent, Role, RoleAssignment
from schools.permissions import Actor, actor_for_user
from tests import factories as f

PAGE = "/roster/audit/"
EXPORT = "/roster/audit/records.xlsx"


@pytest.fixture
def board(muni, boe_admin, client_for):
    return client_for(muni, boe_admin)


def _many(count: int, action: str = "schools.school.update") -> None:
    system = Actor.system("pytest")
    for i in range(count):
        audit.record(system, action, target_type="schools.school", target_id=str(i))


def test_only_the_board_administrator_reads_the_trail(muni, principal, client_for):
    viewer = f.staff("委員会 閲覧")
    f.give_role(viewer, Role.BOE_VIEWER)
    for user in (principal, viewer.user):
        client = client_for(muni, user)
        for url in (PAGE, EXPORT):
            response = client.get(url)
            assert response.status_code == 403
            assert "教育委員会の管理者" in response.content.decode()
    assert not AuditEvent.objects.filter(action="schools.audit_log.export").exists()
    assert client_for(muni).get(PAGE).status_code == 302  # anonymous: log in first


def test_the_page_lists_newest_first_paginated_in_constant_queries(board):
    _many(3)
    with CaptureQueriesContext(connection) as few:
        response = board.get(PAGE)
    assert response.status_code == 200
    _many(120, "schools.school.create")
    with CaptureQueriesContext(connection) as many:
        response = board.get(PAGE)
    assert len(many) == len(few)
    page = response.content.decode()
    assert "学校の登録" in page  # the Japanese label of the action
    assert page.index("#119") < page.index("#118")  # newest first
    assert "(1 / 3 ページ)" in page
    third = board.get(PAGE + "?page=3").content.decode()
    assert "#0<" in third or "#0 " in third or "#0\n" in third
    # a page number that is not one answers the last/first page, never a 500
    assert board.get(PAGE + "?page=abc").status_code == 200
    assert board.get(PAGE + "?page=99999").status_code == 200


def test_the_action_select_lists_every_registered_action_in_japanese(board):
    page = board.get(PAGE).content.decode()
    for code, label in audit.ACTIONS.items():
        assert f'value="{code}"' in page and label in page
    assert "gradebook.finalisation.finalise" in audit.ACTIONS  # another app's vocabulary too


def test_search_by_person_action_date_and_student(
    board, school, classroom, principal, boe_admin, muni
):
    enrolments = f.students(classroom, 2)
    pupil, other = enrolments[0].student, enrolments[1].student
    admin = actor_for_user(principal)
    services.update_student(pupil, by=admin, name="検索 太郎")
    services.set_roll_number(enrolments[1], 7, by=admin)  # names the other pupil by id
    services.update_student(other, by=actor_for_user(boe_admin), kana="ほか")

    def found(**params) -> set[tuple[str, str]]:
        response = board.get(PAGE, params)
        assert response.status_code == 200
        rows = response.context["rows"]
        return {(r["event"].action, r["event"].actor_name) for r in rows}

    by_principal = found(person=principal.username)
    assert by_principal and all(
        name.endswith(f"({principal.username})") for _, name in by_principal
    )
    assert found(student="検索 太郎") == {("schools.student.update", audit.display_name(admin))}
    assert {a for a, _ in found(student=other.student_number)} == {
        "schools.enrolment.set_roll_number",
        "schools.student.update",
    }
    assert {a for a, _ in found(action="schools.enrolment.set_roll_number")} == {
        "schools.enrolment.set_roll_number"
    }
    today = timezone.localdate()
    assert found(date_from=today.isoformat(), date_to=today.isoformat())
    assert not found(date_to=(today - dt.timedelta(days=1)).isoformat())


def test_nul_in_a_search_is_refused_before_the_form(board):
    assert board.get(PAGE, {"person": "a\x00b"}).status_code == 400  # HostileInputMiddleware


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "abc"},
        {"date_from": "2026-05-01", "date_to": "2026-04-01"},
        {"action": "schools.nothing.done"},
        {"student": "x" * 500},
        {"student_id": "abc"},
        {"student_id": "99999999999999999999999"},
    ],
)
def test_bad_search_input_is_a_form_error_not_a_500(board, params):
    response = board.get(PAGE, params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert board.get(EXPORT, params).status_code == 400


def test_the_export_is_a_workbook_and_is_itself_recorded(board, boe_admin):
    _many(5)
    response = board.get(EXPORT, {"action": "schools.school.update"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "日時"))
    body = rows[header + 1 :]
    assert len(body) == 5 and {r[3] for r in body} == {"schools.school.update"}
    assert {r[2] for r in body} == {"学校の変更"}
    event = AuditEvent.objects.get(action="schools.audit_log.export")
    assert event.actor_id == boe_admin.pk
    assert event.changes == {"action": "schools.school.update", "rows": 5}


# --- old and new values ----------------------------------------------------------------------


def test_changes_keep_old_and_new_values(school, year, classroom, boe_admin, muni):
    board = actor_for_user(boe_admin)
    pupil = f.students(classroom, 1)[0].student
    old_name = pupil.name
    services.update_student(pupil, by=board, name="新しい 名前")
    event = AuditEvent.objects.get(action="schools.student.update")
    assert event.changes["name"] == [old_name, "新しい 名前"]
    teacher = f.staff("役割 先生")
    role = services.assign_role(by=board, staff=teacher, role=Role.HOMEROOM, classroom=classroom)
    assert AuditEvent.objects.get(action="schools.role.assign").changes["role"] == [
        None,
        "学級担任 1年1組",
    ]
    services.remove_role(role, by=board)
    assert AuditEvent.objects.get(action="schools.role.remove").changes["role"] == [
        "学級担任 1年1組",
        None,
    ]
    lines = audit.describe_changes(AuditEvent.objects.get(action="schools.student.update").changes)
    assert lines == [f"氏名: {old_name} → 新しい 名前"]
    assert not RoleAssignment.objects.filter(staff=teacher).exists()


# --- reads that write their access log -------------------------------------------------------


def test_opening_a_students_page_is_recorded(school, classroom, principal, client_for, muni):
    pupil = f.students(classroom, 1)[0].student
    response = client_for(muni, principal).get(f"/roster/students/{pupil.pk}/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="schools.student.view")
    assert event.actor_id == principal.pk
    assert (event.target_type, event.target_id) == ("schools.student", str(pupil.pk))
    assert event.changes == {"student_id": pupil.pk}
    # a refused view leaves no record
    stranger = f.staff().user
    assert client_for(muni, stranger).get(f"/roster/students/{pupil.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="schools.student.view").count() == 1


def test_bulk_api_reads_are_recorded(school, classroom, boe_admin, client_for, muni):
    f.students(classroom, 3)
    client = client_for(muni, boe_admin)
    assert client.get("/api/v1/roster/students/?page_size=100").status_code == 200
    assert not AuditEvent.objects.filter(action="api.list.bulk_read").exists()
    assert client.get("/api/v1/roster/students/?page_size=1000").status_code == 200
    event = AuditEvent.objects.get(action="api.list.bulk_read")
    assert event.actor_id == boe_admin.pk
    assert event.changes["path"] == "/api/v1/roster/students/"
    assert event.changes["page_size"] == 1000 and event.changes["count"] == 3


def test_the_pupils_page_links_the_board_to_their_records(
    school, classroom, principal, boe_admin, client_for, muni
):
    pupil, other = (e.student for e in f.students(classroom, 2))
    services.update_student(pupil, by=actor_for_user(principal), kana="りんく")
    services.update_student(other, by=actor_for_user(principal), kana="べつ")
    board = client_for(muni, boe_admin)
    page = board.get(f"/roster/students/{pupil.pk}/").content.decode()
    link = f"/roster/audit/?student_id={pupil.pk}"
    assert link in page
    principal_page = client_for(muni, principal).get(f"/roster/students/{pupil.pk}/")
    assert link not in principal_page.content.decode()
    rows = board.get(link).context["rows"]
    assert {(r["event"].action, r["event"].target_id) for r in rows} == {
        ("schools.student.update", str(pupil.pk)),
        ("schools.student.view", str(pupil.pk)),  # the board's own visit just now
    }


def test_reading_a_pupil_through_the_api_is_recorded(
    school, classroom, principal, client_for, muni
):
    pupil = f.students(classroom, 1)[0].student
    response = client_for(muni, principal).get(f"/api/v1/roster/students/{pupil.pk}/")
    assert response.status_code == 200 and response.json()["id"] == pupil.pk
    event = AuditEvent.objects.get(action="schools.student.view")
    assert event.changes == {"student_id": pupil.pk, "via": "api"}
    assert (
        client_for(muni, f.staff().user).get(f"/api/v1/roster/students/{pupil.pk}/").status_code
        == 404
    )
    assert AuditEvent.objects.filter(action="schools.student.view").count() == 1
