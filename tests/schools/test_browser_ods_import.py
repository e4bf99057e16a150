"""A LibreOffice user imports the roster as .ods in headless Chromium (PC and tablet widths):
the form says .ods is accepted, the file chooser offers it, the preview is the .xlsx's.

Screenshots: artifacts/screenshots/roster_io_ods_*.png.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import schema_context

from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.schools.roster_files import HEADER
from tests.schools.test_roster_import_browser import LOGIN, tama_school  # noqa: F401
from tests.schools.test_spreadsheets_ods import ods_table

pytestmark = pytest.mark.browser

ROWS = [
    [1, "1組", 1, "𠮷田　拓海", "ﾖｼﾀﾞ ﾀｸﾐ", "男", dt.date(2019, 5, 3), "IOB001"],
    [1, "1組", 2, "髙橋 結衣", "たかはし ゆい", "女", "令和元年6月1日", "IOB002"],
    [1, "2組", 1, "山﨑 蒼", "やまさき あお", "男", "2019/2/30", "IOB003"],
]


def _upload(page, base, data: bytes) -> None:
    page.goto(base + "/roster/io/import/")
    page.get_by_label("学校").select_option(label="多摩取込小学校")
    chooser = page.get_by_label("名簿ファイル")
    assert ".ods" in chooser.get_attribute("accept")
    chooser.set_input_files(
        files=[
            {
                "name": "名簿.ods",
                "mimeType": "application/vnd.oasis.opendocument.spreadsheet",
                "buffer": data,
            }
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="読み込んで確認する").click()


def test_a_libreoffice_user_imports_an_ods_roster(page, live_url, tama_school):  # noqa: F811
    from schools.models import Enrolment

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_url("tama")
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill(LOGIN)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto(base + "/roster/io/import/")
        assert "LibreOffice Calcの表計算ドキュメント（.ods）" in page.content()
        page.screenshot(path=str(SCREENSHOTS / f"roster_io_ods_form_{width}.png"))

        _upload(page, base, ods_table([["令和8年度 名簿"], HEADER, *ROWS]))
        errors = page.locator("table.list").first.inner_text()
        assert "5" in errors and "存在しない日付です" in errors
        assert page.get_by_role("button", name="この内容で登録する").count() == 0
        page.screenshot(path=str(SCREENSHOTS / f"roster_io_ods_errors_{width}.png"))

    _upload(page, base, ods_table([HEADER, *ROWS[:2]]))
    assert "𠮷田　拓海" in page.content() and "よしだ たくみ" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "roster_io_ods_preview_1024.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="この内容で登録する").click()
    assert "新規 2名" in page.locator(".messages").inner_text()
    with schema_context(tama_school["schema"]):
        names = set(
            Enrolment.objects.filter(school=tama_school["school"]).values_list(
                "student__name", flat=True
            )
        )
    assert names == {"𠮷田　拓海", "髙橋 結衣"}
