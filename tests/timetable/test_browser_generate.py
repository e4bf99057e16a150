"""自動作成 in headless Chromium on the demo's junior high school at 1366×768: the page states
the week, the proposal is compared with the current week cell by cell. Nothing is applied
(the demo's timetable stays as seeded); applying is tested through HTTP in test_generating."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants import jobs
from tests.browser.fixtures import SCREENSHOTS
from tests.timetable.test_browser import _base, _login
from timetable import generating


def test_generate_and_compare_at_1366(browser, live_url, demo_site, django_db_blocker):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-jh1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="全校時間割").first.click()
    page.get_by_role("link", name="自動作成").click()
    assert "時間割の自動作成" in page.locator("h1").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "timetable_generate_1366.png"))
    page.get_by_label("今の時間割を直す", exact=False).check()
    page.get_by_role("button", name="自動作成を始める").click()
    page.wait_for_url("**/generate/*/")
    assert "時間割の自動作成" in page.locator("h1").inner_text()
    with django_db_blocker.unblock(), schema_context(demo_site.municipality.schema_name):
        job = jobs.recent(kind=generating.GENERATE, limit=1)[0]
        job = jobs.run_now(job)
        assert job.state == "succeeded", job.error
        status = job.result_data["status"]
    page.reload()
    if status == "solved":
        page.wait_for_selector("table.tt-proposal")
        assert page.get_by_role("button", name="この案を時間割に反映する").is_visible()
        assert page.locator("table.tt-proposal tbody tr").count() > 3
    else:  # the reasons are shown in words
        assert page.locator("ul.tt-reasons li").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "timetable_proposal_1366.png"))
    page.screenshot(path=str(SCREENSHOTS / "timetable_proposal_1366_full.png"), full_page=True)
    context.close()
    assert status == "solved", job.result_data["reasons"]
