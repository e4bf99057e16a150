"""The roster in headless Chromium on a tablet-sized screen: a teacher's day and the roll-over.

Data is committed in 多摩市 (the browser municipality), under names unique to this module.
Screenshots land in artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.factories import classroom, give_role, school, school_year, staff

pytestmark = pytest.mark.browser


LOGINS = ("roster-b-teacher", "roster-b-boe", "roster-b-principal")
MEXT = "B113210009990"


@pytest.fixture
def tama_roster(live_url):
    """A school with one class in 多摩市, rebuilt for every test (committed rows persist)."""
    from django.contrib.auth import get_user_model

    from schools.models import Enrolment, Role, RoleAssignment, School, SchoolYear, Student
    from tenants.models import Municipality

    tama = Municipality.objects.get(code="132241")
    with schema_context(tama.schema_name):
        get_user_model().objects.filter(username__in=LOGINS).delete()
        School.objects.filter(mext_code=MEXT).delete()
        year = school_year(2026, SchoolYear.State.CURRENT)
        s = school("多摩ブラウザ小学校", mext_code=MEXT)
        c = classroom(s, year, grade=3, name="2組")
        people = [("𠮷田 拓海", "よしだ たくみ"), ("髙橋 結衣", "たかはし ゆい")]
        people += [(f"多摩 児童{i}", f"たま じどう{i}") for i in range(3, 6)]
        for roll, (name, kana) in enumerate(people, start=1):
            Enrolment.objects.create(
                student=Student.objects.create(name=name, kana=kana),
                classroom=c,
                school=s,
                school_year=year,
                grade=3,
                roll_number=roll,
                enrolled_on=year.start,
            )
        teacher = staff("多摩 先生", username=LOGINS[0])
        give_role(teacher, Role.HOMEROOM, classroom=c)
        give_role(staff("多摩 教委", username=LOGINS[1]), Role.BOE_ADMIN)
        principal = staff("多摩 校長", username=LOGINS[2])
        give_role(
            principal, Role.SCHOOL_ADMIN, school=s, year=year, title=RoleAssignment.Title.PRINCIPAL
        )
        yield {"school": s, "classroom": c, "teacher": teacher}


def _shot(page, name: str) -> None:
    """Keep a screenshot of an intermediate page beside the harness's final one."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"roster_{name}.png"), full_page=True)


def _login(page, base, username):
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def test_teacher_opens_class_roster_from_home(page, live_url, tama_roster):
    base = live_url("tama")
    _login(page, base, LOGINS[0])
    assert "担任している学級" in page.content()
    _shot(page, "teacher_home")
    page.get_by_role("link", name="多摩ブラウザ小学校 3年2組").click()
    assert "3年2組 名簿" in page.locator("h1").inner_text()
    _shot(page, "class_roster")
    rows = page.locator("table.roster tbody tr")
    assert rows.count() == 5
    assert "𠮷田 拓海" in rows.nth(0).inner_text() and "よしだ たくみ" in rows.nth(0).inner_text()
    assert "髙橋 結衣" in rows.nth(1).inner_text()
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="𠮷田 拓海").click()
    assert "在籍の履歴" in page.content()


def test_principal_runs_the_roll_over_by_keyboard(page, live_url, tama_roster):
    base = live_url("tama")
    _login(page, base, LOGINS[2])
    page.goto(base + f"/roster/schools/{tama_roster['school'].pk}/rollover/")
    button = page.get_by_role("button", name="仮年度更新を実行")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "仮年度更新済み" in page.content()
    _shot(page, "rollover_prepared")
    assert "4年2組" in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="取り消す").click()
    assert "仮年度更新を実行" in page.content()


def test_boe_admin_sees_schools_classes_and_gives_a_role(page, live_url, tama_roster):
    base = live_url("tama")
    _login(page, base, LOGINS[1])
    page.get_by_role("link", name="学校・名簿").first.click()
    assert page.locator("h1").inner_text().startswith("学校")
    page.get_by_role("link", name="多摩ブラウザ小学校").click()
    assert "3年2組" in page.locator("table.list").inner_text()
    _shot(page, "school_detail")
    page.get_by_role("link", name="学校名簿").click()
    assert "𠮷田 拓海" in page.locator(".class-block").first.inner_text()
    _shot(page, "school_roster")
    page.goto(base + "/roster/staff/")
    page.locator(f"a[href='/roster/staff/{tama_roster['teacher'].pk}/']").click()
    assert "学級担任" in page.locator("table.list").inner_text()
    page.get_by_label("役割").select_option("subject")
    page.get_by_label("学級（学級担任・教科担任）").select_option(
        label=f"多摩ブラウザ小学校 3年2組 ({tama_roster['classroom'].school_year.year})"
    )
    page.get_by_label("教科（教科担任）").select_option(label="算数 (小学校)")
    with page.expect_navigation():
        page.get_by_role("button", name="追加する").click()
    assert "教科担任" in page.locator("table.list").inner_text()
