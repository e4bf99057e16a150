"""Writes of the roster: one function per user action, one transaction, one audit record.

Every write takes the acting person keyword-only (``by: Actor``) and asks it itself
(``schools.permissions``), so a page and the API cannot disagree; it checks *what* may be
done (dates, uniqueness, archived years) and raises ``ValidationError`` with a Japanese
message, writing nothing, when it may not.

``SchoolYear`` is municipality-wide: at most one year is ``current`` (現年度), the next one
may be ``preparing`` (仮年度) while the current one runs, and past years are ``archived``
(過年度, read-only: every function here refuses to write into them). The year roll-over
(年度更新 / 進級処理) is in ``schools.rollover``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from schools import audit, signals, teaching
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
from schools.permissions import BOARD_ROLES, RECORD_WRITING_ROLES, Actor
from schools.wareki import school_year_label

# --- pure rules ---------------------------------------------------------------------

# 学校コード (MEXT, 2020): 学校種 (2) + 都道府県番号 (2) + 設置区分 (1) + 学校番号 (7) + 検査数字 (1)
MEXT_TYPE_PREFIX = {
    SchoolType.ELEMENTARY: "B1",
    SchoolType.JUNIOR_HIGH: "C1",
    SchoolType.COMPULSORY: "C2",
}
_MEXT_RE = re.compile(r"^[A-H][1-2]\d{11}$")


def mext_code_error(code: str, school_type: str) -> str | None:
    """Why ``code`` is not a valid 13-character 学校コード for ``school_type`` (None if it is).

    The check digit's weighting is not published with the code list, so it is not verified.
    """
    if len(code) != 13:
        return f"学校コードは13桁です（入力は{len(code)}桁）。例: B119210000010"
    if not _MEXT_RE.match(code):
        return "学校コードは英大文字1字・数字12字の13桁です。例: B119210000010"
    prefix = MEXT_TYPE_PREFIX.get(school_type)
    if prefix and not code.startswith(prefix):
        return f"学校種に合いません: {SchoolType(school_type).label}の学校コードは「{prefix}」で始まります。"
    if not 1 <= int(code[2:4]) <= 47:
        return "学校コードの3-4桁目（都道府県番号）は01から47です。"
    if code[4] not in "123":
        return "学校コードの5桁目（設置区分）は 1 (国立)、2 (公立)、3 (私立) のいずれかです。"
    return None


@dataclass(frozen=True)
class TermDraft:
    name: str
    start: dt.date
    end: dt.date


TERM_SYSTEMS = {"3": "3学期制", "2": "2学期制"}


def term_preset(system: str, year: int) -> list[TermDraft]:
    """Usual dates of 3学期制 or 2学期制 for ``year``; each school edits them."""
    if system == "3":
        return [
            TermDraft("1学期", dt.date(year, 4, 1), dt.date(year, 7, 31)),
            TermDraft("2学期", dt.date(year, 8, 1), dt.date(year, 12, 31)),
            TermDraft("3学期", dt.date(year + 1, 1, 1), dt.date(year + 1, 3, 31)),
        ]
    if system == "2":
        return [
            TermDraft("前期", dt.date(year, 4, 1), dt.date(year, 10, 10)),
            TermDraft("後期", dt.date(year, 10, 11), dt.date(year + 1, 3, 31)),
        ]
    raise ValueError(f"unknown term system {system!r}")


def term_errors(terms: list[TermDraft], year: int) -> list[str]:
    """Terms must lie inside the 年度, in order, without overlapping."""
    errors = []
    if not terms:
        errors.append("学期を1つ以上入力してください。")
    first, last = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    for i, term in enumerate(terms, start=1):
        if not term.name.strip():
            errors.append(f"{i}番目の学期の名称を入力してください。")
        if term.start > term.end:
            errors.append(f"{term.name}: 開始日が終了日より後です。")
        if term.start < first or term.end > last:
            errors.append(
                f"{term.name}: 日付は{school_year_label(year)}の期間"
                f"（{first:%Y/%m/%d}〜{last:%Y/%m/%d}）内にしてください。"
            )
        if i > 1 and term.start <= terms[i - 2].end:
            errors.append(f"{term.name}: 前の学期と期間が重なっています。")
    return errors


def top_grade(school: School) -> int:
    return school.grades[-1]


# --- guards ---------------------------------------------------------------------------


def require_writable(school_year: SchoolYear) -> None:
    """Past years stay readable and unchanged (指導要録・出席簿 retention)."""
    if school_year.state == SchoolYear.State.ARCHIVED:
        raise ValidationError(
            f"{school_year}は過年度のため変更できません。記録は閲覧のみ可能です。", code="archived"
        )


def _within_year(day: dt.date, school_year: SchoolYear, field: str) -> None:
    if not school_year.start <= day <= school_year.end:
        raise ValidationError(
            {
                field: f"日付は{school_year}の期間（{school_year.start:%Y/%m/%d}〜{school_year.end:%Y/%m/%d}）内です。"
            }
        )


# --- schools and years -----------------------------------------------------------------


def _clean_school(name: str, school_type: str, mext_code: str, exclude_pk: int | None) -> dict:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "学校名を入力してください。"
    if school_type not in SchoolType.values:
        errors["school_type"] = "学校種を選んでください。"
    elif message := mext_code_error(mext_code, school_type):
        errors["mext_code"] = message
    elif School.objects.filter(mext_code=mext_code).exclude(pk=exclude_pk).exists():
        errors["mext_code"] = f"学校コード {mext_code} は既に登録されています。"
    if errors:
        raise ValidationError(errors)
    return {"name": name.strip(), "school_type": school_type, "mext_code": mext_code}


@transaction.atomic
def create_school(
    *, by: Actor, name: str, school_type: str, mext_code: str, kana: str = ""
) -> School:
    """学校の登録 (BoE administrator)."""
    by.require(by.can_manage_municipality)
    mext_code = mext_code.strip().upper()
    data = _clean_school(name, school_type, mext_code, None)
    school = School.objects.create(kana=kana.strip(), **data)
    audit.record(by, "schools.school.create", school, school=school, changes=data)
    signals.school_created.send(sender=School, school=school, by=by)
    return school


@transaction.atomic
def update_school(
    school: School,
    *,
    by: Actor,
    name: str,
    school_type: str,
    mext_code: str,
    kana: str = "",
    is_active: bool = True,
) -> School:
    by.require(by.can_manage_municipality)
    mext_code = mext_code.strip().upper()
    data = _clean_school(name, school_type, mext_code, school.pk)
    if school_type != school.school_type and school.classrooms.exists():
        raise ValidationError({"school_type": "学級がある学校の学校種は変更できません。"})
    data.update(kana=kana.strip(), is_active=is_active)
    changes = {k: [getattr(school, k), v] for k, v in data.items() if getattr(school, k) != v}
    for key, value in data.items():
        setattr(school, key, value)
    school.save()
    audit.record(by, "schools.school.update", school, school=school, changes=changes)
    return school


@transaction.atomic
def open_school_year(*, by: Actor, year: int) -> SchoolYear:
    """年度を開く: the first year becomes current; later ones start as preparing (仮年度)."""
    by.require(by.can_manage_municipality)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度は西暦で入力してください（例: 2026）。"})
    if SchoolYear.objects.filter(year=year).exists():
        raise ValidationError({"year": f"{school_year_label(year)}は既にあります。"})
    current = SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()
    if current is None:
        state = SchoolYear.State.CURRENT
    elif year == current.year + 1:
        state = SchoolYear.State.PREPARING
    else:
        raise ValidationError(
            {"year": f"次に開ける年度は{school_year_label(current.year + 1)}だけです。"}
        )
    school_year = SchoolYear.objects.create(year=year, state=state)
    audit.record(
        by, "schools.school_year.open", school_year, changes={"year": year, "state": state}
    )
    signals.school_year_opened.send(sender=SchoolYear, school_year=school_year, by=by)
    return school_year


@transaction.atomic
def set_terms(
    school: School, school_year: SchoolYear, terms: list[TermDraft], *, by: Actor
) -> list[Term]:
    """学期の設定: replaces the school's terms of ``school_year`` (3学期制 / 2学期制, own dates)."""
    by.require(by.can_manage_school(school.pk))
    require_writable(school_year)
    if errors := term_errors(terms, school_year.year):
        raise ValidationError(errors)
    # Terms are changed in place, by number: grades, remarks and 確定 refer to them, so a
    # term is only removed (2学期制 from 3学期制) when nothing refers to it yet.
    existing = {
        t.number: t
        for t in Term.objects.select_for_update().filter(school=school, school_year=school_year)
    }
    old = [{"name": t.name, "start": t.start, "end": t.end} for _, t in sorted(existing.items())]
    surplus = [t for number, t in sorted(existing.items()) if number > len(terms)]
    if in_use := [t.name for t in surplus if term_has_records(t)]:
        raise ValidationError(
            f"{'、'.join(in_use)}には成績・所見などの記録があるため、学期を減らせません。"
            "学期の日付と名称だけを変えるか、先にその学期の記録を整理してください。"
        )
    for term in surplus:
        term.delete()
    created = []
    for number, draft in enumerate(terms, start=1):
        term = existing.get(number) or Term(school=school, school_year=school_year, number=number)
        term.name, term.start, term.end = draft.name.strip(), draft.start, draft.end
        term.save()
        created.append(term)
    audit.record(
        by,
        "schools.terms.set",
        school=school,
        target_type="schools.term",
        target_id=f"{school.pk}/{school_year.year}",
        changes={
            "old": [_term_text(t) for t in old],
            "new": [_term_text(t.__dict__) for t in created],
        },
    )
    return created


def term_has_records(term: Term) -> bool:
    """Does any row (of any app: scores, remarks, 確定 ...) refer to ``term``?

    Asked through the model's relations, so that ``schools`` names no other app.
    """
    for relation in Term._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            manager = relation.related_model._default_manager
            if manager.filter(**{relation.field.name: term}).exists():
                return True
    return False


def _term_text(term: Mapping) -> str:
    return f"{term['name']} {term['start']}〜{term['end']}"


# --- classes ---------------------------------------------------------------------------


@transaction.atomic
def create_classroom(
    *,
    by: Actor,
    school: School,
    school_year: SchoolYear,
    name: str,
    grade: int | None = None,
    is_special_needs: bool = False,
    sort_order: int = 0,
) -> Classroom:
    """学級の作成: 1年1組 …, or a special-needs class (特別支援学級) mixing grades."""
    by.require(by.can_manage_school(school.pk))
    require_writable(school_year)
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "学級名を入力してください（例: 1組）。"
    if is_special_needs:
        grade = None
    elif grade is None:
        errors["grade"] = "学年を選んでください（特別支援学級は学年なし）。"
    elif grade not in school.grades:
        errors["grade"] = (
            f"{school.get_school_type_display()}の学年は{school.grades[0]}〜{top_grade(school)}年です。"
        )
    if (
        not errors
        and Classroom.objects.filter(
            school=school, school_year=school_year, grade=grade, name=name
        ).exists()
    ):
        errors["name"] = f"{school_year}に同じ学級「{name}」が既にあります。"
    if errors:
        raise ValidationError(errors)
    classroom = Classroom.objects.create(
        school=school,
        school_year=school_year,
        grade=grade,
        name=name,
        is_special_needs=is_special_needs,
        sort_order=sort_order,
    )
    audit.record(
        by,
        "schools.classroom.create",
        classroom,
        school=school,
        changes={"label": classroom.label, "year": school_year.year},
    )
    return classroom


# --- students and enrolments ----------------------------------------------------------------

STUDENT_FIELDS = ("name", "kana", "sex", "birth_date", "student_number")


def _clean_student(data: dict, exclude_pk: int | None = None) -> dict:
    """Names are stored exactly as written: only surrounding spaces are trimmed, never NFKC."""
    errors = {}
    data = dict(data)
    data["name"] = (data.get("name") or "").strip()
    data["kana"] = (data.get("kana") or "").strip()
    data["student_number"] = (data.get("student_number") or "").strip() or None
    data["sex"] = data.get("sex") or ""
    if not data["name"]:
        errors["name"] = "氏名を入力してください。"
    if not data["kana"]:
        errors["kana"] = "ふりがなを入力してください（五十音順の並べ替えに使います）。"
    if data["sex"] not in ("", *Student.Sex.values):
        errors["sex"] = "性別を選んでください。"
    if data.get("birth_date") and data["birth_date"] > timezone.localdate():
        errors["birth_date"] = "生年月日が未来の日付です。"
    if (
        data["student_number"]
        and Student.objects.filter(student_number=data["student_number"])
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors["student_number"] = f"学籍番号 {data['student_number']} は既に使われています。"
    if errors:
        raise ValidationError(errors)
    return {k: data.get(k) for k in STUDENT_FIELDS}


def _check_roll_number(classroom: Classroom, roll_number: int | None, exclude_pk=None) -> int:
    if roll_number is None:
        top = classroom.enrolments.aggregate(m=Max("roll_number"))["m"] or 0
        return top + 1
    if roll_number < 1:
        raise ValidationError({"roll_number": "出席番号は1以上です。"})
    clash = classroom.enrolments.filter(roll_number=roll_number).exclude(pk=exclude_pk)
    if clash.exists():
        other = clash.select_related("student").first()
        raise ValidationError(
            {"roll_number": f"出席番号 {roll_number} は既に {other.student.name} さんです。"}
        )
    return roll_number


@transaction.atomic
def enrol_student(
    *,
    by: Actor,
    classroom: Classroom,
    enrolled_on: dt.date,
    roll_number: int | None = None,
    entry: str = Enrolment.Entry.ADMISSION,
    grade: int | None = None,
    **student_data,
) -> Enrolment:
    """入学 or 転入: a new student placed in ``classroom`` with a 出席番号."""
    by.require(by.can_manage_school(classroom.school_id))
    year = classroom.school_year
    require_writable(year)
    data = _clean_student(student_data)
    _within_year(enrolled_on, year, "enrolled_on")
    grade = _grade_for(classroom, grade)
    roll_number = _check_roll_number(classroom, roll_number)
    student = Student.objects.create(**data)
    enrolment = Enrolment.objects.create(
        student=student,
        classroom=classroom,
        school=classroom.school,
        school_year=year,
        grade=grade,
        roll_number=roll_number,
        enrolled_on=enrolled_on,
        entry=entry,
    )
    audit.record(
        by,
        "schools.student.transfer_in"
        if entry == Enrolment.Entry.TRANSFER_IN
        else "schools.student.enrol",
        enrolment,
        school=classroom.school,
        changes={
            "student": student.name,
            "student_id": student.pk,
            "class": classroom.label,
            "roll_number": roll_number,
            "enrolled_on": enrolled_on.isoformat(),
            "entry": entry,
        },
    )
    return enrolment


def _grade_for(classroom: Classroom, grade: int | None) -> int:
    if classroom.grade is not None and not classroom.is_special_needs:
        return classroom.grade
    if grade is None or grade not in classroom.school.grades:
        raise ValidationError({"grade": "特別支援学級では児童生徒の学年を選んでください。"})
    return grade


@transaction.atomic
def place_student(
    *,
    by: Actor,
    student: Student,
    classroom: Classroom,
    enrolled_on: dt.date,
    roll_number: int | None = None,
    entry: str = Enrolment.Entry.TRANSFER_IN,
    grade: int | None = None,
) -> Enrolment:
    """An existing student (e.g. returning, or moved between schools of the municipality)."""
    by.require(by.can_manage_school(classroom.school_id))
    year = classroom.school_year
    require_writable(year)
    _within_year(enrolled_on, year, "enrolled_on")
    active = Enrolment.objects.filter(student=student, school_year=year).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=enrolled_on)
    )
    if active.exists():
        raise ValidationError(
            f"{student.name} さんは{year}にまだ在籍中の学級があります。先に転出か学級変更を記録してください。"
        )
    enrolment = Enrolment.objects.create(
        student=student,
        classroom=classroom,
        school=classroom.school,
        school_year=year,
        grade=_grade_for(classroom, grade),
        roll_number=_check_roll_number(classroom, roll_number),
        enrolled_on=enrolled_on,
        entry=entry,
    )
    audit.record(
        by,
        "schools.student.place",
        enrolment,
        school=classroom.school,
        changes={"student": student.name, "student_id": student.pk, "class": classroom.label},
    )
    return enrolment


@transaction.atomic
def update_student(student: Student, *, by: Actor, **data) -> Student:
    """児童生徒情報の修正. Refused when the student's only records are in archived years."""
    by.require(by.can_edit_student(student.enrolments.values_list("school_id", flat=True)))
    years = list(student.enrolments.values_list("school_year__state", flat=True))
    if years and all(state == SchoolYear.State.ARCHIVED for state in years):
        raise ValidationError("過年度にのみ在籍した児童生徒の記録は変更できません。")
    clean = _clean_student(
        {**{k: getattr(student, k) for k in STUDENT_FIELDS}, **data}, exclude_pk=student.pk
    )
    changes = {
        k: [str(getattr(student, k) or ""), str(v or "")]
        for k, v in clean.items()
        if getattr(student, k) != v
    }
    for key, value in clean.items():
        setattr(student, key, value)
    student.save()
    audit.record(by, "schools.student.update", student, changes=changes)
    return student


@transaction.atomic
def set_roll_number(enrolment: Enrolment, roll_number: int, *, by: Actor) -> Enrolment:
    by.require(by.can_manage_school(enrolment.school_id))
    require_writable(enrolment.school_year)
    old = enrolment.roll_number
    enrolment.roll_number = _check_roll_number(enrolment.classroom, roll_number, enrolment.pk)
    enrolment.save(update_fields=["roll_number"])
    audit.record(
        by,
        "schools.enrolment.set_roll_number",
        enrolment,
        school=enrolment.school,
        changes={"student_id": enrolment.student_id, "roll_number": [old, roll_number]},
    )
    return enrolment


@transaction.atomic
def change_class(
    enrolment: Enrolment,
    *,
    by: Actor,
    classroom: Classroom,
    on: dt.date,
    roll_number: int | None = None,
) -> Enrolment:
    """学級変更 during the year: the old enrolment ends the day before ``on``, a new one starts.

    Attendance and grades keep each day with the class the student was in that day.
    """
    by.require(by.can_manage_school(enrolment.school_id))
    year = enrolment.school_year
    require_writable(year)
    if classroom.school_year_id != year.pk or classroom.school_id != enrolment.school_id:
        raise ValidationError({"classroom": "同じ学校・同じ年度の学級を選んでください。"})
    if classroom.pk == enrolment.classroom_id:
        raise ValidationError({"classroom": "今と同じ学級です。"})
    if enrolment.left_on is not None:
        raise ValidationError("この在籍は既に終了しています。")
    _within_year(on, year, "on")
    if on <= enrolment.enrolled_on:
        raise ValidationError(
            {"on": f"変更日は在籍開始日（{enrolment.enrolled_on:%Y/%m/%d}）より後にしてください。"}
        )
    enrolment.left_on = on - dt.timedelta(days=1)
    enrolment.exit = Enrolment.Exit.CLASS_CHANGE
    enrolment.save(update_fields=["left_on", "exit"])
    new = Enrolment.objects.create(
        student=enrolment.student,
        classroom=classroom,
        school=enrolment.school,
        school_year=year,
        grade=_grade_for(classroom, enrolment.grade),
        roll_number=_check_roll_number(classroom, roll_number),
        enrolled_on=on,
        entry=Enrolment.Entry.CLASS_CHANGE,
    )
    audit.record(
        by,
        "schools.student.change_class",
        new,
        school=enrolment.school,
        changes={
            "student": enrolment.student.name,
            "student_id": enrolment.student_id,
            "from": enrolment.classroom.label,
            "to": classroom.label,
            "classroom": [enrolment.classroom.label, classroom.label],
            "on": on.isoformat(),
        },
    )
    return new


@transaction.atomic
def renumber_by_kana(classroom: Classroom, *, by: Actor) -> int:
    """出席番号の振り直し: 1, 2, 3 … in 五十音順 (the usual start-of-year numbering).

    Refused once someone has left the class: their number stays vacant (欠番) for the year.
    """
    by.require(by.can_manage_school(classroom.school_id))
    require_writable(classroom.school_year)
    enrolments = list(
        classroom.enrolments.select_related("student").order_by("student__kana", "student_id")
    )
    if any(e.left_on is not None for e in enrolments):
        raise ValidationError(
            "転出などで在籍を終えた児童生徒がいるため、出席番号は振り直せません（欠番のままにします）。"
        )
    old = {e.pk: e.roll_number for e in enrolments}
    # Step aside first so that the unique (class, roll number) constraint holds at every row.
    offset = max((e.roll_number for e in enrolments), default=0) + len(enrolments) + 1
    for i, e in enumerate(enrolments, start=1):
        e.roll_number = offset + i
    Enrolment.objects.bulk_update(enrolments, ["roll_number"])
    for i, e in enumerate(enrolments, start=1):
        e.roll_number = i
    Enrolment.objects.bulk_update(enrolments, ["roll_number"])
    audit.record(
        by,
        "schools.classroom.renumber",
        classroom,
        school=classroom.school,
        changes={
            "count": len(enrolments),
            "student_ids": sorted(e.student_id for e in enrolments),
            # student id -> [old, new] 出席番号
            "roll_numbers": {str(e.student_id): [old[e.pk], e.roll_number] for e in enrolments},
        },
    )
    return len(enrolments)


@transaction.atomic
def transfer_out(
    enrolment: Enrolment,
    *,
    by: Actor,
    left_on: dt.date,
    exit: str = Enrolment.Exit.TRANSFER_OUT,
    reason: str = "",
) -> Enrolment:
    """転出: ``left_on`` is the last day at school (that day still counts as enrolled)."""
    by.require(by.can_manage_school(enrolment.school_id))
    require_writable(enrolment.school_year)
    if enrolment.left_on is not None:
        raise ValidationError(f"この在籍は既に{enrolment.left_on:%Y/%m/%d}で終了しています。")
    if left_on < enrolment.enrolled_on:
        raise ValidationError(
            {
                "left_on": f"転出日は在籍開始日（{enrolment.enrolled_on:%Y/%m/%d}）以降にしてください。"
            }
        )
    _within_year(left_on, enrolment.school_year, "left_on")
    if exit not in Enrolment.Exit.values:
        raise ValidationError({"exit": "異動事由を選んでください。"})
    enrolment.left_on = left_on
    enrolment.exit = exit
    enrolment.save(update_fields=["left_on", "exit"])
    audit.record(
        by,
        "schools.student.transfer_out",
        enrolment,
        school=enrolment.school,
        reason=reason,
        changes={
            "student": enrolment.student.name,
            "student_id": enrolment.student_id,
            "left_on": [None, left_on.isoformat()],
            "exit": ["", exit],
        },
    )
    return enrolment


# --- staff and roles ----------------------------------------------------------------------


@transaction.atomic
def create_staff_account(
    *,
    by: Actor,
    username: str,
    password: str,
    name: str,
    kana: str = "",
    email: str = "",
    staff_number: str | None = None,
    boe_role: str | None = None,
) -> Staff:
    """Create a login and its 教職員 record in the current municipality.

    ``boe_role`` gives a board-of-education role (administrator or viewer) at once.
    """
    by.require(by.can_manage_municipality)
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": "ログインIDを入力してください。"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"ログインID「{username}」は既に使われています。"})
    if not name.strip():
        raise ValidationError({"name": "氏名を入力してください。"})
    if staff_number and Staff.objects.filter(staff_number=staff_number).exists():
        raise ValidationError({"staff_number": f"職員番号 {staff_number} は既に使われています。"})
    user = User(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    staff = Staff.objects.create(
        user=user, name=name.strip(), kana=kana.strip(), staff_number=staff_number or None
    )
    if boe_role:
        if boe_role not in (Role.BOE_ADMIN, Role.BOE_VIEWER):
            raise ValidationError({"boe_role": "教育委員会の役割を選んでください。"})
        RoleAssignment.objects.create(staff=staff, role=boe_role)
    audit.record(
        by,
        "schools.staff.create",
        staff,
        changes={"username": username, "name": staff.name, "boe_role": boe_role or ""},
    )
    signals.staff_accounts_created.send(sender=Staff, users=[user], by=by)
    return staff


@transaction.atomic
def assign_role(
    *,
    by: Actor,
    staff: Staff,
    role: str,
    school: School | None = None,
    school_year: SchoolYear | None = None,
    classroom: Classroom | None = None,
    subject: Subject | None = None,
    title: str = "",
    is_draft: bool = False,
) -> RoleAssignment | TeachingAssignment:
    """役割の付与. A person may hold several roles in several schools (兼務).

    教科担任 (``Role.SUBJECT``) adds the person to the class × subject's teaching assignment
    (``schools.teaching``) and returns that assignment."""
    where = classroom.school if classroom is not None else school
    by.require_role_grant(
        role, where.pk if where is not None else None, to=staff, held=_held_roles(staff)
    )
    if role in (Role.BOE_ADMIN, Role.BOE_VIEWER):
        school = school_year = classroom = subject = None
        title = ""
    elif role == Role.SCHOOL_ADMIN:
        classroom = subject = None
        if school is None or school_year is None:
            raise ValidationError({"school": "学校と年度を選んでください。"})
        if title not in RoleAssignment.Title.values:
            raise ValidationError(
                {"title": "職名を選んでください（校長・副校長/教頭・教務主任）。"}
            )
    elif role == Role.SUBJECT:
        # 教科担任 is a teaching assignment (担当), the one record of who teaches what.
        if classroom is None:
            raise ValidationError({"classroom": "学級を選んでください。"})
        if subject is None:
            raise ValidationError({"subject": "教科担任には教科を選んでください。"})
        return teaching.assign_teacher(
            by=by, staff=staff, classroom=classroom, subject=subject, is_draft=is_draft
        )
    elif role == Role.HOMEROOM:
        if classroom is None:
            raise ValidationError({"classroom": "学級を選んでください。"})
        school, school_year = classroom.school, classroom.school_year
        subject = None
    else:
        raise ValidationError({"role": "役割を選んでください。"})
    if school_year is not None:
        require_writable(school_year)
    exists = RoleAssignment.objects.filter(
        staff=staff,
        role=role,
        school=school,
        school_year=school_year,
        classroom=classroom,
        subject=subject,
    )
    if exists.exists():
        raise ValidationError(f"{staff.name} さんは既にこの役割を持っています。")
    assignment = RoleAssignment.objects.create(
        staff=staff,
        role=role,
        title=title,
        school=school,
        school_year=school_year,
        classroom=classroom,
        subject=subject,
        is_draft=is_draft,
    )
    audit.record(
        by,
        "schools.role.assign",
        assignment,
        school=school,
        changes={"staff": staff.name, "role": [None, _role_text(assignment)]},
    )
    return assignment


def _held_roles(staff: Staff) -> set[str]:
    """The roles ``staff`` holds in years that are not archived (drafts included)."""
    return set(
        RoleAssignment.objects.filter(staff=staff)
        .exclude(school_year__state=SchoolYear.State.ARCHIVED)
        .values_list("role", flat=True)
    )


def _role_text(r: RoleAssignment) -> str:
    parts = [r.get_role_display()]
    if r.title:
        parts.append(r.get_title_display())
    if r.classroom_id:
        parts.append(r.classroom.label)
    if r.subject_id:
        parts.append(r.subject.name)
    return " ".join(parts)


@transaction.atomic
def remove_role(assignment: RoleAssignment, *, by: Actor) -> None:
    by.require(by.can_manage_role(assignment.role, assignment.school_id))
    if assignment.school_year is not None:
        require_writable(assignment.school_year)
    if (
        assignment.role == Role.BOE_ADMIN
        and RoleAssignment.objects.filter(role=Role.BOE_ADMIN).count() == 1
    ):
        raise ValidationError("最後の教育委員会管理者の役割は外せません。")
    audit.record(
        by,
        "schools.role.remove",
        assignment,
        school=assignment.school,
        changes={"staff": assignment.staff.name, "role": [_role_text(assignment), None]},
    )
    assignment.delete()


@transaction.atomic
def confirm_role(assignment: RoleAssignment, *, by: Actor) -> RoleAssignment:
    by.require(by.can_manage_role(assignment.role, assignment.school_id))
    if assignment.role in RECORD_WRITING_ROLES and _held_roles(assignment.staff) & BOARD_ROLES:
        # a draft copied by the roll-over before the rule existed: confirmed only through a grant
        by.require_role_grant(
            assignment.role, assignment.school_id, to=assignment.staff, held=BOARD_ROLES
        )
    require_writable(assignment.school_year)
    assignment.is_draft = False
    assignment.save(update_fields=["is_draft"])
    audit.record(
        by,
        "schools.role.confirm",
        assignment,
        school=assignment.school,
        changes={
            "staff": assignment.staff.name,
            "role": _role_text(assignment),
            "is_draft": [True, False],
        },
    )
    return assignment
