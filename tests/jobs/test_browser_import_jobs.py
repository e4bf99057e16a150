"""A large 名簿 file in headless Chromium (1366×768 PC and 1024×768): the upload sends the
principal to a progress page (queued, then rows read) which turns by itself into the
preview; the confirmation runs as a job too and ends on the import page with its message.

The worker starts only once the page shows the queued job, so the page must update by
itself (htmx polling, then a reload into the result).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from schools.models import Enrolment
from tests import factories
from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.jobs.import_world import LOGINS, roster_rows
from tests.schools.roster_files import xlsx

pytestmark = pytest.mark.browser


@pytest.fixture(params=[(1366, 768), (1024, 768)], ids=["pc1366", "pc1024"])
def screen(request, browser):
    width, height = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page, f"{width}"
    context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"import_job_{name}.png"), full_page=False)


def test_large_roster_file_shows_progress_then_the_preview(
    screen, live_url, roster_school, start_worker, settings, tmp_path
):
    page, width = screen
    settings.AI_IMPORT_JOB_ROWS = 1000
    school = roster_school["school"]
    for grade in (1, 2):
        for klass in range(5, 9):
            factories.classroom(school, roster_school["year"], grade=grade, name=f"{klass}組")
    path = tmp_path / "全校名簿.xlsx"
    path.write_bytes(xlsx(roster_rows(8000, classes=8)))

    base = live_url("tama")
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(LOGINS[0])
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    page.goto(base + f"/roster/io/import/?school={school.pk}&year=2026")
    page.get_by_label("名簿ファイル").set_input_files(str(path))
    page.get_by_role("button", name="読み込んで確認する").click()
    page.wait_for_url(re.compile(r"/roster/io/import/jobs/\d+/$"))
    expect(page.locator("h1")).to_contain_text("名簿の取り込み（読み込みと確認）")
    expect(page.locator(".job-state")).to_contain_text("待機中")
    expect(page.get_by_role("button", name="取り消す")).to_be_visible()
    expect(page.locator("dl.job-facts")).to_contain_text("全校名簿.xlsx")
    _shot(page, f"{width}_queued")

    start_worker()
    try:  # rows read so far, if the poll catches the reading (it takes a few seconds)
        expect(page.locator(".job-message")).to_contain_text("読み込んでいます", timeout=60_000)
        counted = re.compile(r"\([1-9][\d,]* / [\d,]+ 行\)")
        expect(page.locator(".job-message")).to_contain_text(counted, timeout=10_000)
        _shot(page, f"{width}_reading")
    except AssertionError:
        pass
    expect(page.locator("h1")).to_have_text("名簿の取り込み（確認）", timeout=120_000)
    expect(page.locator(".summary-counts")).to_contain_text("8,000")
    _shot(page, f"{width}_preview")

    page.get_by_role("button", name="この内容で登録する").click()
    page.wait_for_url(re.compile(r"/roster/io/import/jobs/\d+/$"))
    expect(page.locator("h1")).to_contain_text("名簿の取り込み（登録）")
    _shot(page, f"{width}_committing")
    expect(page.locator(".msg-success")).to_contain_text("新規 8000名", timeout=120_000)
    assert "done=" in page.url
    _shot(page, f"{width}_done")
    assert Enrolment.objects.filter(school=school).count() == 8000
