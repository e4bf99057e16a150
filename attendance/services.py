"""Every write of attendance: one function per user action, one transaction, one audit record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import holidays as holidays_lib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from attendance import rules
from attendance.models import CalendarOverride, Closure, Mark, SchoolDate, TakenDay, Vacation
from schools import audit
from schools.models import Classroom, Enrolment, School, SchoolYear

NOTE_MAX = 100


def national_holidays(year: int) -> dict[dt.date, str]:
    """国民の祝日 of a 年度 (April to March), from the ``holidays`` package."""
    start, end = rules.school_year_bounds(year)
    jp = holidays_lib.Japan(years=[year, year + 1], language="ja")
    return {d: name for d, name in sorted(jp.items()) if start <= d <= end}


# --- calendar ---------------------------------------------------------------------------


def rebuild_calendar(school: School, school_year: SchoolYear) -> None:
    """Materialise ``SchoolDate`` for every date of the school's year (delete + one insert)."""
    start, end = rules.school_year_bounds(school_year.year)
    holidays = national_holidays(school_year.year)
    vacations = list(
        Vacation.objects.filter(school=school, school_year=school_year).values_list(
            "start", "end", "name"
        )
    )
    overrides = {
        o.date: o for o in CalendarOverride.objects.filter(school=school, date__range=(start, end))
    }
    closures = list(
        Closure.objects.filter(
            school=school, school_year=school_year, kind=Closure.Kind.SCHOOL
        ).values_list("start", "end", "reason")
    )
    days = set(
        rules.school_days(
            start,
            end,
            holidays=holidays,
            vacations=[(a, b) for a, b, _ in vacations],
            overrides={d: o.is_school_day for d, o in overrides.items()},
            school_closures=[(a, b) for a, b, _ in closures],
        )
    )
    rows = []
    cum = 0
    for day in rules.date_range(start, end):
        is_day = day in days
        cum += is_day
        note = ""
        if day in overrides and overrides[day].note:
            note = overrides[day].note
        elif any(a <= day <= b for a, b, _ in closures):
            note = next(r for a, b, r in closures if a <= day <= b)
        elif day in holidays:
            note = holidays[day]
        elif any(a <= day <= b for a, b, _ in vacations):
            note = next(n for a, b, n in vacations if a <= day <= b)
        rows.append(
            SchoolDate(
                school=school,
                school_year=school_year,
                date=day,
                is_school_day=is_day,
                cum=cum,
                note=note[:50],
            )  # fmt: skip
        )
    SchoolDate.objects.filter(school=school, school_year=school_year).delete()
    SchoolDate.objects.bulk_create(rows)


def ensure_calendar(school: School, school_year: SchoolYear) -> None:
    """Build the default calendar (weekdays minus national holidays) if the school has none."""
    if not SchoolDate.objects.filter(school=school, school_year=school_year).exists():
        with transaction.atomic():
            rebuild_calendar(school, school_year)


def _check_year(school_year: SchoolYear) -> None:
    if school_year.is_read_only:
        raise ValidationError("過年度の記録は変更できません。")


def _check_in_year(school_year: SchoolYear, *days: dt.date) -> None:
    start, end = rules.school_year_bounds(school_year.year)
    for day in days:
        if not start <= day <= end:
            raise ValidationError(f"{day:%Y-%m-%d} は{school_year}の期間外です。")


@transaction.atomic
def add_vacation(user, school: School, school_year: SchoolYear, *, name, start, end) -> Vacation:
    _check_year(school_year)
    _check_in_year(school_year, start, end)
    if start > end:
        raise ValidationError("終了日は開始日以降にしてください。")
    vacation = Vacation.objects.create(
        school=school, school_year=school_year, name=name, start=start, end=end
    )
    rebuild_calendar(school, school_year)
    audit.record(user, "schools.vacation.add", vacation, school=school,
                 changes={"name": name, "start": str(start), "end": str(end)})  # fmt: skip
    return vacation


@transaction.atomic
def set_override(user, school: School, school_year: SchoolYear, *, date, is_school_day, note=""):
    """Make one date a school day (土曜授業) or not (振替休業日)."""
    _check_year(school_year)
    _check_in_year(school_year, date)
    override, _ = CalendarOverride.objects.update_or_create(
        school=school, date=date, defaults={"is_school_day": is_school_day, "note": note}
    )
    rebuild_calendar(school, school_year)
    audit.record(user, "schools.calendar_override.set", override, school=school,
                 changes={"date": str(date), "is_school_day": is_school_day, "note": note})  # fmt: skip
    return override


@transaction.atomic
def add_closure(
    user, school: School, school_year: SchoolYear, *, kind, start, end, reason,
    grade: int | None = None, classroom: Classroom | None = None,
) -> Closure:  # fmt: skip
    """臨時休業 / 学年閉鎖 / 学級閉鎖. Closures of one kind and scope must not overlap."""
    _check_year(school_year)
    _check_in_year(school_year, start, end)
    if start > end:
        raise ValidationError("終了日は開始日以降にしてください。")
    if not reason:
        raise ValidationError("理由を入力してください。")
    if kind == Closure.Kind.GRADE and grade not in school.grades:
        raise ValidationError("学年を選んでください。")
    if kind == Closure.Kind.CLASS:
        if classroom is None or classroom.school_id != school.pk:
            raise ValidationError("学級を選んでください。")
        grade = classroom.grade
    else:
        classroom = None
    if kind == Closure.Kind.SCHOOL:
        grade = None
    overlapping = Closure.objects.filter(school=school, start__lte=end, end__gte=start).exclude(
        kind=Closure.Kind.SCHOOL
    )
    if (
        kind != Closure.Kind.SCHOOL
        and overlapping.filter(
            grade=grade if kind == Closure.Kind.GRADE else classroom.grade
        ).exists()
    ):
        raise ValidationError("同じ期間に、この学年・学級の閉鎖がすでに登録されています。")
    closure = Closure.objects.create(
        school=school, school_year=school_year, kind=kind, grade=grade, classroom=classroom,
        start=start, end=end, reason=reason,
    )  # fmt: skip
    if kind == Closure.Kind.SCHOOL:
        rebuild_calendar(school, school_year)
    audit.record(user, "schools.closure.add", closure, school=school,
                 changes={"kind": kind, "start": str(start), "end": str(end), "grade": grade,
                          "classroom": classroom.pk if classroom else None, "reason": reason})  # fmt: skip
    return closure


@transaction.atomic
def delete_closure(user, closure: Closure) -> None:
    _check_year(closure.school_year)
    school, school_year, kind = closure.school, closure.school_year, closure.kind
    audit.record(user, "schools.closure.delete", closure, school=school,
                 changes={"kind": kind, "start": str(closure.start), "end": str(closure.end)})  # fmt: skip
    closure.delete()
    if kind == Closure.Kind.SCHOOL:
        rebuild_calendar(school, school_year)


# --- marks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkInput:
    code: str = ""  # "" = present
    note: str = ""


PRESENT = MarkInput()


@dataclass(frozen=True)
class SaveResult:
    changed: int
    conflicts: list[int]  # enrolments that someone else changed since the page was loaded


def save_day_marks(
    user,
    classroom: Classroom,
    day: dt.date,
    marks: Mapping[int, MarkInput],
    *,
    base: Mapping[int, MarkInput] | None = None,
    period: int = 0,
    valid_codes: set[str],
    class_day: tuple[bool, bool],
    enrolments: list[Enrolment],
) -> SaveResult:
    """Save the day's marks of a class: replace, per student, the mark of that date.

    ``marks`` maps enrolment ids to the wanted mark (missing = present). With ``base``
    (what the page showed), only students whose mark the teacher changed are written,
    so two teachers saving the same class at the same time do not undo each other's
    work; without it (API "replace"), every student of the class is set. Rows are
    locked (SELECT … FOR UPDATE) and upserted in one transaction; saving the same marks
    twice changes nothing. Constant query count whatever the class size.

    The caller passes what it already read for the page (the class's enrolments on
    that date, the codes, whether the date is a school day / a class-closure day) so
    that validation costs no extra query.
    """
    school_year = classroom.school_year
    _check_year(school_year)
    is_school_day, class_closed = class_day
    if not is_school_day:
        raise ValidationError(f"{day:%Y年%-m月%-d日} は授業日ではないため、出欠を入力できません。")
    if class_closed:
        raise ValidationError(
            f"{day:%Y年%-m月%-d日} は学級閉鎖のため、全員が出席停止・忌引等として数えられます。"
        )
    enrolled = {e.pk: e for e in enrolments if e.is_enrolled_on(day)}
    errors = []
    for enrolment_id, mark in marks.items():
        if enrolment_id not in enrolled:
            errors.append(f"在籍していない児童生徒の出欠は入力できません (在籍ID {enrolment_id})。")
        elif mark.code and mark.code not in valid_codes:
            errors.append(f"出欠記号「{mark.code}」は使えません。")
        elif len(mark.note) > NOTE_MAX:
            errors.append(f"メモは{NOTE_MAX}文字以内にしてください。")
    if errors:
        raise ValidationError(errors)
    if base is None:
        wanted = {eid: marks.get(eid, PRESENT) for eid in enrolled}
    else:
        wanted = {
            eid: marks.get(eid, PRESENT)
            for eid in enrolled
            if marks.get(eid, PRESENT) != base.get(eid, PRESENT)
        }
    with transaction.atomic():
        TakenDay.objects.bulk_create(
            [TakenDay(classroom=classroom, date=day, period=period,
                      saved_by_id=user.pk if user else None)],
            update_conflicts=True,
            unique_fields=["classroom", "date", "period"],
            update_fields=["saved_at", "saved_by"],
        )  # fmt: skip
        if not wanted:
            return SaveResult(0, [])
        current = {
            m.enrolment_id: m
            for m in Mark.objects.select_for_update()
            .filter(enrolment_id__in=list(wanted), date=day, period=period)
            .only("id", "enrolment_id", "code", "note")
        }
        conflicts = []
        to_delete, to_upsert, changes = [], [], {}
        for eid, mark in wanted.items():
            row = current.get(eid)
            now = MarkInput(row.code, row.note) if row else PRESENT
            if base is not None and now != base.get(eid, PRESENT):
                conflicts.append(eid)
            if now == mark:
                continue
            changes[str(eid)] = [now.code, mark.code]
            if not mark.code:
                to_delete.append(row.pk)
            else:
                to_upsert.append(
                    Mark(enrolment_id=eid, date=day, period=period, code=mark.code,
                         note=mark.note.strip(), updated_by_id=user.pk if user else None)
                )  # fmt: skip
        if to_delete:
            Mark.objects.filter(pk__in=to_delete).delete()
        if to_upsert:
            # ON CONFLICT: a concurrent insert of the same student and date is updated, not lost.
            Mark.objects.bulk_create(
                to_upsert,
                update_conflicts=True,
                unique_fields=["enrolment", "date", "period"],
                update_fields=["code", "note", "updated_at", "updated_by"],
            )
        if changes:
            audit.record(
                user, "attendance.marks.save", classroom, school=classroom.school,
                changes={"date": str(day), "period": period, "marks": changes},
            )  # fmt: skip
    return SaveResult(len(changes), conflicts)


@transaction.atomic
def apply_imported_marks(user, classroom: Classroom, changes: list[tuple[int, dt.date, str]]):
    """Write the day marks of an imported 出席簿 (already validated by the import plan)."""
    _check_year(classroom.school_year)
    if not changes:
        return 0
    enrolment_ids = sorted({eid for eid, _, _ in changes})
    dates = sorted({d for _, d, _ in changes})
    # Lock the stored marks of these students for the months concerned.
    list(
        Mark.objects.select_for_update()
        .filter(enrolment_id__in=enrolment_ids, date__range=(dates[0], dates[-1]), period=0)
        .values_list("pk", flat=True)
    )
    removed = [(eid, d) for eid, d, code in changes if not code]
    if removed:
        condition = Q()
        for eid, d in removed:
            condition |= Q(enrolment_id=eid, date=d)
        Mark.objects.filter(condition, period=0).delete()
    upserts = [
        Mark(enrolment_id=eid, date=d, period=0, code=code, updated_by_id=user.pk if user else None)
        for eid, d, code in changes
        if code
    ]
    if upserts:
        Mark.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["enrolment", "date", "period"],
            update_fields=["code", "updated_at", "updated_by"],
        )
    audit.record(
        user, "attendance.register.import", classroom, school=classroom.school,
        changes={"count": len(changes), "from": str(dates[0]), "to": str(dates[-1])},
    )  # fmt: skip
    return len(changes)


# --- codes (per municipality) -------------------------------------------------------------


@dataclass(frozen=True)
class CodeInput:
    code: str
    symbol: str
    label: str
    figure: str
    key: str
    is_active: bool


@transaction.atomic
def update_codes(user, rows: list[CodeInput]) -> int:
    """The municipality's 出欠記号: symbols, names, which figure each feeds, keys, in use."""
    from attendance.models import AttendanceCode

    stored = {c.code: c for c in AttendanceCode.objects.select_for_update()}
    errors = []
    figures = {f.value for f in rules.Figure}
    active = [r for r in rows if r.is_active]
    for r in rows:
        if r.code not in stored:
            errors.append(f"出欠記号「{r.code}」はありません。")
        if not r.symbol.strip() or len(r.symbol.strip()) > 4:
            errors.append(f"「{r.label or r.code}」の記号は1〜4文字にしてください。")
        if not r.label.strip() or len(r.label) > 30:
            errors.append(f"「{r.code}」の名称は1〜30文字にしてください。")
        if r.figure not in figures:
            errors.append(f"「{r.label}」の集計区分が正しくありません。")
        if r.key and r.key not in "123456789":
            errors.append(f"「{r.label}」の入力キーは 1〜9 の数字か空欄にしてください。")
    symbols = [r.symbol.strip() for r in active]
    keys = [r.key for r in active if r.key]
    if len(set(symbols)) != len(symbols):
        errors.append("使用する記号が重複しています。")
    if len(set(keys)) != len(keys):
        errors.append("入力キーが重複しています。")
    if errors:
        raise ValidationError(errors)
    changes = {}
    for r in rows:
        code = stored[r.code]
        new = {"symbol": r.symbol.strip(), "label": r.label.strip(), "figure": r.figure,
               "key": r.key, "is_active": r.is_active}  # fmt: skip
        old = {k: getattr(code, k) for k in new}
        if old != new:
            changes[r.code] = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
            for k, v in new.items():
                setattr(code, k, v)
            code.save()
    if changes:
        audit.record(user, "attendance.codes.update", target_type="attendance.attendancecode",
                     changes=changes)  # fmt: skip
    return len(changes)


@transaction.atomic
def delete_vacation(user, vacation: Vacation) -> None:
    _check_year(vacation.school_year)
    school, school_year = vacation.school, vacation.school_year
    audit.record(user, "schools.vacation.delete", vacation, school=school,
                 changes={"name": vacation.name, "start": str(vacation.start),
                          "end": str(vacation.end)})  # fmt: skip
    vacation.delete()
    rebuild_calendar(school, school_year)


@transaction.atomic
def delete_override(user, override: CalendarOverride, school_year: SchoolYear) -> None:
    _check_year(school_year)
    school = override.school
    audit.record(user, "schools.calendar_override.delete", override, school=school,
                 changes={"date": str(override.date), "is_school_day": override.is_school_day})  # fmt: skip
    override.delete()
    rebuild_calendar(school, school_year)
