"""Who teaches what (担当): teaching assignments and teaching groups, one source of truth.

The gradebook asks these for write access (through the ``Actor``), the timetable for its
checks and the hours tally for its plan. Writes here follow the house rule of
``schools.services``: keyword-only ``by: Actor``, one transaction, one audit record,
Japanese ``ValidationError`` messages, nothing written into an archived year.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from schools import audit
from schools.models import (
    Classroom,
    School,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    TeachingGroup,
)
from schools.permissions import Actor

MAX_WEEKLY_PERIODS = Decimal("40")


def periods_value(value: object) -> Decimal:
    """Weekly periods from a number, a decimal string or a fraction ("1/3" for a module)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    try:
        text = str(value if value is not None else "0").strip() or "0"
        if "/" in text:
            frac = Fraction(text)
            number = Decimal(frac.numerator) / Decimal(frac.denominator)
        else:
            number = Decimal(text)
    except (InvalidOperation, ValueError, ZeroDivisionError) as exc:
        raise ValidationError({"weekly_periods": "週時数は数で入力してください。"}) from exc
    if not number.is_finite() or number < 0 or number > MAX_WEEKLY_PERIODS:
        raise ValidationError({"weekly_periods": "週時数は0〜40の範囲で入力してください。"})
    return number.quantize(Decimal("0.01"))


def _require_writable(school_year: SchoolYear) -> None:
    if school_year.is_read_only:
        raise ValidationError(
            f"{school_year}は過年度のため変更できません。記録は閲覧のみ可能です。", code="archived"
        )


def _check_subject(subject: Subject, school: School) -> None:
    if subject.school_type != school.school_type:
        raise ValidationError(
            {"subject": f"{subject.name}は{school.get_school_type_display()}の教科ではありません。"}
        )


def _text(a: TeachingAssignment) -> str:
    return f"{a.target_label} {a.subject.name}"


# --- queries -------------------------------------------------------------------------------


def assignments_of(school: School, school_year: SchoolYear) -> QuerySet[TeachingAssignment]:
    """Every assignment of a school's year with its class/group, subject and teachers
    (three queries when evaluated)."""
    return (
        TeachingAssignment.objects.filter(school=school, school_year=school_year)
        .select_related("classroom", "group", "subject", "school_year")
        .prefetch_related(
            Prefetch("teachers", queryset=Staff.objects.order_by("kana", "pk")),
        )
        .order_by(
            "classroom__grade",
            "classroom__sort_order",
            "classroom__name",
            "group__name",
            "subject__sort_order",
        )
    )


def assignments_of_staff(staff: Staff) -> QuerySet[TeachingAssignment]:
    return (
        TeachingAssignment.objects.filter(teachers=staff)
        .select_related("school", "school_year", "classroom", "group", "subject")
        .order_by("-school_year__year", "school_id", "classroom__grade", "classroom__name")
    )


def groups_of(school: School, school_year: SchoolYear) -> QuerySet[TeachingGroup]:
    return TeachingGroup.objects.filter(school=school, school_year=school_year).prefetch_related(
        "classes"
    )


# --- writes --------------------------------------------------------------------------------


@transaction.atomic
def assign_teacher(
    *,
    by: Actor,
    staff: Staff,
    subject: Subject,
    classroom: Classroom | None = None,
    group: TeachingGroup | None = None,
    weekly_periods: object = None,
    is_draft: bool = False,
) -> TeachingAssignment:
    """教科担任の付与: add a teacher to the assignment of a class (or group) × subject,
    creating the assignment when there is none."""
    if (classroom is None) == (group is None):
        raise ValidationError({"classroom": "学級を選んでください。"})
    school = classroom.school if classroom is not None else group.school
    school_year = classroom.school_year if classroom is not None else group.school_year
    by.require(by.can_manage_school(school.pk))
    _require_writable(school_year)
    _check_subject(subject, school)
    assignment, created = TeachingAssignment.objects.get_or_create(
        classroom=classroom,
        group=group,
        subject=subject,
        defaults={
            "school": school,
            "school_year": school_year,
            "is_draft": is_draft,
            "weekly_periods": periods_value(weekly_periods),
        },
    )
    if not created and assignment.teachers.filter(pk=staff.pk).exists():
        raise ValidationError(f"{staff.name} さんは既にこの役割を持っています。")
    assignment.teachers.add(staff)
    audit.record(
        by,
        "schools.teaching.assign",
        assignment,
        school=school,
        changes={"staff": staff.name, "teaching": _text(assignment)},
    )
    return assignment


@transaction.atomic
def unassign_teacher(assignment: TeachingAssignment, staff: Staff, *, by: Actor) -> None:
    """Take a teacher off an assignment; the assignment (and its weekly periods) stays."""
    by.require(by.can_manage_school(assignment.school_id))
    _require_writable(assignment.school_year)
    assignment.teachers.remove(staff)
    audit.record(
        by,
        "schools.teaching.unassign",
        assignment,
        school=assignment.school,
        changes={"staff": staff.name, "teaching": _text(assignment)},
    )


@transaction.atomic
def save_assignment(
    *,
    by: Actor,
    school: School,
    school_year: SchoolYear,
    subject: Subject,
    classroom: Classroom | None = None,
    group: TeachingGroup | None = None,
    teachers: Iterable[Staff] = (),
    weekly_periods: object = None,
) -> TeachingAssignment:
    """Create or change the assignment of a class (or group) × subject: its teachers and its
    weekly periods (週時数), as one record."""
    by.require(by.can_manage_school(school.pk))
    _require_writable(school_year)
    _check_subject(subject, school)
    if (classroom is None) == (group is None):
        raise ValidationError({"classroom": "学級か授業グループのどちらかを選んでください。"})
    owner = classroom if classroom is not None else group
    if owner.school_id != school.pk or owner.school_year_id != school_year.pk:
        raise ValidationError({"classroom": "この学校・年度の学級ではありません。"})
    teachers = list(teachers)
    periods = periods_value(weekly_periods)
    assignment, created = TeachingAssignment.objects.get_or_create(
        classroom=classroom,
        group=group,
        subject=subject,
        defaults={"school": school, "school_year": school_year, "weekly_periods": periods},
    )
    before = {
        "weekly_periods": str(assignment.weekly_periods),
        "teachers": sorted(t.name for t in assignment.teachers.all()) if not created else [],
    }
    assignment.weekly_periods = periods
    assignment.save(update_fields=["weekly_periods"])
    assignment.teachers.set(teachers)
    after = {"weekly_periods": str(periods), "teachers": sorted(t.name for t in teachers)}
    audit.record(
        by,
        "schools.teaching.save",
        assignment,
        school=school,
        changes={"teaching": _text(assignment), "before": before, "after": after},
    )
    return assignment


@transaction.atomic
def delete_assignment(assignment: TeachingAssignment, *, by: Actor) -> None:
    by.require(by.can_manage_school(assignment.school_id))
    _require_writable(assignment.school_year)
    audit.record(
        by,
        "schools.teaching.delete",
        assignment,
        school=assignment.school,
        changes={"teaching": _text(assignment)},
    )
    assignment.delete()


@transaction.atomic
def confirm_assignment(assignment: TeachingAssignment, *, by: Actor) -> TeachingAssignment:
    by.require(by.can_manage_school(assignment.school_id))
    _require_writable(assignment.school_year)
    assignment.is_draft = False
    assignment.save(update_fields=["is_draft"])
    audit.record(
        by,
        "schools.teaching.confirm",
        assignment,
        school=assignment.school,
        changes={"teaching": _text(assignment)},
    )
    return assignment


@transaction.atomic
def save_group(
    *,
    by: Actor,
    school: School,
    school_year: SchoolYear,
    kind: str,
    name: str,
    classes: Iterable[Classroom] = (),
    students: Iterable[Student] = (),
    group: TeachingGroup | None = None,
) -> TeachingGroup:
    """Create (or change) a teaching group: 合同, 分割, 選択, 交流; its classes and/or students."""
    by.require(by.can_manage_school(school.pk))
    _require_writable(school_year)
    if kind not in TeachingGroup.Kind.values:
        raise ValidationError({"kind": "グループの種類を選んでください。"})
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValidationError({"name": "グループ名を40文字以内で入力してください。"})
    classes, students = list(classes), list(students)
    if any(c.school_id != school.pk or c.school_year_id != school_year.pk for c in classes):
        raise ValidationError({"classes": "この学校・年度の学級を選んでください。"})
    if not classes and not students:
        raise ValidationError({"classes": "学級か児童生徒を選んでください。"})
    clash = TeachingGroup.objects.filter(school=school, school_year=school_year, name=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"name": f"グループ「{name}」は既にあります。"})
    created = group is None
    if group is None:
        group = TeachingGroup(school=school, school_year=school_year)
    group.kind, group.name = kind, name
    group.save()
    group.classes.set(classes)
    group.students.set(students)
    audit.record(
        by,
        "schools.group.create" if created else "schools.group.update",
        group,
        school=school,
        changes={
            "name": name,
            "kind": kind,
            "classes": [c.label for c in classes],
            "students": len(students),
        },
    )
    return group


@transaction.atomic
def delete_group(group: TeachingGroup, *, by: Actor) -> None:
    by.require(by.can_manage_school(group.school_id))
    _require_writable(group.school_year)
    audit.record(
        by, "schools.group.delete", group, school=group.school, changes={"name": group.name}
    )
    group.delete()
