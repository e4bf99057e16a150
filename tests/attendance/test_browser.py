"""The daily entry page in headless Chromium on a tablet-sized screen: keyboard only.

Data is committed in the browser tests' municipality (多摩市), as the live server
reads it from another connection. Screenshots land in artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django_tenants.utils import schema_context

from attendance.models import Mark
from schools import calendar
from schools.models import Enrolment, Student
from tests import factories
from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD, _municipality

pytestmark = pytest.mark.browser


@pytest.fixture
def tama_class(live_url):  # noqa: F811
    tama = _municipality("tama")
    with schema_context(tama.schema_name):
        year = factories.school_year(2026)
        school = factories.school(
            name="多摩中央小学校", mext_code=f"B9{secrets.randbelow(10**11):011d}"
        )
        classroom = factories.classroom(school, year, grade=3, name="2組")
        enrolments = []
        for i in range(1, 7):
            student = Student.objects.create(name=f"多摩 {i}郎", kana=f"たま {i:02d}")
            enrolments.append(
                Enrolment.objects.create(
                    student=student,
                    classroom=classroom,
                    school=school,
                    school_year=year,
                    grade=3,
                    roll_number=i,
                    enrolled_on=year.start,
                )
            )
        calendar.rebuild_calendar(school, year)
        teacher = factories.staff(name="担任 花子", username=f"t-{secrets.token_hex(4)}")
        factories.give_role(teacher, "homeroom", classroom=classroom)
    return tama, classroom, enrolments, teacher.user.username


def login(page, base, username):  # noqa: F811
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def test_keyboard_entry_and_save(page, live_url, tama_class):  # noqa: F811
    tama, classroom, enrolments, username = tama_class
    base = live_url("tama")
    login(page, base, username)
    page.goto(f"{base}/attendance/class/{classroom.pk}/day/2026-06-01/")
    assert page.locator(".att-counts").inner_text().replace("\n", " ").startswith("在籍 6")
    page.keyboard.press("1")  # first student: 欠(病)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("3")  # third student: 遅刻
    page.keyboard.press("ArrowDown")
    page.keyboard.press("5")  # fourth: 出席停止
    page.keyboard.press("0")  # back to present
    assert page.locator('[data-count="absent"]').inner_text() == "1"
    assert page.locator('[data-count="late"]').inner_text() == "1"
    assert page.locator('[data-count="present"]').inner_text() == "5"
    assert page.locator(".dirty-note").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "attendance_entry_before_save.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#saved")
    assert "2人を変更" in page.locator("#saved").inner_text()
    assert not page.locator(".dirty-note").is_visible()
    with schema_context(tama.schema_name):
        assert dict(
            Mark.objects.filter(enrolment__classroom=classroom).values_list("enrolment_id", "code")
        ) == {enrolments[0].pk: "sick", enrolments[2].pk: "late"}
    # The previous school day is one tap away; a Saturday is refused with a message.
    page.locator("#prev-day").click()
    page.wait_for_url("**/day/2026-05-29/")
    page.goto(f"{base}/attendance/class/{classroom.pk}/day/2026-06-06/")
    assert "授業日ではありません" in page.locator(".msg-warning").inner_text()
    page.wait_for_load_state("networkidle")  # no request in flight when the server stops


def test_register_page_renders(page, live_url, tama_class):  # noqa: F811
    tama, classroom, enrolments, username = tama_class
    with schema_context(tama.schema_name):
        Mark.objects.create(enrolment=enrolments[1], date=dt.date(2026, 6, 2), code="mourning")
    base = live_url("tama")
    login(page, base, username)
    page.goto(f"{base}/attendance/class/{classroom.pk}/register/2026/6/")
    assert "忌" in page.locator("table.register").inner_text()
    page.wait_for_load_state("networkidle")


def test_board_overview_chart_and_watch(page, live_url, tama_class):  # noqa: F811
    tama, classroom, enrolments, username = tama_class
    with schema_context(tama.schema_name):
        from schools.models import SchoolDate

        days = list(
            SchoolDate.objects.filter(
                school_id=classroom.school_id, is_school_day=True, date__lte=dt.date(2026, 11, 20)
            ).values_list("date", flat=True)
        )
        Mark.objects.bulk_create(
            [Mark(enrolment=enrolments[2], date=d, code="absent") for d in days[-40:]]
        )
    base = live_url("tama")
    login(page, base, "boe-admin")
    page.goto(f"{base}/attendance/overview/?school={classroom.school_id}")
    assert page.locator("svg.chart rect.bar").count() >= 8
    assert enrolments[2].student.name in page.locator("table").last.inner_text()
    page.wait_for_load_state("networkidle")


@pytest.fixture
def class_of_35(live_url):  # noqa: F811
    tama = _municipality("tama")
    with schema_context(tama.schema_name):
        year = factories.school_year(2026)
        school = factories.school(
            name="多摩東小学校", mext_code=f"B9{secrets.randbelow(10**11):011d}"
        )
        classroom = factories.classroom(school, year, grade=4, name="1組")
        students = Student.objects.bulk_create(
            Student(name=f"多摩 {i}子", kana=f"たま {i:02d}") for i in range(1, 36)
        )
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(
                student=s,
                classroom=classroom,
                school=school,
                school_year=year,
                grade=4,
                roll_number=i,
                enrolled_on=year.start,
            )
            for i, s in enumerate(students, start=1)
        )
        calendar.rebuild_calendar(school, year)
        teacher = factories.staff(name="担任 一郎", username=f"t-{secrets.token_hex(4)}")
        factories.give_role(teacher, "homeroom", classroom=classroom)
    return tama, classroom, enrolments, teacher.user.username


def _row_clear_of_bars(page, roll: int) -> bool:
    """The row is fully visible between the sticky counts bar and the sticky save bar."""
    return page.evaluate(
        """(roll) => {
          const row = document.querySelector(`.att-row[data-roll="${roll}"]`).getBoundingClientRect();
          const top = document.getElementById("att-bar").getBoundingClientRect().bottom;
          const bottom = document.querySelector(".att-save").getBoundingClientRect().top;
          return row.top >= top - 1 && row.bottom <= bottom + 1;
        }""",
        roll,
    )


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768)], ids=["pc", "tablet"])
def test_keyboard_marks_the_focused_row_and_jumps_by_roll_number(
    browser, live_url, class_of_35, size
):
    """Tab moves the focus and the digits mark the row that has it; 「/ 番号 Enter」 jumps;
    the marked row is never under the sticky bars; a class of 35 in two screens."""
    tama, classroom, enrolments, username = class_of_35
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        base = live_url("tama")
        login(page, base, username)
        page.goto(f"{base}/attendance/class/{classroom.pk}/day/2026-06-01/")
        # Two screens: the first shows the top of the list, one scroll (the viewport less
        # the sticky bars) shows the rest.
        screens = page.evaluate(
            """() => {
              const rows = [...document.querySelectorAll('.att-row')];
              const last = rows[rows.length - 1].getBoundingClientRect().bottom + scrollY;
              const bar = document.getElementById('att-bar').offsetHeight;
              const save = document.querySelector('.att-save').offsetHeight;
              const first = innerHeight - save;
              return last <= first ? 1 : 1 + Math.ceil((last - first) / (innerHeight - bar - save));
            }"""
        )
        assert screens <= 2
        # Each mark keeps its full label as its accessible name, even when only the symbol shows.
        assert page.get_by_role("radio", name="欠席 (病気)").count() == 35
        assert page.get_by_role("radio", name="早退").count() == 35
        # Row 1 has the focus; Tab goes to its memo, Tab again to row 2: "1" marks row 2.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.press("1")
        assert (
            page.locator('.att-row[data-roll="2"] input[type=radio]:checked').get_attribute("value")
            == "sick"
        )
        assert (
            page.locator('.att-row[data-roll="1"] input[type=radio]:checked').get_attribute("value")
            == ""
        )
        assert page.locator(".att-row.current").get_attribute("data-roll") == "2"
        # Jump by roll number: "/", the number, Enter; then the mark.
        for roll, key in ((17, "2"), (30, "1"), (35, "3")):
            page.keyboard.press("/")
            page.keyboard.type(str(roll))
            page.keyboard.press("Enter")
            assert page.locator(".att-row.current").get_attribute("data-roll") == str(roll)
            page.keyboard.press(key)
            assert _row_clear_of_bars(page, roll)
        # Back up with the arrows: the row stays clear of the counts bar.
        for _ in range(20):
            page.keyboard.press("ArrowUp")
        assert page.locator(".att-row.current").get_attribute("data-roll") == "15"
        assert _row_clear_of_bars(page, 15)
        assert page.locator('[data-count="absent"]').inner_text() == "3"
        assert page.locator('[data-count="late"]').inner_text() == "1"
        page.screenshot(path=str(SCREENSHOTS / f"attendance_35_{size[0]}.png"))
        # Enter saves; the confirmation shows next to the save button (in view).
        page.keyboard.press("Enter")
        toast = page.locator("#save-toast")
        toast.wait_for(state="visible")
        assert "4人を変更" in toast.inner_text()
        assert toast.is_visible() and toast.bounding_box()["y"] < size[1]
        with schema_context(tama.schema_name):
            saved = dict(
                Mark.objects.filter(enrolment__classroom=classroom).values_list(
                    "enrolment__roll_number", "code"
                )
            )
        assert saved == {2: "sick", 17: "absent", 30: "sick", 35: "late"}
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
