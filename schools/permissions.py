"""Who may do what: the one place every view, API viewset and export asks.

An ``Actor`` is built once per request from the user's role assignments of the
years that are not archived, and answers questions about schools, classes and
teaching assignments. Querysets are narrowed with the ``*_for`` helpers so that
a list never shows what a single-object check would refuse.

Denials raise ``PermissionDenied`` (403); where the existence of an object of
another school must not leak, callers use ``get_object_or_404`` on a queryset
narrowed here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    Term,
)

# Roles that write pupils' records (grades, attendance, remarks, the roster of a school), and
# the board's roles: never held by one account together (see Actor.require_role_grant).
RECORD_WRITING_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.HOMEROOM, Role.SUBJECT})
BOARD_ROLES = frozenset({Role.BOE_ADMIN, Role.BOE_VIEWER})


@dataclass(frozen=True)
class Actor:
    """The person (or the system) acting, with every role that matters for a decision.

    Services take it keyword-only as ``by: Actor`` and ask it themselves, so that a page and
    the API cannot disagree. ``Actor.system("seed_demo")`` acts for commands and jobs.
    """

    user_id: int | None
    username: str = ""
    system_name: str = ""
    is_boe_admin: bool = False
    is_boe_viewer: bool = False
    admin_school_ids: frozenset[int] = field(default_factory=frozenset)
    homeroom_classroom_ids: frozenset[int] = field(default_factory=frozenset)
    # (classroom_id, subject_id) pairs the person teaches (TeachingAssignment, 担当); a
    # group's assignment gives the pair for each of its classes.
    teaching: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    member_school_ids: frozenset[int] = field(default_factory=frozenset)
    # The municipality's 閲覧範囲 (``Municipality.read_scope``): True = "own classes only", a
    # teacher reads the classes they are homeroom of or teach (and those classes' students),
    # except at schools they administer. Read once in ``actor_for_user``.
    own_classes_only: bool = False
    # Elementary rule: the homeroom teacher of these classes teaches every subject of the
    # class, except the pairs in ``specialist_pairs`` (another teacher's assignment: 専科).
    all_subjects_classroom_ids: frozenset[int] = field(default_factory=frozenset)
    specialist_pairs: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    @classmethod
    def system(cls, name: str = "system", *, all_powers: bool = True) -> Actor:
        """A non-person actor (commands, demo seed, jobs): a board administrator by default."""
        return cls(user_id=None, system_name=name, is_boe_admin=all_powers)

    @property
    def is_system(self) -> bool:
        return self.user_id is None and bool(self.system_name)

    # --- municipality -----------------------------------------------------------
    @property
    def sees_whole_municipality(self) -> bool:
        return self.is_boe_admin or self.is_boe_viewer

    @property
    def can_manage_municipality(self) -> bool:
        """Schools, years, staff accounts and roles (BoE administrator)."""
        return self.is_boe_admin

    @property
    def can_read_audit_trail(self) -> bool:
        """操作記録 (the whole municipality's audit trail, and its export): the board's
        administrators."""
        return self.is_boe_admin and not self.is_system

    @property
    def can_take_all_data(self) -> bool:
        """全データの書き出し (leaving with all the data) and its import into an empty
        municipality: the board's administrators (and commands acting as the system)."""
        return self.is_boe_admin

    @property
    def has_any_role(self) -> bool:
        return self.sees_whole_municipality or bool(self.member_school_ids)

    # --- schools ----------------------------------------------------------------
    def can_view_school(self, school_id: int) -> bool:
        return self.sees_whole_municipality or school_id in self.member_school_ids

    def can_manage_school(self, school_id: int) -> bool:
        """The school's set-up: calendar, classes, roster, roll-over, settings (学校管理者 or BoE)."""
        return self.is_boe_admin or school_id in self.admin_school_ids

    def can_manage_school_records(self, school_id: int) -> bool:
        """Pupils' records of a school: attendance and grades beyond one's own class, 確定.

        The board reads and exports these but does not write them: only the school's
        administrators (校長, 副校長・教頭, 教務主任) do.
        """
        return school_id in self.admin_school_ids

    # --- classes ----------------------------------------------------------------
    @property
    def own_classroom_ids(self) -> frozenset[int]:
        """Classes the actor is homeroom of or teaches (live years)."""
        return self.homeroom_classroom_ids | {c for c, _ in self.teaching}

    def reads_whole_school(self, school_id: int) -> bool:
        """Every class of the school (the default), or — under "own classes only" — only as
        one of its administrators."""
        if self.sees_whole_municipality:
            return True
        if school_id not in self.member_school_ids:
            return False
        return not self.own_classes_only or school_id in self.admin_school_ids

    def can_view_classroom(self, classroom: Classroom) -> bool:
        return self.reads_whole_school(classroom.school_id) or (
            self.can_view_school(classroom.school_id) and classroom.pk in self.own_classroom_ids
        )

    def is_homeroom_of(self, classroom_id: int) -> bool:
        return classroom_id in self.homeroom_classroom_ids

    def can_take_attendance(self, classroom: Classroom) -> bool:
        """出欠入力: the class's 学級担任, or an administrator of its school."""
        return self.is_homeroom_of(classroom.pk) or self.can_manage_school_records(
            classroom.school_id
        )

    def teaches(self, classroom_id: int, subject_id: int) -> bool:
        """Whether the person teaches this class × subject: an assignment of theirs, or, in an
        elementary school, their own homeroom class in a subject no 専科 teaches."""
        pair = (classroom_id, subject_id)
        if pair in self.teaching:
            return True
        return classroom_id in self.all_subjects_classroom_ids and pair not in self.specialist_pairs

    def can_edit_teaching(self, classroom: Classroom, subject_id: int) -> bool:
        """Scores and evaluations of one class × subject (its teacher, or school admin)."""
        return self.teaches(classroom.pk, subject_id) or self.can_manage_school_records(
            classroom.school_id
        )

    # --- queryset narrowing -----------------------------------------------------
    def schools(self) -> QuerySet[School]:
        qs = School.objects.all()
        return qs if self.sees_whole_municipality else qs.filter(pk__in=self.member_school_ids)

    def classrooms(self) -> QuerySet[Classroom]:
        qs = Classroom.objects.select_related("school", "school_year")
        if self.sees_whole_municipality:
            return qs
        if not self.own_classes_only:
            return qs.filter(school_id__in=self.member_school_ids)
        return qs.filter(Q(school_id__in=self.admin_school_ids) | Q(pk__in=self.own_classroom_ids))

    def students(self) -> QuerySet[Student]:
        qs = Student.objects.all()
        if self.sees_whole_municipality:
            return qs
        if not self.own_classes_only:
            return qs.filter(enrolments__school_id__in=self.member_school_ids).distinct()
        # Under "own classes only": students of one's classes, and of the schools one runs.
        return qs.filter(
            Q(enrolments__school_id__in=self.admin_school_ids)
            | Q(enrolments__classroom_id__in=self.own_classroom_ids)
        ).distinct()

    # --- attendance ---------------------------------------------------------------
    # (pages and the API of attendance ask these; the calendar's services ask can_manage_school)
    def visible_school_ids(self) -> frozenset[int] | None:
        """Schools whose pupils' records the actor reads: None = every school (the board)."""
        return None if self.sees_whole_municipality else self.member_school_ids

    @property
    def sees_attendance_reports(self) -> bool:
        """出欠の集計 (rates, the long-absence watch): the board, or a school's administrators."""
        return self.sees_whole_municipality or bool(self.admin_school_ids)

    def attendance_report_schools(self, school_id: int | None = None) -> list[int] | None:
        """The schools an attendance report covers: None = the whole municipality.

        Without the right to reports: 403. A school the actor cannot see at all: 404 (its
        existence must not leak); one it sees but does not run: 403.
        """
        self.require(self.sees_attendance_reports, "出欠の集計を見る権限がありません。")
        if school_id is None:
            return None if self.sees_whole_municipality else sorted(self.admin_school_ids)
        if not self.can_view_school(school_id) or not School.objects.filter(pk=school_id).exists():
            raise Http404("学校が見つかりません。")
        if not self.sees_whole_municipality:
            self.require(school_id in self.admin_school_ids, "出欠の集計を見る権限がありません。")
        return [school_id]

    # --- the board's overview of the schools (学校の状況) ------------------------------
    @property
    def sees_board_overview(self) -> bool:
        """Every school's enrolment, today's attendance, 確定 and long absences: the board."""
        return self.sees_whole_municipality

    # --- assertions -------------------------------------------------------------
    def require(self, allowed: bool, message: str = "この操作を行う権限がありません。") -> None:
        if not allowed:
            raise PermissionDenied(message)

    # --- roster -----------------------------------------------------------------
    # Questions of the roster pages, exports, imports and ``api/roster.py``, and the object
    # lookups they share: an object outside the actor's schools (or an id that is not a
    # number) is a 404, so its existence does not leak and bad input is never a 500.

    def can_manage_role(self, role: str, school_id: int | None) -> bool:
        """Give or take a role: the board's roles are the board's; a school's, its admin's too."""
        if role in (Role.BOE_ADMIN, Role.BOE_VIEWER) or school_id is None:
            return self.can_manage_municipality
        return self.can_manage_school(school_id)

    def require_role_grant(
        self, role: str, school_id: int | None, *, to: Staff, held: Iterable[str]
    ) -> None:
        """Give ``role`` to ``to``, who holds the roles ``held`` (live years, drafts included).

        Separation of duties (finding 6 of issue 10): nobody grants a role to themselves (another
        administrator must), and an account of the board (教育委員会) never also writes pupils'
        records: a board member who teaches or runs a school uses a second, school account, and
        a school account does not become a board account.
        """
        self.require(self.can_manage_role(role, school_id))
        if self.user_id is not None and to.user_id == self.user_id:
            raise PermissionDenied(
                "自分自身に役割を付与することはできません。別の管理者に依頼してください。"
            )
        held = set(held)
        if role in RECORD_WRITING_ROLES and held & BOARD_ROLES:
            raise PermissionDenied(
                f"{to.name} さんは教育委員会の役割を持っています。教育委員会のアカウントに"
                "児童生徒の記録を書き込む役割 (学校管理者・学級担任・教科担任) は付与できません。"
                "学校用の別アカウントを作成してください。"
            )
        if role in BOARD_ROLES and held & RECORD_WRITING_ROLES:
            raise PermissionDenied(
                f"{to.name} さんは学校の役割 (学校管理者・学級担任・教科担任) を持っています。"
                "教育委員会の役割は、学校の役割を持たない別のアカウントに付与してください。"
            )

    def can_change_enrolment(self, enrolment: Enrolment) -> bool:
        """Change a class list or an enrolment: the school's administrator, while the year is open."""
        return (
            self.can_manage_school(enrolment.school_id) and not enrolment.school_year.is_read_only
        )

    def can_change_class_roster(self, classroom: Classroom) -> bool:
        return (
            self.can_manage_school(classroom.school_id) and not classroom.school_year.is_read_only
        )

    def can_edit_student(self, school_ids: Iterable[int]) -> bool:
        """児童生徒情報の修正: an administrator of one of the schools the student attended."""
        return any(self.can_manage_school(s) for s in school_ids)

    @property
    def can_import_roster(self) -> bool:
        """May open the roster import at all (the school is asked again once chosen)."""
        return self.is_boe_admin or bool(self.admin_school_ids)

    @property
    def can_import_staff(self) -> bool:
        return self.can_manage_municipality

    def can_export_staff(self, school_id: int | None) -> bool:
        """教職員一覧: the whole municipality for the board, one school for its administrator."""
        if school_id is None:
            return self.sees_whole_municipality
        return self.sees_whole_municipality or self.can_manage_school(school_id)

    def require_roster_import(self, school_id: int) -> None:
        self.require(
            self.can_manage_school(school_id),
            "名簿を取り込めるのは、その学校の管理者か教育委員会の管理者です。",
        )

    def require_staff_import(self) -> None:
        self.require(self.can_import_staff, "教職員を取り込めるのは教育委員会の管理者です。")

    def manageable_schools(self) -> QuerySet[School]:
        """Active schools whose roster the actor may change (import, roll-over)."""
        qs = self.schools().filter(is_active=True)
        return qs if self.is_boe_admin else qs.filter(pk__in=self.admin_school_ids)

    def school_or_404(self, pk: object) -> School:
        return _get_or_404(self.schools(), pk)

    def classroom_or_404(self, pk: object) -> Classroom:
        return _get_or_404(self.classrooms(), pk)

    def student_or_404(self, pk: object) -> Student:
        return _get_or_404(self.students(), pk)

    def enrolment_or_404(self, pk: object, *, student: Student | None = None) -> Enrolment:
        """An enrolment in a class the actor sees (optionally of one student)."""
        qs = Enrolment.objects.select_related("student", "classroom", "school", "school_year")
        qs = qs.filter(classroom__in=self.classrooms())
        if student is not None:
            qs = qs.filter(student=student)
        return _get_or_404(qs, pk)

    def managed_school_or_404(self, pk: object) -> School:
        """A school the actor sees (else 404) and manages (else 403)."""
        school = self.school_or_404(pk)
        self.require(self.can_manage_school(school.pk))
        return school

    def managed_classroom_or_404(self, pk: object) -> Classroom:
        classroom = self.classroom_or_404(pk)
        self.require(self.can_manage_school(classroom.school_id))
        return classroom

    def managed_enrolment_or_404(self, pk: object, *, student: Student | None = None) -> Enrolment:
        """An enrolment the actor may change: 404 outside their schools, 403 without the right."""
        enrolment = self.enrolment_or_404(pk, student=student)
        self.require(self.can_manage_school(enrolment.school_id))
        return enrolment

    def roles_for(self) -> QuerySet[RoleAssignment]:
        """Role assignments the actor sees: all for the board, else those of its schools."""
        qs = RoleAssignment.objects.select_related("school_year")
        if self.sees_whole_municipality:
            return qs
        return qs.filter(school_id__in=self.member_school_ids)

    def staff_for(self) -> QuerySet[Staff]:
        """教職員 the actor sees: everyone for the board, else those with a role or a teaching
        assignment in its schools."""
        qs = Staff.objects.select_related("user")
        if self.sees_whole_municipality:
            return qs
        return qs.filter(
            Q(roles__school_id__in=self.member_school_ids)
            | Q(teaching_assignments__school_id__in=self.member_school_ids)
        ).distinct()

    def teaching_for(self) -> QuerySet[TeachingAssignment]:
        """Teaching assignments (担当) the actor sees: all for the board, else its schools'."""
        qs = TeachingAssignment.objects.all()
        if self.sees_whole_municipality:
            return qs
        return qs.filter(school_id__in=self.member_school_ids)

    # --- object lookups ---------------------------------------------------------
    # Shared by pages and the API: an object outside the actor's schools, of another school
    # or year, or an id that is not a number answers 404 (its existence does not leak).
    def term_or_404(self, term_id: object) -> Term:
        """A term of one of the actor's schools (any year)."""
        qs = Term.objects.select_related("school", "school_year")
        if not self.sees_whole_municipality:
            qs = qs.filter(school_id__in=self.member_school_ids)
        return _get_or_404(qs, term_id)

    def class_term_or_404(self, classroom_id: object, term_id: object) -> tuple[Classroom, Term]:
        """A class and a term of its own school *and* school year (no permission asked)."""
        classroom = self.classroom_or_404(classroom_id)
        term = _get_or_404(
            Term.objects.filter(
                school_id=classroom.school_id, school_year_id=classroom.school_year_id
            ),
            term_id,
        )
        return classroom, term

    def teaching_or_404(
        self, classroom_id: object, subject_id: object, term_id: object
    ) -> tuple[Classroom, Subject, Term]:
        """A class × subject × term whose grades the actor may read (403 otherwise).

        The subject must be of the school's type and the term of the class's school and year.
        """
        classroom, term = self.class_term_or_404(classroom_id, term_id)
        subject = _get_or_404(
            Subject.objects.filter(school_type=classroom.school.school_type), subject_id
        )
        self.require(
            self.can_view_teaching(classroom, subject.pk),
            "この学級・教科の成績を見る権限がありません。",
        )
        return classroom, subject, term

    def class_grades_or_404(self, classroom_id: object, term_id: object) -> tuple[Classroom, Term]:
        """A class and term whose 成績一覧表・所見・通知表 the actor may read (403 otherwise)."""
        classroom, term = self.class_term_or_404(classroom_id, term_id)
        self.require(
            self.can_view_class_grades(classroom), "この学級の成績を見る権限がありません。"
        )
        return classroom, term

    # --- gradebook --------------------------------------------------------------
    # The class's finalised state (確定) is the gradebook's to know: callers pass it in.
    def can_view_teaching(self, classroom: Classroom, subject_id: int) -> bool:
        """Read a class × subject's grid: its teacher, the homeroom teacher, administrators, BoE."""
        return (
            self.can_edit_teaching(classroom, subject_id)
            or self.is_homeroom_of(classroom.pk)
            or self.sees_whole_municipality
        )

    def can_write_teaching(self, classroom: Classroom, subject_id: int, *, finalised: bool) -> bool:
        """Scores, assessments, overrides: the teacher before 確定, administrators after it;
        nobody in an archived year (指導要録 retention)."""
        if classroom.school_year.is_read_only:
            return False
        if finalised:
            return self.can_manage_school_records(classroom.school_id)
        return self.can_edit_teaching(classroom, subject_id)

    def require_teaching_write(
        self, classroom: Classroom, subject_id: int, *, finalised: bool
    ) -> None:
        if self.can_write_teaching(classroom, subject_id, finalised=finalised):
            return
        if finalised and self.can_edit_teaching(classroom, subject_id):
            raise PermissionDenied(
                "この学期の成績は確定済みです。変更は学校管理者に依頼してください。"
            )
        raise PermissionDenied("この学級・教科の成績を入力する権限がありません。")

    def can_view_class_grades(self, classroom: Classroom) -> bool:
        """成績一覧表・所見・通知表 of a class: its homeroom teacher, administrators, the BoE."""
        return (
            self.is_homeroom_of(classroom.pk)
            or self.can_manage_school(classroom.school_id)
            or self.sees_whole_municipality
        )

    def can_write_remarks(self, classroom: Classroom, *, finalised: bool) -> bool:
        """所見: the homeroom teacher before 確定, administrators; never in an archived year."""
        if classroom.school_year.is_read_only:
            return False
        if finalised:
            return self.can_manage_school_records(classroom.school_id)
        return self.is_homeroom_of(classroom.pk) or self.can_manage_school_records(
            classroom.school_id
        )

    def require_remarks_write(self, classroom: Classroom, *, finalised: bool) -> None:
        self.require(
            self.can_write_remarks(classroom, finalised=finalised),
            "確定済みです。変更は学校管理者に依頼してください。"
            if finalised
            else "この学級の所見を入力する権限がありません。",
        )

    def can_write_conduct(self, classroom: Classroom, *, finalised: bool) -> bool:
        """行動の記録・特別活動・外国語活動・総合 of the 通知表: who writes the 所見 (the
        homeroom teacher before 確定, administrators), never in an archived year."""
        return self.can_write_remarks(classroom, finalised=finalised)

    def require_conduct_write(self, classroom: Classroom, *, finalised: bool) -> None:
        self.require(
            self.can_write_conduct(classroom, finalised=finalised),
            "確定済みです。変更は学校管理者に依頼してください。"
            if finalised
            else "この学級の行動の記録を入力する権限がありません。",
        )

    def can_view_grade_history(self, classroom: Classroom, subject_id: int | None) -> bool:
        """変更履歴 of a student's grades: whoever reads the class's grades, or the teacher
        of the one subject asked for."""
        return self.can_view_class_grades(classroom) or (
            subject_id is not None and self.can_edit_teaching(classroom, subject_id)
        )

    def subject_assignments(self, school_year_id: int) -> QuerySet[TeachingAssignment]:
        """Teaching assignments (担当) of a year the actor lists: their own (in an elementary
        school, every subject of their class that no 専科 teaches), and every one of the
        schools they administer (the board reaches classes through its schools list)."""
        own = Q(pk__in=[])
        if self.user_id is not None:
            own = Q(teachers__user_id=self.user_id)
        homeroom = Q(classroom_id__in=self.all_subjects_classroom_ids)
        for classroom_id, subject_id in self.specialist_pairs:
            homeroom &= ~Q(classroom_id=classroom_id, subject_id=subject_id)
        ids = TeachingAssignment.objects.filter(
            is_draft=False, school_year_id=school_year_id
        ).filter(own | homeroom | Q(school_id__in=self.admin_school_ids))
        return TeachingAssignment.objects.filter(pk__in=ids.values("pk"))

    def elementary_homeroom_subjects(self) -> frozenset[int]:
        """Classes where the actor, as an elementary homeroom teacher, teaches every subject."""
        return self.all_subjects_classroom_ids

    def can_finalise(self, school_id: int, school_year: SchoolYear | None = None) -> bool:
        """確定 and its withdrawal: the school's administrators only, never in an archived year
        (its stored grades are the 指導要録's: nobody rewrites them)."""
        if school_year is not None and school_year.is_read_only:
            return False
        return self.can_manage_school_records(school_id)

    def require_finalise(
        self, term: Term, message: str = "成績の確定は学校管理者が行います。"
    ) -> None:
        """確定・確定取消 of ``term``: refused in an archived year with its own message."""
        if term.school_year.is_read_only:
            raise PermissionDenied(
                f"{term.school_year}は過年度です。成績の確定・確定取消はできません (閲覧のみ)。"
            )
        self.require(self.can_finalise(term.school_id), message)

    def can_view_finalisation(self, school_id: int) -> bool:
        """Which classes are finalised: the school's administrators and the board's."""
        return self.can_manage_school_records(school_id) or self.can_manage_school(school_id)

    # --- timetable ----------------------------------------------------------------
    # 時間割: the school's administrators (教務主任) edit; its teachers and the board read;
    # the board sees every school's 授業時数.
    def can_view_timetable(self, school_id: int) -> bool:
        return self.can_view_school(school_id)

    def can_edit_timetable(self, school_id: int) -> bool:
        """Bell schedules, rooms, the weekly timetable, daily changes, assignments' periods."""
        return self.can_manage_school(school_id)

    @property
    def sees_every_hours_tally(self) -> bool:
        """授業時数 of every school of the municipality (the board)."""
        return self.sees_whole_municipality

    def timetable_school_or_404(self, pk: object, *, edit: bool = False) -> School:
        """A school whose timetable the actor reads (404 otherwise) or edits (403)."""
        school = self.school_or_404(pk)
        if edit:
            self.require(self.can_edit_timetable(school.pk), "時間割を編集する権限がありません。")
        return school


def as_pk(value: object) -> int | None:
    """A primary key from a URL, a query string or a form; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < 2**63 else None
    text = str(value or "").strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text) or None
    return None


def _get_or_404(qs: QuerySet, pk: object):
    key = as_pk(pk)
    if key is None:
        raise Http404("見つかりません。")
    return get_object_or_404(qs, pk=key)


ANONYMOUS = Actor(user_id=None)

# ``Municipality.read_scope`` (tenants): who reads which classes, a board's choice.
READ_SCOPE_SCHOOL = "school"
READ_SCOPE_OWN_CLASSES = "own_classes"


def municipality_read_scope() -> str:
    """The current municipality's 閲覧範囲.

    In a request the tenant middleware has already loaded the municipality's row (no query);
    a command or job inside ``schema_context`` has only the schema's name, and reads the row
    once (the ``tenants`` model is reached through the app registry: ``schools`` does not
    import it).
    """
    tenant = getattr(connection, "tenant", None)
    scope = getattr(tenant, "read_scope", None)
    if isinstance(scope, str):
        return scope
    schema = getattr(connection, "schema_name", "") or ""
    if not schema or schema == "public":
        return READ_SCOPE_SCHOOL
    model = apps.get_model(settings.TENANT_MODEL)
    found = model.objects.filter(schema_name=schema).values_list("read_scope", flat=True).first()
    return found or READ_SCOPE_SCHOOL


def actor_for_user(user) -> Actor:
    """Build the actor from the role and teaching assignments of the current and preparing
    years (2 queries), and the municipality's 閲覧範囲 (already loaded with the tenant in a
    request)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    live_years = SchoolYear.objects.exclude(state=SchoolYear.State.ARCHIVED).values("pk")
    rows = RoleAssignment.objects.filter(staff__user=user, is_draft=False).filter(
        Q(school_year__isnull=True) | Q(school_year__in=live_years)
    )
    boe_admin = boe_viewer = False
    admin_schools: set[int] = set()
    homerooms: set[int] = set()
    teaching: set[tuple[int, int]] = set()
    member: set[int] = set()
    elementary: set[int] = set()
    for role, school_id, classroom_id, school_type in rows.values_list(
        "role", "school_id", "classroom_id", "school__school_type"
    ):
        if role == Role.BOE_ADMIN:
            boe_admin = True
        elif role == Role.BOE_VIEWER:
            boe_viewer = True
        else:
            member.add(school_id)
            if role == Role.SCHOOL_ADMIN:
                admin_schools.add(school_id)
            elif role == Role.HOMEROOM:
                homerooms.add(classroom_id)
                if school_type == SchoolType.ELEMENTARY:
                    elementary.add(classroom_id)
    # One query for the person's own assignments and every assignment of the elementary
    # classes they are homeroom teacher of (to find the 専科 there).
    assignments = TeachingAssignment.objects.filter(
        is_draft=False, school_year__in=live_years
    ).filter(Q(teachers__user=user) | Q(classroom_id__in=elementary))
    others: set[tuple[int, int]] = set()
    for (
        classroom_id,
        group_class_id,
        subject_id,
        school_id,
        teacher_user_id,
    ) in assignments.values_list(
        "classroom_id", "group__classes", "subject_id", "school_id", "teachers__user_id"
    ):
        target = classroom_id or group_class_id
        if teacher_user_id == user.pk:
            member.add(school_id)
            if target is not None:
                teaching.add((target, subject_id))
        elif teacher_user_id is not None and classroom_id is not None:
            others.add((classroom_id, subject_id))
    return Actor(
        user_id=user.pk,
        username=user.get_username(),
        is_boe_admin=boe_admin,
        is_boe_viewer=boe_viewer,
        admin_school_ids=frozenset(admin_schools),
        homeroom_classroom_ids=frozenset(homerooms),
        teaching=frozenset(teaching),
        member_school_ids=frozenset(member),
        own_classes_only=municipality_read_scope() == READ_SCOPE_OWN_CLASSES,
        all_subjects_classroom_ids=frozenset(elementary),
        specialist_pairs=frozenset(others - teaching),
    )


def get_actor(request: HttpRequest) -> Actor:
    """The actor of a request, computed once and kept on the request."""
    actor = getattr(request, "_ai_actor", None)
    if actor is None or actor.user_id != getattr(request.user, "pk", None):
        actor = actor_for_user(request.user)
        request._ai_actor = actor
    return actor


# --- view decorators ---------------------------------------------------------------


def staff_required(view):
    """Municipality pages: log in first; then the view asks the actor for its own object."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.actor = get_actor(request)
        return view(request, *args, **kwargs)

    return wrapped


# --- jobs --------------------------------------------------------------------------


def can_follow_job(actor: Actor, requested_by_id: int | None) -> bool:
    """A job's page, result and cancel button: whoever started it, and the board's administrator.

    Results often hold many pupils' data, so even the board's viewers see only their own.
    """
    return actor.is_boe_admin or owns_job(actor, requested_by_id)


def owns_job(actor: Actor, requested_by_id: int | None) -> bool:
    """An import's job (its preview, its commit, through a page or the API): only whoever
    started it, not even the board's administrator: the preview carries the confirmation."""
    return actor.user_id is not None and actor.user_id == requested_by_id


# Actor methods, attached here so that the sections of this module stay apart.
Actor.can_follow_job = can_follow_job  # type: ignore[attr-defined]
Actor.owns_job = owns_job  # type: ignore[attr-defined]


# --- step-up: the password or a code again before 確定 and whole-municipality exports ---------

# When the password or a second-factor code was last given in this session (epoch seconds);
# written by ``accounts`` at login, at the code and at the re-verification page.
VERIFIED_AT_SESSION_KEY = "ai_verified_at"


def verified_recently(request: HttpRequest) -> bool:
    """Was the password or a code given within ``AI_STEP_UP_MINUTES``?"""
    at = request.session.get(VERIFIED_AT_SESSION_KEY)
    if not isinstance(at, (int, float)):
        return False
    return time.time() - at <= settings.AI_STEP_UP_MINUTES * 60


def step_up(request: HttpRequest) -> HttpResponse | None:
    """None when the password or a code was given recently; else the way to give it again.

    For views where only some requests are weighty (a whole-municipality export among
    per-school ones); whole views use :func:`recent_verification_required`. A GET comes back
    to itself after the re-verification; a POST (its form would be lost) comes back to the
    page it was sent from, to be sent again.
    """
    if verified_recently(request):
        return None
    if request.method == "GET":
        back = request.get_full_path()
    else:
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("home")
    messages.info(
        request, "重要な操作の前に、パスワードまたは確認コードをもう一度入力してください。"
    )
    url = f"{reverse('accounts:reauth')}?{urlencode({'next': back})}"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def recent_verification_required(view):
    """Before a weighty action (確定, a whole-municipality export): verify again if it is long
    since the password or a code was given (``AI_STEP_UP_MINUTES``). Put it under
    ``staff_required``."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if (answer := step_up(request)) is not None:
            return answer
        return view(request, *args, **kwargs)

    return wrapped
