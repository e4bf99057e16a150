"""The target of the isolation matrix: one class's records, marked, and the people around it.

In 富士吉田市 (``muni``): school A with class A1 (1年1組, a junior high: 数学 and 国語), its
homeroom teacher, 数学 teacher and principal; class A2 of the same school with its own
homeroom teacher; school B with its own homeroom teacher; a board viewer. In 遠野市
(``other_muni``) a board administrator. Every free text of A1's records carries a unique
marker (ASCII, so HTML and JSON escaping cannot hide it), with who may read it:

- ``STUDENT`` (names, kana), ``STAFF`` (A's teachers' names) and ``ATTENDANCE`` (mark
  notes): the school's staff and the board (every staff member reads every class of the
  school today, attendance notes included);
- ``GRADES`` (数学 assessment titles, the reason of an overridden 観点): the 数学 teacher,
  A1's homeroom teacher, A's administrators, the board;
- ``REMARKS`` (所見): A1's homeroom teacher, A's administrators, the board.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from attendance.models import Mark
from gradebook.models import Assessment, Evaluation, Finalisation, Remark, Score
from schools import calendar
from schools.accounts import services as account_services
from schools.models import Role, SchoolType
from schools.permissions import Actor
from tenants import jobs
from tenants.models import Municipality
from tests import factories as f

STUDENT, STAFF, ATTENDANCE, GRADES, REMARKS = "STUDENT", "STAFF", "ATTENDANCE", "GRADES", "REMARKS"
ALL_KINDS = frozenset({STUDENT, STAFF, ATTENDANCE, GRADES, REMARKS})

# Who must never read which kind of marker (the roles the matrix tries).
FORBIDDEN: dict[str, frozenset[str]] = {
    "anonymous": ALL_KINDS,
    "other_municipality": ALL_KINDS,  # its own session, on the target's host
    "other_municipality_own_host": ALL_KINDS,  # on its own host, with the target's ids
    "other_school_teacher": ALL_KINDS,
    "other_class_teacher": frozenset({GRADES, REMARKS}),
    "other_subject_teacher": frozenset({GRADES, REMARKS}),
    "board_viewer": frozenset(),  # reads everything; the matrix checks it writes nothing
}
ROLES = tuple(FORBIDDEN)


def marker(kind: str, n: int) -> str:
    return f"ZQX{kind}{n:02d}Q"


@dataclass
class World:
    muni: Municipality
    other_muni: Municipality
    users: dict[str, object]  # role -> user (None for anonymous)
    ids: dict[str, int]  # what a path or query parameter names -> the target's id
    markers: dict[str, str] = field(default_factory=dict)  # marker -> kind
    school_day: dt.date = dt.date(2026, 5, 12)

    def markers_forbidden_to(self, role: str) -> list[str]:
        return [m for m, kind in self.markers.items() if kind in FORBIDDEN[role]]


def build(muni: Municipality, other_muni: Municipality) -> World:
    """Build the world in ``muni``'s schema (the caller is inside it, in the test's transaction)."""
    markers: dict[str, str] = {}

    def mark(kind: str) -> str:
        text = marker(kind, sum(1 for k in markers.values() if k == kind) + 1)
        markers[text] = kind
        return text

    year = f.school_year(2026)
    school_a = f.school("標的中学校", school_type=SchoolType.JUNIOR_HIGH)
    school_b = f.school("他校中学校", school_type=SchoolType.JUNIOR_HIGH)
    a1 = f.classroom(school_a, year, grade=1, name="1組")
    a2 = f.classroom(school_a, year, grade=1, name="2組")
    b1 = f.classroom(school_b, year, grade=1, name="1組")
    math = f.subject(SchoolType.JUNIOR_HIGH, "数学")
    japanese = f.subject(SchoolType.JUNIOR_HIGH, "国語")
    term = f.term(school_a, year)
    f.term(school_b, year)
    calendar.rebuild_calendar(school_a, year)
    board = Actor.system("world")
    vacation = calendar.add_vacation(
        school_a,
        year,
        by=board,
        name="夏季休業",
        start=dt.date(2026, 7, 21),
        end=dt.date(2026, 8, 31),
    )
    override = calendar.set_override(
        school_a, year, by=board, date=dt.date(2026, 6, 13), is_school_day=True, note="土曜授業"
    )
    closure = calendar.add_closure(
        school_a,
        year,
        by=board,
        kind="class",
        classroom=a2,
        start=dt.date(2026, 6, 15),
        end=dt.date(2026, 6, 16),
        reason="学級閉鎖",
    )

    enrolments = f.students(a1, 3)
    for enrolment in enrolments:
        student = enrolment.student
        student.name = f"生徒 {mark(STUDENT)}"
        student.kana = f"せいと {mark(STUDENT)}"
        student.save(update_fields=["name", "kana"])
    f.students(a2, 1)
    f.students(b1, 1)

    homeroom = f.staff(name=f"担任 {mark(STAFF)}")
    f.give_role(homeroom, Role.HOMEROOM, classroom=a1)
    math_teacher = f.staff(name=f"数学 {mark(STAFF)}")
    f.give_role(math_teacher, Role.SUBJECT, classroom=a1, subject=math)
    principal = f.school_admin(school_a, year)
    japanese_teacher = f.staff(name="国語担当")
    f.give_role(japanese_teacher, Role.SUBJECT, classroom=a1, subject=japanese)
    other_class = f.staff(name="隣の組の担任")
    f.give_role(other_class, Role.HOMEROOM, classroom=a2)
    other_school = f.staff(name="他校の担任")
    f.give_role(other_school, Role.HOMEROOM, classroom=b1)
    viewer = f.staff(name="教委 閲覧者")
    f.give_role(viewer, Role.BOE_VIEWER)

    day = dt.date(2026, 5, 12)
    Mark.objects.create(enrolment=enrolments[0], date=day, code="absent", note=mark(ATTENDANCE))
    assessments = []
    for n in range(2):
        assessments.append(
            Assessment.objects.create(
                classroom=a1,
                subject=math,
                term=term,
                title=f"小テスト {mark(GRADES)}",
                date=term.start + dt.timedelta(days=n + 3),
                max_points=Decimal(100),
                weight_knowledge=1,
                sort_order=n + 1,
            )
        )
    for enrolment in enrolments:
        Score.objects.create(assessment=assessments[0], student=enrolment.student, points=80)
    Evaluation.objects.create(
        student=enrolments[0].student,
        classroom=a1,
        subject=math,
        term=term,
        override_knowledge="A",
        override_reason=f"理由 {mark(GRADES)}",
    )
    finalisation = Finalisation.objects.create(term=term, classroom=a2)
    remark = Remark.objects.create(student=enrolments[0].student, term=term, text=mark(REMARKS))

    User = get_user_model()
    with schema_context(other_muni.schema_name):
        other_admin = User.objects.get(username="boe-admin")
    role_assignment = homeroom.roles.get()
    # The homeroom teacher's own API token and job: nobody else may revoke or follow them.
    token, _ = account_services.create_token(homeroom.user, name=mark(STAFF), days=30)
    job = jobs.enqueue(
        "jobs.selfcheck",
        requested_by_id=homeroom.user.pk,
        requested_by_name=homeroom.name,
        params={},
    )
    # The target school's timetable: a room, a bell schedule and a date using it, a group,
    # a weekly timetable with the math lesson, and a daily change of it.
    from schools.models import Subject, TeachingAssignment, TeachingGroup
    from timetable.models import BellSchedule, BellScheduleDay, DailyChange, Lesson, Room, Timetable

    room = Room.objects.create(school=school_a, name="理科室")
    bells = BellSchedule.objects.create(school=school_a, school_year=year, name="通常")
    bell_day = BellScheduleDay.objects.create(school=school_a, date=day, schedule=bells)
    group = TeachingGroup.objects.create(
        school=school_a, school_year=year, kind=TeachingGroup.Kind.COMBINED, name="1年合同"
    )
    group.classes.set([a1, a2])
    timetable = Timetable.objects.create(
        school=school_a, school_year=year, valid_from=dt.date(2026, 4, 1)
    )
    lesson = Lesson.objects.create(
        timetable=timetable, weekday=day.weekday(), period=1, classroom=a1, subject=math, room=room
    )
    lesson.teachers.set([math_teacher])
    change = DailyChange.objects.create(
        school=school_a, date=day, kind=DailyChange.Kind.CANCEL, lesson=lesson, note="休講"
    )
    assignment = TeachingAssignment.objects.get(classroom=a1, subject=math)
    from timetable.models import SchoolSubject

    own_subject = SchoolSubject.objects.create(
        school=school_a,
        subject=Subject.objects.create(school_type=school_a.school_type, name="独自の選択A"),
    )
    # 自動作成の決まり: a weighted wish of school A (the page's only own path parameter)
    from timetable.models import SlotPreference

    preference = SlotPreference.objects.create(school=school_a, periods=[5], weight=80)
    preference.subjects.set([math])
    ids = {
        "school": school_a.pk,
        "school_id": school_a.pk,
        "classroom": a1.pk,
        "classroom_id": a1.pk,
        "class": a1.pk,
        "subject": math.pk,
        "subject_id": math.pk,
        "term": term.pk,
        "term_id": term.pk,
        "student": enrolments[0].student_id,
        "student_id": enrolments[0].student_id,
        "enrolment": enrolments[0].pk,
        "assessment": assessments[0].pk,
        "staff": homeroom.pk,
        "role": role_assignment.pk,
        "year": year.year,
        "year_pk": year.pk,
        "month": day.month,
        "remark": remark.pk,
        "finalisation": finalisation.pk,
        "token": token.pk,
        "user_id": homeroom.user.pk,
        "job_id": job.pk,
        "vacation_id": vacation.pk,
        "override_id": override.pk,
        "closure_id": closure.pk,
        "teaching": assignment.pk,
        "assignment_pk": assignment.pk,
        "staff_pk": math_teacher.pk,
        "room_pk": room.pk,
        "change_pk": change.pk,
        "own_subject_pk": own_subject.pk,
        "preference_pk": preference.pk,
        "bell-schedule": bells.pk,
        "room": room.pk,
        "assignment": assignment.pk,
        "group": group.pk,
        "group_pk": group.pk,
        "bell-day": bell_day.pk,
        "lesson": lesson.pk,
        "change": change.pk,
    }
    users = {
        "anonymous": None,
        "other_municipality": other_admin,
        "other_municipality_own_host": other_admin,
        "other_school_teacher": other_school.user,
        "other_class_teacher": other_class.user,
        "other_subject_teacher": japanese_teacher.user,
        "board_viewer": viewer.user,
        # Not matrix roles: they read every form for the fuzzer and the viewer's writes.
        "boe_admin": User.objects.get(username="boe-admin"),
        "principal": principal.user,
        "math_teacher": math_teacher.user,
        "homeroom": homeroom.user,
    }
    return World(muni, other_muni, users, ids, markers, day)
