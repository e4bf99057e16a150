"""児童生徒の検索 (variant kanji, kana, roll numbers, read scope) and the pupil's page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools import calendar, search
from schools.models import Enrolment, Student
from tests import factories as f
from tests.attendance.helpers import D
from tests.attendance.helpers import save as save_marks
from tests.gradebook.test_services import save as save_scores

PEOPLE = [
    ("𠮷田　太郎", "よしだ たろう"),
    ("髙橋 花子", "タカハシ ハナコ"),
    ("山﨑 一郎", "やまさき いちろう"),
    ("渡邉 次郎", "わたなべ じろう"),
    ("吉田 三郎", "よしだ さぶろう"),
]


def enrol(classroom, people, start=1) -> list[Student]:
    made = []
    for roll, (name, kana) in enumerate(people, start=start):
        student = Student.objects.create(name=name, kana=kana)
        Enrolment.objects.create(
            student=student,
            classroom=classroom,
            school=classroom.school,
            school_year=classroom.school_year,
            grade=classroom.grade,
            roll_number=roll,
            enrolled_on=classroom.school_year.start,
        )
        made.append(student)
    return made


def names(client, q: str) -> list[str]:
    html = client.get("/roster/students/search/", {"q": q}).content.decode()
    return re.findall(r'<td><a href="/roster/students/\d+/">([^<]+)</a>', html)


def test_search_key_folds_variants_kana_and_width():
    assert search.search_key("𠮷田　太郎") == search.search_key("吉田太郎")
    assert search.search_key("髙橋") == search.search_key("高橋")
    assert search.search_key("山﨑") == search.search_key("山崎")
    assert search.search_key("渡邉") == search.search_key("渡辺") == search.search_key("渡邊")
    assert (
        search.search_key("ﾀｶﾊｼ") == search.search_key("たかはし") == search.search_key("タカハシ")
    )
    assert search.search_key("ＡＢＣ１") == "abc1"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("吉田", {"𠮷田　太郎", "吉田 三郎"}),
        ("𠮷田", {"𠮷田　太郎", "吉田 三郎"}),
        ("高橋", {"髙橋 花子"}),
        ("たかはし", {"髙橋 花子"}),
        ("ﾀｶﾊｼ", {"髙橋 花子"}),
        ("山崎", {"山﨑 一郎"}),
        ("渡辺", {"渡邉 次郎"}),
        ("ワタナベ", {"渡邉 次郎"}),
        ("よしだ 太郎", {"𠮷田　太郎"}),
        ("2", {"髙橋 花子"}),
        ("１ よしだ", {"𠮷田　太郎"}),
        ("さぶろう", {"吉田 三郎"}),
        ("存在しない", set()),
    ],
)
def test_staff_find_pupils_by_name_kana_and_roll_number(muni, client_for, query, expected):
    year = f.school_year()
    school = f.school()
    classroom = f.classroom(school, year, grade=3)
    enrol(classroom, PEOPLE)
    teacher = f.homeroom_teacher(classroom).user
    assert set(names(client_for(muni, teacher), query)) == expected


def test_another_schools_pupils_never_appear(muni, client_for, boe_admin):
    year = f.school_year()
    mine, theirs = f.school(), f.school()
    enrol(f.classroom(mine, year, grade=1), PEOPLE[:1])
    enrol(f.classroom(theirs, year, grade=1), [("𠮷田 花", "よしだ はな")])
    admin = f.school_admin(mine, year).user
    client = client_for(muni, admin)
    assert names(client, "よしだ") == ["𠮷田　太郎"]
    api = client.get("/api/v1/roster/students/search/", {"q": "吉田"}).json()
    assert [r["name"] for r in api] == ["𠮷田　太郎"] and api[0]["roll_number"] == 1
    assert api[0]["school"] == mine.pk
    board = client_for(muni, boe_admin)
    assert set(names(board, "よしだ")) == {"𠮷田　太郎", "𠮷田 花"}
    # No role, no search.
    assert client_for(muni, f.staff().user).get("/roster/students/search/?q=a").status_code == 403


def test_search_costs_constant_queries(muni, client_for):
    year = f.school_year()
    school = f.school()
    classroom = f.classroom(school, year, grade=2)
    teacher = f.homeroom_teacher(classroom).user
    client = client_for(muni, teacher)
    enrol(classroom, PEOPLE[:2])
    names(client, "せいと")
    with CaptureQueriesContext(connection) as few:
        names(client, "た")
    enrol(classroom, [(f"生徒 {i}号", f"せいと {i:03d}") for i in range(20)], start=10)
    with CaptureQueriesContext(connection) as many:
        found = names(client, "せいと")
    assert len(found) == 20
    assert len(many) == len(few)


def test_the_page_has_a_search_box_with_a_shortcut(muni, client_for):
    classroom = f.classroom(f.school(), f.school_year(), grade=1)
    teacher = f.homeroom_teacher(classroom).user
    html = client_for(muni, teacher).get("/roster/students/search/").content.decode()
    assert 'name="q"' in html and 'data-shortcut="/"' in html and "autofocus" in html
    home = client_for(muni, teacher).get("/").content.decode()
    assert 'class="navsearch"' in home  # the menu's box on every page


def test_student_page_shows_this_years_attendance_and_grades(muni, client_for):
    setup = f.gradebook_class(students=3)
    save_scores(setup, {(0, 0): "80", (0, 1): "18", (0, 2): "9"})
    student = setup.students[0]
    enrolment = setup.enrolments[0]
    calendar.rebuild_calendar(setup.school, setup.classroom.school_year)
    save_marks(setup.admin.user, setup.classroom, D(2026, 6, 1), {enrolment.pk: "sick"})
    client = client_for(muni, setup.homeroom.user)
    url = f"/roster/students/{student.pk}/"
    html = client.get(url).content.decode()
    assert "今年度の出欠" in html and "現在" in html and "欠席日数" in html
    assert f"/attendance/class/{setup.classroom.pk}/register/" in html
    assert "今年度の成績（学期別）" in html and setup.subject.name in html
    card = f"/grades/classes/{setup.classroom.pk}/terms/{setup.term.pk}/students/{student.pk}/report-card/"
    assert card in html
    assert client.get(card).status_code == 200
    # The same number of queries for a bigger class.
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    enrol(setup.classroom, [(f"生徒 {i}号", f"せいと {i:03d}") for i in range(25)], start=10)
    with CaptureQueriesContext(connection) as big:
        client.get(url)
    assert len(big) == len(small)
