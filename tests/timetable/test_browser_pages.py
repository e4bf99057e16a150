"""The 教務主任's pages in headless Chromium on the demo: 授業不可の時間 and 授業グループ at
1366×768, and the class editor's drag and drop (mouse, tap and keyboard) on a tablet
(1024×768); screenshots in artifacts/screenshots/. Nothing is changed for good: every move
is moved back before the one-request save."""

from __future__ import annotations

from tests.browser.fixtures import SCREENSHOTS
from tests.timetable.test_browser import _base, _login


def _values(page, slot: str) -> list[str]:
    return page.locator(f'td[data-slot="{slot}"] select').evaluate_all(
        "els => els.map(e => e.value)"
    )


def test_unavailability_and_group_pages_at_1366(browser, live_url, demo_site):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-jh1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="授業不可の時間").first.click()
    page.wait_for_selector("nav.tt-teachers li a")
    page.locator("nav.tt-teachers li a").first.click()
    page.wait_for_selector("table.tt-unavail-grid")
    boxes = page.locator("table.tt-unavail-grid input[type=checkbox]")
    assert boxes.count() == 30
    page.get_by_label("月曜1校時").check()  # not saved: the demo stays clash-free
    page.get_by_label("月曜2校時").check()
    page.get_by_label("理由").fill("兼務（桜ヶ丘小）")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "timetable_unavailability_1366.png"))
    page.get_by_role("link", name="担当・週時数").first.click()
    page.get_by_role("link", name="授業グループ").first.click()
    page.wait_for_selector("form.tt-group-form")
    page.get_by_label("名称").fill("1年 数学 少人数A")
    page.get_by_label("分割・習熟度別・少人数").check()
    page.locator("form.tt-group-form details").first.locator("summary").click()
    page.screenshot(path=str(SCREENSHOTS / "timetable_groups_1366.png"))
    context.close()


def test_drag_and_drop_and_keys_on_the_class_editor(page, live_url, demo_site):
    base = _base(demo_site, live_url)
    _login(page, base, "principal-es1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="全校時間割").first.click()
    page.locator("a.tt-edit").first.click()
    page.wait_for_selector("table.tt-editor td[data-slot] .tt-grip")
    a, b = _values(page, "0-1"), _values(page, "1-1")
    assert a != b
    # mouse: drag 月1 onto 火1, the two cells swap
    page.locator('td[data-slot="0-1"] .tt-grip').drag_to(page.locator('td[data-slot="1-1"]'))
    assert _values(page, "0-1") == b and _values(page, "1-1") == a
    assert "移動しました" in page.locator("#tt-move-status").inner_text()
    page.locator('td[data-slot="1-1"]').scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "timetable_editor_dnd_1024.png"))
    # tap: the grip of 火1, then the grip of 月1, swaps back
    page.locator('td[data-slot="1-1"] .tt-grip').click()
    page.locator('td[data-slot="0-1"] .tt-grip').click()
    assert _values(page, "0-1") == a and _values(page, "1-1") == b
    # keys: → on 月1's grip moves it to 火1, the focus follows; ← moves it back
    page.locator('td[data-slot="0-1"] .tt-grip').focus()
    page.keyboard.press("ArrowRight")
    assert _values(page, "1-1") == a
    assert page.evaluate("document.activeElement.closest('td').dataset.slot") == "1-1"
    page.keyboard.press("ArrowLeft")
    assert _values(page, "0-1") == a and _values(page, "1-1") == b
    # the one-request save with the recomputed clashes, as before
    page.get_by_role("button", name="保存して重なりを確認").last.click()
    page.wait_for_selector("#tt-status .msg-success")
    assert "重なりはありません" in page.locator("#tt-status").inner_text()
