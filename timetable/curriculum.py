"""Subjects and standard hours adjusted per municipality and school (教育課程の調整).

The national tables (``timetable/national.py``, ``schools/national.py``) are the default.

- The board (教育委員会) may change the standard hours of a grade × subject for the whole
  municipality (特別の教育課程, an 教育課程特例校's English from grade 1): ``StandardHours``
  rows without a school, keyed by the table's stage (elementary / junior high) and the
  grade within it, so a 義務教育学校 follows them too.
- A school may add its own subjects (a 選択 course, a 15-minute module: its lessons carry
  ``Lesson.minutes`` and count in fractions of an hour) with their hours per grade of the
  school: ``SchoolSubject`` + ``StandardHours`` rows of the school.

``Standards.of`` gives a class's adjusted table to the hours tally; ``subjects_of`` the
subjects a school's grid offers (the national ones and its own, not other schools' own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q

from schools import audit
from schools.models import School, Subject
from schools.national import SUBJECTS_BY_TYPE
from schools.permissions import Actor
from timetable import national
from timetable.models import Lesson, SchoolSubject, StandardHours

STAGES = ((national.ELEMENTARY, "小学校", 6), (national.JUNIOR_HIGH, "中学校", 3))
# Sorted after the national subjects in every list.
OWN_SUBJECT_ORDER = 900
MAX_HOURS = 1015


@dataclass(frozen=True)
class Standards:
    """The adjustments that apply to one school (two queries to build)."""

    municipal: Mapping[tuple[str, int], Mapping[str, int | None]] = field(default_factory=dict)
    own: Mapping[int, Mapping[str, int | None]] = field(default_factory=dict)

    def of(self, school_type: str, grade: int) -> dict[str, int]:
        """Standard hours of a grade by subject: national, then the board's, then the school's."""
        hours: dict[str, int] = dict(national.standard_hours(school_type, grade))
        for layer in (
            self.municipal.get(national.stage(school_type, grade), {}),
            self.own.get(grade, {}),
        ):
            for name, value in layer.items():
                if value is None:
                    hours.pop(name, None)
                else:
                    hours[name] = value
        return hours


def municipal_rows() -> dict[tuple[str, int], dict[str, int | None]]:
    rows: dict[tuple[str, int], dict[str, int | None]] = {}
    for stage, grade, name, hours in StandardHours.objects.filter(school__isnull=True).values_list(
        "school_type", "grade", "subject__name", "hours"
    ):
        rows.setdefault((stage, grade), {})[name] = hours
    return rows


def standards_of(school: School) -> Standards:
    own: dict[int, dict[str, int | None]] = {}
    for grade, name, hours in StandardHours.objects.filter(school=school).values_list(
        "grade", "subject__name", "hours"
    ):
        own.setdefault(grade, {})[name] = hours
    return Standards(municipal_rows(), own)


def standards_of_schools(schools: list[School]) -> dict[int, Standards]:
    """``standards_of`` for many schools at once (the board's tally): two queries."""
    municipal = municipal_rows()
    own: dict[int, dict[int, dict[str, int | None]]] = {s.pk: {} for s in schools}
    for school_id, grade, name, hours in StandardHours.objects.filter(
        school_id__in=list(own)
    ).values_list("school_id", "grade", "subject__name", "hours"):
        own[school_id].setdefault(grade, {})[name] = hours
    return {pk: Standards(municipal, rows) for pk, rows in own.items()}


def subjects_of(school: School) -> list[Subject]:
    """Subjects a school teaches: the national ones of its type and its own (one query)."""
    owned = SchoolSubject.objects.filter(subject=OuterRef("pk"))
    return list(
        Subject.objects.filter(school_type=school.school_type)
        .filter(Q(~Exists(owned)) | Q(Exists(owned.filter(school=school))))
        .order_by("sort_order", "pk")
    )


def own_subjects(school: School) -> list[SchoolSubject]:
    return list(SchoolSubject.objects.filter(school=school).select_related("subject"))


def own_hours(school: School) -> dict[int, dict[int, int | None]]:
    """subject id → grade → hours of the school's own rows."""
    result: dict[int, dict[int, int | None]] = {}
    for subject_id, grade, hours in StandardHours.objects.filter(school=school).values_list(
        "subject_id", "grade", "hours"
    ):
        result.setdefault(subject_id, {})[grade] = hours
    return result


def national_subjects(stage: str) -> list[Subject]:
    """The subjects of a stage's table, for the board's page."""
    names = [n for n, _, _ in SUBJECTS_BY_TYPE[stage]]
    rows = {s.name: s for s in Subject.objects.filter(school_type=stage, name__in=names)}
    return [rows[n] for n in names if n in rows]


def _hours(value: object, label: str) -> int | None:
    """'' = no row; a whole number of hours (0 takes the subject out of the grade)."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise LookupError
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(f"{label}: 時数は0以上の整数で入力してください。") from None
    if not 0 <= number <= MAX_HOURS:
        raise ValidationError(f"{label}: 時数は0から{MAX_HOURS}の間で入力してください。")
    return number


@transaction.atomic
def save_municipal_standards(
    *, by: Actor, stage: str, hours: Mapping[tuple[int, int], object]
) -> int:
    """The board's table of one stage: ``(grade, subject id) → hours`` ('' = the national
    value, 0 = not studied in that grade). Values equal to the national table store no row.
    Returns the number of adjusted cells."""
    by.require(by.can_manage_municipality, "標準授業時数を変更する権限がありません。")
    grades = dict((s, g) for s, _, g in STAGES)
    if stage not in grades:
        raise ValidationError("学校段階が正しくありません。")
    subjects = {s.pk: s for s in national_subjects(stage)}
    rows = []
    for (grade, subject_id), value in hours.items():
        subject = subjects.get(subject_id)
        if subject is None or not 1 <= grade <= grades[stage]:
            raise ValidationError("学年または教科が正しくありません。")
        try:
            number = _hours(value, f"{grade}年 {subject.name}")
        except LookupError:
            continue
        default = national.standard_hours(stage, grade).get(subject.name)
        value_or_none = number or None
        if value_or_none == default:
            continue
        rows.append(
            StandardHours(school_type=stage, grade=grade, subject=subject, hours=value_or_none)
        )
    StandardHours.objects.filter(school__isnull=True, school_type=stage).delete()
    StandardHours.objects.bulk_create(rows)
    audit.record(
        by,
        "timetable.standard_hours.set",
        target_type="timetable.standardhours",
        target_id=stage,
        changes={
            "stage": stage,
            "adjusted": {f"{r.grade}年 {r.subject.name}": r.hours for r in rows},
        },
    )
    return len(rows)


def _own_hours(
    school: School, subject: Subject, hours: Mapping[int, object]
) -> list[StandardHours]:
    rows = []
    for grade, value in hours.items():
        if grade not in school.grades:
            raise ValidationError("学年が正しくありません。")
        try:
            number = _hours(value, f"{grade}年")
        except LookupError:
            continue
        if number:
            rows.append(
                StandardHours(
                    school=school,
                    school_type=school.school_type,
                    grade=grade,
                    subject=subject,
                    hours=number,
                )
            )
    return rows


@transaction.atomic
def save_school_subject(
    *,
    by: Actor,
    school: School,
    name: str,
    short_name: str = "",
    hours: Mapping[int, object],
    own: SchoolSubject | None = None,
) -> SchoolSubject:
    """A school's own subject (学校独自の教科・選択・モジュール) and its yearly hours per grade
    (empty or 0: not taught in that grade). ``own`` given: its hours are replaced."""
    by.require(by.can_edit_timetable(school.pk), "教育課程を編集する権限がありません。")
    if own is None:
        name = (name or "").strip()
        if not 1 <= len(name) <= 30:
            raise ValidationError({"name": "教科名を30文字以内で入力してください。"})
        if name in {n for n, _, _ in SUBJECTS_BY_TYPE[school.school_type]}:
            raise ValidationError({"name": f"「{name}」は国の教科です。別の名前にしてください。"})
        subject, _ = Subject.objects.get_or_create(
            school_type=school.school_type,
            name=name,
            defaults={
                "short_name": (short_name or name)[:6],
                "sort_order": OWN_SUBJECT_ORDER,
                "is_graded": False,
            },
        )
        if SchoolSubject.objects.filter(school=school, subject=subject).exists():
            raise ValidationError({"name": f"「{name}」は既に登録されています。"})
        own = SchoolSubject.objects.create(school=school, subject=subject)
        verb = "create"
    else:
        if own.school_id != school.pk:
            raise ValidationError("この学校の教科を選んでください。")
        verb = "update"
    rows = _own_hours(school, own.subject, hours)
    StandardHours.objects.filter(school=school, subject=own.subject).delete()
    StandardHours.objects.bulk_create(rows)
    audit.record(
        by,
        f"timetable.school_subject.{verb}",
        own,
        school=school,
        changes={"name": own.subject.name, "hours": {f"{r.grade}年": r.hours for r in rows}},
    )
    return own


@transaction.atomic
def delete_school_subject(own: SchoolSubject, *, by: Actor) -> None:
    """Removes a school's own subject (refused while its timetable uses it)."""
    school = own.school
    by.require(by.can_edit_timetable(school.pk), "教育課程を編集する権限がありません。")
    subject = own.subject
    if Lesson.objects.filter(timetable__school=school, subject=subject).exists():
        raise ValidationError(f"「{subject.name}」は時間割で使われているため削除できません。")
    StandardHours.objects.filter(school=school, subject=subject).delete()
    audit.record(
        by, "timetable.school_subject.delete", own, school=school, changes={"name": subject.name}
    )
    own.delete()
    if not SchoolSubject.objects.filter(subject=subject).exists():
        try:
            with transaction.atomic():
                subject.delete()
        except ProtectedError:
            # Used elsewhere (the gradebook, another school): the whole removal is undone.
            raise ValidationError(
                f"「{subject.name}」は他の記録で使われているため削除できません。"
            ) from None
