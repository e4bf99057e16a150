"""FET in, in headless Chromium (1366×768 and 1024×768): the demo's 中央中学校 exports its
week as a .fet file, a 教務主任 moves one lesson and adds limits Ai does not keep in FET,
and uploads it from the 自動作成 page. The preview lists what changes and the constraints not
kept; a file with an unknown class and too many hours is refused with its reasons. Nothing
is committed (the demo stays as seeded); the commit is tested over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.browser.fixtures import SCREENSHOTS
from tests.timetable.test_browser import _base, _login

GAPS = (
    "<ConstraintStudentsSetMaxGapsPerWeek><Weight_Percentage>100</Weight_Percentage>"
    "<Max_Gaps>0</Max_Gaps><Students>1年1組</Students><Active>true</Active>"
    "</ConstraintStudentsSetMaxGapsPerWeek>"
)

# a rule Ai keeps as 自動作成の決まり: every teacher at most 5 periods a day
DAILY = (
    "<ConstraintTeachersMaxHoursDaily><Weight_Percentage>100</Weight_Percentage>"
    "<Maximum_Hours_Daily>5</Maximum_Hours_Daily><Active>true</Active>"
    "</ConstraintTeachersMaxHoursDaily>"
)


def _edited(text: str) -> str:
    """One lesson moved to another day, 12 rules FET has and Ai does not, and the teachers'
    limit of 5 a day."""
    first = re.search(
        r"<Preferred_Day>(.)</Preferred_Day>(\s*<Preferred_Hour>[^<]*</Preferred_Hour>\s*"
        r"<Permanently_Locked>false)",
        text,
    )
    assert first is not None
    moved = text[: first.start()] + "<Preferred_Day>金</Preferred_Day>" + first.group(2)
    moved += text[first.end() :]
    return moved.replace("</Time_Constraints_List>", GAPS * 12 + DAILY + "</Time_Constraints_List>")


@pytest.mark.parametrize("width", [1366, 1024])
def test_fet_import_preview(browser, live_url, demo_site, width):
    context = browser.new_context(viewport={"width": width, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-jh1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="全校時間割").first.click()
    page.get_by_role("link", name="自動作成").click()
    export = page.get_by_role("link", name="条件と今の時間割をFETファイルに出力")
    # fetched by the page itself (the browser resolves the municipality's host)
    fet = page.evaluate("url => fetch(url).then(r => r.text())", export.get_attribute("href"))
    edited = _edited(fet).encode()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "中央中_時間割.fet", "mimeType": "application/xml", "buffer": edited}
    )
    page.get_by_role("button", name="読み込んで確認する").first.click()
    page.wait_for_selector("h1:has-text('FETファイルから取り込む')")
    body = page.locator("main").inner_text() if page.locator("main").count() else page.content()
    assert "取り込まない条件: ConstraintStudentsSetMaxGapsPerWeek 12件" in body
    assert page.get_by_role("button", name="この内容で登録する").is_visible()
    rules = page.locator("section.fet-rules")
    assert "先生の1日の上限（学校の既定）" in rules.inner_text()
    rules.screenshot(path=str(SCREENSHOTS / f"timetable_fet_import_rules_{width}.png"))
    assert page.locator("table.tt-proposal tbody tr").count() >= 3
    page.screenshot(path=str(SCREENSHOTS / f"timetable_fet_import_{width}.png"))
    page.screenshot(
        path=str(SCREENSHOTS / f"timetable_fet_import_{width}_full.png"), full_page=True
    )
    # a file for another school: an unknown class and seven hours a day, said at once
    wrong = fet.replace("1年1組", "1年9組").replace(
        "<Hours_List>", "<Hours_List><Hour><Name>0校時</Name></Hour>", 1
    )
    page.locator("input[type=file][name=file]").last.set_input_files(
        {"name": "別の学校.fet", "mimeType": "application/xml", "buffer": wrong.encode()}
    )
    page.get_by_role("button", name="読み込んで確認する").last.click()
    page.wait_for_selector("text=まだ何も登録されていません")
    text = page.content()
    assert "「1年9組」に当たる学級" in text and "1日7時間" in text
    assert page.get_by_role("button", name="この内容で登録する").count() == 0
    page.screenshot(path=str(SCREENSHOTS / f"timetable_fet_import_errors_{width}.png"))
    context.close()
