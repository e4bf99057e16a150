"""Teachers' unavailable periods (授業不可): stored, edited on a page and the API, seen by the
clash check and the substitute suggestions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schools.models import AuditEvent
from schools.permissions import actor_for_user
from tests.timetable.test_services import build
from timetable import queries, rules, services
from timetable.models import Unavailability

pytestmark = pytest.mark.django_db


def test_the_page_saves_a_grid_and_the_grid_shows_the_clash(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    url = f"/timetable/schools/{b.school.pk}/unavailable/?year=2026"
    page = admin.get(url).content.decode()
    assert "授業不可の時間" in page and b.music.name in page
    chosen = admin.get(f"{url}&staff={b.music.pk}").content.decode()
    assert 'name="slot" value="0-1"' in chosen and "月曜1校時" in chosen
    response = admin.post(
        url, {"staff": b.music.pk, "slot": ["0-1", "2-3", "bad", "9-9"], "reason": "兼務（東中）"}
    )
    assert response.status_code == 302
    # "bad" and "9-9" are refused as a whole: nothing stored, a message instead
    assert not Unavailability.objects.exists()
    admin.post(url, {"staff": b.music.pk, "slot": ["0-1", "2-3"], "reason": "兼務（東中）"})
    assert set(Unavailability.objects.values_list("weekday", "period", "reason")) == {
        (0, 1, "兼務（東中）"),
        (2, 3, "兼務（東中）"),
    }
    assert AuditEvent.objects.filter(action="timetable.unavailability.set").count() == 1
    listed = admin.get(url).content.decode()
    assert "月1、水3" in listed and "兼務（東中）" in listed
    grid = queries.grid(b.school, b.year, date=dt.date(2026, 6, 1))
    unavailable = [c for c in grid.clashes if c.kind == rules.ClashKind.UNAVAILABLE]
    assert len(unavailable) == 1 and "授業に入れません" in unavailable[0].message
    assert unavailable[0].weekday == 0 and unavailable[0].period == 1
    # a teacher reads but does not write
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.get(url).status_code == 200
    assert teacher.post(url, {"staff": b.music.pk, "slot": []}).status_code == 403
    assert admin.post(url, {"staff": "999999"}).status_code == 404


def test_substitutes_skip_an_unavailable_teacher(muni):
    b = build(2)
    absent = b.homerooms[0]
    day = dt.date(2026, 6, 1)  # a Monday
    offered, _ = queries.substitute_suggestions(b.school, day, absent)
    periods_with_music = {
        s.lesson.period for s in offered if any(c.teacher == b.music.pk for c in s.supervisors)
    }
    assert periods_with_music  # free on some periods of Monday
    services.set_unavailability(
        by=b.by,
        school=b.school,
        school_year=b.year,
        staff=b.music,
        slots=[(0, p) for p in range(1, 7)],
        reason="非常勤（月曜勤務なし）",
    )
    offered, _ = queries.substitute_suggestions(b.school, day, absent)
    assert not any(
        c.teacher == b.music.pk for s in offered for c in (*s.substitutes, *s.supervisors)
    )


def test_service_refuses_bad_input_and_other_people(muni):
    b = build(1)
    with pytest.raises(ValidationError):
        services.set_unavailability(
            by=b.by, school=b.school, school_year=b.year, staff=b.music, slots=[(6, 1)]
        )
    with pytest.raises(ValidationError):
        services.set_unavailability(
            by=b.by,
            school=b.school,
            school_year=b.year,
            staff=b.music,
            slots=[],
            reason="x" * 61,
        )
    with pytest.raises(PermissionDenied):
        services.set_unavailability(
            by=actor_for_user(b.homerooms[0].user),
            school=b.school,
            school_year=b.year,
            staff=b.music,
            slots=[(0, 1)],
        )


def test_api_reads_and_replaces(muni, client_for):
    b = build(1)
    admin = client_for(muni, b.admin.user)
    body = {"school": b.school.pk, "year": 2026, "staff": b.music.pk, "slots": [[1, 2], [1, 3]]}
    response = admin.post(
        "/api/v1/timetable/unavailability/", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    listed = admin.get(f"/api/v1/timetable/unavailability/?school={b.school.pk}&year=2026").json()
    assert listed == [
        {"staff": b.music.pk, "name": b.music.name, "reason": "", "slots": [[1, 2], [1, 3]]}
    ]
    bad = admin.post(
        "/api/v1/timetable/unavailability/",
        {**body, "slots": [[1, 99]]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    stranger = admin.post(
        "/api/v1/timetable/unavailability/",
        {**body, "staff": 999999},
        content_type="application/json",
    )
    assert stranger.status_code == 400
