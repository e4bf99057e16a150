"""The timetable API through real requests, with the same Actor as the pages."""

from __future__ import annotations

from schools.models import Role
from tests import factories as f
from tests.timetable.test_services import build
from timetable.models import Lesson

API = "/api/v1/timetable"


def test_read_and_write_through_the_api(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    teacher = client_for(muni, b.homerooms[0].user)
    s = b.school.pk
    bells = admin.get(f"{API}/bell-schedules/?school={s}&year=2026").json()
    assert bells[0]["name"] == "通常" and len(bells[0]["periods"]) == 6
    created = admin.post(
        f"{API}/bell-schedules/",
        {
            "school": s,
            "year": 2026,
            "name": "テスト",
            "kind": "exam",
            "periods": [{"number": 1, "start": "09:00", "end": "09:50"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    assert (
        teacher.post(
            f"{API}/rooms/", {"school": s, "name": "音楽室"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        admin.post(
            f"{API}/rooms/",
            {"school": s, "name": "音楽室", "kind": "music"},
            content_type="application/json",
        ).status_code
        == 201
    )
    rooms = teacher.get(f"{API}/rooms/?school={s}").json()
    assert {r["name"] for r in rooms} == {"体育館", "音楽室"}
    assignments = teacher.get(f"{API}/assignments/?school={s}&year=2026").json()
    assert any(a["subject_name"] == "音楽" and a["teachers"] == [b.music.pk] for a in assignments)
    lessons = teacher.get(f"{API}/lessons/?class={b.classes[0].pk}&date=2026-06-01").json()
    assert len(lessons) == 30
    mine = teacher.get(f"{API}/lessons/?teacher={b.music.pk}&date=2026-06-01").json()
    assert len(mine) == 2
    room = teacher.get(f"{API}/lessons/?room={b.gym.pk}&date=2026-06-01").json()
    assert room and all(x["room"] == b.gym.pk for x in room)


def test_bulk_replace_of_a_class_week_answers_the_clashes(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    japanese = f.subject(name="国語")
    second = b.classes[1]
    body = {
        "date": "2026-06-01",
        "lessons": [
            {"weekday": 0, "period": 2, "subject": japanese.pk, "teachers": [b.homerooms[0].pk]},
            {
                "weekday": 0,
                "period": 3,
                "subject": japanese.pk,
                "teachers": [b.homerooms[1].pk],
                "length": 2,
            },
        ],
    }
    response = admin.put(f"{API}/class-weeks/{second.pk}/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert len(data["lessons"]) == 2
    assert {c["kind"] for c in data["clashes"]} >= {"teacher"}
    assert Lesson.objects.filter(classroom=second).count() == 2
    bad = admin.put(
        f"{API}/class-weeks/{second.pk}/",
        {"lessons": [{"weekday": 9, "period": 1, "subject": japanese.pk}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    teacher = client_for(muni, b.homerooms[1].user)
    assert (
        teacher.put(
            f"{API}/class-weeks/{second.pk}/", body, content_type="application/json"
        ).status_code
        == 403
    )


def test_changes_substitutes_and_hours(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    s = b.school.pk
    absent = b.homerooms[0]
    offers = admin.get(f"{API}/substitutes/?school={s}&date=2026-06-01&absent={absent.pk}").json()
    assert len(offers) == 5 and offers[0]["supervisors"]
    lesson = offers[0]["lesson"]
    made = admin.post(
        f"{API}/changes/",
        {
            "school": s,
            "date": "2026-06-01",
            "kind": "substitute",
            "lesson": lesson,
            "absent": absent.pk,
            "teachers": [offers[0]["supervisors"][0]["teacher"]],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    day = admin.get(f"{API}/changes/?school={s}&date=2026-06-01").json()
    assert day["changes"][0]["kind"] == "substitute"
    assert any(x["status"] == "substitute" for x in day["lessons"])
    assert admin.delete(f"{API}/changes/{made.json()['id']}/?school={s}").status_code == 204
    hours = admin.get(f"{API}/hours/?school={s}&year=2026&as_of=2026-07-01").json()
    assert hours[0]["classes"][0]["subjects"]
    assert admin.get(f"{API}/hours/?year=2026").status_code == 403  # a school administrator
    viewer = f.staff()
    f.give_role(viewer, Role.BOE_VIEWER)
    board = client_for(muni, viewer.user).get(f"{API}/hours/?year=2026").json()
    assert [h["school"] for h in board] == [s]
    assert admin.get(f"{API}/changes/?school=x").status_code == 404


def test_groups_and_bell_days(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    s = b.school.pk
    made = admin.post(
        f"{API}/groups/",
        {
            "school": s,
            "year": 2026,
            "kind": "combined",
            "name": "合同体育",
            "classes": [c.pk for c in b.classes],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    groups = admin.get(f"{API}/groups/?school={s}&year=2026").json()
    assert groups[0]["classes"] == [c.pk for c in b.classes]
    short = admin.post(
        f"{API}/bell-schedules/",
        {
            "school": s,
            "year": 2026,
            "name": "短縮",
            "kind": "short",
            "periods": [
                {"number": n, "start": f"{8 + n}:00", "end": f"{8 + n}:40"} for n in (1, 2, 3)
            ],
        },
        content_type="application/json",
    ).json()
    day = admin.post(
        f"{API}/bell-days/",
        {"school": s, "date": "2026-06-01", "bell_schedule": short["id"]},
        content_type="application/json",
    )
    assert day.status_code == 201
    # The short day has three periods: the lessons of periods 4-6 are not held.
    lessons = admin.get(f"{API}/changes/?school={s}&date=2026-06-01").json()["lessons"]
    assert lessons and max(x["period"] for x in lessons) == 3
    settings_page = admin.get(f"/timetable/schools/{s}/settings/").content.decode()
    assert "短縮" in settings_page and "6月1日" in settings_page
