"""Staff find a pupil in a real browser (1366 × 768 PC, 1024 × 768 tablet): the search box,
its / shortcut, variant kanji, and the pupil's page with this year's attendance and grades."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from schools.models import Enrolment, Student
from tests import factories as f
from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD, _municipality

pytestmark = pytest.mark.browser

PEOPLE = [
    ("𠮷田　太郎", "よしだ たろう"),
    ("髙橋 花子", "たかはし はなこ"),
    ("吉田 三郎", "よしだ さぶろう"),
]


def _plant() -> None:
    with schema_context(_municipality("tama").schema_name):
        if Student.objects.filter(name="𠮷田　太郎").exists():
            return
        year = f.school_year()
        classroom = f.classroom(f.school("検索小学校"), year, grade=4, name="2組")
        for roll, (name, kana) in enumerate(PEOPLE, start=1):
            student = Student.objects.create(name=name, kana=kana)
            Enrolment.objects.create(
                student=student,
                classroom=classroom,
                school=classroom.school,
                school_year=year,
                grade=4,
                roll_number=roll,
                enrolled_on=year.start,
            )
    connection.set_schema_to_public()


@pytest.mark.parametrize("width", [1366, 1024])
def test_search_box_shortcut_and_pupil_page(browser, live_url, width):
    _plant()
    context = browser.new_context(
        viewport={"width": width, "height": 768}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        base = live_url("tama")
        page.goto(base + "/login/")
        page.get_by_label("ログインID").fill("boe-admin")
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(base + "/")
        page.keyboard.press("/")  # the menu's search box takes the focus
        focused = page.evaluate("document.activeElement.getAttribute('data-shortcut')")
        assert focused == "/"
        page.keyboard.type("吉田")
        page.keyboard.press("Enter")
        page.wait_for_url("**/roster/students/search/**")
        names = page.locator("table.roster tbody td:first-child a").all_inner_texts()
        assert set(names) >= {"𠮷田　太郎", "吉田 三郎"} and "髙橋 花子" not in names
        # The page's own box has the focus (autofocus), filled with the query.
        assert page.evaluate("document.activeElement.id") == "student-q"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"student_search_{width}.png"))
        page.locator("#student-q").fill("ﾀｶﾊｼ")
        page.get_by_role("button", name="検索", exact=True).click()
        page.wait_for_load_state()
        page.get_by_role("link", name="髙橋 花子").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().endswith("髙橋 花子")
        assert page.get_by_text("今年度の出欠").is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"student_page_{width}.png"), full_page=True)
    finally:
        context.close()
