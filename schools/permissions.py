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

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from schools.models import Classroom, Role, RoleAssignment, School, SchoolYear, Student


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
    # (classroom_id, subject_id) pairs: 教科担任 teaching assignments
    teaching: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    member_school_ids: frozenset[int] = field(default_factory=frozenset)

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
    def can_view_classroom(self, classroom: Classroom) -> bool:
        return self.can_view_school(classroom.school_id)

    def is_homeroom_of(self, classroom_id: int) -> bool:
        return classroom_id in self.homeroom_classroom_ids

    def can_take_attendance(self, classroom: Classroom) -> bool:
        """出欠入力: the class's 学級担任, or an administrator of its school."""
        return self.is_homeroom_of(classroom.pk) or self.can_manage_school_records(
            classroom.school_id
        )

    def can_edit_teaching(self, classroom: Classroom, subject_id: int) -> bool:
        """Scores and evaluations of one class × subject (教科担任, or school admin)."""
        return (classroom.pk, subject_id) in self.teaching or self.can_manage_school_records(
            classroom.school_id
        )

    # --- queryset narrowing -----------------------------------------------------
    def schools(self) -> QuerySet[School]:
        qs = School.objects.all()
        return qs if self.sees_whole_municipality else qs.filter(pk__in=self.member_school_ids)

    def classrooms(self) -> QuerySet[Classroom]:
        qs = Classroom.objects.select_related("school", "school_year")
        return (
            qs if self.sees_whole_municipality else qs.filter(school_id__in=self.member_school_ids)
        )

    def students(self) -> QuerySet[Student]:
        qs = Student.objects.all()
        if self.sees_whole_municipality:
            return qs
        return qs.filter(enrolments__school_id__in=self.member_school_ids).distinct()

    # --- assertions -------------------------------------------------------------
    def require(self, allowed: bool, message: str = "この操作を行う権限がありません。") -> None:
        if not allowed:
            raise PermissionDenied(message)


ANONYMOUS = Actor(user_id=None)


def actor_for_user(user) -> Actor:
    """Build the actor from role assignments of the current and preparing years (2 queries)."""
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
    for role, school_id, classroom_id, subject_id in rows.values_list(
        "role", "school_id", "classroom_id", "subject_id"
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
            elif role == Role.SUBJECT:
                teaching.add((classroom_id, subject_id))
    return Actor(
        user_id=user.pk,
        username=user.get_username(),
        is_boe_admin=boe_admin,
        is_boe_viewer=boe_viewer,
        admin_school_ids=frozenset(admin_schools),
        homeroom_classroom_ids=frozenset(homerooms),
        teaching=frozenset(teaching),
        member_school_ids=frozenset(member),
    )


def get_actor(request: HttpRequest) -> Actor:
    """The actor of a request, computed once and kept on the request."""
    actor = getattr(request, "_ai_actor", None)
    if actor is None or actor.user_id != getattr(request.user, "pk", None):
        actor = actor_for_user(request.user)
        request._ai_actor = actor
    return actor


# --- view decorators ---------------------------------------------------------------


def is_platform_operator(request: HttpRequest) -> bool:
    """Operators are staff users of the public schema, on the operators' host only."""
    tenant = getattr(request, "tenant", None)
    return (
        tenant is not None
        and tenant.schema_name == "public"
        and request.user.is_authenticated
        and request.user.is_staff
    )


def operator_required(view):
    """Operators' pages: log in first; a logged-in non-operator gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_platform_operator(request):
            raise PermissionDenied("運用管理者のみが利用できます。")
        return view(request, *args, **kwargs)

    return wrapped


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
    return actor.is_boe_admin or (actor.user_id is not None and actor.user_id == requested_by_id)


# An Actor method, attached here so that the sections of this module stay apart.
Actor.can_follow_job = can_follow_job  # type: ignore[attr-defined]
