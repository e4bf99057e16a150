"""The board administrator reads the 操作記録 in a real browser (1366 × 768, a staff-room PC)."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from schools import audit
from schools.permissions import Actor
from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD, _municipality

pytestmark = pytest.mark.browser


def test_the_board_searches_and_exports_the_audit_trail(browser, live_url):
    with schema_context(_municipality("tama").schema_name):
        system = Actor.system("browser-test")
        for i in range(3):
            audit.record(
                system,
                "schools.student.update",
                target_type="schools.student",
                target_id=str(9000 + i),
                changes={"name": [f"旧姓 {i}", f"新姓 {i}"], "student_id": 9000 + i},
                reason="転居による変更",
            )
        audit.record(system, "schools.school.update", changes={"name": ["北小", "北小学校"]})
    connection.set_schema_to_public()

    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        base = live_url("tama")
        page.goto(base + "/login/")
        page.get_by_label("ログインID").fill("boe-admin")
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(base + "/")
        page.get_by_role("link", name="操作記録").first.click()
        assert page.locator("h1").inner_text() == "操作記録"
        # search by action, chosen by its Japanese label
        page.get_by_label("操作", exact=True).select_option(
            label="児童生徒情報の変更 (schools.student.update)"
        )
        page.get_by_role("button", name="検索").click()
        page.wait_for_load_state()
        table = page.locator("table.audit-log").inner_text()
        assert "氏名: 旧姓 2 → 新姓 2" in table and "転居による変更" in table
        assert "北小学校" not in table
        with page.expect_download() as download:
            page.get_by_role("link", name="Excelに出力").click()
        assert download.value.suggested_filename.startswith("操作記録_")
        assert download.value.suggested_filename.endswith(".xlsx")
        page.goto(base + "/roster/audit/")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "audit_log_1366x768.png"))
    finally:
        context.close()
