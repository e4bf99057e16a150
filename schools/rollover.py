"""Year roll-over (年度更新 / 進級処理) of each school, and the switch of the school year.

``SchoolYear`` is municipality-wide: at most one year is ``current`` (現年度),
the next one may be ``preparing`` (仮年度) while the current one runs, and past
years are ``archived`` (過年度, read-only: every function here refuses to write
into them).

The roll-over is per school and happens inside the preparing year:

1. ``rollover_school`` (school administrator) creates the school's classes of
   the preparing year, moves every student still enrolled up one grade (by a
   placement map, or "keep the class letter"), lets the top grade graduate
   (exit=graduation, left on 31 March of the current year), copies the
   school's roles as drafts (``is_draft=True``, not yet effective; class roles
   follow their class, 持ち上がり; so do teaching assignments, and groups whose classes all
   continue) and this year's terms one year later; the timetable copies its bell schedules
   and starts an empty draft timetable (``timetable/rollover.py``). The school
   keeps working in the current year meanwhile; its ``SchoolRollover`` row is
   ``prepared``. ``cancel_rollover`` undoes it completely while the year is
   still preparing (terms it copied stay, to be edited).
2. The school edits classes, placements and the draft roles in the preparing
   year, then ``confirm_rollover``: drafts become roles, the row ``confirmed``.
3. ``switch_school_year`` (board of education) makes the preparing year current
   and archives the old one, for the whole municipality at once, and only when
   every active school with students in the current year has confirmed its
   roll-over, so that no school is left without classes on 1 April.

New first-years enter the preparing year's first-grade classes (created empty by
the roll-over) through ``enrol_student`` or the roster import; a placement file
(学級編成) passes ``placements`` to ``rollover_school`` or is imported afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from schools import audit, signals
from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolRollover,
    SchoolYear,
    TeachingAssignment,
    TeachingGroup,
    Term,
)
from schools.permissions import Actor
from schools.services import top_grade

# Placement of a student in next year's class: (class name, roll number or None).
Placement = tuple[str, int | None]


def _next_year_for(current: SchoolYear) -> SchoolYear:
    school_year, _ = SchoolYear.objects.get_or_create(
        year=current.year + 1, defaults={"state": SchoolYear.State.PREPARING}
    )
    return school_year


@transaction.atomic
def rollover_school(
    school: School, *, by: Actor, placements: Mapping[int, Placement] | None = None
) -> SchoolRollover:
    """仮年度更新 of one school from the current year into the preparing year.

    ``placements`` maps a student id to next year's class name (and roll number);
    students without one keep their class letter (1組 stays 1組) and are numbered
    in their old roll-number order. See the module docstring for the whole flow.
    """
    by.require(by.can_manage_school(school.pk))
    current = SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()
    if current is None:
        raise ValidationError(
            "現年度が設定されていません。教育委員会に年度の設定を依頼してください。"
        )
    target = _next_year_for(current)
    if target.state != SchoolYear.State.PREPARING:
        raise ValidationError(f"{target}は準備中の年度ではないため、年度更新できません。")
    if SchoolRollover.objects.filter(school=school, to_year=target).exists():
        raise ValidationError(
            f"{school.name}は既に{target}への年度更新を行いました。やり直す場合は取り消してから実行してください。"
        )
    if Classroom.objects.filter(school=school, school_year=target).exists():
        raise ValidationError(
            f"{target}の学級が既にあります。年度更新は学級のない状態から行います（先に学級を削除してください）。"
        )
    placements = placements or {}
    last = top_grade(school)
    old_classes = list(Classroom.objects.filter(school=school, school_year=current))

    # Next year's classes: every grade moves up; the first grade gets this year's set again.
    new_keys: dict[tuple[int | None, str], Classroom] = {}
    for c in old_classes:
        if c.is_special_needs:
            keys = [(None, c.name)]
        else:
            keys = [] if c.grade == last else [(c.grade + 1, c.name)]
            if c.grade == school.grades[0]:
                keys.append((c.grade, c.name))
        for grade, name in keys:
            new_keys.setdefault(
                (grade, name),
                Classroom(
                    school=school,
                    school_year=target,
                    grade=grade,
                    name=name,
                    is_special_needs=c.is_special_needs,
                    sort_order=c.sort_order,
                ),
            )
    enrolments = list(
        Enrolment.objects.filter(school=school, school_year=current)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=current.end))
        .select_related("classroom")
        .order_by("classroom__sort_order", "classroom_id", "roll_number")
    )
    # A placement file may name classes that did not exist this year (e.g. 3 classes become 4).
    for e in enrolments:
        if e.student_id in placements and e.grade < last:
            name = placements[e.student_id][0]
            if (None, name) not in new_keys:
                new_keys.setdefault(
                    (e.grade + 1, name),
                    Classroom(school=school, school_year=target, grade=e.grade + 1, name=name),
                )
    Classroom.objects.bulk_create(new_keys.values())
    classes = new_keys

    graduates: list[Enrolment] = []
    moves: list[tuple[Enrolment, Classroom, int | None]] = []
    for e in enrolments:
        if e.grade >= last:
            graduates.append(e)
            continue
        if e.student_id in placements:
            name, roll = placements[e.student_id]
            target_class = classes.get((None, name)) or classes[(e.grade + 1, name)]
        else:
            special = e.classroom.is_special_needs
            target_class = classes[
                (None, e.classroom.name) if special else (e.grade + 1, e.classroom.name)
            ]
            roll = None
        moves.append((e, target_class, roll))

    # Roll numbers: explicit ones first, the others fill in, in old order.
    taken: dict[int, set[int]] = defaultdict(set)
    for _e, c, roll in moves:
        if roll is not None:
            if roll in taken[id(c)]:
                raise ValidationError(f"{c.label}の出席番号 {roll} が重複しています。")
            taken[id(c)].add(roll)
    counters: dict[int, int] = defaultdict(int)
    new_enrolments = []
    for e, c, roll in moves:
        if roll is None:
            counters[id(c)] += 1
            while counters[id(c)] in taken[id(c)]:
                counters[id(c)] += 1
            roll = counters[id(c)]
        new_enrolments.append(
            Enrolment(
                student_id=e.student_id,
                classroom=c,
                school=school,
                school_year=target,
                grade=e.grade + 1,
                roll_number=roll,
                enrolled_on=target.start,
                entry=Enrolment.Entry.PROMOTION,
            )
        )
    Enrolment.objects.bulk_create(new_enrolments, batch_size=2000)
    Enrolment.objects.filter(pk__in=[e.pk for e in graduates]).update(
        left_on=current.end, exit=Enrolment.Exit.GRADUATION
    )

    drafts = _draft_roles(school, current, target, old_classes, classes)
    RoleAssignment.objects.bulk_create(drafts, batch_size=2000)
    follow = _following(old_classes, classes)
    successors: dict[int, int] = {}  # this year's assignment -> its draft (for other apps)
    drafts += _draft_assignments(school, current, target, follow, successors)
    promoted = {e.student_id for e in new_enrolments}
    groups = _draft_groups(school, current, target, follow, promoted)
    drafts += _draft_group_assignments(school, current, target, groups, successors)
    terms = _copy_terms(school, current, target)

    rollover = SchoolRollover.objects.create(
        school=school,
        from_year=current,
        to_year=target,
        graduated=len(graduates),
        promoted=len(new_enrolments),
    )
    audit.record(
        by,
        "schools.rollover.prepare",
        rollover,
        school=school,
        changes={
            "from": current.year,
            "to": target.year,
            "classes": len(classes),
            "promoted": len(new_enrolments),
            "graduated": len(graduates),
            "draft_roles": len(drafts),
            "draft_groups": len(groups),
            "terms": terms,
            "placed_by_file": len(placements),
        },
    )
    signals.rollover_prepared.send(
        sender=SchoolRollover, rollover=rollover, by=by, assignments=successors
    )
    return rollover


def _following(
    old_classes: list[Classroom], classes: dict[tuple[int | None, str], Classroom]
) -> dict[int, Classroom]:
    """This year's class → next year's class it becomes (持ち上がり), when there is one."""
    follow = {}
    for c in old_classes:
        key = (None, c.name) if c.is_special_needs else (c.grade + 1, c.name)
        if key in classes:
            follow[c.pk] = classes[key]
    return follow


def _draft_roles(
    school: School,
    current: SchoolYear,
    target: SchoolYear,
    old_classes: list[Classroom],
    classes: dict[tuple[int | None, str], Classroom],
) -> list[RoleAssignment]:
    """Roles copied as drafts: administrators stay, class roles follow their class (持ち上がり)."""
    follow = _following(old_classes, classes)
    drafts = []
    for r in RoleAssignment.objects.filter(school=school, school_year=current, is_draft=False):
        if r.role == Role.SCHOOL_ADMIN:
            classroom = None
        elif r.classroom_id in follow:
            classroom = follow[r.classroom_id]
        else:
            continue  # the class graduated: the administrator gives the teacher a new class
        drafts.append(
            RoleAssignment(
                staff_id=r.staff_id,
                role=r.role,
                title=r.title,
                school=school,
                school_year=target,
                classroom=classroom,
                subject_id=r.subject_id,
                is_draft=True,
            )
        )
    return drafts


def _draft_assignments(
    school: School,
    current: SchoolYear,
    target: SchoolYear,
    follow: dict[int, Classroom],
    successors: dict[int, int],
) -> list[TeachingAssignment]:
    """Teaching assignments (担当) of a class follow it as drafts, teachers included (those of
    a group follow the group's draft: ``_draft_group_assignments``)."""
    old = list(
        TeachingAssignment.objects.filter(
            school=school, school_year=current, is_draft=False, classroom_id__in=list(follow)
        ).prefetch_related("teachers")
    )
    new = TeachingAssignment.objects.bulk_create(
        [
            TeachingAssignment(
                school=school,
                school_year=target,
                classroom=follow[a.classroom_id],
                subject_id=a.subject_id,
                weekly_periods=a.weekly_periods,
                is_draft=True,
            )
            for a in old
        ],
        batch_size=2000,
    )
    successors.update((a.pk, n.pk) for a, n in zip(old, new, strict=True))
    Through = TeachingAssignment.teachers.through
    Through.objects.bulk_create(
        [
            Through(teachingassignment_id=n.pk, staff_id=t.pk)
            for a, n in zip(old, new, strict=True)
            for t in a.teachers.all()
        ],
        batch_size=2000,
    )
    return new


def _draft_groups(
    school: School,
    current: SchoolYear,
    target: SchoolYear,
    follow: dict[int, Classroom],
    promoted: set[int],
) -> dict[int, TeachingGroup]:
    """Groups (合同, 分割, 選択, 交流) follow as drafts when all their classes continue; their
    promoted students stay in them. A group of students only follows while one of them does.
    Returns this year's group id → its draft."""
    Classes, Students = TeachingGroup.classes.through, TeachingGroup.students.through
    class_ids: dict[int, list[int]] = defaultdict(list)
    student_ids: dict[int, list[int]] = defaultdict(list)
    old = list(TeachingGroup.objects.filter(school=school, school_year=current, is_draft=False))
    for group_id, classroom_id in Classes.objects.filter(
        teachinggroup_id__in=[g.pk for g in old]
    ).values_list("teachinggroup_id", "classroom_id"):
        class_ids[group_id].append(classroom_id)
    for group_id, student_id in Students.objects.filter(
        teachinggroup_id__in=[g.pk for g in old]
    ).values_list("teachinggroup_id", "student_id"):
        student_ids[group_id].append(student_id)
    kept = []
    for g in old:
        classes = class_ids[g.pk]
        students = [s for s in student_ids[g.pk] if s in promoted]
        if classes and all(c in follow for c in classes):
            kept.append((g, [follow[c].pk for c in classes], students))
        elif not classes and students:
            kept.append((g, [], students))
    new = TeachingGroup.objects.bulk_create(
        TeachingGroup(school=school, school_year=target, kind=g.kind, name=g.name, is_draft=True)
        for g, _, _ in kept
    )
    Classes.objects.bulk_create(
        Classes(teachinggroup_id=n.pk, classroom_id=c)
        for (_, cs, _), n in zip(kept, new, strict=True)
        for c in cs
    )
    Students.objects.bulk_create(
        (
            Students(teachinggroup_id=n.pk, student_id=s)
            for (_, _, ss), n in zip(kept, new, strict=True)
            for s in ss
        ),
        batch_size=2000,
    )
    return {g.pk: n for (g, _, _), n in zip(kept, new, strict=True)}


def _draft_group_assignments(
    school: School,
    current: SchoolYear,
    target: SchoolYear,
    groups: dict[int, TeachingGroup],
    successors: dict[int, int],
) -> list[TeachingAssignment]:
    """A group's teaching assignments follow its draft, teachers included."""
    old = list(
        TeachingAssignment.objects.filter(
            school=school, school_year=current, is_draft=False, group_id__in=list(groups)
        ).prefetch_related("teachers")
    )
    new = TeachingAssignment.objects.bulk_create(
        TeachingAssignment(
            school=school,
            school_year=target,
            group=groups[a.group_id],
            subject_id=a.subject_id,
            weekly_periods=a.weekly_periods,
            is_draft=True,
        )
        for a in old
    )
    successors.update((a.pk, n.pk) for a, n in zip(old, new, strict=True))
    Through = TeachingAssignment.teachers.through
    Through.objects.bulk_create(
        Through(teachingassignment_id=n.pk, staff_id=t.pk)
        for a, n in zip(old, new, strict=True)
        for t in a.teachers.all()
    )
    return new


def _copy_terms(school: School, current: SchoolYear, target: SchoolYear) -> int:
    """Next year's terms default to this year's, one year later (the school edits them)."""
    if Term.objects.filter(school=school, school_year=target).exists():
        return 0
    created = Term.objects.bulk_create(
        Term(
            school=school,
            school_year=target,
            number=t.number,
            name=t.name,
            start=_next_year_date(t.start),
            end=_next_year_date(t.end),
        )
        for t in Term.objects.filter(school=school, school_year=current)
    )
    return len(created)


def _next_year_date(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _preparing_rollover(rollover: SchoolRollover) -> None:
    rollover.to_year.refresh_from_db(fields=["state"])
    if rollover.to_year.state != SchoolYear.State.PREPARING:
        raise ValidationError(
            f"{rollover.to_year}は既に始まっているため、年度更新は変更できません。"
        )


@transaction.atomic
def cancel_rollover(rollover: SchoolRollover, *, by: Actor) -> None:
    """取り消し: removes the school's classes, enrolments and roles of the preparing year."""
    by.require(by.can_manage_school(rollover.school_id))
    _preparing_rollover(rollover)
    school, target, current = rollover.school, rollover.to_year, rollover.from_year
    signals.rollover_cancelled.send(sender=SchoolRollover, rollover=rollover, by=by)
    Enrolment.objects.filter(school=school, school_year=target).delete()
    RoleAssignment.objects.filter(school=school, school_year=target).delete()
    TeachingAssignment.objects.filter(school=school, school_year=target).delete()
    TeachingGroup.objects.filter(school=school, school_year=target).delete()
    Classroom.objects.filter(school=school, school_year=target).delete()
    Enrolment.objects.filter(
        school=school, school_year=current, exit=Enrolment.Exit.GRADUATION, left_on=current.end
    ).update(left_on=None, exit="")
    audit.record(
        by, "schools.rollover.cancel", rollover, school=school, changes={"to": target.year}
    )
    rollover.delete()


@transaction.atomic
def confirm_rollover(rollover: SchoolRollover, *, by: Actor) -> SchoolRollover:
    """確定: the draft roles of the preparing year become the school's roles."""
    by.require(by.can_manage_school(rollover.school_id))
    _preparing_rollover(rollover)
    if rollover.state == SchoolRollover.State.CONFIRMED:
        raise ValidationError("この年度更新は既に確定しています。")
    count = RoleAssignment.objects.filter(
        school=rollover.school, school_year=rollover.to_year, is_draft=True
    ).update(is_draft=False)
    count += TeachingAssignment.objects.filter(
        school=rollover.school, school_year=rollover.to_year, is_draft=True
    ).update(is_draft=False)
    TeachingGroup.objects.filter(
        school=rollover.school, school_year=rollover.to_year, is_draft=True
    ).update(is_draft=False)
    rollover.state = SchoolRollover.State.CONFIRMED
    rollover.confirmed_at = timezone.now()
    rollover.save(update_fields=["state", "confirmed_at"])
    audit.record(
        by,
        "schools.rollover.confirm",
        rollover,
        school=rollover.school,
        changes={"to": rollover.to_year.year, "roles": count},
    )
    signals.rollover_confirmed.send(sender=SchoolRollover, rollover=rollover, by=by)
    return rollover


def schools_not_ready(target: SchoolYear) -> list[School]:
    """Active schools with students this year whose roll-over into ``target`` is not confirmed."""
    confirmed = SchoolRollover.objects.filter(
        to_year=target, state=SchoolRollover.State.CONFIRMED
    ).values("school_id")
    with_students = Enrolment.objects.filter(school_year__year=target.year - 1).values("school_id")
    return list(
        School.objects.filter(is_active=True, pk__in=with_students).exclude(pk__in=confirmed)
    )


@transaction.atomic
def switch_school_year(target: SchoolYear, *, by: Actor) -> SchoolYear:
    """年度切替 (board of education): the preparing year becomes current, the old one archived."""
    by.require(by.can_manage_municipality)
    target = SchoolYear.objects.select_for_update().get(pk=target.pk)
    if target.state != SchoolYear.State.PREPARING:
        raise ValidationError(f"{target}は準備中の年度ではありません。")
    current = SchoolYear.objects.select_for_update().filter(state=SchoolYear.State.CURRENT).first()
    if current is not None and current.year != target.year - 1:
        raise ValidationError(f"{target}の前の年度が現年度ではありません。")
    if waiting := schools_not_ready(target):
        names = "、".join(s.name for s in waiting)
        raise ValidationError(f"年度更新が確定していない学校があります: {names}")
    if current is not None:
        current.state = SchoolYear.State.ARCHIVED
        current.save(update_fields=["state"])
    target.state = SchoolYear.State.CURRENT
    try:
        target.save(update_fields=["state"])
    except IntegrityError as exc:  # the one-current-year constraint: a concurrent switch
        raise ValidationError("年度の切替が同時に行われました。もう一度お試しください。") from exc
    audit.record(
        by,
        "schools.school_year.switch",
        target,
        changes={"current": target.year, "archived": current.year if current else None},
    )
    signals.school_year_switched.send(
        sender=SchoolYear, school_year=target, previous=current, by=by
    )
    return target
