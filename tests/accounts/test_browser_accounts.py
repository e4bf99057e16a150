"""In a real browser: enrol an authenticator and log in with a code computed here; a locked
account is told so in Japanese and the board unlocks it. Screenshots at 1366 × 768."""

from __future__ import annotations

import base64
import itertools
import time

import pytest
from django_otp.oath import totp
from django_tenants.utils import schema_context

from tests import factories
from tests.browser.fixtures import SCREENSHOTS
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

_run = itertools.count(1)


@pytest.fixture
def desk(browser):
    """A staff-room PC's screen (1366 × 768), Japanese."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"accounts_{name}.png"), full_page=True)


def new_staff(live_url) -> str:
    """A staff member of 多摩市 (committed: the server thread reads it)."""
    from tenants.models import Municipality

    tama = Municipality.objects.get(schema_name="m_tama")
    with schema_context(tama.schema_name):
        username = f"browser-{int(time.time())}-{next(_run)}"
        factories.staff(name="画面 試験", username=username)
    return username


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def code_for(secret: str, drift: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=drift):06d}"


def test_enrol_an_authenticator_and_log_in_with_a_code(desk, live_url):
    base = live_url("tama")
    username = new_staff(live_url)
    log_in(desk, base, username)
    desk.wait_for_url(base + "/")
    desk.get_by_role("link", name="アカウント").click()
    desk.get_by_role("link", name="二要素認証の登録").click()
    assert desk.locator("h1").inner_text() == "二要素認証の登録"
    assert desk.locator(".qr svg").is_visible()
    shot(desk, "mfa_enrol")
    secret = desk.locator("#totp-secret").inner_text().strip()
    desk.get_by_label("確認コード (6桁)").fill(code_for(secret))
    desk.get_by_role("button", name="登録する").click()
    assert desk.locator("h1").inner_text() == "二要素認証を登録しました"
    assert desk.locator(".recovery-codes li").count() == 10
    shot(desk, "mfa_recovery_codes")
    desk.get_by_role("button", name="ログアウト").click()

    log_in(desk, base, username)
    desk.wait_for_url("**/account/mfa/verify/**")
    assert desk.locator("h1").inner_text() == "確認コードの入力"
    shot(desk, "mfa_verify")
    desk.get_by_label("確認コード").fill(code_for(secret, drift=1))  # a later step than enrolment's
    desk.get_by_role("button", name="確認する").click()
    desk.wait_for_url(base + "/")
    assert "画面 試験" in desk.locator(".userbox").inner_text()


def test_a_locked_account_is_told_and_the_board_unlocks_it(desk, browser, live_url):
    base = live_url("tama")
    username = new_staff(live_url)
    for _ in range(5):
        log_in(desk, base, username, "wrong-password")
    log_in(desk, base, username)  # the right one, but locked
    alert = desk.locator("[role=alert]").inner_text()
    assert "ロックされています" in alert and "教育委員会の管理者" in alert
    shot(desk, "lockout")

    board = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP").new_page()
    log_in(board, base, "boe-admin")
    board.wait_for_url(base + "/")
    board.goto(base + "/account/security/")
    row = board.locator("tr", has_text=username)
    assert row.is_visible()
    shot(board, "security_locked")
    row.get_by_role("button", name="ロックを解除").click()
    assert "ロックを解除しました" in board.locator(".messages").inner_text()
    board.context.close()

    log_in(desk, base, username)
    desk.wait_for_url(base + "/")
