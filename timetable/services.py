"""Writes of the timetable: one function per user action, one transaction, one audit record.

Every function takes the acting person keyword-only (``by: Actor``) and asks it
(``Actor.can_edit_timetable``). Input that cannot be stored (a weekday or period that
does not exist, a room of another school) is refused with a Japanese ``ValidationError``;
clashes (a teacher in two places …) are not refusals: ``replace_class_week`` returns them
as warnings, so that a timetable can be built step by step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction

from schools import audit, calendar
from schools.models import Classroom, School, SchoolYear, Staff, Subject, TeachingGroup
from schools.permissions import Actor, as_pk
from timetable import curriculum, queries, rules
from timetable.models import (
    BellPeriod,
    BellSchedule,
    BellScheduleDay,
    DailyChange,
    Lesson,
    Room,
    Timetable,
    Unavailability,
)

MAX_PERIOD = 12


def require_editor(by: Actor, school_id: int) -> None:
    by.require(by.can_edit_timetable(school_id), "時間割を編集する権限がありません。")


def require_writable(school_year: SchoolYear) -> None:
    if school_year.is_read_only:
        raise ValidationError(f"{school_year}は過年度のため変更できません。", code="archived")


def _time(value: object, field: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    text = str(value or "").strip().replace("：", ":")
    try:
        hours, minutes = text.split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValidationError({field: "時刻は 8:45 のように入力してください。"}) from exc


# --- bell schedules (校時表) ---------------------------------------------------------------


@transaction.atomic
def save_bell_schedule(
    *,
    by: Actor,
    school: School,
    school_year: SchoolYear,
    name: str,
    kind: str = BellSchedule.Kind.NORMAL,
    periods: Sequence[tuple[int, object, object]],
    is_default: bool = False,
    schedule: BellSchedule | None = None,
) -> BellSchedule:
    """Create or change a bell schedule and its periods: (number, start, end), e.g. 8:45-9:30."""
    require_editor(by, school.pk)
    require_writable(school_year)
    name = (name or "").strip()
    if not name or len(name) > 30:
        raise ValidationError({"name": "名称を30文字以内で入力してください。"})
    if kind not in BellSchedule.Kind.values:
        raise ValidationError({"kind": "種類を選んでください。"})
    rows: list[tuple[int, dt.time, dt.time]] = []
    for number, start, end in periods:
        n = as_pk(number) if number not in (0, "0") else 0
        if n is None or n > MAX_PERIOD:
            raise ValidationError({"periods": f"校時は0〜{MAX_PERIOD}で入力してください。"})
        a, b = _time(start, "periods"), _time(end, "periods")
        if a >= b:
            raise ValidationError({"periods": f"{n}校時の終了は開始より後にしてください。"})
        rows.append((n, a, b))
    rows.sort()
    if not rows:
        raise ValidationError({"periods": "校時を一つ以上入力してください。"})
    if len({n for n, _, _ in rows}) != len(rows):
        raise ValidationError({"periods": "同じ校時が二度あります。"})
    for (n1, _, end1), (n2, start2, _) in zip(rows, rows[1:], strict=False):
        if start2 < end1:
            raise ValidationError({"periods": f"{n1}校時と{n2}校時の時刻が重なっています。"})
    clash = BellSchedule.objects.filter(school=school, school_year=school_year, name=name)
    if schedule is not None:
        clash = clash.exclude(pk=schedule.pk)
    if clash.exists():
        raise ValidationError({"name": f"校時表「{name}」は既にあります。"})
    created = schedule is None
    first = not BellSchedule.objects.filter(school=school, school_year=school_year).exists()
    if is_default or first:
        BellSchedule.objects.filter(school=school, school_year=school_year).update(is_default=False)
    if schedule is None:
        schedule = BellSchedule(school=school, school_year=school_year)
    schedule.name, schedule.kind = name, kind
    schedule.is_default = is_default or first or (not created and schedule.is_default)
    schedule.save()
    schedule.periods.all().delete()
    BellPeriod.objects.bulk_create(
        BellPeriod(schedule=schedule, number=n, start=a, end=b) for n, a, b in rows
    )
    audit.record(
        by,
        "timetable.bell_schedule.create" if created else "timetable.bell_schedule.update",
        schedule,
        school=school,
        changes={
            "name": name,
            "kind": kind,
            "default": schedule.is_default,
            "periods": [f"{n}:{a:%H:%M}-{b:%H:%M}" for n, a, b in rows],
        },
    )
    return schedule


@transaction.atomic
def delete_bell_schedule(schedule: BellSchedule, *, by: Actor) -> None:
    require_editor(by, schedule.school_id)
    require_writable(schedule.school_year)
    if schedule.is_default:
        raise ValidationError("既定の校時表は削除できません。先に別の校時表を既定にしてください。")
    audit.record(
        by,
        "timetable.bell_schedule.delete",
        schedule,
        school=schedule.school,
        changes={"name": schedule.name},
    )
    schedule.delete()


@transaction.atomic
def set_bell_day(
    *, by: Actor, school: School, date: dt.date, schedule: BellSchedule | None
) -> BellScheduleDay | None:
    """Which schedule a date uses (a planned 短縮日); None goes back to the default."""
    require_editor(by, school.pk)
    if schedule is not None:
        if schedule.school_id != school.pk:
            raise ValidationError({"schedule": "この学校の校時表を選んでください。"})
        if not calendar.in_year(schedule.school_year, date):
            raise ValidationError({"date": "校時表の年度の日付を入力してください。"})
    BellScheduleDay.objects.filter(school=school, date=date).delete()
    row = None
    if schedule is not None:
        row = BellScheduleDay.objects.create(school=school, date=date, schedule=schedule)
    audit.record(
        by,
        "timetable.bell_day.set",
        row,
        school=school,
        target_type="timetable.bellscheduleday",
        target_id=date.isoformat(),
        changes={"date": date.isoformat(), "schedule": schedule.name if schedule else "既定"},
    )
    return row


# --- rooms (教室) --------------------------------------------------------------------------


@transaction.atomic
def save_room(
    *,
    by: Actor,
    school: School,
    name: str,
    kind: str = Room.Kind.ORDINARY,
    capacity: object = 1,
    room: Room | None = None,
) -> Room:
    require_editor(by, school.pk)
    name = (name or "").strip()
    if not name or len(name) > 30:
        raise ValidationError({"name": "教室名を30文字以内で入力してください。"})
    if kind not in Room.Kind.values:
        raise ValidationError({"kind": "種類を選んでください。"})
    cap = as_pk(capacity)
    if cap is None or cap > 20:
        raise ValidationError({"capacity": "同時に使える学級数は1〜20で入力してください。"})
    clash = Room.objects.filter(school=school, name=name)
    if room is not None:
        clash = clash.exclude(pk=room.pk)
    if clash.exists():
        raise ValidationError({"name": f"教室「{name}」は既にあります。"})
    created = room is None
    if room is None:
        room = Room(school=school)
    room.name, room.kind, room.capacity = name, kind, cap
    room.save()
    audit.record(
        by,
        "timetable.room.create" if created else "timetable.room.update",
        room,
        school=school,
        changes={"name": name, "kind": kind, "capacity": cap},
    )
    return room


@transaction.atomic
def delete_room(room: Room, *, by: Actor) -> None:
    require_editor(by, room.school_id)
    audit.record(by, "timetable.room.delete", room, school=room.school, changes={"name": room.name})
    room.delete()


# --- teachers' unavailable periods (授業不可) -----------------------------------------------


def check_reason(reason: object) -> str:
    """授業不可の理由: at most 60 characters."""
    text = str(reason or "").strip()
    if len(text) > 60:
        raise ValidationError({"reason": "理由は60文字以内で入力してください。"})
    return text


def unavailable_slots(slots: Iterable[object]) -> set[tuple[int, int]]:
    """[[weekday, period], ...] checked: Monday-Saturday (0-5), periods 1-12."""
    wanted: set[tuple[int, int]] = set()
    for slot in slots:
        try:
            weekday, period = (int(v) for v in slot)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValidationError({"slots": "曜日と校時の指定が正しくありません。"}) from None
        if not (0 <= weekday <= 5 and 1 <= period <= MAX_PERIOD):
            raise ValidationError({"slots": "曜日は月〜土、校時は1〜12で指定してください。"})
        wanted.add((weekday, period))
    return wanted


@transaction.atomic
def set_unavailability(
    *,
    by: Actor,
    school: School,
    school_year: SchoolYear,
    staff: Staff,
    slots: Iterable[object],
    reason: str = "",
) -> list[Unavailability]:
    """Replace a teacher's unavailable periods at a school for a year (one reason for all)."""
    require_editor(by, school.pk)
    require_writable(school_year)
    reason = check_reason(reason)
    wanted = unavailable_slots(slots)
    before = sorted(
        Unavailability.objects.filter(
            school=school, school_year=school_year, staff=staff
        ).values_list("weekday", "period")
    )
    Unavailability.objects.filter(school=school, school_year=school_year, staff=staff).delete()
    rows = Unavailability.objects.bulk_create(
        Unavailability(
            school=school,
            school_year=school_year,
            staff=staff,
            weekday=w,
            period=p,
            reason=reason,
        )
        for w, p in sorted(wanted)
    )
    audit.record(
        by,
        "timetable.unavailability.set",
        staff,
        school=school,
        changes={
            "school_year": school_year.year,
            "slots": [[list(x) for x in before], [list(x) for x in sorted(wanted)]],
            "reason": reason,
        },
    )
    return rows


# --- the weekly timetable ------------------------------------------------------------------


@transaction.atomic
def create_timetable(
    *,
    by: Actor,
    school: School,
    school_year: SchoolYear,
    valid_from: dt.date | None = None,
    name: str = "時間割",
    copy_from: Timetable | None = None,
) -> Timetable:
    """A weekly timetable in force from a date (a 2学期 timetable), optionally a copy."""
    require_editor(by, school.pk)
    require_writable(school_year)
    start, _ = calendar.year_bounds(school_year)
    valid_from = valid_from or start
    if not calendar.in_year(school_year, valid_from):
        raise ValidationError({"valid_from": "年度内の日付を入力してください。"})
    if Timetable.objects.filter(school=school, valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "この日から始まる時間割は既にあります。"})
    timetable = Timetable.objects.create(
        school=school, school_year=school_year, valid_from=valid_from, name=name[:30] or "時間割"
    )
    copied = 0
    if copy_from is not None:
        if copy_from.school_id != school.pk:
            raise ValidationError({"copy_from": "この学校の時間割を選んでください。"})
        for old in copy_from.lessons.prefetch_related("teachers"):
            teachers = list(old.teachers.all())
            old.pk, old.timetable = None, timetable
            old.save()
            old.teachers.set(teachers)
            copied += 1
    audit.record(
        by,
        "timetable.timetable.create",
        timetable,
        school=school,
        changes={"valid_from": valid_from.isoformat(), "name": timetable.name, "copied": copied},
    )
    return timetable


@dataclass(frozen=True)
class LessonInput:
    """One lesson of a class's week as asked for (ids as given by a page or the API)."""

    weekday: object
    period: object
    subject: object
    teachers: Sequence[object] = ()
    room: object = None
    length: object = 1
    group: object = None
    division: str = ""
    section: str = ""
    # A module (モジュール学習): its minutes, counted as a fraction of the 単位時間.
    minutes: object = None


@dataclass
class WeekResult:
    lessons: list[Lesson]
    clashes: list[rules.Clash]  # warnings: saved all the same


def _parse_lessons(
    school: School,
    classroom: Classroom,
    items: Iterable[LessonInput | Mapping],
    periods_a_day: int,
) -> list[tuple[dict, list[int]]]:
    items = [i if isinstance(i, LessonInput) else LessonInput(**_known(i)) for i in items]
    # The national subjects and the school's own (not another school's).
    subjects = {s.pk: s for s in curriculum.subjects_of(school)}
    rooms = set(Room.objects.filter(school=school).values_list("pk", flat=True))
    groups = set(
        TeachingGroup.objects.filter(
            school=school, school_year_id=classroom.school_year_id, classes=classroom
        ).values_list("pk", flat=True)
    )
    wanted_teachers = {as_pk(t) for i in items for t in i.teachers}
    teachers = set(
        Staff.objects.filter(pk__in=wanted_teachers - {None}).values_list("pk", flat=True)
    )
    parsed = []
    for n, item in enumerate(items, start=1):
        where = f"{n}件目"
        weekday = _small(item.weekday)
        if weekday is None or weekday > 5:
            raise ValidationError({"lessons": f"{where}: 曜日は0（月）〜5（土）です。"})
        period = as_pk(item.period)
        length = as_pk(item.length if item.length not in (None, "") else 1)
        if length is None or length > 4:
            raise ValidationError({"lessons": f"{where}: 時間数は1〜4です。"})
        if period is None or period + length - 1 > periods_a_day:
            raise ValidationError(
                {"lessons": f"{where}: 校時は1〜{periods_a_day}の範囲で入力してください。"}
            )
        subject = subjects.get(as_pk(item.subject))
        if subject is None:
            raise ValidationError({"lessons": f"{where}: この学校種の教科を選んでください。"})
        room = None
        if item.room not in (None, ""):
            room = as_pk(item.room)
            if room not in rooms:
                raise ValidationError({"lessons": f"{where}: この学校の教室を選んでください。"})
        group = None
        if item.group not in (None, ""):
            group = as_pk(item.group)
            if group not in groups:
                raise ValidationError(
                    {"lessons": f"{where}: この学級を含む授業グループを選んでください。"}
                )
        minutes = None
        if item.minutes not in (None, ""):
            minutes = as_pk(item.minutes)
            if minutes is None or not 5 <= minutes <= 100:
                raise ValidationError({"lessons": f"{where}: 分数は5〜100の整数です。"})
        ids = [as_pk(t) for t in item.teachers]
        if any(t not in teachers for t in ids):
            raise ValidationError({"lessons": f"{where}: 教職員が見つかりません。"})
        parsed.append(
            (
                {
                    "weekday": weekday,
                    "period": period,
                    "length": length,
                    "subject": subject,
                    "room_id": room,
                    "group_id": group,
                    "classroom": None if group else classroom,
                    "division": str(item.division or "")[:20],
                    "section": str(item.section or "")[:20],
                    "minutes": minutes,
                },
                list(dict.fromkeys(ids)),
            )
        )
    return parsed


def _known(item: Mapping) -> dict:
    fields = LessonInput.__dataclass_fields__
    return {k: v for k, v in item.items() if k in fields}


def _small(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10 else None
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 3 else None


def create_lessons(rows: Sequence[Lesson], teachers: Sequence[Iterable[int]]) -> list[Lesson]:
    """Lessons and their teachers (staff ids, one list per lesson) in two bulk inserts, inside
    the caller's transaction and audit record (a week replaced, a proposal applied, a FET
    file imported)."""
    created = Lesson.objects.bulk_create(rows)
    through = Lesson.teachers.through
    through.objects.bulk_create(
        through(lesson_id=lesson.pk, staff_id=t)
        for lesson, ts in zip(created, teachers, strict=True)
        for t in ts
    )
    return created


@transaction.atomic
def replace_class_week(
    *,
    by: Actor,
    timetable: Timetable,
    classroom: Classroom,
    lessons: Iterable[LessonInput | Mapping],
) -> WeekResult:
    """Replace every lesson of one class in a weekly timetable, in one call.

    Refuses only what cannot be stored; then returns the school's clashes that involve the
    class's new lessons (a teacher in two places, a room over capacity …) as warnings.
    Lessons of a group are replaced when the class is one of the group's classes.
    """
    require_editor(by, timetable.school_id)
    require_writable(timetable.school_year)
    if classroom.school_id != timetable.school_id or (
        classroom.school_year_id != timetable.school_year_id
    ):
        raise ValidationError({"classroom": "この時間割の学校・年度の学級ではありません。"})
    school = timetable.school
    parsed = _parse_lessons(school, classroom, lessons, calendar.periods_per_day(school))
    group_ids = {fields["group_id"] for fields, _ in parsed if fields["group_id"]}
    old = Lesson.objects.filter(timetable=timetable, classroom=classroom)
    removed = old.count()
    old.delete()
    if group_ids:
        Lesson.objects.filter(timetable=timetable, group_id__in=group_ids).delete()
    created = create_lessons(
        [Lesson(timetable=timetable, **f) for f, _ in parsed], [t for _, t in parsed]
    )
    audit.record(
        by,
        "timetable.week.replace",
        timetable,
        school=school,
        changes={"classroom": classroom.label, "removed": removed, "lessons": len(created)},
    )
    mine = {lesson.pk for lesson in created}
    found = [
        c for c in queries.timetable_clashes(timetable) if any(x.key in mine for x in c.lessons)
    ]
    return WeekResult(created, found)


# --- daily changes (時間割変更・日課変更) ------------------------------------------------------


@transaction.atomic
def add_daily_change(
    *,
    by: Actor,
    school: School,
    date: dt.date,
    kind: str,
    lesson: object = None,
    classroom: object = None,
    period: object = None,
    other_period: object = None,
    subject: object = None,
    teachers: Sequence[object] = (),
    absent: object = None,
    room: object = None,
    bell_schedule: object = None,
    weekday: object = None,
    note: str = "",
) -> DailyChange:
    """One change of a date; each kind asks for its own fields (see ``DailyChange``)."""
    require_editor(by, school.pk)
    year = queries.year_of(date)
    if year is None:
        raise ValidationError({"date": "この日付の年度がありません。"})
    require_writable(year)
    if kind not in DailyChange.Kind.values:
        raise ValidationError({"kind": "変更の種類を選んでください。"})
    change = DailyChange(school=school, date=date, kind=kind, note=str(note or "")[:100])
    periods = calendar.periods_per_day(school)
    K = DailyChange.Kind

    def pick_period(value: object, field: str) -> int:
        p = as_pk(value)
        if p is None or p > periods:
            raise ValidationError({field: f"校時は1〜{periods}で入力してください。"})
        return p

    if kind in (K.MOVE, K.CANCEL, K.SUBSTITUTE, K.SELF_STUDY):
        in_force = queries.timetable_on(school, date)
        found = Lesson.objects.filter(
            pk=as_pk(lesson), timetable=in_force, weekday=_weekday_of(school, date)
        ).first()
        if found is None:
            raise ValidationError({"lesson": "この日の時間割の授業を選んでください。"})
        change.lesson = found
        if kind == K.MOVE:
            change.period = pick_period(period, "period")
        if kind in (K.SUBSTITUTE, K.SELF_STUDY):
            absent_id = as_pk(absent)
            if absent_id is None or not found.teachers.filter(pk=absent_id).exists():
                raise ValidationError({"absent": "欠ける先生（この授業の担当）を選んでください。"})
            change.absent_id = absent_id
            if len(teachers) != 1:
                label = "代わりの先生" if kind == K.SUBSTITUTE else "自習監督の先生"
                raise ValidationError({"teachers": f"{label}を一人選んでください。"})
    elif kind == K.SWAP:
        change.classroom = _class_of(school, classroom, date)
        change.period = pick_period(period, "period")
        change.other_period = pick_period(other_period, "other_period")
        if change.period == change.other_period:
            raise ValidationError({"other_period": "違う校時を選んでください。"})
    elif kind == K.ADD:
        change.classroom = _class_of(school, classroom, date)
        change.period = pick_period(period, "period")
        change.subject = Subject.objects.filter(
            pk=as_pk(subject), school_type=school.school_type
        ).first()
        if change.subject is None:
            raise ValidationError({"subject": "この学校種の教科を選んでください。"})
    elif kind == K.BELL:
        change.bell_schedule = BellSchedule.objects.filter(
            pk=as_pk(bell_schedule), school=school
        ).first()
        if change.bell_schedule is None:
            raise ValidationError({"bell_schedule": "この学校の校時表を選んでください。"})
    elif kind == K.WEEKDAY:
        wd = _small(weekday)
        if wd is None or wd > 5:
            raise ValidationError({"weekday": "振り替える曜日を選んでください。"})
        change.weekday = wd
    if room not in (None, ""):
        change.room = Room.objects.filter(pk=as_pk(room), school=school).first()
        if change.room is None:
            raise ValidationError({"room": "この学校の教室を選んでください。"})
    ids = [as_pk(t) for t in teachers]
    staff = list(Staff.objects.filter(pk__in=[t for t in ids if t]))
    if len(staff) != len(set(ids)):
        raise ValidationError({"teachers": "教職員が見つかりません。"})
    change.save()
    change.teachers.set(staff)
    audit.record(
        by,
        "timetable.daily_change.add",
        change,
        school=school,
        changes={
            "date": date.isoformat(),
            "kind": kind,
            "lesson": change.lesson_id,
            "teachers": [s.name for s in staff],
            "note": change.note,
        },
    )
    return change


def _class_of(school: School, classroom: object, date: dt.date) -> Classroom:
    found = Classroom.objects.filter(pk=as_pk(classroom), school=school).first()
    if found is None:
        raise ValidationError({"classroom": "この学校の学級を選んでください。"})
    return found


def _weekday_of(school: School, date: dt.date) -> int:
    """The timetable weekday a date uses (after a 曜日振替 change of that date)."""
    swap = (
        DailyChange.objects.filter(school=school, date=date, kind=DailyChange.Kind.WEEKDAY)
        .values_list("weekday", flat=True)
        .last()
    )
    return date.weekday() if swap is None else swap


@transaction.atomic
def delete_daily_change(change: DailyChange, *, by: Actor) -> None:
    require_editor(by, change.school_id)
    audit.record(
        by,
        "timetable.daily_change.delete",
        change,
        school=change.school,
        changes={"date": change.date.isoformat(), "kind": change.kind},
    )
    change.delete()


# --- exports (Excel) -----------------------------------------------------------------------

EXPORTS = ("grid", "teachers", "class_week", "teacher_week", "hours", "fet", "rules")


def record_export(
    thing: str,
    target: models.Model | None,
    *,
    by: Actor,
    school: School | None,
    params: dict,
) -> None:
    """The one place a timetable export is audited (``timetable.<thing>.export``)."""
    if thing not in EXPORTS:
        raise ValueError(f"unknown timetable export {thing!r}")
    audit.record_export(
        by,
        f"timetable.{thing}.export",
        target,
        school=school,
        params={"format": "fet" if thing == "fet" else "xlsx", **params},
    )
