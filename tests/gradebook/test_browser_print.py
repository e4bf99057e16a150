"""Issue 9: a class's 通知表 prints as schools hand them out, in headless Chromium.

A class of 33 prints as exactly 33 A4 pages (counted with poppler's ``pdfinfo``), even when
some 所見 are as long as the field allows (2,000 characters) and with the 修了証 of the
year's last term; every page carries its student's name and the three seal boxes."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from tests.conftest import _municipality
from tests.gradebook.test_browser_layout import login

pytestmark = pytest.mark.browser

ARTIFACTS = Path("artifacts")
LONG = "授業では友達の考えをよく聞き、自分の考えと比べながら粘り強く取り組みました。"  # 38


@pytest.fixture
def class_of_33(django_db_blocker, live_port):
    from gradebook import rules
    from gradebook.models import ConductRecord, Remark, ReportCardLayout
    from tests import factories

    factories._seq = itertools.count(random.randint(10**6, 9 * 10**6))
    with django_db_blocker.unblock(), schema_context(_municipality("tama").schema_name):
        before = list(ReportCardLayout.objects.values("config", "legacy_body"))
        ReportCardLayout.objects.all().delete()  # the standard layout
        from schools.calendar import ensure_calendars

        s = factories.gradebook_class(students=33, assessments=1)
        ensure_calendars(s.classroom.school_year, [s.school])  # 出欠の記録 has figures
        for i, e in enumerate(s.enrolments):
            # every fifth as long as the field allows, the others a usual paragraph
            text = (LONG * 60)[:2000] if i % 5 == 0 else LONG * 4
            Remark.objects.create(student=e.student, term=s.term, text=text)
            # 行動の記録・特別活動 ○ and the 総合 text filled: still one page each
            ConductRecord.objects.create(
                student=e.student,
                term=s.term,
                behaviour=list(rules.BEHAVIOUR_ITEMS)[i % 3 :: 2],
                special=["class", "events"],
                integrated_study="地域の川の生き物を調べ、分かったことを新聞にまとめました。" * 2,
            )
        yield s
        ReportCardLayout.objects.all().delete()
        for row in before:
            ReportCardLayout.objects.create(**row)


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def page_text(path: Path, number: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_a_class_of_33_prints_as_33_a4_pages(page, live_url, class_of_33):
    s = class_of_33
    base = live_url("tama")
    login(page, base, s.admin.user.username)
    page.goto(base + reverse("gradebook:report-cards", args=[s.classroom.pk, s.term.pk]))
    assert page.locator("article.rc-sheet").count() == 33
    # nothing clipped on paper: every 所見 fits its box, no sheet runs past its page
    page.emulate_media(media="print")
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('article.rc-sheet')].map((sheet, i) => {
             const box = sheet.querySelector('.rc-remark');
             return [i + 1, box.scrollHeight - box.clientHeight,
                     sheet.scrollHeight - sheet.clientHeight];
           }).filter(([, remark, sheet]) => remark > 1 || sheet > 1)"""
    )
    assert overflow == [], overflow
    # and no section overlaps the next one (the 所見 box never runs under the 修了証)
    overlaps = page.evaluate(
        """() => [...document.querySelectorAll('article.rc-sheet')].flatMap((sheet, i) => {
             const parts = [...sheet.children].map(c => c.getBoundingClientRect());
             const end = sheet.getBoundingClientRect().bottom;
             return parts.flatMap((r, j) =>
               (j + 1 < parts.length && r.bottom > parts[j + 1].top + 0.5) || r.bottom > end + 0.5
                 ? [[i + 1, j]] : []);
           })"""
    )
    assert overlaps == [], overlaps
    page.screenshot(path=str(ARTIFACTS / "screenshots/report_cards_preview.png"))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "report_cards_33.pdf"
    path.write_bytes(page.pdf(format="A4"))
    assert pdf_pages(path) == 33
    size = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "pts (A4)" in size, size
    for number, e in enumerate(s.enrolments, start=1):
        text = page_text(path, number)
        assert e.student.name in text, number
        for seal in ("校長印", "担任印", "保護者印"):
            assert seal in text, (number, seal)
        for section in (
            "学習の記録",
            "出欠の記録",
            "所見",
            "修了証",
            "行動の記録",
            "特別活動の記録",
        ):
            assert section in text, (number, section)
        assert "○" in text and "新聞にまとめました" in text, number
