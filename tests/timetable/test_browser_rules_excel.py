"""自動作成の決まり in Excel, in headless Chromium on the demo's junior high school at 1366×768
and 1024×768: 「Excelに書き出す」 downloads the workbook, 「Excelから読み込む」 previews it as
unchanged, an edited copy previews its change and 「この内容で登録する」 writes it."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django_tenants.utils import schema_context

from tests.browser.fixtures import SCREENSHOTS
from tests.timetable.test_browser import _base, _login
from timetable.models import GenerationRules


@pytest.mark.parametrize("width", [1366, 1024])
def test_the_rules_go_out_and_back_in_at(width, browser, live_url, demo_site, django_db_blocker):
    context = browser.new_context(
        viewport={"width": width, "height": 768}, locale="ja-JP", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = _base(demo_site, live_url)
    _login(page, base, "principal-jh1")
    page.get_by_role("link", name="時間割").first.click()
    page.get_by_role("link", name="全校時間割").first.click()
    page.get_by_role("link", name="自動作成").click()
    page.get_by_role("link", name="自動作成の決まり").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excelに書き出す").click()
    path = download.value.path()
    assert download.value.suggested_filename.startswith("自動作成の決まり_")
    with open(path, "rb") as file:
        book = openpyxl.load_workbook(io.BytesIO(file.read()))
    assert "先生の勤務できないコマ" in book.sheetnames

    page.get_by_role("link", name="Excelから読み込む").click()
    page.set_input_files("input[type=file]", path)
    page.get_by_role("button", name="読み込んで確認する").click()
    assert "変更はありません" in page.locator("main").inner_text()

    ws = book["学校の決まり"]
    row = next(r[0].row for r in ws.iter_rows() if r[0].value == "先生の連続の上限")
    new = 5 if ws.cell(row, 2).value != 5 else 4
    ws.cell(row, 2).value = new
    edited = io.BytesIO()
    book.save(edited)
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "決まり.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": edited.getvalue(),
            }
        ],
    )
    page.get_by_role("button", name="読み込んで確認する").click()
    text = page.locator("main").inner_text()
    assert "先生の連続の上限" in text and f"→ {new}" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"timetable_rules_import_{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
    with django_db_blocker.unblock(), schema_context(demo_site.municipality.schema_name):
        before = GenerationRules.objects.get(school__name__contains="中学校").teacher_max_row
    page.get_by_role("button", name="この内容で登録する").click()
    page.wait_for_url("**/generate/rules/**")
    assert "取り込みました" in page.locator("body").inner_text()
    page.screenshot(path=str(SCREENSHOTS / f"timetable_rules_imported_{width}.png"))
    with django_db_blocker.unblock(), schema_context(demo_site.municipality.schema_name):
        row = GenerationRules.objects.get(school__name__contains="中学校")
        assert row.teacher_max_row == new
        row.teacher_max_row = before  # the demo stays as seeded for the other browser tests
        row.save()
    context.close()
