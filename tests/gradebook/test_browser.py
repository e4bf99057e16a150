"""The score grid and the report card in headless Chromium (多摩市, data committed).

Typing updates the derived columns, Enter moves down, a block pasted from Excel fills the
grid, invalid cells are outlined with the reason, a too-large paste is refused, the save is
one request, a second teacher's stale save is told the current value; the report card's
print preview shows an A4 sheet.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, _municipality

pytestmark = pytest.mark.browser


@pytest.fixture
def tama_grid(django_db_blocker, live_port):  # noqa: F811
    import itertools
    import random

    from gradebook.models import Score
    from tests import factories
    from tests.gradebook.conftest import build

    # 多摩市's rows are committed and may outlive a run: numbers no earlier run used.
    factories._seq = itertools.count(random.randint(10**6, 9 * 10**6))
    with django_db_blocker.unblock(), schema_context(_municipality("tama").schema_name):
        s = build(students=6, assessments=3)
        yield s
        Score.objects.filter(assessment__in=s.assessments).delete()


def login(page, base, username):  # noqa: F811
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def paste(page, text: str) -> None:  # noqa: F811
    page.evaluate(
        """(text) => { const dt = new DataTransfer(); dt.setData('text/plain', text);
        document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }""",
        text,
    )


def test_score_grid_in_the_browser(page, live_url, tama_grid, django_db_blocker):  # noqa: F811
    s = tama_grid
    base = live_url("tama")
    login(page, base, s.teacher.user.username)
    url = base + reverse("gradebook:grid", args=[s.classroom.pk, s.subject.pk, s.term.pk])
    page.goto(url)
    first = page.locator("tbody tr").first
    cell = first.locator("input[data-a]").first
    cell.click()
    page.keyboard.type("90")
    page.keyboard.press("Enter")  # moves down
    assert page.evaluate("document.activeElement.closest('tr').rowIndex") == 2
    assert first.locator(".pct[data-vp=knowledge]").inner_text() == "90.0"
    assert first.locator(".total").inner_text() == "90/100"
    assert first.locator(".lvl[data-vp=knowledge]").inner_text().startswith("A")
    # a block copied from Excel (3 rows × 3 columns) pasted at row 2, column 1
    paste(page, "80\t15\t70\n欠\t10\t40\n30\t25\tx\n")
    second = page.locator("tbody tr").nth(1)
    assert second.locator("input[data-a]").nth(0).input_value() == "80"
    invalid = page.locator("input.invalid")
    assert invalid.count() == 2  # 25 > 20 and "x"
    assert "満点 20" in (invalid.first.get_attribute("title") or "")
    # the save is refused while cells are invalid
    page.get_by_role("button", name="保存").click()
    assert "赤枠" in page.locator("#grid-status").inner_text()
    # a paste larger than the grid is refused with a message, nothing changes
    page.locator("tbody tr").nth(5).locator("input[data-a]").first.focus()
    paste(page, "1\t2\n3\t4\n")
    assert "はみ出します" in page.locator("#grid-status").inner_text()
    assert page.locator("tbody tr").nth(5).locator("input[data-a]").first.input_value() == ""
    # fix the two cells, then save in one request
    page.locator("input.invalid").first.fill("20")
    page.locator("input.invalid").first.fill("")
    with page.expect_response(lambda r: r.url.endswith("/save/")) as resp:
        page.get_by_role("button", name="保存").click()
    assert resp.value.status == 200
    assert "件を保存しました" in page.locator("#grid-status").inner_text()
    page.screenshot(path="artifacts/screenshots/gradebook_grid_saved.png", full_page=True)
    from gradebook.models import Score

    with django_db_blocker.unblock(), schema_context(_municipality("tama").schema_name):
        assert Score.objects.filter(assessment__in=s.assessments).count() == 9
        assert Score.objects.get(student=s.students[2], assessment=s.assessments[0]).is_absent
        # another teacher changes a cell meanwhile
        score = Score.objects.get(student=s.students[0], assessment=s.assessments[0])
        score.points, score.version = 55, score.version + 1
        score.save()
    first.locator("input[data-a]").first.fill("95")
    with page.expect_response(lambda r: r.url.endswith("/save/")) as resp:
        page.get_by_role("button", name="保存").click()
    assert resp.value.status == 409
    conflict = page.locator("input.conflict").first
    assert "現在の値: 55" in conflict.get_attribute("title")
    assert page.locator("td .current").first.inner_text() == "現在: 55"
    # Esc takes the other teacher's value; nothing is left to save
    conflict.focus()
    page.keyboard.press("Escape")
    assert first.locator("input[data-a]").first.input_value() == "55"
    assert page.locator("input.dirty").count() == 0
    page.screenshot(path="artifacts/screenshots/gradebook_grid_conflict.png", full_page=True)


def test_report_card_print_preview(page, live_url, tama_grid):  # noqa: F811
    s = tama_grid
    base = live_url("tama")
    login(page, base, s.homeroom.user.username)
    page.goto(
        base + reverse("gradebook:report-card", args=[s.classroom.pk, s.term.pk, s.students[0].pk])
    )
    assert page.locator("article.sheet").count() == 1
    width = page.evaluate("document.querySelector('article.sheet').getBoundingClientRect().width")
    assert 780 < width < 800  # 210 mm at 96 dpi
    assert page.get_by_role("button", name="印刷").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".preview-bar").is_visible()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(
        path="artifacts/screenshots/gradebook_report_card_print_media.png", full_page=True
    )
    page.pdf(path="artifacts/screenshots/gradebook_report_card.pdf", format="A4")
    page.emulate_media(media="screen")


@pytest.fixture
def tama_demo(django_db_blocker, live_port):  # noqa: F811
    from gradebook import demo
    from schools import demo as schools_demo

    with django_db_blocker.unblock(), schema_context(_municipality("tama").schema_name):
        municipality = _municipality("tama")
        schools_demo.seed(municipality)
        demo.seed(municipality)
        yield municipality


def demo_login(page, base, username):  # noqa: F811
    from tenants.demo import DEMO_PASSWORD

    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def shot(page, name: str) -> None:  # noqa: F811
    page.screenshot(path=f"artifacts/screenshots/gradebook_{name}.png", full_page=True)


def test_demo_tour(page, live_url, tama_demo):  # noqa: F811
    base = live_url("tama")
    demo_login(page, base, "math-jh1")
    page.get_by_role("link", name="成績").first.click()
    assert page.locator("h1").inner_text().startswith("成績")
    shot(page, "index_teacher")
    page.locator("table.list a", has_text="1学期").first.click()
    assert page.locator("table.scoregrid tbody tr").count() > 20
    assert (
        page.locator("td.rating").filter(has_text="5").count()
        + page.locator("td.rating").filter(has_text="3").count()
        > 0
    )
    shot(page, "grid_demo")
    page.locator("form[action$='/logout/'] button").click()

    demo_login(page, base, "teacher-jh1-2-1")
    page.goto(base + "/grades/")
    page.locator("a", has_text="成績一覧表").first.click()
    assert "成績一覧表" in page.locator("h1").inner_text()
    shot(page, "class_list")
    page.get_by_role("link", name="印刷用").click()
    shot(page, "class_list_print")
    page.locator("form[action$='/logout/'] button").click()

    demo_login(page, base, "principal-es1")
    page.goto(base + "/grades/")
    page.locator("a", has_text="確定・学級一覧").first.click()
    assert "確定済み" in page.locator("main").inner_text()
    shot(page, "finalise")
    page.locator("form[action$='/logout/'] button").click()

    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill("boe-admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    page.get_by_role("link", name="評定の分布").first.click()
    assert page.locator("svg rect").count() > 0
    shot(page, "distribution")
    page.goto(base + "/grades/report-layout/")
    shot(page, "report_layout")
    page.goto(base + "/grades/settings/")
    page.locator("details summary").click()
    shot(page, "settings")


def _topmost_is(page, selector: str) -> bool:
    """Whether the element is on screen and nothing (a sticky cell, a bar) covers its centre."""
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (y < 0 || y > innerHeight || x < 0 || x > innerWidth) return false;
        const top = document.elementFromPoint(x, y); return top === el || el.contains(top); }""",
        selector,
    )


def _rows_in_view(page) -> int:
    return page.evaluate(
        """() => { const wrap = document.querySelector('.grid-wrap').getBoundingClientRect();
        const head = document.querySelector('.scoregrid thead').getBoundingClientRect();
        const top = Math.max(head.bottom, wrap.top), bottom = Math.min(wrap.bottom, innerHeight);
        return [...document.querySelectorAll('.scoregrid tbody tr')].filter(tr => {
          const r = tr.getBoundingClientRect(); return r.top >= top - 1 && r.bottom <= bottom + 1; }).length; }"""
    )


@pytest.mark.parametrize(
    "width,touch,rows",
    [(1366, False, 14), (1024, False, 14), (1024, True, 11)],
    ids=["pc-1366", "pc-1024", "tablet-1024"],
)
def test_score_grid_on_one_screen(browser, live_url, tama_demo, width, touch, rows):  # noqa: F811
    """First view of a class's grid: the save button can be pressed, most of the class shows
    (PC rows are compact; a touch screen keeps 44 px targets), and the last student too."""
    context = browser.new_context(
        viewport={"width": width, "height": 768}, locale="ja-JP", has_touch=touch
    )
    page = context.new_page()
    base = live_url("tama")
    demo_login(page, base, "math-jh1")
    page.goto(base + "/grades/")
    page.locator("table.list a", has_text="1学期").first.click()
    assert page.locator("table.scoregrid tbody tr").count() > 20
    name = f"gradebook_grid_{'tablet' if touch else 'pc'}_{width}"
    page.screenshot(path=f"artifacts/screenshots/{name}.png")
    assert _topmost_is(page, "#grid-save")
    assert _rows_in_view(page) >= rows, _rows_in_view(page)
    # moving down to the last student keeps the save button in view and uncovered
    page.locator("tbody tr").first.locator("input[data-a]").first.focus()
    for _ in range(page.locator("tbody tr").count()):
        page.keyboard.press("Enter")
    assert page.evaluate(
        "document.activeElement.closest('tr') === document.querySelector('tbody tr:last-child')"
    )
    assert _topmost_is(page, "#grid-save")
    page.screenshot(path=f"artifacts/screenshots/{name}_end.png")
    context.close()


def test_score_grid_keys_as_in_excel(page, live_url, tama_grid):  # noqa: F811
    """Typing into a chosen cell replaces its value; F2 edits inside it; the reason of an
    invalid cell is written under the cell itself."""
    s = tama_grid
    base = live_url("tama")
    login(page, base, s.teacher.user.username)
    page.goto(base + reverse("gradebook:grid", args=[s.classroom.pk, s.subject.pk, s.term.pk]))
    first = page.locator("tbody tr").first.locator("input[data-a]")
    first.nth(0).click()
    page.keyboard.type("12")
    page.keyboard.press("ArrowDown")  # leave and come back by a click: the whole value is chosen
    first.nth(0).click()
    page.keyboard.type("9")
    assert first.nth(0).input_value() == "9"
    first.nth(0).click()  # a click on the cell being typed in chooses it again
    page.keyboard.type("8")
    assert first.nth(0).input_value() == "8"
    page.keyboard.press("Backspace")
    page.keyboard.type("9")
    page.keyboard.press("ArrowRight")  # arrows move between cells while choosing
    assert page.evaluate("document.activeElement") == page.evaluate(
        "document.querySelectorAll('tbody tr')[0].querySelectorAll('input[data-a]')[1]"
    )
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("F2")  # F2: the caret goes to the end, typing appends
    page.keyboard.type("5")
    assert first.nth(0).input_value() == "95"
    page.keyboard.press("ArrowLeft")  # while editing, the arrows move the caret
    assert page.evaluate("document.activeElement.value") == "95"
    page.keyboard.press("Enter")
    # an invalid value: the reason appears under that cell, tied to it for screen readers
    page.keyboard.type("x")
    cell = page.locator("tbody tr").nth(1).locator("input[data-a]").first
    reason = page.locator("tbody tr").nth(1).locator("td.cell .cell-error").first
    assert reason.is_visible()
    assert reason.inner_text() == "数字・空欄・欠のどれか"
    assert cell.get_attribute("aria-describedby") == reason.get_attribute("id")
    box, under = cell.bounding_box(), reason.bounding_box()
    td = page.locator("tbody tr").nth(1).locator("td.cell").first.bounding_box()
    assert td["x"] <= under["x"] and under["x"] + under["width"] <= td["x"] + td["width"] + 1
    assert 0 <= under["y"] - (box["y"] + box["height"]) < 8  # right below the cell's value
    page.screenshot(path="artifacts/screenshots/gradebook_grid_cell_reason.png")
    page.keyboard.press("Escape")  # undone: the reason goes with it
    assert page.locator(".cell-error").count() == 0
