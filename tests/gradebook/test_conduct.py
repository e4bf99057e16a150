"""Issue 9: 行動の記録・特別活動 (○ per item) and 外国語活動・総合 text, entered by the homeroom
teacher per class and term on one grid, printed on the 通知表."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from gradebook import services
from gradebook.models import ConductRecord
from schools.models import AuditEvent, SchoolType


def conduct_url(s):
    return reverse("gradebook:conduct", args=[s.classroom.pk, s.term.pk])


def test_the_homeroom_teacher_saves_the_grid_in_one_post(builder, client_for, muni):
    s = builder(students=3, assessments=1, school_type=SchoolType.ELEMENTARY, grade=3)
    client = client_for(muni, s.homeroom.user)
    html = client.get(conduct_url(s)).content.decode()
    # the national items, and クラブ活動 / 児童会活動 / 外国語活動 in an elementary school
    for item in ("基本的な生活習慣", "公共心・公徳心", "児童会活動", "クラブ活動", "外国語活動"):
        assert item in html
    first, second = (e.student_id for e in s.enrolments[:2])
    response = client.post(
        conduct_url(s),
        {
            f"version-{first}": "0",
            f"b-{first}-habits": "1",
            f"b-{first}-fairness": "1",
            f"s-{first}-club": "1",
            f"fl-{first}": "英語の歌を楽しみました。",
            f"is-{first}": "地域の川を調べました。",
            f"version-{second}": "0",
        },
    )
    assert response.status_code == 302
    record = ConductRecord.objects.get(student_id=first, term=s.term)
    assert record.behaviour == ["habits", "fairness"] and record.special == ["club"]
    assert record.foreign_language == "英語の歌を楽しみました。"
    assert not ConductRecord.objects.filter(student_id=second).exists()  # nothing to save
    event = AuditEvent.objects.get(action="gradebook.conduct.save")
    assert event.changes["student_ids"] == [first]
    html = client.get(conduct_url(s)).content.decode()
    assert f'name="b-{first}-habits" value="1" aria-label' in html and "checked" in html
    # unticking saves too, with the row's version
    client.post(conduct_url(s), {f"version-{first}": "1", f"is-{first}": "地域の川を調べました。"})
    record.refresh_from_db()
    assert record.behaviour == [] and record.special == [] and record.version == 2
    # the card shows the ○ and the texts
    card = reverse("gradebook:report-card", args=[s.classroom.pk, s.term.pk, first])
    client.post(conduct_url(s), {f"version-{first}": "2", f"b-{first}-service": "1"})
    html = client.get(card).content.decode()
    for text in ("行動の記録", "勤労・奉仕", "○", "特別活動の記録", "総合的な学習の時間"):
        assert text in html


def test_junior_high_has_no_club_nor_foreign_language_activity(setup, client_for, muni):
    html = client_for(muni, setup.homeroom.user).get(conduct_url(setup)).content.decode()
    assert "生徒会活動" in html and "クラブ活動" not in html and "外国語活動" not in html


def test_others_may_not_write_and_bad_input_is_refused(setup, client_for, muni):
    sid = setup.students[0].pk
    teacher = client_for(muni, setup.teacher.user)
    assert teacher.get(conduct_url(setup)).status_code == 403
    assert teacher.post(conduct_url(setup), {f"version-{sid}": "0"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.save_conduct(
            setup.classroom,
            setup.term,
            [services.ConductInput(sid, behaviour=frozenset({"habits"}))],
            by=setup.actor(setup.teacher),
        )
    by = setup.actor(setup.homeroom)
    for bad in (
        services.ConductInput(sid, special=frozenset({"club"})),  # no clubs in a junior high
        services.ConductInput(sid, integrated_study="あ" * 401),
    ):
        with pytest.raises(ValidationError):
            services.save_conduct(setup.classroom, setup.term, [bad], by=by)
    # too long a text on the page: a message, not a 500, and nothing saved
    response = client_for(muni, setup.homeroom.user).post(
        conduct_url(setup), {f"version-{sid}": "x", f"is-{sid}": "あ" * 401}
    )
    assert response.status_code == 200 and "400 文字以内" in response.content.decode()
    assert not ConductRecord.objects.exists()


def test_after_finalisation_only_the_administrator_writes(setup, client_for, muni):
    services.finalise(setup.term, setup.classroom, by=setup.actor(setup.admin))
    sid = setup.students[0].pk
    homeroom = client_for(muni, setup.homeroom.user)
    assert homeroom.post(conduct_url(setup), {f"version-{sid}": "0"}).status_code == 403
    admin = client_for(muni, setup.admin.user)
    response = admin.post(conduct_url(setup), {f"version-{sid}": "0", f"b-{sid}-health": "1"})
    assert response.status_code == 302
    assert ConductRecord.objects.get().behaviour == ["health"]
