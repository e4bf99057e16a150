"""Passwords: one's own change, a first password set by the board, the board's reset."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from schools import services as school_services
from schools.accounts.models import AccountState
from schools.models import AuditEvent
from schools.permissions import actor_for_user
from tests.accounts.helpers import login

NEW = "kokuban-midori-2026"


def change(client, old: str, new: str = NEW):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_a_first_password_set_by_the_board_is_changed_at_first_login(muni, client_for, boe_admin):
    school_services.create_staff_account(
        by=actor_for_user(boe_admin),
        username="shinnin",
        password="syoki-pass-2026",
        name="新任 太郎",
    )
    client = client_for(muni)
    assert login(client, "shinnin", "syoki-pass-2026").status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/account/password/")
    assert client.get("/attendance/")["Location"].startswith("/account/password/")
    assert "パスワードの変更" in client.get("/account/password/").content.decode()
    response = change(client, "syoki-pass-2026")
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still logged in, free to go
    user = get_user_model().objects.get(username="shinnin")
    assert user.check_password(NEW)
    assert not AccountState.objects.get(user=user).must_change_password
    assert AuditEvent.objects.filter(action="accounts.password.change", target_id=str(user.pk))


def test_provisioning_first_administrator_is_not_forced(muni, client_for):
    client = client_for(muni)
    login(client, "boe-admin")
    assert client.get("/").status_code == 200


def test_staff_change_their_own_password(muni, client_for, teacher):
    client = client_for(muni, teacher)
    response = change(client, "wrong")
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert change(client, "test-pass-2026").status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password(NEW)


def test_board_resets_a_password_and_it_must_be_changed(muni, client_for, boe_admin, teacher):
    board = client_for(muni, boe_admin)
    url = f"/account/staff/{teacher.pk}/password/"
    assert board.get(url).status_code == 200
    bad = board.post(url, {"password1": "123", "password2": "123"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    response = board.post(url, {"password1": "kari-pass-0401", "password2": "kari-pass-0401"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.password.reset")
    assert event.target_id == str(teacher.pk) and "boe-admin" in event.actor_name
    client = client_for(muni)
    login(client, teacher.username, "kari-pass-0401")
    assert client.get("/")["Location"].startswith("/account/password/")


def test_only_the_board_resets_passwords(muni, client_for, teacher, boe_admin):
    url = f"/account/staff/{boe_admin.pk}/password/"
    assert client_for(muni, teacher).get(url).status_code == 403
    assert client_for(muni, boe_admin).get("/account/staff/abc/password/").status_code == 404
