"""The 変更連絡 (a date's changes for the staff room): rendered, and printed by headless Chromium
to one A4 page for a normal day's changes (two teachers away, a cancelled and a swapped
lesson, a short day)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.fixtures import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from tests.timetable.test_services import build
from timetable import services
from timetable.models import Lesson

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 3)  # a Wednesday
PRINT = """
import sys
from pathlib import Path
from playwright.sync_api import sync_playwright
source, chromium, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
    page = browser.new_page(locale="ja-JP")
    page.set_content(source.read_text())
    source.with_suffix(".pdf").write_bytes(page.pdf(format="A4"))
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi, for the eye
    page.emulate_media(media="print")
    page.screenshot(path=str(source.with_name("timetable_change_notice_a4.png")), full_page=True)
    browser.close()
"""


def _normal_day(b) -> None:
    lessons = list(
        Lesson.objects.filter(timetable=b.timetable, weekday=DAY.weekday())
        .select_related("classroom")
        .prefetch_related("teachers")
        .order_by("classroom__grade", "period")
    )
    away = [b.homerooms[0], b.homerooms[1]]
    for i, teacher in enumerate(away):
        mine = [x for x in lessons if teacher in x.teachers.all()]
        for j, x in enumerate(mine[:5]):
            services.add_daily_change(
                by=b.by,
                school=b.school,
                date=DAY,
                kind="substitute" if j % 2 else "self_study",
                lesson=x.pk,
                absent=teacher.pk,
                teachers=[b.music.pk if (x.period + i) % 2 else b.homerooms[2 + j % 3].pk],
                note="出張（市教研）" if i == 0 else "年休",
            )
    third = [x for x in lessons if x.classroom_id == b.classes[3].pk]
    services.add_daily_change(
        by=b.by, school=b.school, date=DAY, kind="cancel", lesson=third[-1].pk, note="学年集会"
    )
    services.add_daily_change(
        by=b.by,
        school=b.school,
        date=DAY,
        kind="swap",
        classroom=b.classes[4].pk,
        period=2,
        other_period=5,
        note="理科室の都合",
    )
    short = services.save_bell_schedule(
        by=b.by,
        school=b.school,
        school_year=b.year,
        name="短縮日課",
        kind="short",
        periods=[(n, f"{8 + n}:00", f"{8 + n}:40") for n in range(1, 7)],
    )
    services.add_daily_change(
        by=b.by, school=b.school, date=DAY, kind="bell", bell_schedule=short.pk, note="職員研修"
    )


def test_the_change_notice_prints_on_one_a4_page(muni, client_for):
    b = build(6)
    _normal_day(b)
    admin = client_for(muni, b.admin.user)
    changes = admin.get(f"/timetable/schools/{b.school.pk}/changes/?date={DAY}").content.decode()
    url = f"/timetable/schools/{b.school.pk}/changes/notice/?date={DAY}"
    assert url.replace("&", "&amp;") in changes or url in changes
    response = admin.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "変更連絡" in html and "2026年6月3日（水）" in html
    assert "短縮日課" in html and "自習" in html and "代替" in html and "学年集会" in html
    assert html.count("<tr>") >= 13  # the head and 10 + 2 lesson changes
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.get(url).status_code == 200  # the staff room reads it
    assert admin.get(f"/timetable/schools/{b.school.pk}/changes/notice/?date=x").status_code == 200
    # Print it: the page's own stylesheets inlined (set_content has no static server).
    css = "".join(
        (settings.BASE_DIR / path).read_text()
        for path in ("static/ai/ai.css", "timetable/static/timetable/timetable.css")
    )
    printable = re.sub(r'<link rel="stylesheet"[^>]*>', "", html).replace(
        "</head>", f"<style>{css}</style></head>"
    )
    printable = re.sub(r"<script[^>]*></script>", "", printable)
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: the notice is not printed")
    # Printed in a child process: the session's Playwright (browser tests) may already run
    # an event loop in this thread, and a second sync Playwright refuses to start beside it.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = SCREENSHOTS / "timetable_change_notice.html"
    source.write_text(printable)
    subprocess.run(
        [sys.executable, "-c", PRINT, str(source), CHROMIUM, *CHROMIUM_ARGS],
        check=True,
        timeout=120,
    )
    pdf = (SCREENSHOTS / "timetable_change_notice.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, pages
