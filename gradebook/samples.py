"""Fictional sample data for previews (the 通知表 layout editor): no real student's data,
nothing saved (unsaved model instances only)."""

from __future__ import annotations

import datetime as dt

from gradebook import rules
from gradebook.reportcards import ReportCard, SubjectLine
from schools.models import Classroom, Enrolment, School, SchoolYear, Student, Subject, Term

SAMPLE_SUBJECTS = (
    "国語",
    "社会",
    "数学",
    "理科",
    "音楽",
    "美術",
    "保健体育",
    "技術・家庭",
    "外国語",
)


def sample_card() -> ReportCard:
    """A junior high 1年 student's card of the last term (3学期: every term's 出欠 and the
    修了証), as the layout preview shows it."""
    school_year = SchoolYear(year=2026)
    school = School(name="見本市立見本中学校", school_type="junior_high")
    classroom = Classroom(school=school, school_year=school_year, grade=1, name="1組")
    student = Student(name="見本 太郎", kana="みほん たろう")
    enrolment = Enrolment(
        student=student,
        classroom=classroom,
        roll_number=1,
        grade=1,
        enrolled_on=dt.date(2026, 4, 1),
    )
    term = Term(
        school=school,
        school_year=school_year,
        number=3,
        name="3学期",
        start=dt.date(2027, 1, 8),
        end=dt.date(2027, 3, 24),
    )
    levels = dict(zip(rules.VIEWPOINTS, ["A", "B", "A"], strict=True))
    lines = [SubjectLine(Subject(name=name), dict(levels), 4, 5) for name in SAMPLE_SUBJECTS]

    def figures(days: int, absent: int, early: int) -> list[tuple[str, int]]:
        return [
            ("授業日数", days),
            ("出席停止・忌引等の日数", 0),
            ("出席しなければならない日数", days),
            ("欠席日数", absent),
            ("出席日数", days - absent),
            ("遅刻", 0),
            ("早退", early),
        ]

    return ReportCard(
        school=school,
        classroom=classroom,
        term=term,
        enrolment=enrolment,
        subjects=lines,
        attendance=figures(49, 1, 0),
        remark="見本の所見です。学習に粘り強く取り組みました。",
        finalised=False,
        attendance_terms=[
            ("1学期", figures(70, 1, 1)),
            ("2学期", figures(78, 0, 0)),
            ("3学期", figures(49, 1, 0)),
        ],
        attendance_total=figures(197, 2, 1),
        last_term=True,
    )
