"""Subjects and standard hours adjusted per municipality and school: the board's table, a
school's own subjects (a module counted in fractions), the grid and the tally using them."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schools.models import AuditEvent, Subject
from schools.permissions import actor_for_user
from tests import factories as f
from tests.timetable.test_services import build
from timetable import curriculum, queries, services
from timetable.models import SchoolSubject, StandardHours

AS_OF = dt.date(2026, 7, 1)


def _warnings_about(tally, subject: str) -> list[str]:
    return [w for w in tally.warnings if f" {subject}:" in w]


def test_an_adjusted_standard_changes_the_tally_warning(muni, boe_admin):
    b = build(1)  # one first-grade class; no 図画工作 in its week
    board = actor_for_user(boe_admin)
    art = Subject.objects.get(school_type="elementary", name="図画工作")
    japanese = Subject.objects.get(school_type="elementary", name="国語")
    before = queries.hours_tally(b.school, b.year, as_of=AS_OF)
    assert _warnings_about(before, "図画工作")  # 68 hours short
    assert not _warnings_about(before, "国語")
    (row,) = before.classes
    assert row.subject("図画工作").standard == 68
    # The school cannot change the municipality's table.
    with pytest.raises(PermissionDenied):
        curriculum.save_municipal_standards(by=b.by, stage="elementary", hours={})
    count = curriculum.save_municipal_standards(
        by=board,
        stage="elementary",
        hours={
            (1, art.pk): "0",  # 特別の教育課程: not taught in grade 1
            (1, japanese.pk): "1000",
            (2, japanese.pk): "315",  # the national value: no row
            (3, japanese.pk): "",
        },
    )
    assert count == 2
    assert StandardHours.objects.filter(school__isnull=True).count() == 2
    after = queries.hours_tally(b.school, b.year, as_of=AS_OF)
    assert not _warnings_about(after, "図画工作")
    assert _warnings_about(after, "国語")
    (row,) = after.classes
    assert row.subject("国語").standard == 1000
    assert row.subject("図画工作") is None
    assert AuditEvent.objects.filter(action="timetable.standard_hours.set").count() == 1
    with pytest.raises(ValidationError):
        curriculum.save_municipal_standards(
            by=board, stage="elementary", hours={(1, japanese.pk): "たくさん"}
        )
    # Saving the table again without the cells goes back to the national values.
    curriculum.save_municipal_standards(by=board, stage="elementary", hours={})
    assert queries.hours_tally(b.school, b.year, as_of=AS_OF).classes[0].subject(
        "国語"
    ).standard == (306)


def test_a_school_subject_appears_in_the_grid_and_the_tally(muni):
    b = build(1)
    other = f.school()
    own = curriculum.save_school_subject(
        by=b.by, school=b.school, name="朝のモジュール", hours={1: "35", 2: ""}
    )
    with pytest.raises(ValidationError, match="国の教科"):
        curriculum.save_school_subject(by=b.by, school=b.school, name="国語", hours={})
    with pytest.raises(PermissionDenied):
        curriculum.save_school_subject(
            by=b.by, school=other, name="朝のモジュール", hours={1: "35"}
        )
    names = [s.name for s in curriculum.subjects_of(b.school)]
    assert "朝のモジュール" in names and names[-1] == "朝のモジュール"
    assert "朝のモジュール" not in [s.name for s in curriculum.subjects_of(other)]
    # A 15-minute module on Friday's sixth period: a third of an elementary hour each week.
    classroom = b.classes[0]
    week = [
        {
            "weekday": x.weekday,
            "period": x.period,
            "subject": x.subject_id,
            "teachers": [t.pk for t in x.teachers.all()],
            "room": x.room_id,
        }
        for x in b.timetable.lessons.filter(classroom=classroom).prefetch_related("teachers")
        if (x.weekday, x.period) != (4, 6)
    ]
    week.append(
        {
            "weekday": 4,
            "period": 6,
            "subject": own.subject_id,
            "teachers": [b.homerooms[0].pk],
            "minutes": 15,
        }
    )
    services.replace_class_week(by=b.by, timetable=b.timetable, classroom=classroom, lessons=week)
    grid = queries.grid(b.school, b.year, timetable=b.timetable, date=AS_OF)
    (friday,) = grid.rows[0].cells[(4, 6)]
    assert friday.subject.name == "朝のモジュール" and friday.minutes == 15
    assert "朝のモジュール" in [s.name for s in grid.subjects]  # offered in the editor
    tally = queries.hours_tally(b.school, b.year, as_of=AS_OF)
    module = tally.classes[0].subject("朝のモジュール")
    assert module is not None and module.standard == 35
    # Counted in thirds: the 13 Fridays from April to June make 13/3 hours, not 13.
    assert module.held == Fraction(13, 3)
    assert (module.planned * 3).denominator == 1 and module.planned < Fraction(53, 3)
    # In use: not removable; the hours of grade 1 can change.
    with pytest.raises(ValidationError, match="使われている"):
        curriculum.delete_school_subject(own, by=b.by)
    curriculum.save_school_subject(by=b.by, school=b.school, name="", hours={1: "30"}, own=own)
    assert (
        queries.hours_tally(b.school, b.year, as_of=AS_OF)
        .classes[0]
        .subject("朝のモジュール")
        .standard
        == 30
    )
    # Unused: removed with its Subject row.
    spare = curriculum.save_school_subject(by=b.by, school=b.school, name="選択A", hours={1: "10"})
    curriculum.delete_school_subject(spare, by=b.by)
    assert not SchoolSubject.objects.filter(subject__name="選択A").exists()
    assert not Subject.objects.filter(name="選択A").exists()


def test_pages_for_the_board_and_the_school(muni, client_for, boe_admin):
    b = build(1)
    board = client_for(muni, boe_admin)
    admin = client_for(muni, b.admin.user)
    teacher = client_for(muni, b.homerooms[0].user)
    japanese = Subject.objects.get(school_type="elementary", name="国語")
    page = board.get("/timetable/standards/")
    assert page.status_code == 200 and "標準授業時数の調整" in page.content.decode()
    assert 'placeholder="306"' in page.content.decode()
    response = board.post(
        "/timetable/standards/", {"stage": "elementary", f"h-1-{japanese.pk}": "320"}
    )
    assert response.status_code == 302
    assert StandardHours.objects.get(school__isnull=True).hours == 320
    assert 'value="320"' in board.get("/timetable/standards/").content.decode()
    assert board.post("/timetable/standards/", {"stage": "x", "h-1-1": "y"}).status_code == 302
    assert admin.get("/timetable/standards/").status_code == 403
    url = f"/timetable/schools/{b.school.pk}/subjects/"
    response = admin.post(url, {"name": "選択B", "short_name": "選B", "h-1": "12"})
    assert response.status_code == 302
    own = SchoolSubject.objects.get(school=b.school)
    assert "選択B" in admin.get(url).content.decode()
    assert "選択B" in teacher.get(url).content.decode()  # everyone of the school reads
    assert teacher.post(url, {"name": "選択C"}).status_code == 403
    assert admin.post(f"{url}{own.pk}/", {"h-1": "abc"}).status_code == 302  # an error message
    assert admin.post(f"{url}{own.pk}/", {"h-1": "20"}).status_code == 302
    assert StandardHours.objects.get(school=b.school).hours == 20
    assert admin.post(f"{url}{own.pk}/delete/").status_code == 302
    assert not SchoolSubject.objects.exists()
