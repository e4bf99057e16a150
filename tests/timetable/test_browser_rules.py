"""自動作成の決まり in headless Chromium on the demo's junior high school at 1366×768 and
1024×768: the demo's rules are shown, a wish is added with the keyboard only, and the page
fits the width (no sideways scrolling of the page itself)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.fixtures import SCREENSHOTS
from tests.timetable.test_browser import _base, _login
from timetable.models import SlotPreference


@pytest.mark.parametrize("width", [1366, 1024])
def test_the_rules_page_at(width, browser, live_url, demo_site, django_db_blocker):
    context = browser.new_context(viewport={"width": width, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-jh1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="全校時間割").first.click()
    page.get_by_role("link", name="自動作成").click()
    page.get_by_role("link", name="自動作成の決まり").click()
    assert "自動作成の決まり" in page.locator("h1").inner_text()
    body = page.locator("body").inner_text()
    assert "保健体育は5校時を避ける" in body and "4校時の後" in body
    assert page.locator("table.tt-doubles input[type=number]").count() > 5
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"timetable_rules_{width}.png"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
    # keyboard only: a wish for 美術 on periods 6, weight 30
    page.locator("#wishes").scroll_into_view_if_needed()
    page.get_by_label("美術", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_label("6校時", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_label("重み").focus()
    page.keyboard.press("Home")  # 10 %
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 30 %
    page.locator("#wishes").get_by_role("button", name="希望を追加").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**#wishes")
    assert "美術は6校時を避ける" in page.locator("#wishes").inner_text()
    page.locator("#wishes").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"timetable_rules_wishes_{width}.png"))
    page.screenshot(path=str(SCREENSHOTS / f"timetable_rules_{width}_full.png"), full_page=True)
    with django_db_blocker.unblock(), schema_context(demo_site.municipality.schema_name):
        added = SlotPreference.objects.filter(subjects__name="美術", periods=[6]).get()
        assert added.weight == 30
        added.delete()  # the demo stays as seeded for the other browser tests
    context.close()
