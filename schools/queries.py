"""Read models of the roster for pages, exports and the API.

Each function costs a constant number of queries whatever the number of students.
Lists of students are in 出席番号 order, then ふりがな (五十音順), never by kanji code point.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolRollover,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    Term,
)

ROSTER_ORDER = ("roll_number", "student__kana", "student_id")


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()


def preparing_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(state=SchoolYear.State.PREPARING).order_by("year").first()


def school_year_for(value: int | str | None) -> SchoolYear | None:
    """The one reading of ``?year=``: the year number (2026); without one, the current year.

    None when there is no such year (or the value is not a year number): pages answer 404.
    """
    if value is None or value == "":
        return current_year()
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        return None
    return SchoolYear.objects.filter(year=int(text)).first()


def open_years() -> QuerySet[SchoolYear]:
    """Years that can still be written (current and preparing), newest first."""
    return SchoolYear.objects.exclude(state=SchoolYear.State.ARCHIVED).order_by("-year")


def rollover_of(school: School, year: SchoolYear | None) -> SchoolRollover | None:
    """The school's roll-over into ``year`` (the preparing year), if it has begun."""
    if year is None:
        return None
    return SchoolRollover.objects.filter(school=school, to_year=year).first()


def staff_list() -> QuerySet[Staff]:
    return Staff.objects.select_related("user").prefetch_related(
        Prefetch(
            "roles",
            queryset=RoleAssignment.objects.select_related(
                "school", "school_year", "classroom", "subject"
            ).order_by("-school_year__year", "school_id", "role"),
        ),
        Prefetch(
            "teaching_assignments",
            queryset=TeachingAssignment.objects.select_related(
                "school", "school_year", "classroom", "group", "subject"
            ).order_by("-school_year__year", "school_id", "classroom__grade", "classroom__name"),
        ),
    )


def class_roster(classroom: Classroom) -> list[Enrolment]:
    """One query: the class's enrolments with their students, by roll number then kana."""
    return list(
        Enrolment.objects.filter(classroom=classroom)
        .select_related("student")
        .order_by(*ROSTER_ORDER)
    )


@dataclass
class ClassBlock:
    classroom: Classroom
    enrolments: list[Enrolment] = field(default_factory=list)
    homeroom: list[str] = field(default_factory=list)

    @property
    def enrolled(self) -> int:
        return sum(1 for e in self.enrolments if e.left_on is None)


def school_roster(school: School, year: SchoolYear) -> list[ClassBlock]:
    """Three queries: classes, enrolments with students, homeroom teachers."""
    blocks = {
        c.pk: ClassBlock(c)
        for c in Classroom.objects.filter(school=school, school_year=year).select_related(
            "school", "school_year"
        )
    }
    for e in (
        Enrolment.objects.filter(classroom__in=list(blocks))
        .select_related("student")
        .order_by("classroom_id", *ROSTER_ORDER)
    ):
        if e.classroom_id in blocks:
            blocks[e.classroom_id].enrolments.append(e)
    for classroom_id, name in RoleAssignment.objects.filter(
        school=school, school_year=year, role=Role.HOMEROOM, is_draft=False
    ).values_list("classroom_id", "staff__name"):
        if classroom_id in blocks:
            blocks[classroom_id].homeroom.append(name)
    return list(blocks.values())


def classes_of(school: School, year: SchoolYear) -> QuerySet[Classroom]:
    # Ordered here: Meta.ordering does not apply to an aggregate query (without it the rows
    # came in the table's physical order, which an import or an update changes).
    return (
        Classroom.objects.filter(school=school, school_year=year)
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__left_on__isnull=True)),
            total=Count("enrolments"),
        )
        .order_by("is_special_needs", "grade", "sort_order", "name")
    )


def terms_of(school: School, year: SchoolYear) -> list[Term]:
    return list(Term.objects.filter(school=school, school_year=year).order_by("number"))


def student_history(student: Student) -> list[Enrolment]:
    """Every enrolment of the student across years (oldest first)."""
    return list(
        student.enrolments.select_related("classroom", "school", "school_year").order_by(
            "school_year__year", "enrolled_on", "pk"
        )
    )


@dataclass
class TeachingRole:
    """One teacher of a teaching assignment, shown where roles are listed (教科担任).

    Quacks like a ``RoleAssignment`` for the role tables; ``teaching`` tells templates to
    use the assignment's own remove/confirm addresses (``pk`` is the assignment's).
    """

    assignment: TeachingAssignment
    staff: Staff
    role: str = Role.SUBJECT
    title: str = ""
    teaching: bool = True

    @property
    def pk(self) -> int:
        return self.assignment.pk

    @property
    def staff_id(self) -> int:
        return self.staff.pk

    @property
    def school(self) -> School:
        return self.assignment.school

    @property
    def school_id(self) -> int:
        return self.assignment.school_id

    @property
    def school_year(self) -> SchoolYear:
        return self.assignment.school_year

    @property
    def classroom(self) -> Classroom | None:
        return self.assignment.classroom

    @property
    def classroom_id(self) -> int | None:
        return self.assignment.classroom_id

    @property
    def subject(self) -> Subject:
        return self.assignment.subject

    @property
    def is_draft(self) -> bool:
        return self.assignment.is_draft

    def get_role_display(self) -> str:
        return Role.SUBJECT.label

    def get_title_display(self) -> str:
        return ""


def _teaching_roles(assignments: QuerySet[TeachingAssignment]) -> list[TeachingRole]:
    rows = []
    for a in assignments.select_related(
        "school", "school_year", "classroom", "group", "subject"
    ).prefetch_related(Prefetch("teachers", queryset=Staff.objects.order_by("kana", "pk"))):
        rows.extend(TeachingRole(a, t) for t in a.teachers.all())
    return rows


def classroom_staff(classroom: Classroom) -> list[RoleAssignment | TeachingRole]:
    roles: list[RoleAssignment | TeachingRole] = list(
        RoleAssignment.objects.filter(classroom=classroom)
        .select_related("staff", "subject")
        .order_by("role", "subject__sort_order")
    )
    return roles + _teaching_roles(
        TeachingAssignment.objects.filter(classroom=classroom).order_by("subject__sort_order")
    )


def school_roles(school: School, year: SchoolYear) -> list[RoleAssignment | TeachingRole]:
    """The school's roles of ``year`` (drafts included: the roll-over page shows both)."""
    roles: list[RoleAssignment | TeachingRole] = list(
        RoleAssignment.objects.filter(school=school, school_year=year)
        .select_related("staff", "classroom", "subject")
        .order_by("role", "classroom__grade", "classroom__name")
    )
    return roles + _teaching_roles(
        TeachingAssignment.objects.filter(school=school, school_year=year).order_by(
            "classroom__grade", "classroom__name", "subject__sort_order"
        )
    )


def staff_roles(staff: Staff) -> list[RoleAssignment | TeachingRole]:
    """Every role of one person, their teaching assignments (教科担任) included."""
    roles: list[RoleAssignment | TeachingRole] = list(
        staff.roles.select_related("school", "school_year", "classroom", "subject")
    )
    own = [
        TeachingRole(a, staff)
        for a in TeachingAssignment.objects.filter(teachers=staff)
        .select_related("school", "school_year", "classroom", "group", "subject")
        .order_by("-school_year__year", "school_id", "classroom__grade", "classroom__name")
    ]
    return roles + own


def my_assignments(user, year: SchoolYear | None) -> dict[str, list]:
    """The user's roles of ``year`` by role; 教科担任 are the teaching assignments (担当)."""
    result: dict[str, list] = defaultdict(list)
    if year is None:
        return result
    for r in (
        RoleAssignment.objects.filter(staff__user=user, school_year=year, is_draft=False)
        .select_related("school", "classroom", "subject")
        .order_by("school_id", "classroom__grade", "classroom__sort_order", "classroom__name")
    ):
        result[r.role].append(r)
    for a in (
        TeachingAssignment.objects.filter(teachers__user=user, school_year=year, is_draft=False)
        .select_related("school", "classroom", "group", "subject")
        .order_by("school_id", "classroom__grade", "classroom__sort_order", "classroom__name")
    ):
        result[Role.SUBJECT].append(a)
    return result


def school_summaries(schools: QuerySet[School], year: SchoolYear | None) -> list[dict]:
    """Schools with their class and student counts of ``year`` (two queries)."""
    counts: dict[int, dict] = defaultdict(lambda: {"classes": 0, "students": 0})
    if year is not None:
        for row in (
            Enrolment.objects.filter(school_year=year, left_on__isnull=True)
            .values("school_id")
            .annotate(n=Count("id"))
        ):
            counts[row["school_id"]]["students"] = row["n"]
        for row in (
            Classroom.objects.filter(school_year=year).values("school_id").annotate(n=Count("id"))
        ):
            counts[row["school_id"]]["classes"] = row["n"]
    return [{"school": s, **counts[s.pk]} for s in schools]
