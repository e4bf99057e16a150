"""Issue 9 in headless Chromium: the homeroom teacher ticks 行動の記録・特別活動 and types the
外国語活動・総合 texts on one grid, saves once, and the 通知表 shows them (1366 and 1024 wide)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from tests.conftest import _municipality
from tests.gradebook.test_browser_layout import login

pytestmark = pytest.mark.browser

SHOTS = Path("artifacts/screenshots")


@pytest.fixture
def elementary_class(django_db_blocker, live_port):
    from schools.models import SchoolType
    from tests import factories

    factories._seq = itertools.count(random.randint(10**6, 9 * 10**6))
    with django_db_blocker.unblock(), schema_context(_municipality("tama").schema_name):
        yield factories.gradebook_class(
            students=12, assessments=1, school_type=SchoolType.ELEMENTARY, grade=3
        )


def test_the_conduct_grid_saves_and_prints(page, live_url, elementary_class):
    from playwright.sync_api import expect

    s = elementary_class
    base = live_url("tama")
    login(page, base, s.homeroom.user.username)
    url = base + reverse("gradebook:conduct", args=[s.classroom.pk, s.term.pk])
    first = s.enrolments[0].student
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto(url)
        expect(page.get_by_role("heading", name="行動の記録", exact=True)).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"conduct_{width}_top.png"))
        page.get_by_label(f"{first.name} 基本的な生活習慣").check()
        page.get_by_label(f"{first.name} クラブ活動").check()
        page.get_by_label(f"{first.name} 外国語活動").fill("英語で自己紹介ができました。")
        page.get_by_label(f"{first.name} 総合的な学習の時間").fill("地域の川を調べました。")
        page.screenshot(path=str(SHOTS / f"conduct_{width}.png"))
        # nothing of the page runs past the window's width but the grid's own scroller
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("人の記録を保存しました")).to_be_visible()
        expect(page.get_by_label(f"{first.name} 基本的な生活習慣")).to_be_checked()
    page.goto(base + reverse("gradebook:report-card", args=[s.classroom.pk, s.term.pk, first.pk]))
    sheet = page.locator("article.rc-sheet")
    expect(sheet).to_contain_text("英語で自己紹介ができました。")
    expect(sheet.locator(".rc-marks td", has_text="○")).to_have_count(2)
