"""The roster import in headless Chromium (tablet size): choose a file, read the preview, confirm.

Uses the browser harness of tests/browser (data committed in 多摩市 under names unique to this
module). Screenshots land in artifacts/screenshots/roster_io_*.png.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.factories import classroom, give_role, school, school_year, staff
from tests.schools.roster_files import xlsx

pytestmark = pytest.mark.browser

LOGIN = "io-b-principal"
BOE_LOGIN = "io-b-boe"
MEXT = "B113210009982"
ROWS = [
    [1, "1組", 1, "𠮷田　拓海", "ﾖｼﾀﾞ ﾀｸﾐ", "男", "R1.5.3", "IOB001"],
    [1, "1組", 2, "髙橋 結衣", "たかはし ゆい", "女", "令和元年6月1日", "IOB002"],
    [1, "2組", 1, "山﨑 蒼", "やまさき あお", "男", "2019/7/8", "IOB003"],
]


@pytest.fixture
def tama_school(live_url, settings, tmp_path):
    from django.contrib.auth import get_user_model

    from schools.models import Role, RoleAssignment, School, SchoolYear, Student
    from tenants.models import Municipality

    settings.MEDIA_ROOT = tmp_path
    tama = Municipality.objects.get(code="132241")
    with schema_context(tama.schema_name):
        get_user_model().objects.filter(username__in=[LOGIN, BOE_LOGIN]).delete()
        School.objects.filter(mext_code=MEXT).delete()
        Student.objects.filter(student_number__startswith="IOB").delete()
        year = school_year(2026, SchoolYear.State.CURRENT)
        s = school("多摩取込小学校", mext_code=MEXT)
        classroom(s, year, grade=1, name="1組")
        classroom(s, year, grade=1, name="2組")
        principal = staff("多摩 取込", username=LOGIN)
        give_role(
            principal, Role.SCHOOL_ADMIN, school=s, year=year, title=RoleAssignment.Title.PRINCIPAL
        )
        give_role(staff("多摩 教委取込", username=BOE_LOGIN), Role.BOE_ADMIN)
        yield {"school": s, "schema": tama.schema_name}


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"roster_io_{name}.png"), full_page=True)


def _upload(page, base, data: bytes) -> None:
    page.goto(base + "/roster/io/import/")
    page.get_by_label("学校").select_option(label="多摩取込小学校")
    page.get_by_label("名簿ファイル").set_input_files(
        files=[{"name": "名簿.xlsx", "mimeType": "application/octet-stream", "buffer": data}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="読み込んで確認する").click()


def test_principal_imports_a_roster(page, live_url, tama_school):
    from schools.models import Enrolment

    base = live_url("tama")
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(LOGIN)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    page.goto(base + "/roster/io/import/")
    assert "10MBまで" in page.content()
    _shot(page, "form")

    bad = [*ROWS, [1, "3組", 2, "山田 花", "やまだ はな", "女", "2019/2/30", "IOB004"]]
    _upload(page, base, xlsx(bad))
    alert = page.locator("[role=alert]").first.inner_text()
    assert "エラーが 2 件あります" in alert
    errors = page.locator("table.list").first.inner_text()
    assert "1年3組" in errors and "存在しない日付です" in errors
    assert page.get_by_role("button", name="この内容で登録する").count() == 0
    _shot(page, "preview_errors")

    _upload(page, base, xlsx(ROWS))
    assert "新しく登録する児童生徒" in page.content()
    assert "𠮷田　拓海" in page.content() and "よしだ たくみ" in page.content()
    _shot(page, "preview")
    button = page.get_by_role("button", name="この内容で登録する")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the keyboard alone is enough
    assert "新規 3名" in page.locator(".messages").inner_text()
    _shot(page, "done")
    with schema_context(tama_school["schema"]):
        names = set(
            Enrolment.objects.filter(school=tama_school["school"]).values_list(
                "student__name", flat=True
            )
        )
    assert names == {"𠮷田　拓海", "髙橋 結衣", "山﨑 蒼"}

    _upload(page, base, xlsx(ROWS))  # the same file again: nothing to do
    assert "登録済みの名簿と同じです" in page.content()
    assert page.get_by_role("button", name="この内容で登録する").is_disabled()


def test_board_imports_staff(page, live_url, tama_school):
    from django.contrib.auth import get_user_model

    staff_rows = [
        [
            "多摩 一",
            "たま はじめ",
            "io-b-staff1",
            "IOS1",
            "多摩取込小学校",
            "学級担任",
            "",
            "1年1組",
            "",
        ],
        [
            "多摩 一",
            "たま はじめ",
            "io-b-staff1",
            "IOS1",
            "多摩取込小学校",
            "教科担任",
            "",
            "1年2組",
            "音楽",
        ],
    ]
    with schema_context(tama_school["schema"]):
        get_user_model().objects.filter(username="io-b-staff1").delete()
    header = ["氏名", "ふりがな", "ログインID", "職員番号", "学校", "役割", "職名", "学級", "教科"]
    base = live_url("tama")
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(BOE_LOGIN)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    page.goto(base + "/roster/io/import/staff/")
    page.get_by_label("教職員ファイル").set_input_files(
        files=[
            {
                "name": "教職員.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": xlsx(staff_rows, header=header),
            }
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="読み込んで確認する").click()
    assert "追加する役割" in page.content() and "パスワード未設定" in page.content()
    _shot(page, "staff_preview")
    with page.expect_navigation():
        page.get_by_role("button", name="この内容で登録する").click()
    assert "追加した役割 2件" in page.locator(".messages").inner_text()
