"""Nobody grants a role to themselves; a board account never also writes pupils' records.

Finding 6 of issue 10: a board account gave itself 校長 at a school and could then write grades.
Pages and the API give the same answer (403 with the reason); nothing is written.
"""

from __future__ import annotations

import pytest

from schools import services
from schools.models import AuditEvent, Role, RoleAssignment
from schools.permissions import actor_for_user
from tests import factories as f

API = "/api/v1/roster/roles/"


def _page_grant(client, staff, **data):
    return client.post(f"/roster/staff/{staff.pk}/", data)


def _api_grant(client, staff, **data):
    return client.post(API, {"staff": staff.pk, **data}, content_type="application/json")


def _principal_of(school, year) -> dict:
    return {"role": Role.SCHOOL_ADMIN, "school": school.pk, "year": year.year, "title": "principal"}


def test_the_board_administrator_cannot_make_themselves_principal(
    school, year, boe_admin, client_for, muni
):
    client = client_for(muni, boe_admin)
    before = RoleAssignment.objects.count()
    response = _page_grant(
        client,
        boe_admin.staff,
        role=Role.SCHOOL_ADMIN,
        school=school.pk,
        school_year=year.pk,
        title="principal",
    )
    assert response.status_code == 403
    assert "自分自身に役割を付与することはできません" in response.content.decode()
    response = _api_grant(client, boe_admin.staff, **_principal_of(school, year))
    assert response.status_code == 403
    assert "自分自身" in response.json()["error"]["message"]
    assert RoleAssignment.objects.count() == before
    assert not AuditEvent.objects.filter(action="schools.role.assign").exists()
    # and so cannot write grades: the Actor still has no school
    assert not actor_for_user(boe_admin).can_manage_school_records(school.pk)


def test_a_school_administrator_cannot_give_themselves_another_role(
    school, classroom, principal, client_for, muni
):
    response = _api_grant(
        client_for(muni, principal),
        principal.staff,
        role=Role.HOMEROOM,
        classroom=classroom.pk,
    )
    assert response.status_code == 403 and "自分自身" in response.json()["error"]["message"]


@pytest.mark.parametrize("board_role", [Role.BOE_ADMIN, Role.BOE_VIEWER])
def test_a_board_account_gets_no_role_that_writes_records(
    board_role, school, year, classroom, boe_admin, client_for, muni
):
    """Another board administrator cannot give it either: the board member uses a school account."""
    colleague = f.staff("委員会 同僚")
    f.give_role(colleague, board_role)
    client = client_for(muni, boe_admin)
    response = _page_grant(
        client,
        colleague,
        role=Role.SCHOOL_ADMIN,
        school=school.pk,
        school_year=year.pk,
        title="principal",
    )
    assert response.status_code == 403
    assert "教育委員会のアカウントに" in response.content.decode()
    for data in (
        _principal_of(school, year),
        {"role": Role.HOMEROOM, "classroom": classroom.pk},
        {"role": Role.SUBJECT, "classroom": classroom.pk, "subject": f.subject().pk},
    ):
        response = _api_grant(client, colleague, **data)
        assert response.status_code == 403, data
        assert "学校用の別アカウント" in response.json()["error"]["message"]
    assert set(colleague.roles.values_list("role", flat=True)) == {board_role}


def test_a_school_account_does_not_become_a_board_account(teacher, boe_admin, client_for, muni):
    response = _api_grant(client_for(muni, boe_admin), teacher.staff, role=Role.BOE_ADMIN)
    assert response.status_code == 403
    assert "別のアカウント" in response.json()["error"]["message"]
    assert not teacher.staff.roles.filter(role=Role.BOE_ADMIN).exists()


def test_other_grants_still_work(school, year, classroom, boe_admin, client_for, muni):
    teacher = f.staff("普通 教員")
    response = _api_grant(
        client_for(muni, boe_admin), teacher, role=Role.HOMEROOM, classroom=classroom.pk
    )
    assert response.status_code == 201, response.content
    colleague = f.staff("新 委員")
    response = _api_grant(client_for(muni, boe_admin), colleague, role=Role.BOE_VIEWER)
    assert response.status_code == 201, response.content


def test_a_drafted_role_of_a_board_account_is_not_confirmed(school, year, boe_admin):
    member = f.staff("委員 兼 教員")
    f.give_role(member, Role.BOE_VIEWER)
    draft = RoleAssignment.objects.create(
        staff=member,
        role=Role.SCHOOL_ADMIN,
        school=school,
        school_year=year,
        title="principal",
        is_draft=True,
    )
    with pytest.raises(Exception, match="教育委員会のアカウントに"):
        services.confirm_role(draft, by=actor_for_user(boe_admin))
    draft.refresh_from_db()
    assert draft.is_draft
