"""A long export as a job, in headless Chromium: the board starts the municipality-wide
attendance export, watches the job's page (progress bar, polled), and downloads the file.

The worker is started only once the page shows the queued job, so the page must update
by itself (htmx polling) to reach the download link.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from schools.models import School, SchoolYear, Student
from tests import factories
from tests.browser.fixtures import SCREENSHOTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MEXT = "B113210009966"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"jobs_{name}.png"), full_page=True)


@pytest.fixture
def tama_school(tama):
    School.objects.filter(mext_code=MEXT).delete()
    year = factories.school_year(2026, SchoolYear.State.CURRENT)
    school = factories.school("ジョブ画面小学校", mext_code=MEXT)
    enrolments = factories.students(factories.classroom(school, year, grade=4), 4)
    yield school
    School.objects.filter(mext_code=MEXT).delete()
    Student.objects.filter(pk__in=[e.student_id for e in enrolments]).delete()


def test_board_runs_the_municipality_export_as_a_job(page, live_url, tama_school, start_worker):
    base = live_url("tama")
    page.goto(base + "/login/")
    page.get_by_label("ログインID").fill("boe-admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")

    # 多摩市 may hold the whole demo (seeded by the gradebook tour): its overview takes time.
    page.goto(base + "/attendance/overview/?year=2026", timeout=120_000)
    page.get_by_role("button", name="全児童生徒の出欠の記録をExcelに出力").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    expect(page.locator("h1")).to_contain_text("出欠の記録 (市全体) のExcel出力")
    expect(page.locator("progress.job-progress")).to_be_visible()
    expect(page.locator(".job-state")).to_contain_text("待機中")
    expect(page.get_by_role("button", name="取り消す")).to_be_visible()
    _shot(page, "export_queued")

    start_worker()
    download_link = page.get_by_role("link", name=re.compile("ダウンロード"))
    expect(download_link).to_be_visible(timeout=120_000)
    expect(page.locator(".job-state")).to_contain_text("完了")
    expect(page.locator("progress.job-progress")).to_have_attribute("value", "100")
    expect(page.get_by_role("button", name="取り消す")).to_have_count(0)
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == "出欠の記録_2026年度.xlsx"
    _shot(page, "export_done")

    page.goto(base + "/jobs/")
    expect(page.get_by_role("link", name="出欠の記録 (市全体) のExcel出力").first).to_be_visible()
