"""Every write of attendance: one function per user action, one transaction, one audit record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from attendance import rules
from attendance.models import AttendanceCode, Mark, TakenDay
from schools import audit, calendar
from schools.models import Classroom, Enrolment, School, SchoolYear
from schools.permissions import Actor

NOTE_MAX = 100


def _check_year(school_year: SchoolYear) -> None:
    if school_year.is_read_only:
        raise ValidationError("過年度の記録は変更できません。")


def _check_period(school: School, period: int) -> None:
    """0 is the day's mark; 1.. are 校時 of schools that take attendance per period."""
    if period == 0:
        return
    if not school.per_period_attendance:
        raise ValidationError({"period": "この学校は校時別の出欠を使っていません。"})
    last = calendar.periods_per_day(school)
    if not 1 <= period <= last:
        raise ValidationError({"period": f"校時は1から{last}までで指定してください。"})


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


def _pupil_names(enrolment_ids: list[int], known: list[Enrolment]) -> dict[int, str]:
    """「3年1組 5番 山田花子」 by enrolment id: messages name the pupil, never an internal id."""
    by_id = {e.pk: e for e in known}
    missing = [eid for eid in enrolment_ids if eid not in by_id]
    if missing:  # only on the error path: one query
        by_id.update(
            (e.pk, e)
            for e in Enrolment.objects.filter(pk__in=missing).select_related("classroom", "student")
        )
    return {
        eid: f"{e.classroom.label} {e.roll_number}番 {e.student.name}"
        for eid, e in by_id.items()
        if eid in enrolment_ids
    }


def save_day_marks(
    classroom: Classroom,
    day: dt.date,
    marks: Mapping[int, MarkInput],
    *,
    by: Actor,
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
    by.require(by.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。")
    _check_year(classroom.school_year)
    _check_period(classroom.school, period)
    is_school_day, class_closed = class_day
    if not is_school_day:
        raise ValidationError(f"{day:%Y年%-m月%-d日} は授業日ではないため、出欠を入力できません。")
    if class_closed:
        raise ValidationError(
            f"{day:%Y年%-m月%-d日} は学級閉鎖のため、全員が出席停止・忌引等として数えられます。"
        )
    enrolled = {e.pk: e for e in enrolments if e.is_enrolled_on(day)}
    errors = []
    strangers = [eid for eid in marks if eid not in enrolled]
    names = _pupil_names(strangers, enrolments) if strangers else {}
    for enrolment_id, mark in marks.items():
        if enrolment_id not in enrolled:
            errors.append(
                f"{names.get(enrolment_id, 'この学級にいない児童生徒')}は"
                f"{day:%-m月%-d日}に在籍していないため、出欠を入力できません。"
            )
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
            [TakenDay(classroom=classroom, date=day, period=period, saved_by_id=by.user_id)],
            update_conflicts=True,
            unique_fields=["classroom", "date", "period"],
            update_fields=["saved_at", "saved_by"],
        )
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
            changes[str(eid)] = {"code": [now.code, mark.code], "note": [now.note, mark.note]}
            if not mark.code:
                to_delete.append(row.pk)
            else:
                to_upsert.append(
                    Mark(
                        enrolment_id=eid,
                        date=day,
                        period=period,
                        code=mark.code,
                        note=mark.note.strip(),
                        updated_by_id=by.user_id,
                    )
                )
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
            # old and new per enrolment, and the pupils, so the board's 操作記録 finds them
            students = dict(
                Enrolment.objects.filter(pk__in=[int(e) for e in changes]).values_list(
                    "pk", "student_id"
                )
            )
            audit.record(
                by,
                "attendance.marks.save",
                classroom,
                school=classroom.school,
                changes={
                    "date": str(day),
                    "period": period,
                    "marks": changes,
                    "student_ids": sorted(set(students.values())),
                },
            )
    return SaveResult(len(changes), conflicts)


@transaction.atomic
def apply_imported_marks(
    classroom: Classroom, changes: list[tuple[int, dt.date, str]], *, by: Actor
) -> int:
    """Write the day marks of an imported 出席簿 (already validated by the import plan)."""
    by.require(by.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。")
    _check_year(classroom.school_year)
    if not changes:
        return 0
    enrolment_ids = sorted({eid for eid, _, _ in changes})
    dates = sorted({d for _, d, _ in changes})
    # Lock the stored marks of these students for the months concerned.
    before = {
        (eid, d): code
        for eid, d, code in Mark.objects.select_for_update()
        .filter(enrolment_id__in=enrolment_ids, date__range=(dates[0], dates[-1]), period=0)
        .values_list("enrolment_id", "date", "code")
    }
    removed = [(eid, d) for eid, d, code in changes if not code]
    if removed:
        condition = Q()
        for eid, d in removed:
            condition |= Q(enrolment_id=eid, date=d)
        Mark.objects.filter(condition, period=0).delete()
    upserts = [
        Mark(enrolment_id=eid, date=d, period=0, code=code, updated_by_id=by.user_id)
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
        by,
        "attendance.register.import",
        classroom,
        school=classroom.school,
        changes={
            "count": len(changes),
            "from": str(dates[0]),
            "to": str(dates[-1]),
            # every cell's old and new code (在籍ID:日付), and the pupils concerned
            "marks": {f"{eid}:{d}": [before.get((eid, d), ""), code] for eid, d, code in changes},
            "student_ids": sorted(
                set(
                    Enrolment.objects.filter(pk__in=enrolment_ids).values_list(
                        "student_id", flat=True
                    )
                )
            ),
        },
    )
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
def update_codes(rows: list[CodeInput], *, by: Actor) -> int:
    """The municipality's 出欠記号: symbols, names, which figure each feeds, keys, in use."""
    by.require(by.can_manage_municipality, "出欠記号を設定できるのは教育委員会の管理者です。")
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
        new = {
            "symbol": r.symbol.strip(),
            "label": r.label.strip(),
            "figure": r.figure,
            "key": r.key,
            "is_active": r.is_active,
        }
        old = {k: getattr(code, k) for k in new}
        if old != new:
            changes[r.code] = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
            for k, v in new.items():
                setattr(code, k, v)
            code.save()
    if changes:
        audit.record(
            by, "attendance.codes.update", target_type="attendance.attendancecode", changes=changes
        )
    return len(changes)
