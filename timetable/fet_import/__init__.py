"""FET in: a ``.fet`` file (FET's XML) into a school's year, for schools that move from FET.

Upload → preview (nothing written) → commit of the same plan, as the other imports
(``schools.imports.base``): every error of the file at once, in Japanese, with where it is;
the commit plans again inside one transaction and writes everything or nothing, then one
audit record (``timetable.fet.import``).

What the file becomes:

- FET years/groups → the school's classes by name (「1年」/「1組」, 「1-1」, 「1年1組」); a
  name that matches no class is an error the 教務主任 fixes by renaming it in FET;
- a subgroup (or Ai's own 「1年1組/1年数学A」) → a split ``TeachingGroup`` (習熟度別・選択);
  an activity of several whole classes → a 合同 group of those classes;
- teachers by name → the school's ``Staff`` (spaces and full-width ignored; Ai never
  creates accounts from a file: an unknown teacher is an error naming them);
- subjects by name → the school's subjects (national names, short names, common spellings);
- rooms created or updated (Ai's capacity = classes at once: FET rooms 「体育館(1)」「体育館(2)」
  are one gym for two);
- activities → teaching assignments (weekly periods = sum of durations);
- ``ConstraintTeacherNotAvailableTimes`` → ``Unavailability`` of the teachers of the file;
- ``ConstraintActivityPreferredStartingTime`` at 100 % → pinned lessons; when every activity
  has one (FET's ``*_data_and_timetable.fet``), the whole week is the timetable's lessons
  (pinned where FET had it permanently locked);
- the rules that are Ai's 自動作成の決まり (``timetable.rulebook``, written through its
  services in the same transaction): activities of two periods → ``DoublePeriod``; their
  ``ActivityPreferredStartingTimes`` → 「1校時に置かない」/ lunch; ``MinDaysBetweenActivities``
  2 over a two-period subject → 「連続した日に置かない」; teachers' max hours a day / in a
  row / gaps → ``TeacherLimit`` and the school's default; soft time-slot preferences of a
  subject → ``SlotPreference`` (see :class:`Rules`).

Every constraint it does not keep is listed by type and count (``plan.not_kept``), never
silently dropped. The reading is pure (``read``); the matching and writing need the ORM.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from schools import calendar, teaching
from schools.imports.base import ImportRefused, digest, record_import
from schools.models import Classroom, School, SchoolYear, TeachingGroup
from schools.permissions import Actor
from schools.spreadsheets import CellError, Limits
from timetable import queries, rulebook, services
from timetable.fet_import.changes import FetImportPlan
from timetable.fet_import.planner import Planner
from timetable.fet_import.reader import LIMITS_TEXT, MAX_ACTIVITIES, MAX_BYTES, read
from timetable.fet_import.rules import LIMIT_FIELDS, SCHOOL_FIELD
from timetable.generation import fet
from timetable.models import Lesson

KIND = "timetable.fet"


class _Limits(Limits):
    def describe(self) -> str:
        return LIMITS_TEXT


# the API's upload check (``api.imports.read_upload``) names the FET file's own limits
LIMITS = _Limits(max_bytes=MAX_BYTES, max_rows=MAX_ACTIVITIES)
CHANGED = "ファイルを読み込んだ後に学校のデータが変わりました。もう一度ファイルを選んでください。"
REASON = "FETファイルから取り込み"


def plan_fet_import(
    school: School, school_year: SchoolYear, data: bytes, *, filename: str = ""
) -> FetImportPlan:
    """The preview: what the file would change in the school's year, and every error."""
    plan = FetImportPlan(year=school_year, filename=filename, sha256=digest(data), school=school)
    if school_year.is_read_only:
        plan.file_errors.append(
            CellError(f"{school_year}は過年度のため変更できません（閲覧のみ）。")
        )
        return plan
    try:
        f = read(data)
    except fet.FetError as exc:
        plan.file_errors.append(CellError(str(exc)))
        return plan
    plan.timetable = queries.current_timetable(school, school_year, timezone.localdate())
    Planner(plan, f).run()
    return plan


# --- the commit --------------------------------------------------------------------------------


@transaction.atomic
def commit_fet_import(
    school: School,
    school_year: SchoolYear,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    expected_fingerprint: str | None = None,
) -> FetImportPlan:
    """Write the previewed plan in one transaction with its audit record, or nothing."""
    services.require_editor(by, school.pk)
    plan = plan_fet_import(school, school_year, data, filename=filename)
    plan.require_committable(expected_fingerprint, CHANGED)
    try:
        _write(plan, by)
    except ValidationError as exc:
        raise ImportRefused(exc.messages) from exc
    record_import(
        by,
        "timetable.fet.import",
        plan,
        school=school,
        target_type="timetable.timetable" if plan.timetable else "schools.school",
        target_id=str(plan.timetable.pk if plan.timetable else school.pk),
        changes={
            **plan.counts(),
            "with_week": plan.with_week,
            "not_kept": dict(plan.not_kept),
            "clashes": plan.clashes,
            "rules": [[r.what, r.before, r.after] for r in plan.rule_changes],
        },
    )
    return plan


def _write(plan: FetImportPlan, by: Actor) -> None:
    school, year = plan.school, plan.year
    rooms: dict[str, int] = {}
    for r in plan.rooms:
        if r.status == "same":
            rooms[r.name] = r.room.pk
            continue
        room = services.save_room(
            by=by, school=school, name=r.name, kind=r.kind, capacity=r.capacity, room=r.room
        )
        rooms[r.name] = room.pk
    groups: dict[str, TeachingGroup] = {}
    for g in plan.groups:
        if g.status == "same":
            groups[g.name] = g.group
            continue
        groups[g.name] = teaching.save_group(
            by=by,
            school=school,
            school_year=year,
            kind=g.kind,
            name=g.name,
            classes=g.classes,
            students=g.group.students.all() if g.group else (),
            group=g.group,
        )
    classes = {c.pk: c for c in Classroom.objects.filter(school=school, school_year=year)}
    saved_pks: dict[tuple, int] = {}
    for a in plan.assignments:
        if a.status == "same":
            saved_pks[(a.target, a.subject.pk)] = a.assignment.pk
            continue
        target = a.target
        saved = teaching.save_assignment(
            by=by,
            school=school,
            school_year=year,
            subject=a.subject,
            classroom=classes[target[1]] if target[0] == "class" else None,
            group=groups[target[1]] if target[0] == "group" else None,
            teachers=a.teachers,
            weekly_periods=a.periods,
        )
        if saved.is_draft:
            teaching.confirm_assignment(saved, by=by)
        saved_pks[(a.target, a.subject.pk)] = saved.pk
    for u in plan.unavailability:
        services.set_unavailability(
            by=by, school=school, school_year=year, staff=u.staff, slots=u.after, reason=REASON
        )
    _write_rules(plan, saved_pks, by)
    if not plan.lessons and not plan.removed:
        return
    if plan.timetable is None:
        plan.timetable = services.create_timetable(by=by, school=school, school_year=year)
    timetable = plan.timetable
    Lesson.objects.filter(timetable=timetable, pk__in=plan.removed).delete()
    rows, teachers = [], []
    for x in plan.lessons:
        group = groups.get(x.target[1]) if x.target[0] == "group" else None
        rows.append(
            Lesson(
                timetable=timetable,
                weekday=x.weekday,
                period=x.period,
                length=x.length,
                classroom_id=x.target[1] if x.target[0] == "class" else None,
                group=group,
                subject=x.subject,
                division=x.subject.name if x.split else "",
                section=group.name if x.split and group else "",
                room_id=rooms.get(x.room) if x.room else x.room_id,
                pinned=x.pinned,
            )
        )
        teachers.append(x.teachers)
    services.create_lessons(rows, teachers)
    plan.clashes = len(queries.timetable_clashes(timetable))


def _write_rules(plan: FetImportPlan, assignment_pks: dict[tuple, int], by: Actor) -> None:
    """The file's 自動作成の決まり through rulebook's services (each audited)."""
    school = plan.school
    if plan.rule_settings is not None:
        x = plan.rule_settings
        rulebook.save_settings(
            school,
            by=by,
            double_not_first=bool(x["double_not_first"]),
            lunch_after=x["lunch_after"],
            spread_two_period=bool(x["spread_two_period"]),
            limits=rulebook.Limits(*(x[SCHOOL_FIELD[n]] for n in LIMIT_FIELDS)),
        )
    if plan.doubles:
        rulebook.save_doubles(
            school,
            plan.year,
            {assignment_pks[k]: n for k, n in plan.doubles.items() if k in assignment_pks},
            by=by,
        )
    if plan.teacher_limits:
        rulebook.save_teacher_limits(school, plan.teacher_limits, by=by)
    most = calendar.periods_per_day(school)
    for kind, subjects, periods, weekdays, weight in plan.preferences:
        rulebook.add_preference(
            school,
            by=by,
            kind=kind,
            subjects=subjects,
            periods=periods,
            weekdays=weekdays,
            weight=weight,
            most=most,
        )
