"""The timetable in headless Chromium: the whole-school grid at 1366×768 and a teacher's week on
a tablet (1024×768), on the demo municipality; screenshots in artifacts/screenshots/."""

from __future__ import annotations

from django.conf import settings

from tenants.demo import DEMO_PASSWORD
from tests.browser.fixtures import SCREENSHOTS


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def _base(demo_site, live_url) -> str:
    domain = demo_site.municipality.domains.filter(is_primary=True).first()
    sub = domain.domain.split(".")[0] if domain else demo_site.municipality.schema_name
    return live_url(sub)


def test_whole_school_grid_at_1366(browser, live_url, demo_site):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-jh1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="全校時間割").first.click()
    page.wait_for_selector("table.tt-grid")
    assert "重なりはありません" in page.locator(".tt-clashes").inner_text()
    assert page.locator("table.tt-grid tbody tr").count() >= 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "timetable_grid_1366.png"), full_page=False)
    # The class editor saves with htmx and shows the recomputed clashes without a reload.
    page.locator("a.tt-edit").first.click()
    page.wait_for_selector("table.tt-editor")
    page.get_by_role("button", name="保存して重なりを確認").last.click()
    page.wait_for_selector("#tt-status .msg-success")
    assert "重なりはありません" in page.locator("#tt-status").inner_text()
    page.locator("#tt-status").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "timetable_class_edit_1366.png"), full_page=False)
    context.close()
    assert settings.BASE_DOMAIN


def test_teacher_week_on_a_tablet(page, live_url, demo_site):
    base = _base(demo_site, live_url)
    _login(page, base, "math-jh1")
    page.goto(base + "/timetable/my/")
    page.wait_for_selector("table.tt-week")
    text = page.locator("table.tt-week").inner_text()
    assert "数学" in text
    page.screenshot(path=str(SCREENSHOTS / "timetable_teacher_week_1024.png"), full_page=False)


def test_changes_and_hours_pages(browser, live_url, demo_site):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-es1")
    page.goto(base + "/timetable/")
    page.get_by_role("link", name="時間割変更").first.click()
    page.get_by_label("不在の先生").select_option(index=1)
    page.get_by_role("button", name="影響する授業と候補を表示").click()
    page.wait_for_selector(".tt-suggestion")
    page.screenshot(path=str(SCREENSHOTS / "timetable_changes_1366.png"), full_page=True)
    page.goto(base + "/timetable/")
    page.get_by_role("link", name="授業時数").first.click()
    page.wait_for_selector("table.tt-hours")
    assert "不足の見込み" in page.locator("table.tt-hours").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "timetable_hours_1366.png"), full_page=False)
    context.close()
