"""Roster services: each write and each refusal (nothing written, Japanese message)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from schools import services
from schools.models import AuditEvent, Enrolment, Role, School, SchoolYear, Student, Term
from schools.permissions import actor_for_user
from tests import factories as f

D = dt.date


def test_mext_code_rules():
    assert services.mext_code_error("B119210000010", "elementary") is None
    assert services.mext_code_error("C219210000010", "compulsory") is None
    assert "13桁" in services.mext_code_error("B11921", "elementary")
    assert "B1" in services.mext_code_error("C119210000010", "elementary")
    assert "都道府県" in services.mext_code_error("B199210000010", "elementary")
    assert "設置区分" in services.mext_code_error("B119910000010", "elementary")
    assert "英大文字" in services.mext_code_error("b119210000010", "elementary")


def test_create_school_validates_and_audits(muni, boe_admin):
    school = services.create_school(
        by=actor_for_user(boe_admin),
        name="明見小学校",
        school_type="elementary",
        mext_code="b119210000037",
    )
    assert school.mext_code == "B119210000037"
    assert AuditEvent.objects.filter(
        action="schools.school.create", target_id=str(school.pk)
    ).exists()
    with pytest.raises(ValidationError) as exc:
        services.create_school(
            by=actor_for_user(boe_admin),
            name="重複",
            school_type="elementary",
            mext_code="B119210000037",
        )
    assert "既に登録" in str(exc.value)
    with pytest.raises(ValidationError):
        services.create_school(
            by=actor_for_user(boe_admin), name="", school_type="junior_high", mext_code="B1"
        )
    assert School.objects.count() == 1


def test_open_years_first_current_then_preparing(muni, boe_admin):
    first = services.open_school_year(by=actor_for_user(boe_admin), year=2026)
    assert first.state == SchoolYear.State.CURRENT
    assert str(first) == "令和8年度 (2026)"
    nxt = services.open_school_year(by=actor_for_user(boe_admin), year=2027)
    assert nxt.state == SchoolYear.State.PREPARING
    with pytest.raises(ValidationError, match="既に"):
        services.open_school_year(by=actor_for_user(boe_admin), year=2027)
    with pytest.raises(ValidationError, match="次に開ける"):
        services.open_school_year(by=actor_for_user(boe_admin), year=2030)


def test_term_presets_fit_the_year():
    for system in ("3", "2"):
        assert services.term_errors(services.term_preset(system, 2026), 2026) == []
    three = services.term_preset("3", 2026)
    assert [t.name for t in three] == ["1学期", "2学期", "3学期"]
    assert three[-1].end == D(2027, 3, 31)


def test_set_terms_replaces_and_refuses_overlap(school, year, boe_admin):
    services.set_terms(school, year, services.term_preset("3", 2026), by=actor_for_user(boe_admin))
    services.set_terms(school, year, services.term_preset("2", 2026), by=actor_for_user(boe_admin))
    assert list(Term.objects.filter(school=school).values_list("name", flat=True)) == [
        "前期",
        "後期",
    ]
    bad = [
        services.TermDraft("前期", D(2026, 4, 1), D(2026, 10, 10)),
        services.TermDraft("後期", D(2026, 10, 1), D(2027, 4, 5)),
    ]
    with pytest.raises(ValidationError) as exc:
        services.set_terms(school, year, bad, by=actor_for_user(boe_admin))
    text = " ".join(exc.value.messages)
    assert "重なって" in text and "期間" in text
    assert Term.objects.filter(school=school).count() == 2


def test_classroom_rules(school, year, boe_admin):
    c = services.create_classroom(
        by=actor_for_user(boe_admin), school=school, school_year=year, grade=2, name="1組"
    )
    assert c.label == "2年1組"
    special = services.create_classroom(
        by=actor_for_user(boe_admin),
        school=school,
        school_year=year,
        grade=3,
        name="なかよし学級",
        is_special_needs=True,
    )
    assert special.grade is None and special.label == "なかよし学級"
    with pytest.raises(ValidationError, match="既に"):
        services.create_classroom(
            by=actor_for_user(boe_admin), school=school, school_year=year, grade=2, name="1組"
        )
    with pytest.raises(ValidationError, match="1〜6年"):
        services.create_classroom(
            by=actor_for_user(boe_admin), school=school, school_year=year, grade=7, name="1組"
        )


def test_enrol_keeps_names_exactly_and_numbers_rolls(classroom, boe_admin):
    a = services.enrol_student(
        by=actor_for_user(boe_admin),
        classroom=classroom,
        name="𠮷田 髙志",
        kana="よしだ たかし",
        enrolled_on=D(2026, 4, 6),
    )
    b = services.enrol_student(
        by=actor_for_user(boe_admin),
        classroom=classroom,
        name="Ｓｍｉｔｈ 花",
        kana="すみす はな",
        enrolled_on=D(2026, 4, 6),
    )
    assert Student.objects.get(pk=a.student_id).name == "𠮷田 髙志"
    assert Student.objects.get(pk=b.student_id).name == "Ｓｍｉｔｈ 花"  # no NFKC
    assert (a.roll_number, b.roll_number) == (1, 2)
    with pytest.raises(ValidationError, match="出席番号 1 は既に"):
        services.enrol_student(
            by=actor_for_user(boe_admin),
            classroom=classroom,
            name="三郎",
            kana="さぶろう",
            roll_number=1,
            enrolled_on=D(2026, 4, 6),
        )
    with pytest.raises(ValidationError, match="期間"):
        services.enrol_student(
            by=actor_for_user(boe_admin),
            classroom=classroom,
            name="四郎",
            kana="しろう",
            enrolled_on=D(2027, 4, 6),
        )
    assert Student.objects.count() == 2


def test_transfer_out_leaving_day_counts(classroom, boe_admin):
    e = f.students(classroom, 1)[0]
    with pytest.raises(ValidationError, match="在籍開始日"):
        services.transfer_out(e, by=actor_for_user(boe_admin), left_on=D(2026, 3, 31))
    services.transfer_out(
        e, by=actor_for_user(boe_admin), left_on=D(2026, 9, 30), reason="甲府市へ"
    )
    e.refresh_from_db()
    assert e.exit == Enrolment.Exit.TRANSFER_OUT
    assert e.is_enrolled_on(D(2026, 9, 30)) and not e.is_enrolled_on(D(2026, 10, 1))
    with pytest.raises(ValidationError, match="既に"):
        services.transfer_out(e, by=actor_for_user(boe_admin), left_on=D(2026, 10, 1))
    event = AuditEvent.objects.get(action="schools.student.transfer_out")
    assert event.reason == "甲府市へ" and event.school_id == classroom.school_id


def test_transfer_in_to_another_class_after_leaving(school, year, classroom, boe_admin):
    e = f.students(classroom, 1)[0]
    other = f.classroom(school, year, grade=1, name="2組")
    with pytest.raises(ValidationError, match="在籍中"):
        services.place_student(
            by=actor_for_user(boe_admin),
            student=e.student,
            classroom=other,
            enrolled_on=D(2026, 5, 1),
        )
    services.transfer_out(e, by=actor_for_user(boe_admin), left_on=D(2026, 4, 30))
    placed = services.place_student(
        by=actor_for_user(boe_admin), student=e.student, classroom=other, enrolled_on=D(2026, 5, 1)
    )
    assert placed.roll_number == 1 and placed.entry == Enrolment.Entry.TRANSFER_IN


def test_roles_several_schools_and_subject_type(school, other_school, year, classroom, boe_admin):
    teacher = f.staff()
    services.assign_role(
        by=actor_for_user(boe_admin), staff=teacher, role=Role.HOMEROOM, classroom=classroom
    )
    other_class = f.classroom(other_school, year, grade=3, name="1組")
    kokugo = f.subject()
    services.assign_role(
        by=actor_for_user(boe_admin),
        staff=teacher,
        role=Role.SUBJECT,
        classroom=other_class,
        subject=kokugo,
    )
    assert teacher.roles.count() + teacher.teaching_assignments.count() == 2  # 兼務
    with pytest.raises(ValidationError, match="既に"):
        services.assign_role(
            by=actor_for_user(boe_admin), staff=teacher, role=Role.HOMEROOM, classroom=classroom
        )
    with pytest.raises(ValidationError, match="教科ではありません"):
        services.assign_role(
            by=actor_for_user(boe_admin),
            staff=teacher,
            role=Role.SUBJECT,
            classroom=classroom,
            subject=f.subject("junior_high", "数学"),
        )
    with pytest.raises(ValidationError, match="職名"):
        services.assign_role(
            by=actor_for_user(boe_admin),
            staff=teacher,
            role=Role.SCHOOL_ADMIN,
            school=school,
            school_year=year,
        )


def test_last_boe_admin_cannot_be_removed(muni, boe_admin):
    role = boe_admin.staff.roles.get(role=Role.BOE_ADMIN)
    with pytest.raises(ValidationError, match="最後"):
        services.remove_role(role, by=actor_for_user(boe_admin))


def test_archived_year_refuses_every_write(school, boe_admin):
    old = f.school_year(2024, SchoolYear.State.ARCHIVED)
    classroom = f.classroom(school, old, grade=1)
    e = f.students(classroom, 1)[0]
    teacher = f.staff()
    attempts = [
        lambda: services.create_classroom(
            by=actor_for_user(boe_admin), school=school, school_year=old, grade=2, name="1組"
        ),
        lambda: services.enrol_student(
            by=actor_for_user(boe_admin),
            classroom=classroom,
            name="新",
            kana="しん",
            enrolled_on=D(2024, 5, 1),
        ),
        lambda: services.transfer_out(e, by=actor_for_user(boe_admin), left_on=D(2024, 6, 1)),
        lambda: services.set_roll_number(e, 5, by=actor_for_user(boe_admin)),
        lambda: services.set_terms(
            school, old, services.term_preset("3", 2024), by=actor_for_user(boe_admin)
        ),
        lambda: services.assign_role(
            by=actor_for_user(boe_admin), staff=teacher, role=Role.HOMEROOM, classroom=classroom
        ),
        lambda: services.update_student(e.student, by=actor_for_user(boe_admin), name="変更"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="過年度"):
            attempt()
    e.refresh_from_db()
    assert e.left_on is None and e.roll_number == 1 and e.student.name != "変更"


def test_renumber_by_kana_unless_someone_left(classroom, boe_admin):
    people = [("渡辺 蓮", "わたなべ れん"), ("𠮷田 花", "よしだ はな"), ("阿部 凛", "あべ りん")]
    for roll, (name, kana) in enumerate(people, start=1):
        services.enrol_student(
            by=actor_for_user(boe_admin),
            classroom=classroom,
            name=name,
            kana=kana,
            roll_number=roll * 2,
            enrolled_on=D(2026, 4, 6),
        )
    assert services.renumber_by_kana(classroom, by=actor_for_user(boe_admin)) == 3
    order = classroom.enrolments.order_by("roll_number").values_list("student__name", "roll_number")
    assert list(order) == [("阿部 凛", 1), ("𠮷田 花", 2), ("渡辺 蓮", 3)]
    services.transfer_out(
        classroom.enrolments.get(roll_number=2), by=actor_for_user(boe_admin), left_on=D(2026, 5, 1)
    )
    with pytest.raises(ValidationError, match="欠番"):
        services.renumber_by_kana(classroom, by=actor_for_user(boe_admin))


def test_change_class_splits_the_enrolment(school, year, classroom, boe_admin):
    e = f.students(classroom, 1)[0]
    special = f.classroom(school, year, grade=None, name="ひまわり学級", is_special_needs=True)
    new = services.change_class(
        e, by=actor_for_user(boe_admin), classroom=special, on=D(2026, 9, 1)
    )
    e.refresh_from_db()
    assert (e.left_on, e.exit) == (D(2026, 8, 31), Enrolment.Exit.CLASS_CHANGE)
    assert (new.enrolled_on, new.entry, new.grade) == (D(2026, 9, 1), "class_change", 1)
    with pytest.raises(ValidationError, match="終了"):
        services.change_class(e, by=actor_for_user(boe_admin), classroom=special, on=D(2026, 10, 1))
    other_school_class = f.classroom(f.school(), year, grade=1)
    with pytest.raises(ValidationError, match="同じ学校"):
        services.change_class(
            new, by=actor_for_user(boe_admin), classroom=other_school_class, on=D(2026, 10, 1)
        )
