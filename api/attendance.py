"""API resources of attendance, registered on the shared v1 router.

- ``attendance/calendar/?school=<id>&year=2026``: the school's dates and closures;
- ``attendance/class-marks/<classroom>/?date=2026-06-01[&period=0]``: GET the day's marks of a
  class; PUT ``{"date", "period", "marks": [{"enrolment", "code", "note"}]}`` replaces them
  (students not listed become present);
- ``attendance/student-marks/<student>/?from=&to=``: a student's marks over a period;
- ``attendance/figures/?scope=student|classroom|school&id=<id>&year=2026[&month=6][&as_of=]``:
  the school days up to ``as_of`` (default today) count, as on the pages;
- ``attendance/long-absence/?year=2026[&school=<id>]``.

Permissions come from the same ``Actor`` as the pages: objects outside the caller's
scope are 404; a homeroom teacher writes their own class only (403 otherwise).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import imports as api_imports
from api.routers import router
from attendance import figures, queries, rules, services
from attendance import imports as attendance_imports
from attendance.rules import FIGURE_LABELS, Figure
from schools import calendar
from schools.models import Classroom, Enrolment, SchoolYear
from schools.permissions import Actor, as_pk, get_actor


def _actor(request) -> Actor:
    return get_actor(request)


def _date(value: str | None, name: str, default: dt.date | None = None) -> dt.date:
    if not value:
        if default is not None:
            return default
        raise ValidationError({name: ["日付を指定してください (YYYY-MM-DD)。"]})
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: ["日付は YYYY-MM-DD で指定してください。"]}) from None


def _school_year(request) -> SchoolYear:
    value = request.query_params.get("year")
    if value:
        if not value.isdecimal():
            raise ValidationError({"year": ["年度は数字で指定してください (例: 2026)。"]})
        return get_object_or_404(SchoolYear, year=int(value))
    year = SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()
    if year is None:
        raise ValidationError({"year": ["年度を指定してください。"]})
    return year


def _int(request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not value.isdecimal():
        raise ValidationError({name: ["数字で指定してください。"]})
    return int(value)


class MarkSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    code = serializers.CharField(max_length=12, allow_blank=True, default="")
    note = serializers.CharField(max_length=100, allow_blank=True, default="")


class ClassMarksWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    period = serializers.IntegerField(min_value=0, default=0)  # the service checks the 校時
    marks = MarkSerializer(many=True)


# --- response bodies (the OpenAPI schema; the views build plain dicts of these shapes) ----


class CalendarDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    is_school_day = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class ClosureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="学級閉鎖・学年閉鎖・臨時休業")
    grade = serializers.IntegerField(allow_null=True)
    classroom = serializers.IntegerField(allow_null=True)
    start = serializers.DateField()
    end = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)


class CalendarSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField()
    school_days = serializers.IntegerField()
    dates = CalendarDateSerializer(many=True)
    closures = ClosureSerializer(many=True)


class DayCountsSerializer(serializers.Serializer):
    enrolled = serializers.IntegerField()
    absent = serializers.IntegerField()
    suspended = serializers.IntegerField()
    late = serializers.IntegerField()
    early = serializers.IntegerField()
    present = serializers.IntegerField()


class StudentMarkRowSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    roll_number = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField(allow_blank=True, help_text="出欠コード（空欄 = 出席）")
    note = serializers.CharField(allow_blank=True)


class ClassMarksSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    date = serializers.DateField()
    period = serializers.IntegerField(help_text="0 = 日ごと、1以上 = 校時")
    is_school_day = serializers.BooleanField()
    class_closed = serializers.BooleanField()
    counts = DayCountsSerializer()
    students = StudentMarkRowSerializer(many=True)


class ClassMarksSavedSerializer(ClassMarksSerializer):
    changed = serializers.IntegerField(help_text="変更した記録の数")


class MarkOfStudentSerializer(serializers.Serializer):
    date = serializers.DateField()
    period = serializers.IntegerField()
    code = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    classroom = serializers.IntegerField()


class PeriodSerializer(serializers.Serializer):
    """A body with ``from`` and ``to`` (``from`` is a Python keyword: added in get_fields)."""

    def get_fields(self):
        fields = super().get_fields()
        return {"from": serializers.DateField(), "to": serializers.DateField(), **fields}


class StudentMarksSerializer(PeriodSerializer):
    student = serializers.IntegerField()
    marks = MarkOfStudentSerializer(many=True)


class FigureRowSerializer(serializers.Serializer):
    """指導要録の出欠の記録: one student, class member or school (which ids depend on scope)."""

    enrolment = serializers.IntegerField(required=False, help_text="scope=classroom")
    student = serializers.IntegerField(required=False, allow_null=True)
    roll_number = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(required=False)
    school = serializers.IntegerField(required=False, help_text="scope=student, school")
    school_days = serializers.IntegerField(help_text="授業日数")
    suspended_days = serializers.IntegerField(help_text="出席停止・忌引等の日数")
    required_days = serializers.IntegerField(help_text="出席しなければならない日数")
    absent_days = serializers.IntegerField(help_text="欠席日数")
    present_days = serializers.IntegerField(help_text="出席日数")
    late = serializers.IntegerField(help_text="遅刻")
    early = serializers.IntegerField(help_text="早退")
    deemed_present = serializers.IntegerField(help_text="出席扱い")
    by_code = serializers.DictField(child=serializers.IntegerField(), help_text="コードごとの数")


class FiguresSerializer(PeriodSerializer):
    scope = serializers.ChoiceField(["student", "classroom", "school"])
    id = serializers.IntegerField()
    as_of = serializers.DateField(help_text="集計の基準日（既定: 今日）")
    counted_until = serializers.DateField(
        allow_null=True,
        help_text="数えた最後の日（基準日と期間末の早い方）。期間がまだ始まっていなければ null "
        "（results は空）",
    )
    results = FigureRowSerializer(many=True)


class LongAbsenceRowSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    name = serializers.CharField()
    kana = serializers.CharField(allow_blank=True)
    school = serializers.IntegerField()
    school_name = serializers.CharField()
    classroom = serializers.CharField()
    absent_days = serializers.IntegerField()
    school_days_so_far = serializers.IntegerField()
    school_days_in_year = serializers.IntegerField()
    projected = serializers.FloatField(help_text="年度末までの見込み欠席日数")
    status = serializers.CharField()
    trend = serializers.CharField(allow_blank=True)


class LongAbsenceSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    results = LongAbsenceRowSerializer(many=True)


class AttendanceCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="記録に使うコード (sick, late ...)")
    symbol = serializers.CharField(help_text="出席簿の記号 (病, 遅, 停 ...)")
    label = serializers.CharField(help_text="日本語の名称 (欠席 (病気) ...)")
    kind = serializers.ChoiceField(
        [f.value for f in Figure], help_text="指導要録でどの数に入るか (absent, late ...)"
    )
    kind_label = serializers.CharField()
    key = serializers.CharField(allow_blank=True, help_text="入力画面のキー")


class AttendanceCodesSerializer(serializers.Serializer):
    results = AttendanceCodeSerializer(many=True)


class CalendarViewSet(viewsets.ViewSet):
    """学校暦: every date of a school's year with school day flag, plus closures."""

    @extend_schema(responses=CalendarSerializer)
    def list(self, request):
        actor = _actor(request)
        school = get_object_or_404(actor.schools(), pk=_int(request, "school"))
        school_year = _school_year(request)
        dates = calendar.school_dates(school, school_year)
        closures = calendar.closures(school, school_year)
        return Response(
            {
                "school": school.pk,
                "year": school_year.year,
                "school_days": sum(d.is_school_day for d in dates),
                "dates": [
                    {"date": d.date, "is_school_day": d.is_school_day, "note": d.note}
                    for d in dates
                ],
                "closures": [
                    {
                        "id": c.pk,
                        "kind": c.kind,
                        "grade": c.grade,
                        "classroom": c.classroom_id,
                        "start": c.start,
                        "end": c.end,
                        "reason": c.reason,
                    }
                    for c in closures
                ],
            }
        )


# The path's id (a class, a student): typed for the schema (a ViewSet has no queryset to derive
# it from), and only digits reach the view.
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


class ClassMarksViewSet(viewsets.ViewSet):
    """The day's marks of a class (read, and replace in one call)."""

    lookup_value_regex = r"[0-9]+"

    def _classroom(self, request, pk):
        return get_object_or_404(_actor(request).classrooms(), pk=pk)

    def _body(self, entry, period):
        # Names come from the enrolments' students (select_related: no query per row).
        return {
            "classroom": entry.classroom.pk,
            "date": entry.day,
            "period": period,
            "is_school_day": entry.is_school_day,
            "class_closed": entry.is_closed,
            "counts": entry.counts,
            "students": [
                {
                    "enrolment": r.enrolment.pk,
                    "roll_number": r.enrolment.roll_number,
                    "name": r.enrolment.student.name,
                    "code": r.code,
                    "note": r.note,
                }
                for r in entry.rows
            ],
        }

    @extend_schema(parameters=[ID], responses=ClassMarksSerializer)
    def retrieve(self, request, pk=None):
        classroom = self._classroom(request, pk)
        day = _date(request.query_params.get("date"), "date", timezone.localdate())
        period_text = request.query_params.get("period", "0")
        last = calendar.periods_per_day(classroom.school)
        period = int(period_text) if period_text.isdecimal() and int(period_text) <= last else 0
        entry = queries.daily_entry(classroom, day, period)
        return Response(self._body(entry, period))

    @extend_schema(
        parameters=[ID], request=ClassMarksWriteSerializer, responses=ClassMarksSavedSerializer
    )
    def update(self, request, pk=None):
        actor = _actor(request)
        classroom = self._classroom(request, pk)
        actor.require(
            actor.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。"
        )
        body = ClassMarksWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        day, period = body.validated_data["date"], body.validated_data["period"]
        if not calendar.in_year(classroom.school_year, day):
            raise ValidationError({"date": [f"{classroom.school_year}の日付を指定してください。"]})
        entry = queries.save_context(classroom, day, period)
        marks = {
            m["enrolment"]: services.MarkInput(m["code"], m["note"])
            for m in body.validated_data["marks"]
        }
        result = services.save_day_marks(
            classroom,
            day,
            marks,
            by=actor,
            period=period,
            valid_codes={c.code for c in entry.codes},
            class_day=(entry.is_school_day, entry.is_closed),
            enrolments=entry.enrolments,
        )
        # Replace semantics: the class now holds exactly these marks (the others present).
        for row in entry.rows:
            mark = marks.get(row.enrolment.pk, services.PRESENT)
            row.code, row.note = mark.code, mark.note.strip()
        return Response({**self._body(entry, period), "changed": result.changed})


class StudentMarksViewSet(viewsets.ViewSet):
    """A student's marks over a period (``from``, ``to``; default: the current year so far)."""

    lookup_value_regex = r"[0-9]+"

    @extend_schema(parameters=[ID], responses=StudentMarksSerializer)
    def retrieve(self, request, pk=None):
        actor = _actor(request)
        student = get_object_or_404(actor.students(), pk=pk)
        today = timezone.localdate()
        april = dt.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
        start = _date(request.query_params.get("from"), "from", april)
        end = _date(request.query_params.get("to"), "to", today)
        if end < start or (end - start).days > 3 * 366:
            raise ValidationError({"to": ["期間が正しくありません (3年以内)。"]})
        marks = queries.student_marks(student.pk, start, end, school_ids=actor.visible_school_ids())
        return Response(
            {
                "student": student.pk,
                "from": start,
                "to": end,
                "marks": [
                    {
                        "date": m.date,
                        "period": m.period,
                        "code": m.code,
                        "note": m.note,
                        "classroom": m.classroom_id,
                    }
                    for m in marks
                ],
            }
        )


class FiguresViewSet(viewsets.ViewSet):
    """指導要録 figures per student, class or school for a month or the year."""

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, required=True, enum=["student", "classroom", "school"]),
            OpenApiParameter("id", int, required=True),
            OpenApiParameter("year", int, required=False),
            OpenApiParameter("month", int, required=False),
            OpenApiParameter(
                "as_of",
                str,
                required=False,
                description="YYYY-MM-DD: この日までの授業日を数える（既定: 今日。"
                "これからの日は出席に数えない）",
            ),
        ],
        responses=FiguresSerializer,
    )
    def list(self, request):
        actor = _actor(request)
        scope = request.query_params.get("scope", "")
        as_of = _date(request.query_params.get("as_of"), "as_of", timezone.localdate())
        object_id = _int(request, "id")
        school_year = _school_year(request)
        start, end = calendar.year_bounds(school_year)
        month = request.query_params.get("month")
        if month:
            if not month.isdecimal() or not 1 <= int(month) <= 12:
                raise ValidationError({"month": ["月は1から12で指定してください。"]})
            m = int(month)
            start, end = queries.month_bounds(school_year.year + (m < 4), m)
        if scope == "student":
            student = get_object_or_404(actor.students(), pk=object_id)
            seen = actor.visible_school_ids()
            narrow = figures.Narrow(
                student_id=student.pk, school_ids=sorted(seen) if seen is not None else None
            )
            group = "student"
        elif scope == "classroom":
            classroom = get_object_or_404(actor.classrooms(), pk=object_id)
            narrow, group = figures.Narrow(classroom_id=classroom.pk), "enrolment"
        elif scope == "school":
            school = get_object_or_404(actor.schools(), pk=object_id)
            narrow, group = figures.Narrow(school_ids=[school.pk]), "school"
        else:
            raise ValidationError({"scope": ["student、classroom、school のいずれかです。"]})
        # As the pages: only the school days up to as_of count (a day to come is not 出席).
        counted = rules.as_of((start, end), as_of)
        rows = (
            figures.figures_rows(school_year, *counted, group=group, narrow=narrow)
            if counted
            else []
        )
        names = {}
        if scope == "classroom":
            names = {
                e.pk: (e.student_id, e.roll_number, e.student.name)
                for e in Enrolment.objects.filter(classroom_id=object_id).select_related("student")
            }
        result = []
        for key, f in rows:
            item = {**f.as_dict(), "by_code": f.by_code}
            if scope == "classroom":
                student_id, roll, name = names.get(key[0], (None, None, ""))
                item = {
                    "enrolment": key[0],
                    "student": student_id,
                    "roll_number": roll,
                    "name": name,
                    **item,
                }
            elif scope == "student":
                item = {"student": key[0], "school": key[1], **item}
            else:
                item = {"school": key[0], **item}
            result.append(item)
        if scope == "classroom":
            result.sort(key=lambda r: r["roll_number"] or 0)
        return Response(
            {
                "scope": scope,
                "id": object_id,
                "from": start,
                "to": end,
                "as_of": as_of,
                "counted_until": counted[1] if counted else None,
                "results": result,
            }
        )


class LongAbsenceViewSet(viewsets.ViewSet):
    """長期欠席の見守り: 30+ days, or projected to reach 30 by the end of the year."""

    @extend_schema(responses=LongAbsenceSerializer)
    def list(self, request):
        actor = _actor(request)
        school_year = _school_year(request)
        school_id = _int(request, "school") if request.query_params.get("school") else None
        school_ids = actor.attendance_report_schools(school_id)
        watch = figures.long_absence_watch(school_year, timezone.localdate(), school_ids)
        return Response(
            {
                "year": school_year.year,
                "results": [
                    {
                        "student": w.student_id,
                        "name": w.name,
                        "kana": w.kana,
                        "school": w.school_id,
                        "school_name": w.school_name,
                        "classroom": w.classroom,
                        "absent_days": w.absent,
                        "school_days_so_far": w.days_so_far,
                        "school_days_in_year": w.days_in_year,
                        "projected": round(w.projected, 1),
                        "status": w.status,
                        "trend": w.trend,
                    }
                    for w in watch
                ],
            }
        )


router.register("attendance/calendar", CalendarViewSet, basename="attendance-calendar")
router.register("attendance/class-marks", ClassMarksViewSet, basename="attendance-class-marks")
router.register(
    "attendance/student-marks", StudentMarksViewSet, basename="attendance-student-marks"
)
router.register("attendance/figures", FiguresViewSet, basename="attendance-figures")
router.register("attendance/long-absence", LongAbsenceViewSet, basename="attendance-long-absence")


def code_rows() -> list[dict]:
    """The municipality's valid attendance codes, as the entry page and the register use them."""
    return [
        {
            "code": c.code,
            "symbol": c.symbol,
            "label": c.label,
            "kind": c.figure.value,
            "kind_label": FIGURE_LABELS.get(c.figure, c.figure.value),
            "key": c.key,
        }
        for c in queries.codes()
    ]


class CodesViewSet(viewsets.ViewSet):
    """出欠記号: the valid codes of this municipality (code, symbol, Japanese label, kind)."""

    @extend_schema(responses=AttendanceCodesSerializer)
    def list(self, request):
        _actor(request).require(_actor(request).has_any_role)
        return Response({"results": code_rows()})


router.register("attendance/codes", CodesViewSet, basename="attendance-codes")


# --- import of a 出席簿 (upload → preview → commit; see api.imports) ----------------------


class RegisterUploadSerializer(api_imports.UploadSerializer):
    classroom = serializers.IntegerField()
    y = serializers.IntegerField(required=False, help_text="シート名に月がないCSVの年 (例: 2026)")
    m = serializers.IntegerField(required=False, help_text="同じく月 (1-12)")


def _register_target(actor: Actor, classroom_id: object) -> Classroom:
    """The class whose register is imported: its 担任 or an administrator (as the page)."""
    classroom = get_object_or_404(actor.classrooms(), pk=as_pk(classroom_id) or 0)
    actor.require(
        actor.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。"
    )
    if classroom.school_year.is_read_only:
        raise PermissionDenied("過年度の記録は変更できません。")
    return classroom


def _month(y: object, m: object) -> tuple[int, int] | None:
    year, month = as_pk(y), as_pk(m)
    return (year, month) if year and month and 1 <= month <= 12 else None


def _register_kind(classroom: Classroom, month: tuple[int, int] | None) -> str:
    return f"api.register:{classroom.pk}:" + ("-".join(map(str, month)) if month else "")


class RegisterImportViewSet(viewsets.ViewSet):
    """出席簿の取り込み (the exported layout, filled in offline): POST a file, then ``commit/``."""

    parser_classes = [*api_imports.PARSERS, *api_imports.JSON]

    @api_imports.preview_schema(RegisterUploadSerializer, "出席簿の取り込み: 読み込みと確認")
    def create(self, request):
        actor = _actor(request)
        classroom = _register_target(actor, request.data.get("classroom"))
        month = _month(request.data.get("y"), request.data.get("m"))
        data, filename = api_imports.read_upload(request, attendance_imports.IMPORT_LIMITS)
        plan = attendance_imports.plan_register_import(
            classroom, data, filename=filename, fallback_month=month
        )
        symbols = {c.code: c.symbol for c in queries.codes()}
        rows = [
            {
                "date": c.date,
                "roll_number": c.enrolment.roll_number,
                "name": c.enrolment.student.name,
                "old": c.old,
                "old_symbol": symbols.get(c.old, c.old) if c.old else "出席",
                "new": c.new,
                "new_symbol": symbols.get(c.new, c.new) if c.new else "出席",
            }
            for c in plan.changes
        ]
        return api_imports.Preview(
            kind=_register_kind(classroom, month),
            filename=filename,
            errors=plan.errors,
            counts={"changed": len(plan.changes), "unchanged": plan.unchanged},
            rows=rows,
            fingerprint=plan.fingerprint(),
            committable=plan.ok and bool(plan.changes),
            target=(classroom.pk, *(month or (0, 0))),
        ).response(data, by=actor)

    @api_imports.commit_schema("出席簿の取り込み: 確定")
    @action(detail=False, methods=["post"])
    def commit(self, request):
        actor = _actor(request)
        token = api_imports.commit_token(request, 3)
        if isinstance(token, Response):
            return token
        classroom_id, y, m = token.target
        classroom = _register_target(actor, classroom_id)
        month = _month(y, m)
        kind = _register_kind(classroom, month)
        pending = token.take(by=actor, kind=kind)
        if isinstance(pending, Response):
            return pending
        try:
            plan = attendance_imports.commit_register_import(
                classroom,
                pending.data,
                by=actor,
                filename=pending.filename,
                fallback_month=month,
                expected_fingerprint=pending.fingerprint,
            )
        except DjangoValidationError as exc:
            return api_imports.refused(exc.messages)
        return api_imports.committed(
            pending,
            by=actor,
            kind=kind,
            counts={"changed": len(plan.changes), "unchanged": plan.unchanged},
            message=f"出席簿を取り込みました ({len(plan.changes)}件を変更)。",
        )


router.register(
    "attendance/register-imports", RegisterImportViewSet, basename="attendance-register-imports"
)
