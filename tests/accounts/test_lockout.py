"""Failed logins lock the account for a while and slow the address; the board unlocks."""

from __future__ import annotations

from schools.models import AuditEvent
from tests.accounts.helpers import login


def test_five_wrong_passwords_lock_the_account_until_the_board_unlocks(
    muni, client_for, teacher, boe_admin
):
    client = client_for(muni)
    for _ in range(5):
        response = login(client, teacher.username, "wrong-password")
        assert response.status_code in (200, 429)
    response = login(client, teacher.username)  # the right password, too late
    assert response.status_code == 429
    page = response.content.decode()
    assert "ロックされています" in page and "教育委員会の管理者" in page
    assert client.get("/").status_code == 302  # not logged in
    failures = AuditEvent.objects.filter(action="accounts.login.fail")
    assert failures.count() >= 5
    assert failures.first().changes["address"] == "127.0.0.1"
    assert AuditEvent.objects.filter(action="accounts.lockout.lock").exists()

    board = client_for(muni, boe_admin)
    page = board.get("/account/security/").content.decode()
    assert teacher.username in page and "ロックを解除" in page
    assert (
        board.post("/account/security/unlock/", {"username": teacher.username}).status_code == 302
    )
    assert f"<td>{teacher.username}</td>" not in board.get("/account/security/").content.decode()
    assert AuditEvent.objects.filter(action="accounts.lockout.unlock").exists()
    response = login(client, teacher.username)
    assert response.status_code == 302 and client.get("/").status_code == 200


def test_other_accounts_are_not_locked_by_one(muni, client_for, teacher, boe_admin):
    client = client_for(muni)
    for _ in range(6):
        login(client, teacher.username, "wrong-password")
    assert login(client_for(muni), "boe-admin").status_code == 302


def test_an_address_with_many_failures_waits(muni, client_for, settings):
    settings.AI_LOGIN_ADDRESS_FAILURE_LIMIT = 4
    client = client_for(muni)
    for n in range(4):
        login(client, f"nobody{n}", "wrong-password")
    response = login(client, "boe-admin")
    assert response.status_code == 429
    assert "この端末のネットワークからのログイン失敗が多いため" in response.content.decode()


def test_only_the_board_unlocks(muni, client_for, teacher):
    response = client_for(muni, teacher).post("/account/security/unlock/", {"username": "x"})
    assert response.status_code == 403
