"""The 授業グループ and 担当 pages: an administrator creates and edits groups and assignments
(teachers, TT, weekly periods) in the browser's forms; a teacher reads; bad input is refused."""

from __future__ import annotations

import pytest

from schools.models import TeachingAssignment, TeachingGroup
from tests import factories as f
from tests.timetable.test_services import build

pytestmark = pytest.mark.django_db


def test_admin_creates_and_edits_a_group(muni, client_for):
    b = build(2)
    admin = client_for(muni, b.admin.user)
    url = f"/timetable/schools/{b.school.pk}/groups/?year=2026"
    page = admin.get(url).content.decode()
    assert "授業グループ" in page and "合同" in page and "1年1組" in page
    pupil = f.students(b.classes[0], 1)[0].student
    response = admin.post(
        url, {"name": "1・2年 体育", "kind": "combined", "classes": [c.pk for c in b.classes]}
    )
    assert response.status_code == 302
    group = TeachingGroup.objects.get(name="1・2年 体育")
    assert {c.pk for c in group.classes.all()} == {c.pk for c in b.classes}
    edit = admin.get(f"{url}&group={group.pk}").content.decode()
    assert 'value="1・2年 体育"' in edit and pupil.name in edit
    admin.post(
        url,
        {"group": group.pk, "name": "算数 少人数", "kind": "split", "students": [pupil.pk]},
    )
    group.refresh_from_db()
    assert group.kind == "split" and list(group.students.all()) == [pupil]
    assert not group.classes.exists()
    admin.post(url, {"name": "", "kind": "combined"})  # refused with a message
    assert TeachingGroup.objects.count() == 1
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.get(url).status_code == 200
    assert teacher.post(url, {"name": "x", "kind": "combined"}).status_code == 403
    assert admin.post(url, {"group": 999999, "name": "x", "kind": "split"}).status_code == 404
    delete = f"/timetable/schools/{b.school.pk}/groups/{group.pk}/delete/"
    assert admin.post(delete).status_code == 302
    assert not TeachingGroup.objects.exists()


def test_admin_sets_teachers_and_periods_of_a_class_subject(muni, client_for):
    b = build(1)
    admin = client_for(muni, b.admin.user)
    science = f.subject(name="理科")
    save = f"/timetable/schools/{b.school.pk}/assignments/save/?year=2026"
    body = {
        "target": f"c-{b.classes[0].pk}",
        "subject": science.pk,
        "teachers": [b.music.pk, b.homerooms[0].pk],
        "weekly_periods": "3",
    }
    assert admin.post(save, body).status_code == 302
    a = TeachingAssignment.objects.get(classroom=b.classes[0], subject=science)
    assert {t.pk for t in a.teachers.all()} == {b.music.pk, b.homerooms[0].pk}  # TT
    assert str(a.weekly_periods) == "3.00"
    page = admin.get(f"/timetable/schools/{b.school.pk}/assignments/?year=2026").content.decode()
    assert f'id="asf-{a.pk}"' in page and "担当を追加・変更" in page
    admin.post(save, {**body, "teachers": [b.music.pk, ""], "weekly_periods": "1/3"})
    a.refresh_from_db()
    assert [t.pk for t in a.teachers.all()] == [b.music.pk] and str(a.weekly_periods) == "0.33"
    admin.post(save, {**body, "weekly_periods": "99"})  # refused: 0〜40
    a.refresh_from_db()
    assert str(a.weekly_periods) == "0.33"
    assert admin.post(save, {**body, "target": "c-999999"}).status_code == 302
    assert admin.post(save, {**body, "target": "zz"}).status_code == 302
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.post(save, body).status_code == 403
    read = teacher.get(f"/timetable/schools/{b.school.pk}/assignments/").content.decode()
    assert "担当を追加・変更" not in read and "理科" in read
    delete = f"/timetable/schools/{b.school.pk}/assignments/{a.pk}/delete/?year=2026"
    assert admin.post(delete).status_code == 302
    assert not TeachingAssignment.objects.filter(pk=a.pk).exists()
