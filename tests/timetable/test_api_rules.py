"""自動作成の決まり through the API (issue 12): GET a school's rules, PUT them back (each
section stated as the page and the Excel import state it, one audit record), 400 naming the
field with nothing written, and the same Actor as the page."""

from __future__ import annotations

from schools.models import AuditEvent, Staff, Subject
from tests.timetable.test_generating import JH, build
from tests.timetable.test_rules_excel import _setup, _snapshot
from timetable import rules_excel
from timetable.models import DoublePeriod, GenerationRules, TeacherLimit, Unavailability

API = "/api/v1/timetable/generation-rules"


def _client(muni, client_for, s):
    return client_for(muni, Staff.objects.get(user_id=s.by.user_id).user)


def test_get_then_put_back_changes_nothing_and_a_put_states_the_rules(muni, client_for):
    s = _setup()
    client = _client(muni, client_for, s)
    url = f"{API}/{s.school.pk}/?year=2026"
    got = client.get(url)
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["settings"]["teacher_max_daily"] == 4 and body["settings"]["double_not_first"]
    english = s.teachers["外国語"].pk
    assert {"staff": english, "daily": 3, "row": None}.items() <= next(
        t for t in body["teacher_limits"] if t["staff"] == english
    ).items()
    science = next(d for d in body["doubles"] if d["label"] == "1年1組 理科")
    assert science["per_week"] == 1 and science["weekly_periods"] == "3"
    labels = {p["label"] for p in body["preferences"]}
    assert "保健体育は5校時を避ける 80%" in labels
    music = next(u for u in body["unavailability"] if u["staff"] == s.teachers["音楽"].pk)
    assert music["slots"] == [[0, 1], [0, 2], [4, 6]] and music["reason"] == "兼務先"

    before = _snapshot(s.school)
    same = client.put(url, body, content_type="application/json")
    assert same.status_code == 200 and same.json()["changed"] == 0
    assert _snapshot(s.school) == before
    assert not AuditEvent.objects.filter(action="timetable.rules.replace").exists()

    pe = Subject.objects.get(school_type=JH, name="保健体育").pk
    change = {
        "settings": {**body["settings"], "lunch_after": 3, "teacher_max_row": None},
        "teacher_limits": [{"staff": english, "daily": 2, "gaps_week": 1}],
        "doubles": [{"assignment": science["assignment"], "per_week": 0}],
        "preferences": [
            {"kind": "avoid", "subjects": [pe], "periods": [5, 6], "weekdays": [4], "weight": 90}
        ],
        "unavailability": [{"staff": s.teachers["音楽"].pk, "slots": [[1, 3]], "reason": "会議"}],
    }
    done = client.put(f"{API}/{s.school.pk}/", change, content_type="application/json")
    assert done.status_code == 200, done.content
    answer = done.json()
    assert answer["changed"] == 8  # 2 settings, 1 teacher, 1 double, 1 wish in, 2 out, 1 absence
    assert "昼休みの前の校時: （空欄） → 3" in answer["changes"]["settings"]
    row = GenerationRules.objects.get(school=s.school)
    assert (row.lunch_after, row.teacher_max_row, row.teacher_max_daily) == (3, None, 4)
    limit = TeacherLimit.objects.get(school=s.school, staff_id=english)
    assert (limit.max_daily, limit.max_gaps_week) == (2, 1)
    assert not DoublePeriod.objects.filter(assignment_id=science["assignment"]).exists()
    assert [p["label"] for p in answer["rules"]["preferences"]] == [
        "保健体育は金曜5・6校時を避ける 90%"
    ]
    slots = Unavailability.objects.filter(staff=s.teachers["音楽"])
    assert [(u.weekday, u.period, u.reason) for u in slots] == [(1, 3, "会議")]
    assert AuditEvent.objects.filter(action="timetable.rules.replace").count() == 1
    # what the API stated, the Excel export says, and reads back unchanged
    data = client.get(f"/timetable/schools/{s.school.pk}/generate/rules/export/?year=2026")
    plan = rules_excel.plan_rules_import(s.school, s.year, data.content)
    assert plan.ok and not plan.has_changes
    # a section left out is not touched
    only = client.put(
        f"{API}/{s.school.pk}/", {"doubles": []}, content_type="application/json"
    ).json()
    assert only["changed"] == 0 and len(only["rules"]["preferences"]) == 1


def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(muni, client_for):
    s = _setup()
    client = _client(muni, client_for, s)
    url = f"{API}/{s.school.pk}/?year=2026"
    body = client.get(url).json()
    science = next(d for d in body["doubles"] if d["label"] == "1年1組 理科")
    before = _snapshot(s.school)
    cases = [
        ({"settings": {**body["settings"], "teacher_max_daily": 40}}, "settings.teacher_max_daily"),
        ({"settings": {"lunch_after": 3}}, "settings.double_not_first"),
        (
            {"doubles": [{"assignment": science["assignment"], "per_week": 2}]},
            f"doubles[{science['assignment']}].per_week: 1年1組 理科は週3コマなので",
        ),
        ({"doubles": [{"assignment": 999999, "per_week": 1}]}, "doubles[999999].assignment"),
        (
            {"preferences": [{"kind": "never", "subjects": [1], "periods": [5], "weight": 50}]},
            "preferences[0].kind",
        ),
        (
            {"preferences": [{"kind": "avoid", "subjects": [], "periods": [5], "weight": 50}]},
            "preferences[0].subjects",
        ),
        (
            {"unavailability": [{"staff": s.teachers["音楽"].pk, "slots": [[7, 1]]}]},
            "unavailability[0].slots",
        ),
        ({"teacher_limits": [{"staff": 999999, "daily": 3}]}, "teacher_limits[999999].staff"),
        ({"teacher_limits": "x"}, "teacher_limits"),
    ]
    for request, field in cases:
        response = client.put(url, request, content_type="application/json")
        assert response.status_code == 400, (request, response.content)
        error = response.json()["error"]
        assert error["code"] == "invalid" and error["message"].startswith(field), (field, error)
    # a PUT with one good and one bad section writes neither
    mixed = {
        "settings": {**body["settings"], "lunch_after": 2},
        "doubles": [{"assignment": science["assignment"], "per_week": 5}],
    }
    assert client.put(url, mixed, content_type="application/json").status_code == 400
    assert _snapshot(s.school) == before
    assert not AuditEvent.objects.filter(action="timetable.rules.replace").exists()


def test_only_the_schools_editors_read_and_state_the_rules(muni, client_for):
    s, other = _setup(), build()
    before = _snapshot(s.school)
    teacher = client_for(muni, s.teachers["国語"].user)
    outsider = client_for(muni, Staff.objects.get(user_id=other.by.user_id).user)
    body = {"settings": {"double_not_first": False, "spread_two_period": False}}
    for client in (teacher, outsider):
        assert client.get(f"{API}/{s.school.pk}/?year=2026").status_code in (403, 404)
        put = client.put(f"{API}/{s.school.pk}/", body, content_type="application/json")
        assert put.status_code in (403, 404)
    assert _snapshot(s.school) == before
    # the outsider's own school cannot name this school's assignments or teachers
    science = DoublePeriod.objects.filter(assignment__school=s.school).first().assignment_id
    mine = outsider.put(
        f"{API}/{other.school.pk}/",
        {"doubles": [{"assignment": science, "per_week": 0}]},
        content_type="application/json",
    )
    assert mine.status_code == 400
    assert _snapshot(s.school) == before
