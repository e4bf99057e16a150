"""API resources of the timetable, registered on the shared v1 router.

- ``timetable/bell-schedules/?school=<id>&year=2026``: GET the school's 校時表; POST
  ``{"school", "year", "name", "kind", "is_default", "periods": [{"number", "start", "end"}]}``;
- ``timetable/rooms/?school=<id>``: GET; POST ``{"school", "name", "kind", "capacity"}``;
- ``timetable/assignments/?school=<id>&year=2026``: GET the 担当 (teachers, weekly periods);
  POST ``{"school", "year", "classroom" | "group", "subject", "teachers", "weekly_periods"}``;
- ``timetable/groups/?school=<id>&year=2026``: GET; POST ``{"school", "year", "kind", "name",
  "classes", "students"}`` (合同, 分割, 選択, 交流);
- ``timetable/bell-days/``: POST ``{"school", "date", "bell_schedule"}`` (null = the default);
- ``timetable/lessons/?class=<id> | teacher=<id> | room=<id>[&date=]``: the week in force;
- ``timetable/class-weeks/<classroom>/``: PUT ``{"lessons": [{"weekday", "period", "subject",
  "teachers", "room", "length", "group"}]}`` replaces the class's week in one call and answers
  the clashes involving it (warnings; only impossible input is refused);
- ``timetable/changes/?school=<id>&date=``: GET the day's changes and lessons; POST one change;
  DELETE ``changes/<id>/?school=<id>``;
- ``timetable/substitutes/?school=<id>&date=&absent=<staff>``: 代替 and 自習監督 candidates;
- ``timetable/unavailability/?school=<id>&year=2026``: GET every teacher's 授業不可 periods;
  POST ``{"school", "year", "staff", "slots": [[weekday, period]], "reason"}`` replaces one
  teacher's;
- ``timetable/hours/?school=<id>&year=2026[&as_of=]``: the 授業時数 tally (the board: every
  school without ``school``).
- ``timetable/generation-rules/<school>/?year=2026``: GET the 自動作成の決まり (the school's
  rules, teachers' limits, 2時間続き, wishes, 授業不可); PUT the same shape back: each section
  given is stated (teachers and assignments listed are set, the others stay; the wishes are
  the whole list), checked and written as the page and the Excel import do
  (``timetable.rulesets``), one audit record, nothing written on a 400.

Permissions come from the same ``Actor`` as the pages.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import imports as api_imports
from api.routers import router
from schools import teaching
from schools.imports.base import ImportRefused
from schools.models import SchoolYear, Staff, Subject, TeachingGroup
from schools.permissions import Actor, as_pk, get_actor
from tenants import jobs
from timetable import fet_import, generating, planning, queries, rules, rulesets, services
from timetable import imports as timetable_imports
from timetable.models import Timetable


def _actor(request) -> Actor:
    return get_actor(request)


def _date(value: str | None, name: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: ["日付は YYYY-MM-DD で指定してください。"]}) from None


def _year(value: object) -> SchoolYear:
    if value in (None, ""):
        year = SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()
        if year is None:
            raise ValidationError({"year": ["年度を指定してください。"]})
        return year
    number = as_pk(value)
    if number is None:
        raise ValidationError({"year": ["年度は数字で指定してください (例: 2026)。"]})
    return get_object_or_404(SchoolYear, year=number)


def _school(request, value: object, *, edit: bool = False):
    if value in (None, ""):
        raise ValidationError({"school": ["学校を指定してください。"]})
    return _actor(request).timetable_school_or_404(value, edit=edit)


def _commit_import(request, prefix: str, commit, message) -> Response:
    """The commit of a school's import (timetable grid, FET): the token's upload, taken by
    its uploader, for a school they may edit, planned again and written all or nothing by
    ``commit`` (the import's service); ``message(plan)`` says what was done."""
    actor = _actor(request)
    token = api_imports.commit_token(request, 2)
    if isinstance(token, Response):
        return token
    school = _school(request, token.target[0], edit=True)
    year = _year(token.target[1])
    kind = f"{prefix}:{school.pk}:{year.pk}"
    pending = token.take(by=actor, kind=kind)
    if isinstance(pending, Response):
        return pending
    try:
        plan = commit(
            school,
            year,
            pending.data,
            by=actor,
            filename=pending.filename,
            expected_fingerprint=pending.fingerprint,
        )
    except ImportRefused as exc:
        return api_imports.refused(exc.errors)
    return api_imports.committed(
        pending,
        by=actor,
        kind=kind,
        counts={**plan.counts(), "clashes": plan.clashes},
        message=message(plan),
    )


def _hours(value: Fraction) -> str:
    return rules.format_hours(value)


def _lesson(row) -> dict:
    return {
        "id": row.pk,
        "school": row.timetable.school_id,
        "timetable": row.timetable_id,
        "weekday": row.weekday,
        "period": row.period,
        "length": row.length,
        "classroom": row.classroom_id,
        "group": row.group_id,
        "division": row.division,
        "section": row.section,
        "subject": row.subject_id,
        "subject_name": row.subject.name,
        "teachers": list(getattr(row, "teacher_ids", [])),
        "room": row.room_id,
    }


def _clash(c: rules.Clash) -> dict:
    return {
        "kind": c.kind.value,
        "weekday": c.weekday,
        "period": c.period,
        "message": c.message,
        "lessons": [x.key for x in c.lessons],
        "who": c.who,
    }


# --- response bodies (the OpenAPI schema; the views build plain dicts of these shapes) ----

S = serializers


class PeriodOutSerializer(S.Serializer):
    number = S.IntegerField()
    start = S.CharField(help_text="HH:MM")
    end = S.CharField(help_text="HH:MM")


class BellScheduleOutSerializer(S.Serializer):
    id = S.IntegerField()
    name = S.CharField()
    kind = S.CharField()
    is_default = S.BooleanField()
    periods = PeriodOutSerializer(many=True)


class CreatedSerializer(S.Serializer):
    id = S.IntegerField()
    name = S.CharField()


class RoomOutSerializer(S.Serializer):
    id = S.IntegerField()
    name = S.CharField()
    kind = S.CharField()
    capacity = S.IntegerField()


class AssignmentOutSerializer(S.Serializer):
    id = S.IntegerField()
    classroom = S.IntegerField(allow_null=True)
    group = S.IntegerField(allow_null=True)
    subject = S.IntegerField()
    subject_name = S.CharField()
    teachers = S.ListField(child=S.IntegerField())
    weekly_periods = S.CharField(help_text="週あたりの時数 (35分の1単位など分数可: 「1/2」)")
    is_draft = S.BooleanField()


class AssignmentCreatedSerializer(S.Serializer):
    id = S.IntegerField()
    weekly_periods = S.CharField()


class GroupOutSerializer(S.Serializer):
    id = S.IntegerField()
    kind = S.CharField()
    name = S.CharField()
    classes = S.ListField(child=S.IntegerField())


class BellDayOutSerializer(S.Serializer):
    date = S.DateField()
    bell_schedule = S.IntegerField(allow_null=True)


class LessonOutSerializer(S.Serializer):
    id = S.IntegerField()
    school = S.IntegerField()
    timetable = S.IntegerField()
    weekday = S.IntegerField(help_text="0 = 月曜")
    period = S.IntegerField()
    length = S.IntegerField()
    classroom = S.IntegerField(allow_null=True)
    group = S.IntegerField(allow_null=True)
    division = S.CharField(allow_blank=True)
    section = S.CharField(allow_blank=True)
    subject = S.IntegerField()
    subject_name = S.CharField()
    teachers = S.ListField(child=S.IntegerField())
    room = S.IntegerField(allow_null=True)


class ClashSerializer(S.Serializer):
    kind = S.CharField()
    weekday = S.IntegerField()
    period = S.IntegerField()
    message = S.CharField()
    lessons = S.ListField(child=S.CharField())
    who = S.CharField(allow_blank=True)


class ClassWeekSavedSerializer(S.Serializer):
    timetable = S.IntegerField()
    lessons = S.ListField(child=S.IntegerField())
    clashes = ClashSerializer(many=True, help_text="保存後に残る重なり（警告）")


class ChangeOutSerializer(S.Serializer):
    id = S.IntegerField()
    kind = S.CharField()
    lesson = S.IntegerField(allow_null=True)
    classroom = S.IntegerField(allow_null=True)
    period = S.IntegerField(allow_null=True)
    other_period = S.IntegerField(allow_null=True)
    subject = S.IntegerField(allow_null=True)
    teachers = S.ListField(child=S.IntegerField())
    absent = S.IntegerField(allow_null=True)
    room = S.IntegerField(allow_null=True)
    bell_schedule = S.IntegerField(allow_null=True)
    weekday = S.IntegerField(allow_null=True)
    note = S.CharField(allow_blank=True)


class DayLessonSerializer(S.Serializer):
    key = S.CharField()
    period = S.IntegerField()
    length = S.IntegerField()
    classrooms = S.ListField(child=S.IntegerField())
    subject = S.IntegerField()
    teachers = S.ListField(child=S.IntegerField())
    room = S.IntegerField(allow_null=True)
    status = S.ChoiceField([x.value for x in rules.LessonStatus])


class SchoolDaySerializer(S.Serializer):
    date = S.DateField()
    is_school_day = S.BooleanField()
    weekday = S.IntegerField(help_text="その日に使う曜日 (曜日振替の後)")
    bell_schedule = S.IntegerField(allow_null=True)
    changes = ChangeOutSerializer(many=True)
    lessons = DayLessonSerializer(many=True)
    problems = S.ListField(child=S.CharField())


class ChangeCreatedSerializer(S.Serializer):
    id = S.IntegerField()
    kind = S.CharField()


class CandidateSerializer(S.Serializer):
    teacher = S.IntegerField()
    name = S.CharField()
    fit = S.IntegerField(help_text="0: この学級のこの教科 … 3: 空き時間のみ")
    duties = S.IntegerField()
    reasons = S.ListField(child=S.CharField())


class SuggestionSerializer(S.Serializer):
    lesson = S.CharField()
    period = S.IntegerField()
    subject = S.IntegerField()
    classrooms = S.ListField(child=S.IntegerField())
    remaining = S.ListField(child=S.IntegerField())
    substitutes = CandidateSerializer(many=True)
    supervisors = CandidateSerializer(many=True)


class SubjectHoursSerializer(S.Serializer):
    subject = S.CharField()
    standard = S.IntegerField(allow_null=True)
    planned = S.CharField()
    held = S.CharField()
    projected = S.CharField()
    shortfall = S.CharField()


class ClassHoursSerializer(S.Serializer):
    classroom = S.IntegerField()
    name = S.CharField()
    standard = S.IntegerField(allow_null=True)
    planned = S.CharField()
    held = S.CharField()
    projected = S.CharField()
    subjects = SubjectHoursSerializer(many=True)


class SchoolHoursSerializer(S.Serializer):
    school = S.IntegerField()
    name = S.CharField()
    warnings = S.ListField(child=S.CharField())
    classes = ClassHoursSerializer(many=True)


class UnavailabilityOutSerializer(S.Serializer):
    staff = S.IntegerField()
    name = S.CharField()
    reason = S.CharField(allow_blank=True)
    slots = S.ListField(child=S.ListField(child=S.IntegerField()), help_text="[曜日, 校時]")


class UnavailabilitySavedSerializer(S.Serializer):
    staff = S.IntegerField()
    slots = S.ListField(child=S.ListField(child=S.IntegerField()))


# --- bell schedules and rooms ----------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=0, max_value=12)
    start = serializers.TimeField()
    end = serializers.TimeField()


class BellScheduleWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False)
    name = serializers.CharField(max_length=30)
    kind = serializers.CharField(max_length=10, default="normal")
    is_default = serializers.BooleanField(default=False)
    periods = PeriodSerializer(many=True)


class BellScheduleViewSet(viewsets.ViewSet):
    @extend_schema(responses=BellScheduleOutSerializer(many=True))
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        year = _year(request.query_params.get("year"))
        return Response(
            [
                {
                    "id": s.pk,
                    "name": s.name,
                    "kind": s.kind,
                    "is_default": s.is_default,
                    "periods": [
                        {"number": p.number, "start": f"{p.start:%H:%M}", "end": f"{p.end:%H:%M}"}
                        for p in s.periods.all()
                    ],
                }
                for s in queries.bell_schedules(school, year)
            ]
        )

    @extend_schema(request=BellScheduleWriteSerializer, responses={201: CreatedSerializer})
    def create(self, request):
        body = BellScheduleWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        school = _school(request, d["school"], edit=True)
        schedule = services.save_bell_schedule(
            by=_actor(request),
            school=school,
            school_year=_year(d.get("year")),
            name=d["name"],
            kind=d["kind"],
            is_default=d["is_default"],
            periods=[(p["number"], p["start"], p["end"]) for p in d["periods"]],
        )
        return Response({"id": schedule.pk, "name": schedule.name}, status=status.HTTP_201_CREATED)


class RoomWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    name = serializers.CharField(max_length=30)
    kind = serializers.CharField(max_length=10, default="ordinary")
    capacity = serializers.IntegerField(min_value=1, max_value=20, default=1)


class RoomViewSet(viewsets.ViewSet):
    @extend_schema(responses=RoomOutSerializer(many=True))
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        return Response(
            [
                {"id": r.pk, "name": r.name, "kind": r.kind, "capacity": r.capacity}
                for r in queries.rooms_of(school)
            ]
        )

    @extend_schema(request=RoomWriteSerializer, responses={201: CreatedSerializer})
    def create(self, request):
        body = RoomWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        school = _school(request, d["school"], edit=True)
        room = services.save_room(
            by=_actor(request),
            school=school,
            name=d["name"],
            kind=d["kind"],
            capacity=d["capacity"],
        )
        return Response({"id": room.pk, "name": room.name}, status=status.HTTP_201_CREATED)


# --- teaching assignments (担当) ---------------------------------------------------------------


class AssignmentWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False)
    classroom = serializers.IntegerField(required=False, allow_null=True)
    group = serializers.IntegerField(required=False, allow_null=True)
    subject = serializers.IntegerField()
    teachers = serializers.ListField(child=serializers.IntegerField(), default=list)
    weekly_periods = serializers.CharField(max_length=12, default="0")


class AssignmentViewSet(viewsets.ViewSet):
    @extend_schema(responses=AssignmentOutSerializer(many=True))
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        year = _year(request.query_params.get("year"))
        return Response(
            [
                {
                    "id": a.pk,
                    "classroom": a.classroom_id,
                    "group": a.group_id,
                    "subject": a.subject_id,
                    "subject_name": a.subject.name,
                    "teachers": [t.pk for t in a.teachers.all()],
                    "weekly_periods": str(a.weekly_periods),
                    "is_draft": a.is_draft,
                }
                for a in teaching.assignments_of(school, year)
            ]
        )

    @extend_schema(request=AssignmentWriteSerializer, responses={201: AssignmentCreatedSerializer})
    def create(self, request):
        body = AssignmentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        actor = _actor(request)
        school = _school(request, d["school"], edit=True)
        year = _year(d.get("year"))
        classroom = group = None
        if d.get("classroom"):
            classroom = actor.classroom_or_404(d["classroom"])
        if d.get("group"):
            group = get_object_or_404(TeachingGroup, pk=d["group"], school=school, school_year=year)
        subject = get_object_or_404(Subject, pk=d["subject"])
        teachers = list(Staff.objects.filter(pk__in=d["teachers"]))
        if len(teachers) != len(set(d["teachers"])):
            raise ValidationError({"teachers": ["教職員が見つかりません。"]})
        a = teaching.save_assignment(
            by=actor,
            school=school,
            school_year=year,
            classroom=classroom,
            group=group,
            subject=subject,
            teachers=teachers,
            weekly_periods=d["weekly_periods"],
        )
        return Response(
            {"id": a.pk, "weekly_periods": str(a.weekly_periods)}, status=status.HTTP_201_CREATED
        )


class GroupWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False)
    kind = serializers.CharField(max_length=10)
    name = serializers.CharField(max_length=40)
    classes = serializers.ListField(child=serializers.IntegerField(), default=list)
    students = serializers.ListField(child=serializers.IntegerField(), default=list)


class GroupViewSet(viewsets.ViewSet):
    """授業グループ (合同, 分割・習熟度別・少人数, 選択, 交流): classes and/or students."""

    @extend_schema(responses=GroupOutSerializer(many=True))
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        year = _year(request.query_params.get("year"))
        return Response(
            [
                {
                    "id": g.pk,
                    "kind": g.kind,
                    "name": g.name,
                    "classes": [c.pk for c in g.classes.all()],
                }
                for g in teaching.groups_of(school, year)
            ]
        )

    @extend_schema(request=GroupWriteSerializer, responses={201: CreatedSerializer})
    def create(self, request):
        body = GroupWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        actor = _actor(request)
        school = _school(request, d["school"], edit=True)
        classes = [actor.classroom_or_404(c) for c in d["classes"]]
        students = list(actor.students().filter(pk__in=d["students"]))
        if len(students) != len(set(d["students"])):
            raise ValidationError({"students": ["児童生徒が見つかりません。"]})
        group = teaching.save_group(
            by=actor,
            school=school,
            school_year=_year(d.get("year")),
            kind=d["kind"],
            name=d["name"],
            classes=classes,
            students=students,
        )
        return Response({"id": group.pk, "name": group.name}, status=status.HTTP_201_CREATED)


class BellDayWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    date = serializers.DateField()
    bell_schedule = serializers.IntegerField(required=False, allow_null=True)


class BellDayViewSet(viewsets.ViewSet):
    """Which bell schedule a date uses (POST; ``bell_schedule`` null = the default)."""

    @extend_schema(request=BellDayWriteSerializer, responses={201: BellDayOutSerializer})
    def create(self, request):
        body = BellDayWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        school = _school(request, d["school"], edit=True)
        schedule = None
        if d.get("bell_schedule"):
            year = queries.year_of(d["date"])
            found = [
                s
                for s in (queries.bell_schedules(school, year) if year else [])
                if s.pk == d["bell_schedule"]
            ]
            if not found:
                raise ValidationError({"bell_schedule": ["この学校の校時表を選んでください。"]})
            schedule = found[0]
        services.set_bell_day(by=_actor(request), school=school, date=d["date"], schedule=schedule)
        return Response(
            {"date": d["date"].isoformat(), "bell_schedule": schedule.pk if schedule else None},
            status=status.HTTP_201_CREATED,
        )


# --- lessons ------------------------------------------------------------------------------------


class LessonViewSet(viewsets.ViewSet):
    """The week in force of one class, teacher or room."""

    @extend_schema(responses=LessonOutSerializer(many=True))
    def list(self, request):
        actor = _actor(request)
        params = request.query_params
        date = _date(params.get("date"), "date", timezone.localdate())
        if params.get("class"):
            week = queries.class_week(actor.classroom_or_404(params["class"]), date)
        elif params.get("teacher"):
            staff = get_object_or_404(actor.staff_for(), pk=as_pk(params["teacher"]) or 0)
            week = queries.teacher_week(staff, _year(params.get("year")), date)
        elif params.get("room"):
            rooms = {
                r.pk: r
                for s in actor.schools()
                for r in queries.rooms_of(s)
                if r.pk == as_pk(params["room"])
            }
            room = rooms.get(as_pk(params["room"]))
            if room is None:
                raise ValidationError({"room": ["教室が見つかりません。"]})
            week = queries.room_week(room, _year(params.get("year")), date)
        else:
            raise ValidationError({"class": ["class, teacher, room のどれかを指定してください。"]})
        seen: dict[int, dict] = {}
        for lessons in week.cells.values():
            for row in lessons:
                seen.setdefault(row.pk, _lesson(row))
        return Response(sorted(seen.values(), key=lambda x: (x["weekday"], x["period"])))


class LessonInputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=5)
    period = serializers.IntegerField(min_value=1, max_value=12)
    subject = serializers.IntegerField()
    teachers = serializers.ListField(child=serializers.IntegerField(), default=list)
    room = serializers.IntegerField(required=False, allow_null=True)
    length = serializers.IntegerField(min_value=1, max_value=4, default=1)
    group = serializers.IntegerField(required=False, allow_null=True)
    division = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    section = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)


class ClassWeekSerializer(serializers.Serializer):
    lessons = LessonInputSerializer(many=True, max_length=200)
    date = serializers.DateField(required=False)


class ClassWeekViewSet(viewsets.ViewSet):
    """Bulk replace of a class's week in the timetable in force (one call)."""

    @extend_schema(request=ClassWeekSerializer, responses=ClassWeekSavedSerializer)
    def update(self, request, pk=None):
        actor = _actor(request)
        classroom = actor.classroom_or_404(pk)
        body = ClassWeekSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        date = body.validated_data.get("date") or timezone.localdate()
        timetable = queries.current_timetable(classroom.school, classroom.school_year, date)
        if timetable is None:
            raise ValidationError({"timetable": ["この年度の時間割がありません。"]})
        result = services.replace_class_week(
            by=actor,
            timetable=timetable,
            classroom=classroom,
            lessons=[dict(x) for x in body.validated_data["lessons"]],
        )
        return Response(
            {
                "timetable": timetable.pk,
                "lessons": [x.pk for x in result.lessons],
                "clashes": [_clash(c) for c in result.clashes],
            }
        )


# --- daily changes and substitutes ----------------------------------------------------------


class ChangeWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    date = serializers.DateField()
    kind = serializers.CharField(max_length=12)
    lesson = serializers.IntegerField(required=False, allow_null=True)
    classroom = serializers.IntegerField(required=False, allow_null=True)
    period = serializers.IntegerField(required=False, allow_null=True)
    other_period = serializers.IntegerField(required=False, allow_null=True)
    subject = serializers.IntegerField(required=False, allow_null=True)
    teachers = serializers.ListField(child=serializers.IntegerField(), default=list)
    absent = serializers.IntegerField(required=False, allow_null=True)
    room = serializers.IntegerField(required=False, allow_null=True)
    bell_schedule = serializers.IntegerField(required=False, allow_null=True)
    weekday = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class ChangeViewSet(viewsets.ViewSet):
    @extend_schema(responses=SchoolDaySerializer)
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        date = _date(request.query_params.get("date"), "date", timezone.localdate())
        view = queries.school_day(school, date)
        return Response(
            {
                "date": date.isoformat(),
                "is_school_day": view.is_school_day,
                "weekday": view.day.weekday,
                "bell_schedule": view.day.bell,
                "changes": [
                    {
                        "id": c.pk,
                        "kind": c.kind,
                        "lesson": c.lesson_id,
                        "classroom": c.classroom_id,
                        "period": c.period,
                        "other_period": c.other_period,
                        "subject": c.subject_id,
                        "teachers": [t.pk for t in c.teachers.all()],
                        "absent": c.absent_id,
                        "room": c.room_id,
                        "bell_schedule": c.bell_schedule_id,
                        "weekday": c.weekday,
                        "note": c.note,
                    }
                    for c in view.changes
                ],
                "lessons": [
                    {
                        "key": x.key,
                        "period": x.period,
                        "length": x.length,
                        "classrooms": list(x.group.classrooms),
                        "subject": x.subject,
                        "teachers": list(x.teachers),
                        "room": x.room,
                        "status": x.status.value,
                    }
                    for x in view.day.lessons
                ],
                "problems": list(view.day.problems),
            }
        )

    @extend_schema(request=ChangeWriteSerializer, responses={201: ChangeCreatedSerializer})
    def create(self, request):
        body = ChangeWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        school = _school(request, d.pop("school"), edit=True)
        change = services.add_daily_change(by=_actor(request), school=school, **d)
        return Response({"id": change.pk, "kind": change.kind}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        school = _school(request, request.query_params.get("school"), edit=True)
        change = next((c for c in queries.changes_by_id(school, pk)), None)
        if change is None:
            return Response(
                {"error": {"code": "not_found", "message": "見つかりません。"}},
                status=status.HTTP_404_NOT_FOUND,
            )
        services.delete_daily_change(change, by=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubstituteViewSet(viewsets.ViewSet):
    @extend_schema(responses=SuggestionSerializer(many=True))
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        date = _date(request.query_params.get("date"), "date", timezone.localdate())
        absent = get_object_or_404(
            _actor(request).staff_for(), pk=as_pk(request.query_params.get("absent")) or 0
        )
        suggestions, names = queries.substitute_suggestions(school, date, absent)

        def people(candidates) -> list[dict]:
            return [
                {
                    "teacher": c.teacher,
                    "name": names.teachers.get(c.teacher, ""),
                    "fit": c.fit,
                    "duties": c.duties,
                    "reasons": list(c.reasons),
                }
                for c in candidates
            ]

        return Response(
            [
                {
                    "lesson": s.lesson.key,
                    "period": s.lesson.period,
                    "subject": s.lesson.subject,
                    "classrooms": list(s.lesson.group.classrooms),
                    "remaining": list(s.remaining),
                    "substitutes": people(s.substitutes),
                    "supervisors": people(s.supervisors),
                }
                for s in suggestions
            ]
        )


class HoursViewSet(viewsets.ViewSet):
    """授業時数: one school (its teachers and administrators), or every school (the board)."""

    @extend_schema(responses=SchoolHoursSerializer(many=True))
    def list(self, request):
        actor = _actor(request)
        year = _year(request.query_params.get("year"))
        as_of = _date(request.query_params.get("as_of"), "as_of", timezone.localdate())
        if request.query_params.get("school"):
            schools = [_school(request, request.query_params["school"])]
        else:
            actor.require(actor.sees_every_hours_tally, "全校の授業時数を見る権限がありません。")
            schools = list(actor.schools().filter(is_active=True))
        result = []
        for t in queries.municipality_tally(schools, year, as_of=as_of):
            result.append(
                {
                    "school": t.school.pk,
                    "name": t.school.name,
                    "warnings": list(t.tally.warnings),
                    "classes": [
                        {
                            "classroom": c.classroom,
                            "name": c.name,
                            "standard": c.standard,
                            "planned": _hours(c.planned),
                            "held": _hours(c.held),
                            "projected": _hours(c.projected),
                            "subjects": [
                                {
                                    "subject": s.subject,
                                    "standard": s.standard,
                                    "planned": _hours(s.planned),
                                    "held": _hours(s.held),
                                    "projected": _hours(s.projected),
                                    "shortfall": _hours(s.shortfall),
                                }
                                for s in c.subjects
                            ],
                        }
                        for c in t.tally.classes
                    ],
                }
            )
        return Response(result)


# --- teachers' unavailable periods (授業不可) -------------------------------------------------


class UnavailabilityWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False)
    staff = serializers.IntegerField()
    slots = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        max_length=80,
        default=list,
    )
    reason = serializers.CharField(max_length=60, default="", allow_blank=True)


class UnavailabilityViewSet(viewsets.ViewSet):
    @extend_schema(responses=UnavailabilityOutSerializer(many=True))
    def list(self, request):
        school = _school(request, request.query_params.get("school"))
        year = _year(request.query_params.get("year"))
        by_staff: dict[int, dict] = {}
        for r in queries.unavailability_rows(school, year):
            row = by_staff.setdefault(
                r.staff_id,
                {"staff": r.staff_id, "name": r.staff.name, "reason": r.reason, "slots": []},
            )
            row["slots"].append([r.weekday, r.period])
        return Response(list(by_staff.values()))

    @extend_schema(
        request=UnavailabilityWriteSerializer, responses={201: UnavailabilitySavedSerializer}
    )
    def create(self, request):
        body = UnavailabilityWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        school = _school(request, d["school"], edit=True)
        year = _year(d.get("year"))
        staff = {s.pk: s for s in queries.timetable_staff(school, year)}.get(d["staff"])
        if staff is None:
            raise ValidationError({"staff": ["この学校の先生ではありません。"]})
        rows = services.set_unavailability(  # a Django ValidationError answers 400 (api.errors)
            by=_actor(request),
            school=school,
            school_year=year,
            staff=staff,
            slots=d["slots"],
            reason=d["reason"],
        )
        return Response(
            {"staff": staff.pk, "slots": [[r.weekday, r.period] for r in rows]},
            status=status.HTTP_201_CREATED,
        )


# --- 自動作成の決まり (timetable.rulesets): the whole rulebook, read and stated at once -----------


def _limit_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=True, required=False, default=None, **kwargs)


class RuleSettingsSerializer(serializers.Serializer):
    double_not_first = serializers.BooleanField(help_text="2時間続きを1校時から始めない")
    lunch_after = _limit_field(help_text="昼休みの前の校時 (null = 校時表のとおり)")
    spread_two_period = serializers.BooleanField(help_text="週2コマの教科は続けた日に置かない")
    teacher_max_daily = _limit_field(help_text="先生の1日の上限 (全員の既定、null = なし)")
    teacher_max_row = _limit_field(help_text="先生の連続の上限")
    teacher_max_gaps_day = _limit_field(help_text="先生の空きコマ (1日)")
    teacher_max_gaps_week = _limit_field(help_text="先生の空きコマ (週)")


class TeacherLimitSerializer(serializers.Serializer):
    staff = serializers.IntegerField()
    name = serializers.CharField(read_only=True)
    daily = _limit_field(help_text="1日の上限 (null = 学校の既定)")
    row = _limit_field(help_text="連続の上限")
    gaps_day = _limit_field(help_text="空きコマ (1日)")
    gaps_week = _limit_field(help_text="空きコマ (週)")


class DoubleSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    label = serializers.CharField(read_only=True, help_text="1年1組 理科")
    weekly_periods = serializers.CharField(read_only=True)
    per_week = serializers.IntegerField(help_text="2時間続きの週の回数 (0 = なし)")


class WishSerializer(serializers.Serializer):
    kind = serializers.CharField(
        max_length=10, help_text="avoid (避ける) / prefer (この時間に置く)"
    )
    subjects = serializers.ListField(child=serializers.IntegerField(), max_length=30)
    periods = serializers.ListField(child=serializers.IntegerField(), max_length=12)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(), max_length=6, default=list, help_text="[] = 毎日"
    )
    weight = serializers.IntegerField(help_text="重み 1〜100 (%)")
    note = serializers.CharField(max_length=40, default="", allow_blank=True)
    label = serializers.CharField(read_only=True)


class AbsenceSerializer(serializers.Serializer):
    staff = serializers.IntegerField()
    name = serializers.CharField(read_only=True)
    reason = serializers.CharField(max_length=60, default="", allow_blank=True)
    slots = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        max_length=80,
        default=list,
        help_text="[曜日 0-5, 校時]",
    )


class GenerationRulesSerializer(serializers.Serializer):
    school = serializers.IntegerField(read_only=True)
    year = serializers.IntegerField(required=False, help_text="年度 (例: 2026)。省略時は今年度")
    settings = RuleSettingsSerializer(required=False)
    teacher_limits = TeacherLimitSerializer(many=True, required=False, max_length=500)
    doubles = DoubleSerializer(many=True, required=False, max_length=2000)
    preferences = WishSerializer(many=True, required=False, max_length=200)
    unavailability = AbsenceSerializer(many=True, required=False, max_length=500)


class RulesSavedSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="変わった決まりの数 (0 = 変更なし)")
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="シートごとの変更"
    )
    rules = GenerationRulesSerializer()


def _rules_body(school, year) -> dict:
    book = rulesets.current(school, year)
    staff = {s.pk: s.name for s in rulesets.staff_of(school, year)}
    doubles = book.doubles or {}
    subjects = dict(Subject.objects.values_list("pk", "name"))
    absent = book.unavailable or {}
    return {
        "school": school.pk,
        "year": year.year,
        "settings": (book.settings or rulesets.Settings()).as_dict(),
        "teacher_limits": [
            {
                "staff": pk,
                "name": staff.get(pk, ""),
                **dict(zip(rulesets.LIMIT_KEYS, lim, strict=True)),
            }
            for pk, lim in sorted((book.teacher_limits or {}).items())
        ],
        "doubles": [
            {
                "assignment": a.pk,
                "label": f"{a.classroom.label if a.classroom_id else a.group.name} {a.subject.name}",
                "weekly_periods": str(a.weekly_periods.normalize()),
                "per_week": doubles.get(a.pk, 0),
            }
            for a in rulesets.double_candidates(school, year)
        ],
        "preferences": [
            {
                "kind": w.kind,
                "subjects": list(w.subjects),
                "periods": list(w.periods),
                "weekdays": list(w.weekdays),
                "weight": w.weight,
                "note": w.note,
                "label": rulesets.wish_text(w, subjects),
            }
            for w in book.wishes or []
        ],
        "unavailability": [
            {
                "staff": pk,
                "name": staff.get(pk, ""),
                "reason": a.reason,
                "slots": [list(x) for x in sorted(a.slots)],
            }
            for pk, a in sorted(absent.items())
        ],
    }


def _once(items: list[dict], key: str, section: str) -> None:
    seen: set[int] = set()
    for i, item in enumerate(items):
        if item[key] in seen:
            raise ValidationError({f"{section}[{i}].{key}": ["同じものが2回あります。"]})
        seen.add(item[key])


def _book(data: dict) -> rulesets.RuleBook:
    """The request's sections as a ``RuleBook`` (a section left out is not touched)."""
    book = rulesets.RuleBook()
    if "settings" in data:
        book.settings = rulesets.Settings(**data["settings"])
    if "teacher_limits" in data:
        _once(data["teacher_limits"], "staff", "teacher_limits")
        book.teacher_limits = {
            t["staff"]: rulesets.Limits(*(t[k] for k in rulesets.LIMIT_KEYS))
            for t in data["teacher_limits"]
        }
    if "doubles" in data:
        _once(data["doubles"], "assignment", "doubles")
        book.doubles = {d["assignment"]: d["per_week"] for d in data["doubles"]}
    if "preferences" in data:
        book.wishes = [
            rulesets.Wish(
                w["kind"],
                tuple(sorted(set(w["subjects"]))),
                tuple(sorted(set(w["periods"]))),
                tuple(sorted(set(w["weekdays"]))),
                w["weight"],
                w["note"].strip(),
            )
            for w in data["preferences"]
        ]
    if "unavailability" in data:
        _once(data["unavailability"], "staff", "unavailability")
        book.unavailable = {}
        for i, u in enumerate(data["unavailability"]):
            try:
                slots = services.unavailable_slots(u["slots"])
            except DjangoValidationError as exc:
                raise ValidationError({f"unavailability[{i}].slots": exc.messages}) from None
            reason = u["reason"].strip() if slots else ""
            book.unavailable[u["staff"]] = rulesets.Absence(frozenset(slots), reason)
    return book


class GenerationRulesViewSet(viewsets.ViewSet):
    """A school's 自動作成の決まり as one resource (the school's id in the path)."""

    @extend_schema(responses=GenerationRulesSerializer)
    def retrieve(self, request, pk=None):
        school = _school(request, pk, edit=True)
        year = _year(request.query_params.get("year"))
        return Response(_rules_body(school, year))

    @extend_schema(request=GenerationRulesSerializer, responses=RulesSavedSerializer)
    def update(self, request, pk=None):
        school = _school(request, pk, edit=True)
        body = GenerationRulesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        year = _year(body.validated_data.get("year") or request.query_params.get("year"))
        diff = rulesets.replace(school, year, _book(body.validated_data), by=_actor(request))
        return Response(
            {
                "changed": diff.count(),
                "changes": {k: v for k, v in diff.lines.items() if v},
                "rules": _rules_body(school, year),
            }
        )


# --- 自動作成 (timetable.generating): a job proposes, the client applies -------------------


class GenerationWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False)
    mode = serializers.ChoiceField(choices=list(planning.MODES), default="new")
    periods = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=12), min_length=5, max_length=6
    )
    time_limit = serializers.ChoiceField(choices=list(generating.TIME_LIMITS), default=30)


class GenerationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField(help_text="queued, running, succeeded, failed, cancelled")
    message = serializers.CharField(help_text="進み具合 (日本語)")
    error = serializers.CharField(help_text="失敗したときの理由 (日本語)")
    result = serializers.DictField(
        allow_null=True,
        help_text=(
            "status (solved, infeasible, unknown, unsupported), reasons, notes, soft_total, "
            "seconds, activities, lessons ([activity, weekday 0-5, period, room, length]), moved, "
            "wishes ([rule, weight %, broken in the proposal, broken now])"
        ),
    )


class AppliedSerializer(serializers.Serializer):
    lessons = serializers.IntegerField()


def _generation(request, pk: object):
    job = jobs.find(as_pk(pk) or 0)
    if job is None or job.kind != generating.GENERATE:
        raise Http404("自動作成の案が見つかりません。")
    school = _school(request, job.params.get("school_id"), edit=True)
    return school, job


def _generation_body(job) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "message": job.progress_message,
        "error": job.error,
        "result": job.result_data if job.state == "succeeded" else None,
    }


class GenerationViewSet(viewsets.ViewSet):
    """Generate (or repair) a school's weekly timetable: POST starts a job; GET follows it
    and returns the proposal; POST .../apply/ replaces the timetable's lessons by it."""

    @extend_schema(request=GenerationWriteSerializer, responses={202: GenerationSerializer})
    def create(self, request):
        body = GenerationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        school = _school(request, d["school"], edit=True)
        year = _year(d.get("year"))
        timetable = queries.current_timetable(school, year, timezone.localdate())
        if timetable is None:
            raise ValidationError({"school": ["この年度の時間割がまだありません。"]})
        job = generating.start(
            timetable,
            by=_actor(request),
            mode=d["mode"],
            periods=d["periods"],
            time_limit=d["time_limit"],
        )
        return Response(_generation_body(job), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=GenerationSerializer)
    def retrieve(self, request, pk=None):
        _, job = _generation(request, pk)
        return Response(_generation_body(job))

    @extend_schema(request=None, responses=AppliedSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        school, job = _generation(request, pk)
        timetable = get_object_or_404(Timetable, pk=job.params.get("timetable_id"), school=school)
        return Response({"lessons": generating.apply(timetable, job, by=_actor(request))})


router.register("timetable/bell-schedules", BellScheduleViewSet, basename="timetable-bells")
router.register("timetable/rooms", RoomViewSet, basename="timetable-rooms")
router.register("timetable/assignments", AssignmentViewSet, basename="timetable-assignments")
router.register("timetable/groups", GroupViewSet, basename="timetable-groups")
router.register("timetable/bell-days", BellDayViewSet, basename="timetable-bell-days")
router.register("timetable/lessons", LessonViewSet, basename="timetable-lessons")
router.register("timetable/class-weeks", ClassWeekViewSet, basename="timetable-class-weeks")
router.register("timetable/changes", ChangeViewSet, basename="timetable-changes")
router.register("timetable/substitutes", SubstituteViewSet, basename="timetable-substitutes")
router.register(
    "timetable/unavailability", UnavailabilityViewSet, basename="timetable-unavailability"
)
router.register("timetable/hours", HoursViewSet, basename="timetable-hours")
router.register("timetable/generations", GenerationViewSet, basename="timetable-generations")
router.register(
    "timetable/generation-rules", GenerationRulesViewSet, basename="timetable-generation-rules"
)


# --- import of the whole-school grid (upload → preview → commit; see api.imports) --------


class TimetableUploadSerializer(api_imports.UploadSerializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False, help_text="年度 (例: 2026)。省略時は今年度")


class GridImportViewSet(viewsets.ViewSet):
    """時間割の取り込み (the exported whole-school grid): POST a file, then ``commit/``."""

    parser_classes = [*api_imports.PARSERS, *api_imports.JSON]

    @api_imports.preview_schema(TimetableUploadSerializer, "時間割の取り込み: 読み込みと確認")
    def create(self, request):
        actor = _actor(request)
        school = _school(request, request.data.get("school"), edit=True)
        year = _year(request.data.get("year"))
        data, filename = api_imports.read_upload(request, timetable_imports.LIMITS)
        plan = timetable_imports.plan_grid_import(school, year, data, filename=filename)
        rows = [
            {"row": c.row, "classroom": c.classroom.label, "changes": c.lines} for c in plan.changed
        ]
        return api_imports.Preview(
            kind=f"api.timetable:{school.pk}:{year.pk}",
            filename=filename,
            errors=plan.errors,
            counts=plan.counts(),
            rows=rows,
            fingerprint=plan.fingerprint() if plan.ok else "",
            committable=plan.ok and bool(plan.changed),
            target=(school.pk, year.year),
        ).response(data, by=actor)

    @api_imports.commit_schema("時間割の取り込み: 確定")
    @action(detail=False, methods=["post"])
    def commit(self, request):
        return _commit_import(
            request,
            "api.timetable",
            timetable_imports.commit_grid_import,
            lambda plan: (
                f"時間割を取り込みました（{len(plan.changed)}学級を変更）"
                + (f"（重なり {plan.clashes} 件）" if plan.clashes else "")
                + "。"
            ),
        )


router.register("timetable/grid-imports", GridImportViewSet, basename="timetable-grid-imports")


# --- FET in: a .fet file into a school's year (upload → preview → commit; see api.imports) ---


class FetUploadSerializer(TimetableUploadSerializer):
    file = serializers.FileField(help_text="FETで保存した .fet ファイル (XML)")


class FetImportViewSet(viewsets.ViewSet):
    """FETファイルの取り込み: POST a .fet file (preview), then ``commit/`` with its token."""

    parser_classes = [*api_imports.PARSERS, *api_imports.JSON]

    @api_imports.preview_schema(FetUploadSerializer, "FETファイルの取り込み: 読み込みと確認")
    def create(self, request):
        actor = _actor(request)
        school = _school(request, request.data.get("school"), edit=True)
        year = _year(request.data.get("year"))
        data, filename = api_imports.read_upload(request, fet_import.LIMITS)
        plan = fet_import.plan_fet_import(school, year, data, filename=filename)
        rows = [
            {
                "target": a.label,
                "subject": a.subject.name,
                "weekly_periods": a.periods,
                "teachers": [t.name for t in a.teachers],
                "status": a.status,
            }
            for a in plan.assignments
            if a.status != "same"
        ]
        rows += [{"not_kept": tag, "count": n} for tag, n in plan.not_kept]
        rows += [{"rule": r.what, "before": r.before, "after": r.after} for r in plan.rule_changes]
        return api_imports.Preview(
            kind=f"api.{fet_import.KIND}:{school.pk}:{year.pk}",
            filename=filename,
            errors=plan.errors,
            counts=plan.counts(),
            rows=rows,
            fingerprint=plan.fingerprint() if plan.ok else "",
            committable=plan.ok and plan.has_changes,
            target=(school.pk, year.year),
        ).response(data, by=actor)

    @api_imports.commit_schema("FETファイルの取り込み: 確定")
    @action(detail=False, methods=["post"])
    def commit(self, request):
        return _commit_import(
            request,
            f"api.{fet_import.KIND}",
            fet_import.commit_fet_import,
            lambda plan: "FETファイルを取り込みました。",
        )


router.register("timetable/fet-imports", FetImportViewSet, basename="timetable-fet-imports")
