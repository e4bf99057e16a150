"""The timetable's pages through real HTTP: who sees and edits what, htmx saves, no 500s."""

from __future__ import annotations

import pytest

from schools.models import Role
from tests import factories as f
from tests.timetable.test_services import build
from timetable.models import DailyChange, Lesson

pytestmark = pytest.mark.django_db


def test_pages_for_admin_teacher_and_board(muni, client_for, boe_admin):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    teacher = client_for(muni, b.homerooms[0].user)
    viewer = f.staff()
    f.give_role(viewer, Role.BOE_VIEWER)
    board = client_for(muni, viewer.user)
    s, c = b.school.pk, b.classes[0].pk
    pages = [
        "/timetable/",
        f"/timetable/schools/{s}/?year=2026&date=2026-06-01",
        f"/timetable/schools/{s}/settings/",
        f"/timetable/schools/{s}/changes/?date=2026-06-01",
        f"/timetable/schools/{s}/changes/?date=2026-06-01&absent={b.homerooms[0].pk}",
        f"/timetable/schools/{s}/hours/?as_of=2026-07-01",
        f"/timetable/schools/{s}/assignments/",
        f"/timetable/classes/{c}/",
        f"/timetable/rooms/{b.gym.pk}/",
        f"/timetable/teachers/{b.music.pk}/",
        "/timetable/my/?date=2026-06-01",
    ]
    for url in pages:
        for client in (admin, teacher):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    grid = admin.get(pages[1]).content.decode()
    assert "全校時間割" in grid and "1年1組" in grid and "重なりはありません" in grid
    week = teacher.get("/timetable/my/?date=2026-06-01").content.decode()
    assert "今日の授業" in week and "国語" in week
    assert admin.get(f"/timetable/classes/{c}/edit/").status_code == 200
    assert teacher.get(f"/timetable/classes/{c}/edit/").status_code == 403
    assert board.get("/timetable/hours/").status_code == 200
    assert teacher.get("/timetable/hours/").status_code == 403
    home = teacher.get("/").content.decode()
    assert "マイ時間割" in home or "今週の授業" in home
    assert "授業時数" in board.get("/").content.decode()  # the board's menu
    for bad in ("/timetable/schools/x/", "/timetable/schools/999999/", "/timetable/rooms/0/"):
        assert admin.get(bad).status_code == 404
    assert admin.get(f"/timetable/schools/{s}/changes/?date=zz&absent=x").status_code == 200


def test_class_save_with_htmx_returns_the_clashes(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    first, second = b.classes
    japanese = f.subject(name="国語")
    body = {
        "s-0-2": japanese.pk,
        "t-0-2": b.homerooms[0].pk,  # the first class's teacher, busy on Monday 2
        "s-1-1": japanese.pk,
        "t-1-1": b.homerooms[1].pk,
    }
    response = admin.post(f"/timetable/classes/{second.pk}/save/", body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "保存しました" in html and "月曜2校時" in html
    assert Lesson.objects.filter(timetable=b.timetable, classroom=second).count() == 2
    bad = admin.post(
        f"/timetable/classes/{second.pk}/save/", {"s-0-1": "999999"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 422 and "教科" in bad.content.decode()
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.post(f"/timetable/classes/{second.pk}/save/", body).status_code == 403


def test_admin_records_a_self_study_and_a_room(muni, client_for):
    b = build(1)
    admin = client_for(muni, b.admin.user)
    lesson = Lesson.objects.get(timetable=b.timetable, weekday=0, period=2)
    response = admin.post(
        f"/timetable/schools/{b.school.pk}/changes/add/",
        {
            "date": "2026-06-01",
            "kind": "self_study",
            "lesson": lesson.pk,
            "absent": b.homerooms[0].pk,
            "teachers": b.music.pk,
            "note": "出張",
        },
    )
    assert response.status_code == 302
    assert DailyChange.objects.get().kind == "self_study"
    page = admin.get(f"/timetable/schools/{b.school.pk}/changes/?date=2026-06-01")
    assert "自習" in page.content.decode() and "出張" in page.content.decode()
    admin.post(f"/timetable/schools/{b.school.pk}/rooms/", {"name": "理科室", "kind": "science"})
    assert "理科室" in admin.get(f"/timetable/schools/{b.school.pk}/settings/").content.decode()
