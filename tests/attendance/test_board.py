"""The board's pages: every link answers 200, the overview of the schools (学校の状況) in a
constant number of queries, and the home page's 「未入力」 for teachers and principals."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attendance import queries
from attendance.models import TakenDay
from gradebook.models import Finalisation
from schools import calendar
from schools.models import Role, SchoolDate
from tests import factories
from tests.attendance.helpers import D

LINK = re.compile(r'href="(/[^"#]*)(?:#[^"]*)?"')
SKIP = re.compile(r"^/(static|i18n|logout|api/docs)|\.(xlsx|csv)(\?|$)|/export|/download")
MONDAY = D(2026, 6, 1)


def make_school(year, classes: int = 2, size: int = 3, name: str | None = None):
    school = factories.school(name=name)
    rooms = [factories.classroom(school, year, grade=g, name="1組") for g in range(1, classes + 1)]
    for room in rooms:
        factories.students(room, size)
    calendar.rebuild_calendar(school, year)
    for n in (1, 2, 3):
        factories.term(school, year, n)
    return school, rooms


@pytest.fixture
def board_world(muni):
    year = factories.school_year(2026)
    schools = [make_school(year, name=f"区立第{i}小学校") for i in range(1, 4)]
    today = timezone.localdate()
    first, rooms = schools[0]
    TakenDay.objects.create(classroom=rooms[0], date=today)
    term1 = first.terms.get(number=1)
    Finalisation.objects.create(term=term1, classroom=rooms[0])
    viewer = factories.staff(name="委員会 閲覧")
    factories.give_role(viewer, Role.BOE_VIEWER)
    return year, schools, viewer.user


def crawl_links(client, pages: list[str]) -> dict[str, int]:
    """Every link of the given pages, GET, one by one (no deeper)."""
    answers: dict[str, int] = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        for link in LINK.findall(response.content.decode()):
            link = link.replace("&amp;", "&")
            if link not in answers and not SKIP.search(link):
                answers[link] = client.get(link).status_code
    return answers


@pytest.mark.parametrize("who", ["boe_admin", "boe_viewer"])
def test_every_link_on_the_boards_pages_answers_200(muni, client_for, boe_admin, board_world, who):
    year, schools, viewer = board_world
    client = client_for(muni, boe_admin if who == "boe_admin" else viewer)
    school = schools[0][0]
    pages = [
        "/",
        "/roster/overview/",
        "/attendance/",
        f"/attendance/?school={school.pk}",
        "/attendance/overview/",
        f"/attendance/overview/?school={school.pk}",
    ]
    answers = crawl_links(client, pages)
    bad = {url: code for url, code in answers.items() if code != 200}
    assert not bad, bad
    assert any(u.startswith("/attendance/class/") for u in answers)
    # The board takes no attendance: no 「今日の出欠」 entry link on its pages.
    assert not any(re.match(r"^/attendance/class/\d+/$", u) for u in answers)


def test_board_overview_shows_each_school_with_links(muni, client_for, boe_admin, board_world):
    year, schools, viewer = board_world
    html = client_for(muni, boe_admin).get("/roster/overview/").content.decode()
    first, rooms = schools[0]
    for school, _ in schools:
        assert school.name in html
        assert f"/attendance/overview/?school={school.pk}#watch" in html
        assert f"/roster/schools/{school.pk}/roster/?year=2026" in html
    assert "6人" in html  # 2 classes × 3 students
    assert "1学期: 確定 1/2学級" in html and "2学期: 確定 0/2学級" in html
    term1 = first.terms.get(number=1)
    assert f"/grades/terms/{term1.pk}/finalise/" in html
    today = timezone.localdate()
    if SchoolDate.objects.filter(school=first, date=today, is_school_day=True).exists():
        assert "入力済み 1/2学級" in html and "未入力 1学級" in html
    # A board viewer sees the 確定 state without a link it could not follow.
    html = client_for(muni, viewer).get("/roster/overview/").content.decode()
    assert "1学期: 確定 1/2学級" in html and f"/grades/terms/{term1.pk}/finalise/" not in html
    # Teachers and principals: not theirs.
    principal = factories.school_admin(first, year)
    assert client_for(muni, principal.user).get("/roster/overview/").status_code == 403


def test_board_overview_query_count_does_not_grow_with_schools(
    muni, client_for, boe_admin, board_world
):
    client = client_for(muni, boe_admin)
    client.get("/roster/overview/")  # warm caches (codes, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/roster/overview/").status_code == 200
    year = board_world[0]
    for i in range(4):
        make_school(year, classes=4, size=2, name=f"区立第{i + 10}小学校")
    with CaptureQueriesContext(connection) as large:
        html = client.get("/roster/overview/").content.decode()
    assert "区立第13小学校" in html
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_classes_today_says_taken_or_missing_on_a_school_day(muni):
    year = factories.school_year(2026)
    school, rooms = make_school(year, classes=3)
    TakenDay.objects.create(classroom=rooms[1], date=MONDAY, period=2)
    with CaptureQueriesContext(connection) as ctx:
        state = {c.classroom.pk: c for c in queries.classes_today([school.pk], MONDAY)}
    assert len(ctx) == 1
    assert [state[r.pk].taken for r in rooms] == [False, True, False]
    assert all(state[r.pk].is_school_day for r in rooms)
    assert [state[r.pk].missing for r in rooms] == [True, False, True]
    sunday = D(2026, 6, 7)
    assert not any(c.missing for c in queries.classes_today([school.pk], sunday))
    assert queries.classes_today([school.pk], D(2030, 6, 3)) and not any(
        c.is_school_day for c in queries.classes_today([school.pk], D(2030, 6, 3))
    )


def test_home_says_mitouroku_and_principal_sees_untaken_classes(muni, client_for):
    year = factories.school_year(2026)
    school, rooms = make_school(year, classes=3)
    today = timezone.localdate()
    teacher = factories.homeroom_teacher(rooms[0])
    html = client_for(muni, teacher.user).get("/").content.decode()
    school_day = SchoolDate.objects.filter(school=school, date=today, is_school_day=True).exists()
    # On a day off the card says so instead (tests/attendance/test_home_closure.py).
    assert ("未入力" in html or not school_day) and "未保存" not in html
    principal = factories.school_admin(school, year)
    html = client_for(muni, principal.user).get("/").content.decode()
    assert "今日の出欠が未入力の学級" in html
    if SchoolDate.objects.filter(school=school, date=today, is_school_day=True).exists():
        TakenDay.objects.create(classroom=rooms[0], date=today)
        html = client_for(muni, principal.user).get("/").content.decode()
        assert "2学級</span> / 全3学級" in html
        for room in rooms[1:]:
            assert f"/attendance/class/{room.pk}/" in html
        assert f'<a href="/attendance/class/{rooms[0].pk}/">' not in html
        html = client_for(muni, teacher.user).get("/").content.decode()
        assert "✓ 入力済み" in html
    else:
        assert "今日は授業日ではありません" in html
