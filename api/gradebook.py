"""API resources of the gradebook, registered on the shared v1 router.

- ``gradebook/subjects/[?school_type=]``: 教科 with ``is_graded``;
- ``gradebook/teaching-assignments/[?year=2026]``: the caller's (class × subject) assignments;
- ``gradebook/assessments/?classroom=&subject=&term=``: list / create; ``/<id>/`` read, update,
  delete;
- ``gradebook/scores/?classroom=&subject=&term=[&assessment=]``: bulk read (text + version per
  cell); POST ``{"classroom", "subject", "term", "cells": [{"student", "assessment", "text",
  "version"}], "reason"}`` bulk write, all or nothing (400 invalid cells, 409 conflicts with the
  current values);
- ``gradebook/evaluations/?classroom=&term=[&subject=][&student=]``: viewpoint grades and 評定;
  POST ``gradebook/evaluations/override/`` sets a teacher's override with a reason;
- ``gradebook/finalisations/?term=``: 確定 state; POST ``{"term", "classroom"?,
  "allow_gaps"?}`` finalises; with pupils lacking a 評定 or a 所見 it answers 409
  ``finalisation_gaps`` listing them unless ``allow_gaps`` is true (the page's explicit choice);
  DELETE ``/<id>/`` with ``{"reason"}`` withdraws;
- ``gradebook/history/?classroom=&term=&student=[&subject=][&assessment=]``: who changed what,
  when, why (one cell's history with ``assessment``).

Permissions come from the same ``Actor`` and the same service checks as the pages.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import imports as api_imports
from api.routers import router
from gradebook import imports as gradebook_imports
from gradebook import queries, rules, services
from gradebook.models import Assessment, Finalisation, GradeChange
from schools.models import Classroom, SchoolYear, Subject, Term
from schools.permissions import get_actor


def _int_param(request, name: str, required: bool = True) -> int | None:
    value = request.query_params.get(name) or (
        request.data.get(name) if isinstance(request.data, dict) else None
    )
    if value in (None, ""):
        if required:
            raise ValidationError({name: ["指定してください。"]})
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: ["数字で指定してください。"]}) from None


# Objects come from the same Actor lookups as the pages (schools.permissions): a class of
# another school, a subject of another school type, or a term of another school *or year*
# answers 404; a class × subject the caller may not read answers 403.


def _teaching_from_params(request) -> tuple[Classroom, Subject, Term]:
    """The class × subject × term named by the query (or body) parameters."""
    return get_actor(request).teaching_or_404(
        _int_param(request, "classroom"),
        _int_param(request, "subject"),
        _int_param(request, "term"),
    )


def _class_term_from_params(request) -> tuple[Classroom, Term]:
    """The class and term named by the parameters (no permission asked: callers ask)."""
    return get_actor(request).class_term_or_404(
        _int_param(request, "classroom"), _int_param(request, "term")
    )


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


# --- subjects, teaching assignments ------------------------------------------------------------


class SubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "school_type", "name", "short_name", "sort_order", "is_graded"]


class SubjectViewSet(viewsets.ReadOnlyModelViewSet):
    """教科 of each school type (the national lists; 道徳・総合 etc. are not graded)."""

    serializer_class = SubjectSerializer
    pagination_class = None

    def get_queryset(self):
        qs = Subject.objects.order_by("school_type", "sort_order")
        school_type = self.request.query_params.get("school_type")
        return qs.filter(school_type=school_type) if school_type else qs


# --- response bodies (the OpenAPI schema; the views build plain dicts of these shapes) ----


class TermRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()


class TeachingOutSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    classroom_label = serializers.CharField()
    school = serializers.IntegerField()
    subject = serializers.IntegerField()
    subject_name = serializers.CharField()
    teachers = serializers.ListField(child=serializers.CharField(), help_text="担当の先生の名前")
    assessments = serializers.IntegerField(help_text="評価材料の数")
    terms = TermRefSerializer(many=True)


class AssessmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    max_points = serializers.CharField()


class ScoreCellOutSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    roll_number = serializers.IntegerField()
    assessment = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True, help_text="得点（欠 = 欠席、空欄 = 未入力）")
    version = serializers.IntegerField(help_text="書き込むときに送り返す版 (0 = なし)")


class ScoresOutSerializer(serializers.Serializer):
    finalised = serializers.BooleanField()
    writable = serializers.BooleanField()
    assessments = AssessmentRefSerializer(many=True)
    cells = ScoreCellOutSerializer(many=True)


class CellVersionSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    assessment = serializers.IntegerField()
    version = serializers.IntegerField()


class ScoresSavedSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    versions = CellVersionSerializer(many=True)


class EvaluationOutSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    subject = serializers.IntegerField()
    percentages = serializers.DictField(
        child=serializers.CharField(allow_null=True), help_text="観点ごとの得点率"
    )
    levels = serializers.DictField(
        child=serializers.CharField(allow_null=True), help_text="観点別評価 (A/B/C)"
    )
    derived_levels = serializers.DictField(child=serializers.CharField(allow_null=True))
    rating = serializers.IntegerField(allow_null=True, help_text="評定")
    derived_rating = serializers.IntegerField(allow_null=True)
    overridden = serializers.ListField(child=serializers.CharField())
    override_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()


class EvaluationsOutSerializer(serializers.Serializer):
    finalised = serializers.BooleanField()
    results = EvaluationOutSerializer(many=True)


class TeachingViewSet(viewsets.ViewSet):
    """The caller's teaching assignments (教科担任) of a year, with the school's terms."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=False)],
        responses=TeachingOutSerializer(many=True),
    )
    def list(self, request):
        # ?year=2026: the year number (not a pk); by default the current year
        year_value = request.query_params.get("year", "")
        school_year = (
            get_object_or_404(SchoolYear, year=int(year_value))
            if year_value.isdecimal()
            else SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()
        )
        if school_year is None:
            return Response([])
        rows = queries.teaching_assignments(get_actor(request), school_year.pk)
        terms: dict[int, list] = {}
        for t in Term.objects.filter(
            school_id__in={r.classroom.school_id for r in rows}, school_year=school_year
        ):
            terms.setdefault(t.school_id, []).append(
                {"id": t.pk, "number": t.number, "name": t.name}
            )
        return Response(
            [
                {
                    "classroom": r.classroom.pk,
                    "classroom_label": r.classroom.label,
                    "school": r.classroom.school_id,
                    "subject": r.subject.pk,
                    "subject_name": r.subject.name,
                    "teachers": r.teacher_names,
                    "assessments": r.assessments,
                    "terms": terms.get(r.classroom.school_id, []),
                }
                for r in rows
            ]
        )


# --- assessments --------------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id",
            "classroom",
            "subject",
            "term",
            "title",
            "date",
            "kind",
            "max_points",
            "weight_knowledge",
            "weight_thinking",
            "weight_attitude",
            "sort_order",
        ]
        read_only_fields = ["id"]

    def validate(self, attrs):
        term = attrs.get("term") or getattr(self.instance, "term", None)
        date = attrs.get("date")
        if date and term and not term.start <= date <= term.end:
            raise serializers.ValidationError(
                {"date": [f"{term.name} の期間内の日付にしてください。"]}
            )
        return attrs


class AssessmentViewSet(viewsets.ViewSet):
    """評価材料 of one class × subject × term."""

    queryset = Assessment.objects.none()  # for the schema: objects come from _object()

    def _object(self, request, pk) -> Assessment:
        actor = get_actor(request)
        if not str(pk).isdecimal():
            raise Http404
        assessment = get_object_or_404(
            Assessment.objects.select_related(
                "classroom__school", "classroom__school_year", "term", "subject"
            ),
            pk=int(pk),
            classroom__in=actor.classrooms(),
        )
        actor.require(
            actor.can_view_teaching(assessment.classroom, assessment.subject_id),
            "この評価材料を見る権限がありません。",
        )
        return assessment

    @extend_schema(
        parameters=[
            OpenApiParameter(n, int, required=True) for n in ("classroom", "subject", "term")
        ],
        responses=AssessmentSerializer(many=True),
    )
    def list(self, request):
        classroom, subject, term = _teaching_from_params(request)
        return Response(
            AssessmentSerializer(queries.assessments_of(classroom, subject, term), many=True).data
        )

    @extend_schema(request=AssessmentSerializer, responses=AssessmentSerializer)
    def create(self, request):
        serializer = AssessmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        actor = get_actor(request)
        classroom = actor.classroom_or_404(data.pop("classroom").pk)
        subject, term = data.pop("subject"), data.pop("term")
        try:
            created = services.create_assessment(classroom, subject, term, data, by=actor)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AssessmentSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AssessmentSerializer)
    def retrieve(self, request, pk=None):
        return Response(AssessmentSerializer(self._object(request, pk)).data)

    @extend_schema(request=AssessmentSerializer, responses=AssessmentSerializer)
    def partial_update(self, request, pk=None):
        assessment = self._object(request, pk)
        serializer = AssessmentSerializer(assessment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {
            k: v for k, v in serializer.validated_data.items() if k in services.ASSESSMENT_FIELDS
        }
        full = {f: getattr(assessment, f) for f in services.ASSESSMENT_FIELDS} | data
        try:
            services.update_assessment(assessment, full, by=get_actor(request))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        assessment = self._object(request, pk)
        try:
            services.delete_assessment(assessment, by=get_actor(request))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- scores (bulk) -------------------------------------------------------------------------------


class CellSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    assessment = serializers.IntegerField()
    text = serializers.CharField(
        allow_blank=True, max_length=20, help_text="数字、空欄 (未入力)、欠 (欠席)"
    )
    version = serializers.IntegerField(min_value=0, default=0)


class ScoresWriteSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    subject = serializers.IntegerField()
    term = serializers.IntegerField()
    cells = CellSerializer(many=True)
    reason = serializers.CharField(allow_blank=True, default="", max_length=500)


class ScoreViewSet(viewsets.ViewSet):
    """得点 of a class × subject × term (or one assessment), read and written in bulk."""

    @extend_schema(
        parameters=[
            OpenApiParameter(n, int, required=True) for n in ("classroom", "subject", "term")
        ]
        + [OpenApiParameter("assessment", int, required=False)],
        responses=ScoresOutSerializer,
    )
    def list(self, request):
        classroom, subject, term = _teaching_from_params(request)
        grid = queries.grid(classroom, subject, term)
        only = _int_param(request, "assessment", required=False)
        assessments = [a for a in grid.assessments if only is None or a.pk == only]
        if only is not None and not assessments:
            raise ValidationError(
                {"assessment": ["この学級・教科・学期の評価材料ではありません。"]}
            )
        return Response(
            {
                "finalised": grid.finalised,
                "writable": get_actor(request).can_write_teaching(
                    classroom, subject.pk, finalised=grid.finalised
                ),
                "assessments": [
                    {"id": a.pk, "title": a.title, "max_points": str(a.max_points)}
                    for a in assessments
                ],
                "cells": [
                    {
                        "student": row.enrolment.student_id,
                        "roll_number": row.enrolment.roll_number,
                        "assessment": a.pk,
                        "text": row.cells[a.pk].text if row.cells[a.pk] else "",
                        "version": row.cells[a.pk].version if row.cells[a.pk] else 0,
                    }
                    for row in grid.rows
                    for a in assessments
                ],
            }
        )

    @extend_schema(request=ScoresWriteSerializer, responses={200: ScoresSavedSerializer})
    def create(self, request):
        serializer = ScoresWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = get_actor(request)
        classroom, subject, term = actor.teaching_or_404(
            data["classroom"], data["subject"], data["term"]
        )
        cells = [
            services.CellInput(c["student"], c["assessment"], c["text"], c["version"])
            for c in data["cells"]
        ]
        try:
            result = services.save_scores(
                classroom, subject, term, cells, by=actor, reason=data["reason"]
            )
        except services.GridInvalid as exc:
            return Response(
                {
                    "error": {
                        "code": "invalid",
                        "message": _first_cell_message(exc, cells),
                        "cells": [p.as_dict() for p in exc.problems],
                    }
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except services.GridConflict as exc:
            return Response(
                {
                    "error": {
                        "code": "conflict",
                        "message": exc.message,
                        "cells": [p.as_dict() for p in exc.problems],
                    }
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(
            {
                "changed": result.changed,
                "versions": [
                    {"student": s, "assessment": a, "version": v}
                    for (s, a), v in result.versions.items()
                ],
            }
        )


# --- evaluations and 評定 -------------------------------------------------------------------------


def _result_json(student_id: int, subject_id: int, result: rules.Result, evaluation=None) -> dict:
    return {
        "student": student_id,
        "subject": subject_id,
        "percentages": {vp: result.percentage_text(vp) or None for vp in rules.VIEWPOINTS},
        "levels": result.levels,
        "derived_levels": result.derived_levels,
        "rating": result.rating,
        "derived_rating": result.derived_rating,
        "overridden": sorted(result.overridden),
        "override_reason": evaluation.override_reason if evaluation else "",
        "version": evaluation.version if evaluation else 0,
    }


class OverrideSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    subject = serializers.IntegerField()
    term = serializers.IntegerField()
    student = serializers.IntegerField()
    levels = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True), default=dict
    )
    rating = serializers.IntegerField(allow_null=True, default=None)
    reason = serializers.CharField(allow_blank=True, default="", max_length=1000)
    version = serializers.IntegerField(allow_null=True, default=None)


class EvaluationViewSet(viewsets.ViewSet):
    """観点別評価 and 評定 per student × subject × term (live, or the 確定 snapshot)."""

    @extend_schema(
        parameters=[OpenApiParameter(n, int, required=True) for n in ("classroom", "term")]
        + [OpenApiParameter(n, int, required=False) for n in ("subject", "student")],
        responses=EvaluationsOutSerializer,
    )
    def list(self, request):
        actor = get_actor(request)
        subject_id = _int_param(request, "subject", required=False)
        student_id = _int_param(request, "student", required=False)
        if subject_id is not None:
            classroom, subject, term = _teaching_from_params(request)
            grid = queries.grid(classroom, subject, term)
            items = [
                _result_json(row.enrolment.student_id, subject.pk, row.result, row.evaluation)
                for row in grid.rows
                if student_id is None or row.enrolment.student_id == student_id
            ]
            return Response({"finalised": grid.finalised, "results": items})
        classroom, term = actor.class_grades_or_404(
            _int_param(request, "classroom"), _int_param(request, "term")
        )
        cl = queries.class_list(classroom, term)
        items = [
            _result_json(e.student_id, s.pk, r)
            for e, cells in cl.rows()
            if student_id is None or e.student_id == student_id
            for s, r in cells
            if r is not None
        ]
        return Response({"finalised": cl.finalised, "results": items})

    @extend_schema(request=OverrideSerializer, responses=EvaluationOutSerializer)
    @action(detail=False, methods=["post"])
    def override(self, request):
        serializer = OverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = get_actor(request)
        classroom, subject, term = actor.teaching_or_404(
            data["classroom"], data["subject"], data["term"]
        )
        unknown = set(data["levels"]) - set(rules.VIEWPOINTS)
        if unknown:
            raise ValidationError({"levels": [f"観点は {', '.join(rules.VIEWPOINTS)} です。"]})
        try:
            evaluation = services.override_evaluation(
                classroom,
                subject,
                term,
                data["student"],
                by=actor,
                levels={vp: (v or None) for vp, v in data["levels"].items()},
                rating=data["rating"],
                reason=data["reason"],
                version=data["version"],
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        grid = queries.grid(classroom, subject, term)
        row = next(r for r in grid.rows if r.enrolment.student_id == data["student"])
        return Response(_result_json(row.enrolment.student_id, subject.pk, row.result, evaluation))


# --- finalisation ---------------------------------------------------------------------------------


class FinalisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finalisation
        fields = ["id", "term", "classroom", "finalised_at", "finalised_by"]
        read_only_fields = ["id", "finalised_at", "finalised_by"]


class FinaliseRequestSerializer(serializers.Serializer):
    term = serializers.IntegerField()
    classroom = serializers.IntegerField(
        required=False, allow_null=True, help_text="省略すると学校全体を確定"
    )
    allow_gaps = serializers.BooleanField(
        required=False,
        default=False,
        help_text="評定のない教科・空欄の所見があっても確定する（省略時は 409 で一覧を返す）",
    )


class FinalisationGapSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    classroom_label = serializers.CharField(help_text="1年1組")
    student = serializers.IntegerField()
    roll_number = serializers.IntegerField()
    name = serializers.CharField()
    pupil = serializers.CharField(help_text="1年1組 5番 山田花子")
    subjects_without_rating = serializers.ListField(
        child=serializers.CharField(), help_text="評定のない教科"
    )
    blank_remark = serializers.BooleanField(help_text="所見が空欄")
    text = serializers.CharField(help_text="評定なし: 国語、算数・所見が空欄")


class FinalisationGapsBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="finalisation_gaps")
    message = serializers.CharField()
    gaps = FinalisationGapSerializer(many=True)


class FinalisationGapsErrorSerializer(serializers.Serializer):
    error = FinalisationGapsBodySerializer()


def _first_cell_message(exc, cells: list) -> str:
    """The top-level message of refused cells: the first one, where it is in the request
    (「cells[3]: 満点 100 を超えています。」), how many more, and that nothing was saved."""
    first = exc.problems[0] if exc.problems else None
    if first is None:
        return exc.message
    at = next(
        (
            i
            for i, c in enumerate(cells)
            if (c.student_id, c.assessment_id) == (first.student_id, first.assessment_id)
        ),
        None,
    )
    more = len(exc.problems) - 1
    return (
        (f"cells[{at}]: " if at is not None else "")
        + first.message
        + (f"（ほか{more}件）" if more else "")
        + " 保存していません。"
    )


def _gap_row(gap) -> dict:
    return {
        "classroom": gap.classroom.pk,
        "classroom_label": gap.classroom.label,
        "student": gap.enrolment.student_id,
        "roll_number": gap.enrolment.roll_number,
        "name": gap.enrolment.student.name,
        "pupil": gap.pupil,
        "subjects_without_rating": list(gap.subjects_without_rating),
        "blank_remark": gap.blank_remark,
        "text": gap.text,
    }


def _bool_param(request, name: str) -> bool:
    """A yes/no of the body or query (true/false, 1/0); anything else is a 400."""
    value = request.data.get(name) if isinstance(request.data, dict) else None
    if value is None:
        value = request.query_params.get(name)
    if value in (None, ""):
        return False
    try:
        return serializers.BooleanField().to_internal_value(value)
    except ValidationError:
        raise ValidationError({name: ["true か false で指定してください。"]}) from None


class FinalisationViewSet(viewsets.ViewSet):
    """確定 of a term for the school (classroom null) or per class."""

    queryset = Finalisation.objects.none()  # for the schema

    def _term(self, request, term_id) -> Term:
        # another school's term: 404, its existence does not leak
        return get_actor(request).term_or_404(term_id)

    @extend_schema(
        parameters=[OpenApiParameter("term", int, required=True)],
        responses=FinalisationSerializer(many=True),
    )
    def list(self, request):
        term = self._term(request, _int_param(request, "term"))
        return Response(FinalisationSerializer(queries.finalisations(term), many=True).data)

    @extend_schema(
        request=FinaliseRequestSerializer,
        responses={
            201: FinalisationSerializer,
            409: OpenApiResponse(
                FinalisationGapsErrorSerializer,
                description="未入力（評定のない教科・空欄の所見）がある。一覧を確かめ、"
                "このまま確定するなら allow_gaps: true を付けて送り直す。"
                "すでに確定済みのときは 400。",
            ),
        },
    )
    def create(self, request):
        term = self._term(request, _int_param(request, "term"))
        allow_gaps = _bool_param(request, "allow_gaps")
        classroom_id = _int_param(request, "classroom", required=False)
        classroom = None
        if classroom_id is not None:
            classroom = get_object_or_404(
                Classroom,
                pk=classroom_id,
                school_id=term.school_id,
                school_year_id=term.school_year_id,
            )
        try:
            # As the page: gaps are refused unless the request chooses to finalise with them.
            fin = services.finalise(
                term, classroom, by=get_actor(request), gaps_accepted=allow_gaps
            )
        except services.FinalisationGaps as exc:
            return Response(
                {
                    "error": {
                        "code": "finalisation_gaps",
                        "message": exc.messages[0]
                        + " API では allow_gaps: true を付けると、このまま確定します。",
                        "gaps": [_gap_row(gap) for gap in exc.gaps],
                    }
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(FinalisationSerializer(fin).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={204: None})
    def destroy(self, request, pk=None):
        if not str(pk).isdecimal():
            raise Http404
        fin = get_object_or_404(
            Finalisation.objects.select_related("term__school", "classroom"), pk=int(pk)
        )
        self._term(request, fin.term_id)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        try:
            services.unfinalise(fin, by=get_actor(request), reason=str(reason))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- history -----------------------------------------------------------------------------------------


class GradeChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeChange
        fields = [
            "id",
            "at",
            "actor_name",
            "kind",
            "student",
            "classroom",
            "subject",
            "term",
            "assessment",
            "field",
            "old",
            "new",
            "reason",
            "after_finalisation",
        ]


class HistoryViewSet(viewsets.ViewSet):
    """変更履歴 of a student's grades in a term (optionally one subject)."""

    @extend_schema(
        parameters=[
            OpenApiParameter(n, int, required=True) for n in ("classroom", "term", "student")
        ]
        + [OpenApiParameter(n, int, required=False) for n in ("subject", "assessment")],
        responses=GradeChangeSerializer(many=True),
    )
    def list(self, request):
        actor = get_actor(request)
        classroom, term = _class_term_from_params(request)
        subject_id = _int_param(request, "subject", required=False)
        actor.require(
            actor.can_view_grade_history(classroom, subject_id),
            "この成績の履歴を見る権限がありません。",
        )
        qs = queries.history(
            student_id=_int_param(request, "student"),
            term=term,
            classroom_id=classroom.pk,
            subject_id=subject_id,
            assessment_id=_int_param(request, "assessment", required=False),
        )
        return Response(GradeChangeSerializer(qs[:1000], many=True).data)


router.register("gradebook/subjects", SubjectViewSet, basename="gradebook-subjects")
router.register("gradebook/teaching-assignments", TeachingViewSet, basename="gradebook-teaching")
router.register("gradebook/assessments", AssessmentViewSet, basename="gradebook-assessments")
router.register("gradebook/scores", ScoreViewSet, basename="gradebook-scores")
router.register("gradebook/evaluations", EvaluationViewSet, basename="gradebook-evaluations")
router.register("gradebook/finalisations", FinalisationViewSet, basename="gradebook-finalisations")
router.register("gradebook/history", HistoryViewSet, basename="gradebook-history")


# --- import of a score grid (upload → preview → commit; see api.imports) -----------------


class GridUploadSerializer(api_imports.UploadSerializer):
    classroom = serializers.IntegerField()
    subject = serializers.IntegerField()
    term = serializers.IntegerField()


def _writable_grid(actor, classroom_id: object, subject_id: object, term_id: object):
    """The grid as the page gives it: readable (404/403 otherwise), and writable by ``actor``."""
    classroom, subject, term = actor.teaching_or_404(classroom_id, subject_id, term_id)
    grid = queries.grid(classroom, subject, term)
    actor.require(
        actor.can_write_teaching(classroom, subject.pk, finalised=grid.finalised),
        "この学級・教科の得点を取り込む権限がありません。",
    )
    return grid


def _grid_kind(grid) -> str:
    return f"api.grid:{grid.classroom.pk}:{grid.subject.pk}:{grid.term.pk}"


class GridImportViewSet(viewsets.ViewSet):
    """得点の取り込み (the exported score grid, filled in offline): POST a file, then ``commit/``.

    The commit takes an optional ``reason`` (required once the class is 確定)."""

    parser_classes = [*api_imports.PARSERS, *api_imports.JSON]

    @api_imports.preview_schema(GridUploadSerializer, "得点の取り込み: 読み込みと確認")
    def create(self, request):
        actor = get_actor(request)
        data = request.data
        grid = _writable_grid(actor, data.get("classroom"), data.get("subject"), data.get("term"))
        raw, filename = api_imports.read_upload(request, gradebook_imports.GRID_LIMITS)
        plan = gradebook_imports.plan_grid_import(raw, grid)
        rows = [
            {
                "roll_number": c.roll_number,
                "name": c.name,
                "assessment": c.assessment_title,
                "old": c.old,
                "new": c.new,
            }
            for c in plan.changes
        ]
        return api_imports.Preview(
            kind=_grid_kind(grid),
            filename=filename,
            errors=plan.errors,
            counts={"changed": len(plan.changes), "unchanged": plan.unchanged},
            rows=rows,
            fingerprint=gradebook_imports.fingerprint(plan),
            committable=plan.ok and bool(plan.changes),
            target=(grid.classroom.pk, grid.subject.pk, grid.term.pk),
        ).response(raw, by=actor)

    @api_imports.commit_schema("得点の取り込み: 確定")
    @action(detail=False, methods=["post"])
    def commit(self, request):
        actor = get_actor(request)
        token = api_imports.commit_token(request, 3)
        if isinstance(token, Response):
            return token
        grid = _writable_grid(actor, *token.target)
        kind = _grid_kind(grid)
        pending = token.take(by=actor, kind=kind)
        if isinstance(pending, Response):
            return pending
        try:
            plan, changed = gradebook_imports.commit_grid_import(
                grid,
                pending.data,
                by=actor,
                reason=str(request.data.get("reason", ""))[:200],
                expected_fingerprint=pending.fingerprint,
            )
        except gradebook_imports.GridImportRefused as exc:
            return api_imports.refused(exc.messages)
        return api_imports.committed(
            pending,
            by=actor,
            kind=kind,
            counts={"changed": changed, "unchanged": plan.unchanged},
            message=f"Excel から {changed} 件の得点を取り込みました。",
        )


router.register("gradebook/grid-imports", GridImportViewSet, basename="gradebook-grid-imports")
