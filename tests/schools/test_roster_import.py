"""Roster import services: preview (dry run), commit in one transaction, idempotence, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from schools.imports import ImportRefused, commit_roster_import, plan_roster_import
from schools.models import AuditEvent, Classroom, Enrolment, SchoolYear, Student
from schools.permissions import actor_for_user
from tests import factories as f
from tests.schools.roster_files import HEADER, csv_bytes, xlsx

ROWS = [
    [1, "1組", 1, "𠮷田　太郎", "ﾖｼﾀﾞ ﾀﾛｳ", "男", "2019/5/3", "S0001"],
    [1, "1組", 2, "髙橋 花子", "タカハシ　ハナコ", "女", "令和元年6月1日", "S0002"],
    [1, "2", 1, "𡈽屋 一郎", "つちや いちろう", "男", "R1.7.8", ""],
]


@pytest.fixture
def classes(classroom, school, year):
    return [classroom, f.classroom(school, year, grade=1, name="2組")]


@pytest.fixture
def actor(principal):
    return actor_for_user(principal)


def commit(principal, actor, school, year, data, **kw):
    return commit_roster_import(school, year, data, by=actor, filename="名簿.xlsx", **kw)


def test_preview_writes_nothing_and_sorts_rows(school, year, classes):
    plan = plan_roster_import(school, year, xlsx(ROWS), filename="名簿.xlsx")
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts() == {
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "rejected": 0,
        "new_classes": 0,
    }
    assert not Student.objects.exists()
    assert not Enrolment.objects.exists()


def test_commit_creates_students_enrolments_and_one_audit_record(
    school, year, classes, principal, actor
):
    plan = commit(principal, actor, school, year, xlsx(ROWS))
    assert plan.counts()["create"] == 3
    yoshida = Student.objects.get(student_number="S0001")
    # Names exactly as written (no NFKC: 𠮷 and 髙 survive), kana folded to hiragana.
    assert yoshida.name == "𠮷田　太郎"
    assert yoshida.kana == "よしだ たろう"
    assert yoshida.sex == "M"
    assert yoshida.birth_date == dt.date(2019, 5, 3)
    assert Student.objects.get(name="髙橋 花子").kana == "たかはし\u3000はなこ"
    tsuchiya = Student.objects.get(name="𡈽屋 一郎")
    assert tsuchiya.student_number is None
    placed = Enrolment.objects.get(student=tsuchiya)
    assert (placed.classroom, placed.roll_number, placed.grade) == (classes[1], 1, 1)
    assert placed.enrolled_on == year.start
    event = AuditEvent.objects.get(action="schools.roster.import")
    assert event.school == school
    assert event.changes["created"] == 3
    assert event.actor == principal


def test_same_file_twice_changes_nothing(school, year, classes, principal, actor):
    data = xlsx(ROWS)
    commit(principal, actor, school, year, data)
    before = list(Enrolment.objects.values_list("id", "student_id", "classroom_id", "roll_number"))
    plan = commit(principal, actor, school, year, data)
    assert plan.counts()["unchanged"] == 3
    assert plan.counts()["create"] == plan.counts()["update"] == 0
    assert Student.objects.count() == 3
    after = list(Enrolment.objects.values_list("id", "student_id", "classroom_id", "roll_number"))
    assert sorted(after) == sorted(before)


def test_update_matches_by_number_then_by_name_and_birth_date(
    school, year, classes, principal, actor
):
    commit(principal, actor, school, year, xlsx(ROWS))
    changed = [
        # kana corrected, same 学籍番号
        [1, "1組", 1, "𠮷田　太郎", "よした たろう", "男", "2019/5/3", "S0001"],
        [1, "1組", 2, "髙橋 花子", "たかはし はなこ", "女", "2019/6/1", "S0002"],
        # no number before: matched by name (spaces ignored) + birth date, gets a number now
        [1, "2組", 1, "𡈽屋　一郎", "つちや いちろう", "男", "2019/7/8", "S0003"],
    ]
    plan = plan_roster_import(school, year, xlsx(changed))
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["update"] == 3
    texts = {p.values["name"]: p.changes_text() for p in plan.to_update}
    assert "ふりがな: よしだ たろう → よした たろう" in texts["𠮷田　太郎"]
    commit(principal, actor, school, year, xlsx(changed))
    assert Student.objects.count() == 3
    assert Student.objects.get(birth_date=dt.date(2019, 7, 8)).student_number == "S0003"


def test_roll_numbers_can_be_swapped(school, year, classes, principal, actor):
    commit(principal, actor, school, year, xlsx(ROWS))
    swapped = [list(r) for r in ROWS]
    swapped[0][2], swapped[1][2] = 2, 1
    commit(principal, actor, school, year, xlsx(swapped))
    rolls = dict(Enrolment.objects.values_list("student__student_number", "roll_number"))
    assert rolls["S0001"] == 2 and rolls["S0002"] == 1


def test_moving_a_student_to_another_class_corrects_the_enrolment(
    school, year, classes, principal, actor
):
    commit(principal, actor, school, year, xlsx(ROWS))
    moved = [list(r) for r in ROWS]
    moved[0][1], moved[0][2] = "2組", 2
    plan = commit(principal, actor, school, year, xlsx(moved))
    assert plan.counts()["update"] == 1
    e = Enrolment.objects.get(student__student_number="S0001")
    assert (e.classroom, e.roll_number) == (classes[1], 2)
    assert Enrolment.objects.count() == 3


def test_optional_columns_missing_keep_stored_values(school, year, classes, principal, actor):
    commit(principal, actor, school, year, xlsx(ROWS))
    header = ["学年", "組", "番号", "名前", "フリガナ", "学籍番号"]
    rows = [[1, "1組", 1, "𠮷田　太郎", "よしだ たろう", "S0001"]]
    plan = commit(principal, actor, school, year, xlsx(rows, header=header))
    assert plan.counts()["unchanged"] == 1
    assert Student.objects.get(student_number="S0001").sex == "M"
    assert plan.not_in_file == 2


def test_transfer_dates(school, year, classes, principal, actor):
    header = [*HEADER, "転入日", "転出日"]
    rows = [[1, "1組", 1, "転入 花子", "てんにゅう はなこ", "女", "2019/4/5", "T1", "R8.9.1", ""]]
    commit(principal, actor, school, year, xlsx(rows, header=header))
    e = Enrolment.objects.get(student__student_number="T1")
    assert e.enrolled_on == dt.date(2026, 9, 1)
    assert e.entry == Enrolment.Entry.TRANSFER_IN
    rows[0][9] = "2027/3/1"
    commit(principal, actor, school, year, xlsx(rows, header=header))
    e.refresh_from_db()
    assert (e.left_on, e.exit) == (dt.date(2027, 3, 1), Enrolment.Exit.TRANSFER_OUT)


def errors_of(plan) -> list[str]:
    return [str(e) for e in plan.errors]


def test_unknown_class_is_refused_with_row_and_column(school, year, classes, principal, actor):
    rows = [*ROWS, [1, "9組", 1, "山田 次郎", "やまだ じろう", "男", "2019/8/1", "S0009"]]
    plan = plan_roster_import(school, year, xlsx(rows))
    assert plan.counts()["rejected"] == 1
    message = errors_of(plan)[0]
    assert "5行目" in message and "B列「組」" in message and "1年9組" in message
    with pytest.raises(ImportRefused):
        commit(principal, actor, school, year, xlsx(rows))
    assert not Student.objects.exists()
    assert not AuditEvent.objects.filter(action="schools.roster.import").exists()


def test_unknown_class_created_when_asked(school, year, classes, principal, actor):
    rows = [[2, "3組", 1, "山田 次郎", "やまだ じろう", "男", "2018/8/1", "S0009"]]
    plan = commit(principal, actor, school, year, xlsx(rows), create_classes=True)
    assert plan.new_classes == [(2, "3組")]
    created = Classroom.objects.get(school=school, school_year=year, grade=2, name="3組")
    assert Enrolment.objects.get(student__student_number="S0009").classroom == created


def test_duplicate_roll_numbers_in_a_class_are_refused(school, year, classes):
    rows = [*ROWS, [1, "１", 1, "山田 次郎", "やまだ じろう", "男", "2019/8/1", "S0009"]]
    plan = plan_roster_import(school, year, xlsx(rows))
    messages = errors_of(plan)
    assert len(messages) == 2  # both rows are named
    assert all("出席番号1が" in m and "重複" in m for m in messages)
    assert "2行目" in messages[0] and "5行目" in messages[1]


def test_roll_number_taken_by_a_student_not_in_the_file(school, year, classes):
    f.students(classes[0], 1)  # roll number 1 of 1組 is taken
    plan = plan_roster_import(school, year, xlsx(ROWS[:1]))
    assert "ファイルにない" in errors_of(plan)[0]


def test_impossible_dates_and_every_error_collected(school, year, classes):
    rows = [
        [1, "1組", 1, "山田 一", "やまだ はじめ", "男", "2019/2/30", "A1"],
        [1, "1組", 2, "山田 二", "山田", "不明", "平成31年5月1日", "A2"],
        [1, "1組", 3, "", "やまだ", "男", "2019/4/5", "A3"],
        [7, "1組", 4, "山田 四", "やまだ よん", "男", "2019/4/5", "A4"],
    ]
    plan = plan_roster_import(school, year, xlsx(rows))
    messages = errors_of(plan)
    assert any("2行目" in m and "G列「生年月日」" in m and "存在しない日付" in m for m in messages)
    assert any("3行目" in m and "ふりがな" in m for m in messages)
    assert any("3行目" in m and "F列「性別」" in m for m in messages)
    assert any("3行目" in m and "平成にない日付" in m for m in messages)
    assert any("4行目" in m and "氏名を入力してください" in m for m in messages)
    assert any("5行目" in m and "学年は1〜6" in m for m in messages)
    assert plan.counts()["rejected"] == 4


def test_student_enrolled_at_another_school_is_refused(school, other_school, year, classes):
    elsewhere = f.classroom(other_school, year, grade=1, name="1組")
    enrolment = f.students(elsewhere, 1)[0]
    s = enrolment.student
    rows = [[1, "1組", 5, s.name, s.kana, "男", s.birth_date, s.student_number]]
    plan = plan_roster_import(school, year, xlsx(rows))
    assert "北小学校" in errors_of(plan)[0] and "転出" in errors_of(plan)[0]


def test_row_needs_number_or_birth_date(school, year, classes):
    rows = [[1, "1組", 1, "山田 一", "やまだ はじめ", "男", "", ""]]
    plan = plan_roster_import(school, year, xlsx(rows))
    assert "学籍番号か生年月日" in errors_of(plan)[0]


def test_archived_year_is_read_only(school, principal, actor):
    old = f.school_year(2020, state=SchoolYear.State.ARCHIVED)
    f.classroom(school, old, grade=1, name="1組")
    plan = plan_roster_import(school, old, xlsx(ROWS[:1]))
    assert "過年度" in errors_of(plan)[0]


def test_csv_in_shift_jis_is_read(school, year, classes, principal, actor):
    data = csv_bytes(
        [[1, "1組", 1, "髙橋 花子", "ﾀｶﾊｼ ﾊﾅｺ", "女", "R1.6.1", "S0002"]], encoding="cp932"
    )
    commit(principal, actor, school, year, data)
    assert Student.objects.get(student_number="S0002").kana == "たかはし はなこ"


def test_teacher_cannot_commit(school, year, classes, teacher):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        commit(teacher, actor_for_user(teacher), school, year, xlsx(ROWS))
    assert not Student.objects.exists()


def test_changed_since_preview_is_refused(school, year, classes, principal, actor):
    data = xlsx(ROWS)
    fingerprint = plan_roster_import(school, year, data).fingerprint()
    commit(principal, actor, school, year, xlsx(ROWS[:1]))  # someone imports meanwhile
    with pytest.raises(ImportRefused, match="もう一度"):
        commit(principal, actor, school, year, data, expected_fingerprint=fingerprint)


def test_special_needs_class_mixes_grades(school, year, classes, principal, actor):
    himawari = f.classroom(school, year, grade=None, name="ひまわり学級", is_special_needs=True)
    rows = [
        [2, "ひまわり学級", 1, "山田 二郎", "やまだ じろう", "男", "2018/6/1", "H001"],
        [4, "ひまわり", 2, "山田 四郎", "やまだ しろう", "男", "2016/6/1", "H002"],
    ]
    plan = plan_roster_import(school, year, xlsx(rows))
    assert "ひまわり" in str(plan.errors[0])  # the class is named in full
    rows[1][1] = "ひまわり学級"
    commit(principal, actor, school, year, xlsx(rows))
    placed = Enrolment.objects.filter(classroom=himawari).order_by("roll_number")
    assert [(e.grade, e.roll_number) for e in placed] == [(2, 1), (4, 2)]


def test_leaving_before_the_stored_enrolment_start_is_refused(
    school, year, classes, principal, actor
):
    header = [*HEADER, "転入日", "転出日"]
    rows = [[1, "1組", 1, "転入 花子", "てんにゅう はなこ", "女", "2019/4/5", "T1", "2026/9/1", ""]]
    commit(principal, actor, school, year, xlsx(rows, header=header))
    rows[0][8], rows[0][9] = "", "2026/6/1"  # before the stored 転入日 (2026/9/1)
    plan = plan_roster_import(school, year, xlsx(rows, header=header))
    assert "在籍開始日（2026/9/1）より前" in errors_of(plan)[0]


def test_a_file_without_number_and_birth_date_columns_is_refused(school, year, classes):
    header = ["学年", "組", "出席番号", "氏名", "ふりがな"]
    plan = plan_roster_import(school, year, xlsx([[1, "1組", 1, "山田", "やまだ"]], header=header))
    assert plan.result is None
    assert "「学籍番号」か「生年月日」の列が必要です" in errors_of(plan)[0]


def test_one_message_per_bad_cell(school, year, classes):
    rows = [[1, "1組", 1, "山田 一", "やまだ はじめ", "男", "2019/2/30", ""]]
    messages = errors_of(plan_roster_import(school, year, xlsx(rows)))
    assert len(messages) == 1 and "存在しない日付" in messages[0]


def test_roll_number_kept_by_a_closed_enrolment(school, year, classes, principal, actor):
    commit(principal, actor, school, year, xlsx(ROWS))
    # 𠮷田 changed class during the year: 1組 #1 is closed, 2組 #2 is current.
    e = Enrolment.objects.get(student__student_number="S0001")
    Enrolment.objects.filter(pk=e.pk).update(
        left_on=dt.date(2026, 6, 30), exit=Enrolment.Exit.CLASS_CHANGE
    )
    Enrolment.objects.create(
        student=e.student,
        classroom=classes[1],
        school=school,
        school_year=year,
        grade=1,
        roll_number=2,
        enrolled_on=dt.date(2026, 7, 1),
        entry=Enrolment.Entry.CLASS_CHANGE,
    )
    back = [list(r) for r in ROWS]  # the old list puts him back at 1組 #1
    plan = plan_roster_import(school, year, xlsx(back))
    assert "以前の在籍記録" in errors_of(plan)[0]
    with pytest.raises(ImportRefused):
        commit(principal, actor, school, year, xlsx(back))


def _rows(n: int, start: int = 0) -> list[list]:
    return [
        [1, "1組", i + 1, f"生徒 {start + i}", "せいと", "女", "2019/5/1", f"Q{start + i:05d}"]
        for i in range(n)
    ]


def test_preview_and_commit_cost_the_same_queries_for_5_and_40_rows(
    school, year, classes, principal, actor
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n, start in ((5, 0), (40, 100)):
        Enrolment.objects.all().delete()
        data = xlsx(_rows(n, start))
        with CaptureQueriesContext(connection) as preview:
            plan_roster_import(school, year, data)
        with CaptureQueriesContext(connection) as written:
            commit(principal, actor, school, year, data)
        counts.append((len(preview.captured_queries), len(written.captured_queries)))
    assert counts[0] == counts[1]
