"""API resources of the roster: schools, years, terms, classes, students, staff and roles.

Reads are narrowed by the same ``Actor`` the pages use (an object outside the
caller's scope is a 404); writes go through ``schools.services`` and need an
administrator (BoE for schools, years and municipality roles; the school's
administrator for its classes, students and school roles).
Filters: ``?school=<id>&year=<2026>&grade=<n>&classroom=<id>``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api import imports as api_imports
from api import jobs as api_jobs
from api.routers import router
from schools import audit, imports, queries, search, services
from schools import jobs as schools_jobs
from schools.imports import background, store
from schools.imports.base import error_from
from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    Term,
)
from schools.permissions import Actor, as_pk, get_actor

# --- serializers ------------------------------------------------------------------------


class SchoolSerializer(serializers.ModelSerializer):
    school_type_display = serializers.CharField(source="get_school_type_display", read_only=True)

    class Meta:
        model = School
        fields = [
            "id",
            "name",
            "kana",
            "school_type",
            "school_type_display",
            "mext_code",
            "is_active",
        ]


class SchoolYearSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = SchoolYear
        fields = ["id", "year", "label", "state", "start", "end"]
        read_only_fields = ["state"]


class TermSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="school_year.year", read_only=True)

    class Meta:
        model = Term
        fields = ["id", "school", "year", "number", "name", "start", "end"]


class ClassroomSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="school_year.year", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Classroom
        fields = [
            "id",
            "school",
            "year",
            "grade",
            "name",
            "label",
            "is_special_needs",
            "sort_order",
        ]


class ClassroomWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField()
    name = serializers.CharField(max_length=30)
    grade = serializers.IntegerField(required=False, allow_null=True)
    is_special_needs = serializers.BooleanField(default=False)
    sort_order = serializers.IntegerField(default=0, min_value=0)


class EnrolmentSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="school_year.year", read_only=True)
    classroom_label = serializers.CharField(source="classroom.label", read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "school",
            "year",
            "classroom",
            "classroom_label",
            "grade",
            "roll_number",
            "enrolled_on",
            "left_on",
            "entry",
            "exit",
        ]


class StudentSerializer(serializers.ModelSerializer):
    enrolments = EnrolmentSerializer(many=True, read_only=True)

    class Meta:
        model = Student
        fields = ["id", "student_number", "name", "kana", "sex", "birth_date", "enrolments"]


class StudentHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kana = serializers.CharField()
    school = serializers.IntegerField(allow_null=True)
    school_name = serializers.CharField(allow_blank=True)
    classroom = serializers.IntegerField(allow_null=True)
    classroom_label = serializers.CharField(allow_blank=True)
    roll_number = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField(allow_null=True, help_text="この在籍の年度")


class EnrolWriteSerializer(serializers.Serializer):
    classroom = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    kana = serializers.CharField(max_length=200)
    sex = serializers.ChoiceField(choices=[""] + Student.Sex.values, default="")
    birth_date = serializers.DateField(required=False, allow_null=True)
    student_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    roll_number = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    enrolled_on = serializers.DateField()
    entry = serializers.ChoiceField(
        choices=[Enrolment.Entry.ADMISSION, Enrolment.Entry.TRANSFER_IN],
        default=Enrolment.Entry.ADMISSION,
    )
    grade = serializers.IntegerField(required=False, allow_null=True)


class TransferOutSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    left_on = serializers.DateField()
    exit = serializers.ChoiceField(
        choices=[Enrolment.Exit.TRANSFER_OUT, Enrolment.Exit.OTHER],
        default=Enrolment.Exit.TRANSFER_OUT,
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RoleSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="school_year.year", read_only=True, allow_null=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = [
            "id",
            "staff",
            "role",
            "role_display",
            "title",
            "school",
            "year",
            "classroom",
            "subject",
            "is_draft",
        ]


class RoleWriteSerializer(serializers.Serializer):
    staff = serializers.PrimaryKeyRelatedField(queryset=Staff.objects.all())
    role = serializers.ChoiceField(choices=Role.values)
    title = serializers.ChoiceField(
        choices=[""] + RoleAssignment.Title.values, default="", allow_blank=True
    )
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.all(), required=False, allow_null=True
    )
    year = serializers.SlugRelatedField(
        slug_field="year",
        queryset=SchoolYear.objects.all(),
        required=False,
        allow_null=True,
        source="school_year",
    )
    classroom = serializers.PrimaryKeyRelatedField(
        queryset=Classroom.objects.select_related("school", "school_year"),
        required=False,
        allow_null=True,
    )
    subject = serializers.PrimaryKeyRelatedField(
        queryset=Subject.objects.all(), required=False, allow_null=True
    )


class StaffSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Staff
        fields = ["id", "name", "kana", "staff_number", "username", "roles"]

    def get_roles(self, staff: Staff) -> list[dict]:
        roles = list(RoleSerializer(staff.visible_roles, many=True).data)
        return roles + [teaching_role_data(a, staff.pk) for a in staff.visible_teaching]


def teaching_role_data(assignment: TeachingAssignment, staff_id: int) -> dict:
    """A teaching assignment (担当) in the shape of a role (教科担任), for role lists.

    ``id`` is None: it is no row of ``roster/roles`` (a DELETE there must never hit another
    role with the same number); ``teaching_assignment`` names it."""
    return {
        "id": None,
        "staff": staff_id,
        "role": Role.SUBJECT.value,
        "role_display": Role.SUBJECT.label,
        "title": "",
        "school": assignment.school_id,
        "year": assignment.school_year.year,
        "classroom": assignment.classroom_id,
        "subject": assignment.subject_id,
        "is_draft": assignment.is_draft,
        "teaching_assignment": assignment.pk,
    }


# --- helpers ------------------------------------------------------------------------------


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise serializers.ValidationError({name: "整数で指定してください。"}) from exc


def _filter(qs: QuerySet, request: Request, **lookups: str) -> QuerySet:
    for param, lookup in lookups.items():
        value = _int(request, param)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    return qs


def _year_or_404(year: int) -> SchoolYear:
    """A school year named by its number (2026), as ``?year=`` is everywhere."""
    school_year = queries.school_year_for(year)
    if school_year is None:
        raise Http404("その年度はありません。")
    return school_year


class ActorMixin:
    request: Request

    @property
    def actor(self) -> Actor:
        return get_actor(self.request)


# --- viewsets -----------------------------------------------------------------------------


class SchoolViewSet(
    ActorMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """学校. Write: BoE administrator."""

    serializer_class = SchoolSerializer

    def get_queryset(self):
        return self.actor.schools().order_by("school_type", "mext_code")

    def perform_create(self, serializer):
        fields = ("name", "kana", "school_type", "mext_code")
        data = {k: v for k, v in serializer.validated_data.items() if k in fields}
        serializer.instance = services.create_school(by=self.actor, **data)

    def perform_update(self, serializer):
        school = serializer.instance
        fields = ("name", "kana", "school_type", "mext_code", "is_active")
        data = {f: serializer.validated_data.get(f, getattr(school, f)) for f in fields}
        serializer.instance = services.update_school(school, by=self.actor, **data)


class SchoolYearViewSet(
    ActorMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """年度. Create (open the next year): BoE administrator."""

    serializer_class = SchoolYearSerializer
    queryset = SchoolYear.objects.all()

    def get_queryset(self):
        self.actor.require(self.actor.has_any_role)
        return SchoolYear.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.open_school_year(
            by=self.actor, year=serializer.validated_data["year"]
        )


class TermDraftSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=20)
    start = serializers.DateField()
    end = serializers.DateField()


class TermsWriteSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField()
    terms = TermDraftSerializer(many=True)


class TermViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """学期 of the schools the caller sees. ``POST set/`` replaces a school's terms of a year."""

    serializer_class = TermSerializer

    def get_queryset(self):
        qs = Term.objects.filter(school__in=self.actor.schools()).select_related("school_year")
        return _filter(qs, self.request, school="school_id", year="school_year__year")

    @extend_schema(request=TermsWriteSerializer, responses=TermSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="set")
    def set_terms(self, request: Request) -> Response:
        data = TermsWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        school = self.actor.managed_school_or_404(values["school"])
        year = _year_or_404(values["year"])
        drafts = [services.TermDraft(**t) for t in values["terms"]]
        terms = services.set_terms(school, year, drafts, by=self.actor)
        return Response(TermSerializer(terms, many=True).data)


class ClassroomViewSet(
    ActorMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """学級. Create: the school's administrator."""

    serializer_class = ClassroomSerializer

    def get_queryset(self):
        return _filter(
            self.actor.classrooms(),
            self.request,
            school="school_id",
            year="school_year__year",
            grade="grade",
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = ClassroomWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        school = self.actor.managed_school_or_404(values.pop("school"))
        year = _year_or_404(values.pop("year"))
        classroom = services.create_classroom(
            by=self.actor, school=school, school_year=year, **values
        )
        return Response(ClassroomSerializer(classroom).data, status=status.HTTP_201_CREATED)


class StudentViewSet(
    ActorMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """児童生徒 with their enrolments. Create (入学・転入): the school's administrator."""

    serializer_class = StudentSerializer

    def get_queryset(self):
        enrolments = Enrolment.objects.select_related("school_year", "classroom").order_by(
            "school_year__year", "enrolled_on"
        )
        qs = _filter(
            self.actor.students(),
            self.request,
            school="enrolments__school_id",
            year="enrolments__school_year__year",
            grade="enrolments__grade",
            classroom="enrolments__classroom_id",
        )
        return (
            qs.distinct()
            .prefetch_related(Prefetch("enrolments", queryset=enrolments))
            .order_by("kana", "id")
        )

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """One pupil's record: read, and logged like the pupil's page (schools.student.view)."""
        student = self.get_object()
        audit.record_read(
            self.actor,
            "schools.student.view",
            student,
            params={"student_id": student.pk, "via": "api"},
        )
        return Response(self.get_serializer(student).data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = EnrolWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        classroom = self.actor.managed_classroom_or_404(values.pop("classroom"))
        enrolment = services.enrol_student(by=self.actor, classroom=classroom, **values)
        student = self.get_queryset().get(pk=enrolment.student_id)
        return Response(StudentSerializer(student).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="氏名・ふりがな・出席番号（異体字・カナ可）")
        ],
        responses=StudentHitSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def search(self, request: Request) -> Response:
        """児童生徒の検索: the same search as the page (𠮷/吉, カナ/かな), within the read scope."""
        query = request.query_params.get("q", "")[: search.MAX_QUERY]
        hits = search.find_students(self.actor.students(), query, year=queries.current_year())
        return Response(
            [
                {
                    "id": h.student.pk,
                    "name": h.student.name,
                    "kana": h.student.kana,
                    "school": h.enrolment.school_id if h.enrolment else None,
                    "school_name": h.enrolment.school.name if h.enrolment else "",
                    "classroom": h.enrolment.classroom_id if h.enrolment else None,
                    "classroom_label": h.enrolment.classroom.label if h.enrolment else "",
                    "roll_number": h.enrolment.roll_number if h.enrolment else None,
                    "year": h.enrolment.school_year.year if h.enrolment else None,
                }
                for h in hits
            ]
        )

    @extend_schema(request=TransferOutSerializer, responses=StudentSerializer)
    @action(detail=True, methods=["post"], url_path="transfer-out")
    def transfer_out(self, request: Request, pk: str | None = None) -> Response:
        """転出: ``left_on`` is the last day of enrolment (it still counts)."""
        student = self.get_object()
        data = TransferOutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enrolment = self.actor.managed_enrolment_or_404(values.pop("enrolment"), student=student)
        services.transfer_out(enrolment, by=self.actor, **values)
        return Response(StudentSerializer(self.get_queryset().get(pk=student.pk)).data)


class StaffViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """教職員 and their roles: the whole municipality for the BoE, else the caller's schools."""

    serializer_class = StaffSerializer

    def get_queryset(self):
        qs = self.actor.staff_for().prefetch_related(
            Prefetch("roles", queryset=self.actor.roles_for(), to_attr="visible_roles"),
            Prefetch(
                "teaching_assignments",
                queryset=self.actor.teaching_for().select_related("school_year"),
                to_attr="visible_teaching",
            ),
        )
        return (
            _filter(qs, self.request, school="roles__school_id").distinct().order_by("kana", "id")
        )


class RoleAssignmentViewSet(
    ActorMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """役割. Write: BoE administrator, or the school's administrator for roles of the school."""

    serializer_class = RoleSerializer

    def get_queryset(self):
        return _filter(
            self.actor.roles_for(),
            self.request,
            school="school_id",
            year="school_year__year",
            classroom="classroom_id",
            staff="staff_id",
        ).order_by("id")

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = RoleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assign_role(by=self.actor, **data.validated_data)
        if isinstance(assignment, TeachingAssignment):  # 教科担任: a teaching assignment
            body = teaching_role_data(assignment, data.validated_data["staff"].pk)
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(RoleSerializer(assignment).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: RoleAssignment) -> None:
        services.remove_role(instance, by=self.actor)


router.register("roster/schools", SchoolViewSet, basename="roster-schools")
router.register("roster/years", SchoolYearViewSet, basename="roster-years")
router.register("roster/terms", TermViewSet, basename="roster-terms")
router.register("roster/classes", ClassroomViewSet, basename="roster-classes")
router.register("roster/students", StudentViewSet, basename="roster-students")
router.register("roster/staff", StaffViewSet, basename="roster-staff")
router.register("roster/roles", RoleAssignmentViewSet, basename="roster-roles")


# --- imports: 名簿 and 教職員 (upload → preview → commit; see api.imports) ----------------


class RosterUploadSerializer(api_imports.UploadSerializer):
    school = serializers.IntegerField()
    year = serializers.IntegerField(required=False, help_text="年度 (例: 2026)。省略時は今年度")
    create_classes = serializers.BooleanField(required=False, default=False)


class StaffUploadSerializer(api_imports.UploadSerializer):
    year = serializers.IntegerField(required=False, help_text="年度 (例: 2026)。省略時は今年度")


def _open_year(value: object) -> SchoolYear:
    year = queries.school_year_for(str(value) if value not in (None, "") else None)
    if year is None or not queries.open_years().filter(pk=year.pk).exists():
        raise ValidationError(
            {"year": ["取り込める年度（今年度か準備中の年度）を指定してください。"]}
        )
    return year


def _roster_rows(plan: imports.RosterPlan) -> list[dict]:
    return [
        {
            "row": p.row.number,
            "action": p.kind,
            "classroom": p.class_label,
            "roll_number": p.values.get("roll_number"),
            "name": p.values.get("name"),
            "kana": p.values.get("kana"),
            "changes": p.changes_text(),
        }
        for p in (*plan.to_create, *plan.to_update)
    ]


def _roster_snapshot_rows(snapshot: dict) -> list[dict]:
    """``_roster_rows`` from a plan's snapshot (a job's result): the same rows, the same order."""
    return [
        {
            "row": r["number"],
            "action": action,
            "classroom": r["class_label"],
            "roll_number": r["values"].get("roll_number"),
            "name": r["values"].get("name"),
            "kana": r["values"].get("kana"),
            "changes": r["changes"],
        }
        for action in ("create", "update")
        for r in snapshot.get(f"to_{action}", [])
    ]


def _roster_message(school_name: str, year: object, counts: dict[str, int]) -> str:
    return (
        "名簿を取り込みました（{school} {year}）: 新規 {create}名、更新 {update}名、"
        "変更なし {unchanged}名。".format(school=school_name, year=year, **counts)
    )


def _staff_message(counts: dict[str, int]) -> str:
    return "教職員を取り込みました: 新規 {create}名、更新 {update}名、追加した役割 {roles_add}件。".format(
        **counts
    )


class RosterImportViewSet(viewsets.ViewSet):
    """名簿の取り込み: POST a file (preview, nothing written), then ``commit/`` its token.

    A large file (``schools.imports.background.runs_as_job``) answers 202 with a job
    (``api.jobs``) at each step: the page path's job kinds, the API's body."""

    parser_classes = [*api_imports.PARSERS, *api_imports.JSON]

    def _target(self, actor: Actor, data: dict) -> tuple[School, SchoolYear, bool]:
        actor.require(
            actor.can_import_roster,
            "名簿を取り込めるのは、学校の管理者か教育委員会の管理者です。",
        )
        school_id = as_pk(data.get("school"))
        school = actor.manageable_schools().filter(pk=school_id or 0).first()
        if school is None:
            if actor.schools().filter(pk=school_id or 0).exists():
                actor.require_roster_import(school_id)  # 403: seen but not managed
            raise Http404
        actor.require_roster_import(school.pk)
        return school, _open_year(data.get("year")), api_imports.flag_of(data, "create_classes")

    @staticmethod
    def _kind(school: School, year: SchoolYear, create_classes: bool) -> str:
        return f"api.roster:{school.pk}:{year.pk}:{int(create_classes)}"

    @api_imports.preview_schema(RosterUploadSerializer, "名簿の取り込み: 読み込みと確認", job=True)
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        school, year, create_classes = self._target(actor, request.data)
        data, filename = api_imports.read_upload(request, imports.ROSTER_LIMITS)
        kind = self._kind(school, year, create_classes)
        target = (school.pk, year.year, int(create_classes))
        if background.runs_as_job(data):
            pending = store.put(data, by=actor, kind=kind, filename=filename)
            job = schools_jobs.start_roster_import(
                schools_jobs.ROSTER_PREVIEW,
                school,
                year,
                by=actor,
                upload=pending,
                filename=filename,
                create_classes=create_classes,
                api={"upload_kind": kind, "rows": api_imports.ROWS_LIMIT, "target": target},
            )
            return api_jobs.accepted(request, job)
        plan = imports.plan_roster_import(
            school, year, data, filename=filename, create_classes=create_classes
        )
        return api_imports.Preview(
            kind=kind,
            filename=filename,
            errors=plan.errors,
            counts=plan.counts(),
            rows=_roster_rows(plan),
            fingerprint=plan.fingerprint() if plan.ok else "",
            committable=plan.ok,
            target=target,
        ).response(data, by=actor)

    @api_imports.commit_schema("名簿の取り込み: 確定", job=True)
    @action(detail=False, methods=["post"])
    def commit(self, request: Request) -> Response:
        actor = get_actor(request)
        token = api_imports.commit_token(request, 3)
        if isinstance(token, Response):
            return token
        school_id, year_number, create = token.target
        school, year, create_classes = self._target(
            actor, {"school": school_id, "year": year_number, "create_classes": create}
        )
        kind = self._kind(school, year, create_classes)
        pending = token.take(by=actor, kind=kind)
        if isinstance(pending, Response):
            return pending
        if background.runs_as_job(pending.data):
            job = schools_jobs.start_roster_import(
                schools_jobs.ROSTER_COMMIT,
                school,
                year,
                by=actor,
                upload=pending.token,
                filename=pending.filename,
                create_classes=create_classes,
                fingerprint=pending.fingerprint,
                api={"upload_kind": kind},
            )
            return api_jobs.accepted(request, job)
        try:
            plan = imports.commit_roster_import(
                school,
                year,
                pending.data,
                by=actor,
                filename=pending.filename,
                create_classes=create_classes,
                expected_fingerprint=pending.fingerprint,
            )
        except imports.ImportRefused as exc:
            return api_imports.refused(exc.errors)
        counts = plan.counts()
        return api_imports.committed(
            pending,
            by=actor,
            kind=kind,
            counts=counts,
            message=_roster_message(school.name, year, counts),
        )


class StaffImportViewSet(viewsets.ViewSet):
    """教職員の取り込み (教育委員会の管理者): POST a file, then ``commit/`` its token.

    A large file, or a commit that sets more than ``AI_IMPORT_JOB_PASSWORDS`` initial
    passwords (a slow hash each), answers 202 with a job, as the page does."""

    parser_classes = [*api_imports.PARSERS, *api_imports.JSON]

    @api_imports.preview_schema(StaffUploadSerializer, "教職員の取り込み: 読み込みと確認", job=True)
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        actor.require_staff_import()
        year = _open_year(request.data.get("year"))
        data, filename = api_imports.read_upload(request, imports.STAFF_LIMITS)
        kind = f"api.staff:{year.pk}"
        if background.runs_as_job(data):
            pending = store.put(data, by=actor, kind=kind, filename=filename)
            job = schools_jobs.start_staff_import(
                schools_jobs.STAFF_PREVIEW,
                year,
                by=actor,
                upload=pending,
                filename=filename,
                api={"upload_kind": kind, "target": [year.year]},
            )
            return api_jobs.accepted(request, job)
        plan = imports.plan_staff_import(year, data, filename=filename)
        return _staff_preview(plan.snapshot(), kind, (year.year,)).response(data, by=actor)

    @api_imports.commit_schema("教職員の取り込み: 確定", job=True)
    @action(detail=False, methods=["post"])
    def commit(self, request: Request) -> Response:
        actor = get_actor(request)
        actor.require_staff_import()
        token = api_imports.commit_token(request, 1)
        if isinstance(token, Response):
            return token
        year = _open_year(token.target[0])
        kind = f"api.staff:{year.pk}"
        pending = token.take(by=actor, kind=kind)
        if isinstance(pending, Response):
            return pending
        if background.runs_as_job(pending.data) or (
            imports.plan_staff_import(year, pending.data).passwords_to_set
            > settings.AI_IMPORT_JOB_PASSWORDS
        ):
            job = schools_jobs.start_staff_import(
                schools_jobs.STAFF_COMMIT,
                year,
                by=actor,
                upload=pending.token,
                filename=pending.filename,
                fingerprint=pending.fingerprint,
                api={"upload_kind": kind},
            )
            return api_jobs.accepted(request, job)
        try:
            plan = imports.commit_staff_import(
                year,
                pending.data,
                by=actor,
                filename=pending.filename,
                expected_fingerprint=pending.fingerprint,
            )
        except imports.ImportRefused as exc:
            return api_imports.refused(exc.errors)
        counts = plan.counts()
        return api_imports.committed(
            pending, by=actor, kind=kind, counts=counts, message=_staff_message(counts)
        )


def _staff_preview(snapshot: dict, kind: str, target: Sequence[int]) -> api_imports.Preview:
    """The API's preview of a staff plan from its snapshot (in the request or a job's)."""
    rows = [
        {
            "username": p["username"],
            "action": p["kind"],
            "name": p["name"],
            "kana": p["kana"],
            "rows": p["rows"],
            "changes": p["changes"],
        }
        for p in snapshot.get("people", [])
        if p["kind"] != "unchanged"
    ] + [
        {"username": r["username"], "action": "add_role", "role": r["text"]}
        for r in snapshot.get("roles", [])
        if not r["exists"]
    ]
    return api_imports.Preview(
        kind=kind,
        filename=snapshot["filename"],
        errors=[error_from(e) for e in snapshot["errors"]],
        counts=snapshot["counts"],
        rows=rows,
        fingerprint=snapshot["fingerprint"],
        committable=snapshot["ok"],
        target=target,
    )


# --- a large import's job, read back in the API's shapes (api.jobs) -------------------------


@api_jobs.renders(schools_jobs.ROSTER_PREVIEW)
def _roster_preview_job(job) -> tuple[int, dict] | None:
    if not schools_jobs.is_api_job(job):
        return None  # a page's job: its token is the page's
    api, result = job.params["api"], job.result_data or {}
    counts = result.get("counts", {})
    preview = api_imports.Preview(
        kind=api["upload_kind"],
        filename=result.get("filename", ""),
        errors=[error_from(e) for e in result.get("errors", [])],
        counts=counts,
        rows=_roster_snapshot_rows(result),
        fingerprint=result.get("fingerprint", ""),
        committable=bool(result.get("ok")),
        target=api.get("target", ()),
    )
    rows = counts.get("create", 0) + counts.get("update", 0)
    return status.HTTP_200_OK, preview.body(result.get("token", ""), row_count=rows)


@api_jobs.renders(schools_jobs.STAFF_PREVIEW)
def _staff_preview_job(job) -> tuple[int, dict] | None:
    if not schools_jobs.is_api_job(job):
        return None
    api, result = job.params["api"], job.result_data or {}
    preview = _staff_preview(result, api["upload_kind"], api.get("target", ()))
    return status.HTTP_200_OK, preview.body(result.get("token", ""))


@api_jobs.renders(schools_jobs.ROSTER_COMMIT, schools_jobs.STAFF_COMMIT)
def _import_commit_job(job) -> tuple[int, dict] | None:
    if not schools_jobs.is_api_job(job):
        return None
    result, params = job.result_data or {}, job.params
    if "refused" in result:
        errors = [error_from(e) for e in result["refused"]]
        return status.HTTP_409_CONFLICT, api_imports.refused_body(errors)
    counts = result.get("counts", {})
    if job.kind == schools_jobs.STAFF_COMMIT:
        message = _staff_message(counts)
    else:
        school = School.objects.filter(pk=params.get("school_id")).first()
        year = SchoolYear.objects.filter(pk=params.get("year_id")).first()
        message = _roster_message(school.name if school else "", year or "", counts)
    kind = params["api"]["upload_kind"]
    return status.HTTP_200_OK, api_imports.committed_body(
        kind, params.get("filename", ""), counts, message
    )


router.register("roster/imports", RosterImportViewSet, basename="roster-imports")
router.register("roster/staff-imports", StaffImportViewSet, basename="roster-staff-imports")
