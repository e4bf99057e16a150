"""The home cards on a day a class is closed (学級閉鎖 / 学年閉鎖) or not a school day: they say
so, and the class is not 「未入力」 (not for its teacher, its principal or the board)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from attendance import queries
from attendance.models import TakenDay
from schools import calendar
from schools.models import Closure
from schools.permissions import actor_for_user
from tests import factories


def _today_year():
    today = timezone.localdate()
    return today, factories.school_year(today.year if today.month >= 4 else today.year - 1)


@pytest.fixture
def world(muni, boe_admin):
    """A school whose today is a school day (made so: the suite also runs on weekends), with
    three classes: 1年1組 under 学級閉鎖, 2年1組 under 学年閉鎖, 3年1組 open."""
    today, year = _today_year()
    school = factories.school(name="閉鎖テスト小学校")
    rooms = [factories.classroom(school, year, grade=g, name="1組") for g in (1, 2, 3)]
    for room in rooms:
        factories.students(room, 2)
    by = actor_for_user(boe_admin)
    calendar.set_override(school, year, by=by, date=today, is_school_day=True, note="")
    calendar.add_closure(
        school,
        year,
        by=by,
        kind=Closure.Kind.CLASS,
        start=today,
        end=today,
        reason="インフルエンザ",
        classroom=rooms[0],
    )
    calendar.add_closure(
        school,
        year,
        by=by,
        kind=Closure.Kind.GRADE,
        start=today,
        end=today,
        reason="インフルエンザ",
        grade=2,
    )
    return today, year, school, rooms


def test_classes_today_names_the_closure_and_does_not_count_it_missing(world):
    today, _, school, rooms = world
    state = {c.classroom.pk: c for c in queries.classes_today([school.pk], today)}
    assert [state[r.pk].closed for r in rooms] == ["学級閉鎖", "学年閉鎖", ""]
    assert [state[r.pk].missing for r in rooms] == [False, False, True]
    assert [state[r.pk].state for r in rooms] == ["closed", "closed", "missing"]


def test_homeroom_card_says_gakkyuu_heisa(muni, client_for, world):
    today, _, school, rooms = world
    teacher = factories.homeroom_teacher(rooms[0])
    html = client_for(muni, teacher.user).get("/").content.decode()
    assert 'data-closed="1">学級閉鎖</span>' in html
    assert 'data-untaken="1"' not in html
    open_teacher = factories.homeroom_teacher(rooms[2])
    assert 'data-untaken="1"' in client_for(muni, open_teacher.user).get("/").content.decode()


def test_principal_does_not_list_a_closed_class_as_missing(muni, client_for, world):
    today, year, school, rooms = world
    principal = factories.school_admin(school, year)
    html = client_for(muni, principal.user).get("/").content.decode()
    missing = html.split('class="plain actions untaken"', 1)[1].split("</ul>", 1)[0]
    assert f"/attendance/class/{rooms[2].pk}/" in missing
    assert f"/attendance/class/{rooms[0].pk}/" not in missing
    assert f"/attendance/class/{rooms[1].pk}/" not in missing
    assert "1学級</span> / 全1学級" in html  # only the open class is expected
    assert "1年1組 学級閉鎖" in html and "2年1組 学年閉鎖" in html
    TakenDay.objects.create(classroom=rooms[2], date=today)
    html = client_for(muni, principal.user).get("/").content.decode()
    assert "すべての学級が入力済みです" in html


def test_board_overview_counts_closed_classes_apart(muni, client_for, boe_admin, world):
    html = client_for(muni, boe_admin).get("/roster/overview/").content.decode()
    assert "入力済み 0/1学級" in html and "未入力 1学級" in html and "学級閉鎖 2学級" in html


def test_a_day_off_does_not_say_mitouroku(muni, client_for, boe_admin):
    today, year = _today_year()
    school = factories.school(name="休日テスト小学校")
    room = factories.classroom(school, year, grade=1, name="1組")
    factories.students(room, 2)
    calendar.set_override(
        school,
        year,
        by=actor_for_user(boe_admin),
        date=today,
        is_school_day=False,
        note="振替休業日",
    )
    teacher = factories.homeroom_teacher(room)
    html = client_for(muni, teacher.user).get("/").content.decode()
    assert 'data-untaken="1"' not in html and "未入力" not in html
    assert "授業日ではありません (振替休業日)" in html
    principal = factories.school_admin(school, year)
    html = client_for(muni, principal.user).get("/").content.decode()
    assert "今日は授業日ではありません" in html and 'class="plain actions untaken"' not in html


def test_the_attendance_index_the_board_links_to_says_it_too(muni, client_for, boe_admin, world):
    today, _, school, rooms = world
    html = client_for(muni, boe_admin).get(f"/attendance/?school={school.pk}").content.decode()
    assert 'data-closed="1">学級閉鎖</span>' in html and 'data-closed="1">学年閉鎖</span>' in html
    assert html.count(">未入力</span>") == 1  # only the open class
