"""Browser pages of the gradebook: thin (parse, ask the Actor, call a service or query, render)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gradebook import queries, rules, services
from gradebook.forms import AssessmentForm, OverrideForm, SettingsForm
from gradebook.models import Assessment, Evaluation, Finalisation
from schools.models import Classroom, SchoolYear, Student, Subject, Term
from schools.permissions import Actor, staff_required

# --- lookups narrowed by the actor (404 where existence must not leak) ----------------------


def _classroom(actor: Actor, classroom_id: int) -> Classroom:
    return get_object_or_404(actor.classrooms(), pk=classroom_id)


def _teaching(request, classroom_id: int, subject_id: int, term_id: int):
    actor = request.actor
    classroom = _classroom(actor, classroom_id)
    subject = get_object_or_404(Subject, pk=subject_id, school_type=classroom.school.school_type)
    term = get_object_or_404(
        Term, pk=term_id, school_id=classroom.school_id, school_year_id=classroom.school_year_id
    )
    if not services.can_view_teaching(actor, classroom, subject.pk):
        raise PermissionDenied("この学級・教科の成績を見る権限がありません。")
    return classroom, subject, term


def _class_term(request, classroom_id: int, term_id: int):
    classroom = _classroom(request.actor, classroom_id)
    term = get_object_or_404(
        Term, pk=term_id, school_id=classroom.school_id, school_year_id=classroom.school_year_id
    )
    if not services.can_view_class(request.actor, classroom):
        raise PermissionDenied("この学級の成績を見る権限がありません。")
    return classroom, term


def _year(request) -> SchoolYear | None:
    year_param = request.GET.get("year")
    qs = SchoolYear.objects.all()
    if year_param and year_param.isdigit():
        return qs.filter(year=int(year_param)).first()
    return qs.filter(state=SchoolYear.State.CURRENT).first() or qs.first()


# --- 担当一覧 ---------------------------------------------------------------------------------


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """教科担任の担当一覧 (and, for administrators, every assignment of their schools)."""
    actor = request.actor
    year = _year(request)
    rows = queries.teaching_assignments(actor, year.pk) if year else []
    school_ids = {r.classroom.school_id for r in rows}
    terms_by_school: dict[int, list[Term]] = {}
    for term in Term.objects.filter(school_id__in=school_ids, school_year=year):
        terms_by_school.setdefault(term.school_id, []).append(term)
    today = timezone.localdate()
    items = []
    for row in rows:
        terms = terms_by_school.get(row.classroom.school_id, [])
        items.append((row, terms, queries.current_term(terms, today)))
    homerooms = list(
        actor.classrooms()
        .filter(pk__in=actor.homeroom_classroom_ids, school_year=year)
        .prefetch_related("school__terms")
    )
    # School administrators see their schools; the board sees every school of the municipality.
    admin_schools = actor.schools().prefetch_related("terms")
    if not actor.sees_whole_municipality:
        admin_schools = admin_schools.filter(pk__in=actor.admin_school_ids)
    admin_schools = list(admin_schools)
    return render(
        request,
        "gradebook/index.html",
        {"year": year, "items": items, "homerooms": homerooms, "admin_schools": admin_schools},
    )


# --- the score grid ----------------------------------------------------------------------------


def _grid_payload(grid: queries.Grid) -> dict:
    """What grid.js needs to recompute the derived columns as the teacher types."""
    return {
        "assessments": [
            {
                "id": a.pk,
                "max": float(a.max_points),
                "weights": {vp: float(w) for vp, w in a.weights.items()},
            }
            for a in grid.assessments
        ],
        "thresholds": {"a": float(grid.thresholds.a), "b": float(grid.thresholds.b)},
        "rule": grid.rule.as_json() if grid.rule else None,
        # subjects without marks (道徳, 総合 ...) show scores only
        "viewpoints": list(rules.VIEWPOINTS) if grid.subject.is_graded else [],
        "overrides": {
            str(row.enrolment.student_id): {
                "levels": {vp: v for vp, v in row.evaluation.overrides.levels.items() if v},
                "rating": row.evaluation.override_rating,
            }
            for row in grid.rows
            if row.evaluation is not None
        },
        "snapshot": grid.finalised,
    }


@staff_required
def grid(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int) -> HttpResponse:
    classroom, subject, term = _teaching(request, classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    writable = services.can_write_teaching(request.actor, classroom, subject.pk, data.finalised)
    terms = queries.terms_of_school(classroom.school_id, classroom.school_year_id)
    return render(
        request,
        "gradebook/grid.html",
        {
            "grid": data,
            "payload": _grid_payload(data),
            "writable": writable,
            "terms": terms,
            "viewpoints": [
                (vp, rules.VIEWPOINT_LABELS[vp], rules.VIEWPOINT_SHORT[vp])
                for vp in rules.VIEWPOINTS
            ],
            "absent_mark": rules.ABSENT_MARK,
        },
    )


def _row_json(row: queries.StudentRow) -> dict:
    r = row.result
    return {
        "student": row.enrolment.student_id,
        "percentages": {vp: r.percentage_text(vp) for vp in rules.VIEWPOINTS},
        "levels": r.levels,
        "rating": r.rating,
        "overridden": sorted(r.overridden),
    }


@staff_required
@require_POST
def grid_save(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    """Save the whole grid in one request (JSON): all or nothing, with a version per cell."""
    classroom, subject, term = _teaching(request, classroom_id, subject_id, term_id)
    try:
        body = json.loads(request.body or b"{}")
        cells = [
            services.CellInput(
                int(c["student"]),
                int(c["assessment"]),
                str(c.get("text") or ""),
                int(c.get("version") or 0),
            )  # fmt: skip
            for c in body.get("cells", [])
        ]
        reason = str(body.get("reason") or "")
    except (ValueError, TypeError, KeyError, AttributeError):
        return JsonResponse({"message": "送信内容を読み取れませんでした。"}, status=400)
    try:
        result = services.save_scores(
            request.user, request.actor, classroom, subject, term, cells, reason=reason
        )
    except PermissionDenied as exc:
        return JsonResponse({"message": str(exc) or "権限がありません。"}, status=403)
    except services.GridInvalid as exc:
        return JsonResponse(
            {"message": exc.message, "errors": [p.as_dict() for p in exc.problems]}, status=400
        )
    except services.GridConflict as exc:
        return JsonResponse(
            {"message": exc.message, "conflicts": [p.as_dict() for p in exc.problems]}, status=409
        )
    except ValidationError as exc:
        text = " ".join(m for ms in exc.message_dict.values() for m in ms) if hasattr(
            exc, "error_dict"
        ) else " ".join(exc.messages)  # fmt: skip
        return JsonResponse({"message": text, "needs_reason": True}, status=400)
    data = queries.grid(classroom, subject, term)
    return JsonResponse(
        {
            "message": f"{result.changed} 件を保存しました。"
            if result.changed
            else "変更はありません。",
            "versions": [
                {"student": s, "assessment": a, "version": v}
                for (s, a), v in result.versions.items()
            ],
            "rows": [_row_json(row) for row in data.rows],
        }
    )


# --- assessments ----------------------------------------------------------------------------


@staff_required
def assessment_form(
    request: HttpRequest, classroom_id: int, subject_id: int, term_id: int, pk: int | None = None
) -> HttpResponse:
    classroom, subject, term = _teaching(request, classroom_id, subject_id, term_id)
    assessment = (
        get_object_or_404(Assessment, pk=pk, classroom=classroom, subject=subject, term=term)
        if pk
        else None
    )
    grid_url = reverse("gradebook:grid", args=[classroom.pk, subject.pk, term.pk])
    form = AssessmentForm(request.POST or None, instance_data=assessment, term=term)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("delete") and assessment is not None:
                services.delete_assessment(request.user, request.actor, assessment)
                messages.success(request, f"「{assessment.title}」を削除しました。")
            elif assessment is None:
                created = services.create_assessment(
                    request.user, request.actor, classroom, subject, term, form.cleaned_data
                )
                messages.success(request, f"「{created.title}」を追加しました。")
            else:
                services.update_assessment(
                    request.user, request.actor, assessment, form.cleaned_data
                )
                messages.success(request, f"「{assessment.title}」を保存しました。")
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect(grid_url)
    elif not services.can_write_teaching(
        request.actor, classroom, subject.pk, queries.is_finalised(term, classroom)
    ):
        raise PermissionDenied("この学級・教科の評価材料を編集する権限がありません。")
    return render(
        request,
        "gradebook/assessment_form.html",
        {
            "form": form, "assessment": assessment, "classroom": classroom, "subject": subject,
            "term": term, "grid_url": grid_url,
        },
    )  # fmt: skip


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


# --- overrides -----------------------------------------------------------------------------------


@staff_required
def override(
    request: HttpRequest, classroom_id: int, subject_id: int, term_id: int, student_id: int
) -> HttpResponse:
    classroom, subject, term = _teaching(request, classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    row = next((r for r in data.rows if r.enrolment.student_id == student_id), None)
    if row is None:
        raise Http404
    scale = data.rule.scale if data.rule else None
    evaluation = row.evaluation
    initial = {}
    if evaluation is not None:
        initial = {
            "knowledge": evaluation.override_knowledge, "thinking": evaluation.override_thinking,
            "attitude": evaluation.override_attitude, "rating": evaluation.override_rating or "",
            "reason": evaluation.override_reason, "version": evaluation.version,
        }  # fmt: skip
    form = OverrideForm(request.POST or None, initial=initial, scale=scale)
    grid_url = reverse("gradebook:grid", args=[classroom.pk, subject.pk, term.pk])
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.override_evaluation(
                request.user, request.actor, classroom, subject, term, student_id,
                levels={vp: cd.get(vp) or None for vp in rules.VIEWPOINTS},
                rating=cd.get("rating"), reason=cd.get("reason", ""),
                version=cd.get("version") if evaluation is not None else None,
            )  # fmt: skip
        except ValidationError as exc:
            _errors_to_form(form, exc)
        except PermissionDenied:
            raise
        else:
            messages.success(request, f"{row.student.name} さんの評価を保存しました。")
            return redirect(grid_url)
    elif not services.can_write_teaching(request.actor, classroom, subject.pk, data.finalised):
        raise PermissionDenied("この学級・教科の評価を変更する権限がありません。")
    return render(
        request,
        "gradebook/override_form.html",
        {
            "form": form, "row": row, "grid": data, "grid_url": grid_url,
            "viewpoints": [(vp, rules.VIEWPOINT_LABELS[vp]) for vp in rules.VIEWPOINTS],
            "history": queries.history(
                student_id=student_id, term=term, subject_id=subject.pk
            )[:50],
        },
    )  # fmt: skip


# --- class grade list (成績一覧表), remarks --------------------------------------------------------


@staff_required
def class_list(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    classroom, term = _class_term(request, classroom_id, term_id)
    data = queries.class_list(classroom, term)
    template = (
        "gradebook/class_list_print.html"
        if request.GET.get("print")
        else "gradebook/class_list.html"
    )
    return render(
        request,
        template,
        {
            "cl": data,
            "terms": queries.terms_of_school(classroom.school_id, classroom.school_year_id),
            "viewpoints": [(vp, rules.VIEWPOINT_SHORT[vp]) for vp in rules.VIEWPOINTS],
            "can_finalise": request.actor.can_manage_school_records(classroom.school_id),
        },
    )


@staff_required
def class_list_year(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """学年 (通年): the whole year's assessments together, read-only, for reference."""
    classroom = _classroom(request.actor, classroom_id)
    if not services.can_view_class(request.actor, classroom):
        raise PermissionDenied("この学級の成績を見る権限がありません。")
    data = queries.year_list(classroom)
    if data is None:
        raise Http404("学期が設定されていません。")
    return render(
        request,
        "gradebook/class_list.html",
        {
            "cl": data, "year_view": True,
            "terms": queries.terms_of_school(classroom.school_id, classroom.school_year_id),
            "viewpoints": [(vp, rules.VIEWPOINT_SHORT[vp]) for vp in rules.VIEWPOINTS],
            "can_finalise": False,
        },
    )  # fmt: skip


@staff_required
def class_list_xlsx(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    from gradebook import excel

    classroom, term = _class_term(request, classroom_id, term_id)
    data = queries.class_list(classroom, term)
    return excel.response(
        excel.class_list_workbook([data]), f"成績一覧表_{classroom.label}_{term.name}.xlsx"
    )


@staff_required
def remarks(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    classroom, term = _class_term(request, classroom_id, term_id)
    finalised = queries.is_finalised(term, classroom)
    writable = services.can_write_remarks(request.actor, classroom, finalised)
    enrolled = queries.enrolments(classroom, term)
    existing = {
        r.student_id: r
        for r in services.Remark.objects.filter(
            term=term, student_id__in=[e.student_id for e in enrolled]
        )
    }
    errors: dict[str, str] = {}
    posted: dict[int, str] = {}
    if request.method == "POST":
        if not writable:
            raise PermissionDenied("この学級の所見を入力する権限がありません。")
        items = []
        for e in enrolled:
            key = f"remark-{e.student_id}"
            if key in request.POST:
                posted[e.student_id] = request.POST[key]
                version = request.POST.get(f"version-{e.student_id}", "0")
                items.append(
                    services.RemarkInput(
                        e.student_id, request.POST[key], int(version) if version.isdigit() else 0
                    )
                )
        try:
            count = services.save_remarks(request.user, request.actor, classroom, term, items)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
            messages.error(request, "保存できなかった所見があります。内容を確認してください。")
        else:
            messages.success(request, f"{count} 人の所見を保存しました。")
            return redirect("gradebook:remarks", classroom.pk, term.pk)
    rows = [
        {
            "enrolment": e,
            "remark": existing.get(e.student_id),
            "text": posted.get(
                e.student_id, existing[e.student_id].text if e.student_id in existing else ""
            ),
            "error": errors.get(str(e.student_id), ""),
        }
        for e in enrolled
    ]
    return render(
        request,
        "gradebook/remarks.html",
        {
            "classroom": classroom,
            "term": term,
            "rows": rows,
            "writable": writable,
            "finalised": finalised,
        },
    )


# --- finalising (確定) and history -----------------------------------------------------------------


@staff_required
def finalise_page(request: HttpRequest, term_id: int) -> HttpResponse:
    term = get_object_or_404(Term.objects.select_related("school", "school_year"), pk=term_id)
    actor = request.actor
    if not actor.can_view_school(term.school_id):
        raise Http404
    # The board sees which classes are finalised; only the school's administrators act.
    can_act = actor.can_manage_school_records(term.school_id)
    actor.require(can_act or actor.can_manage_school(term.school_id))
    if request.method == "POST":
        actor.require(can_act, "成績の確定は学校管理者が行います。")
        action = request.POST.get("action")
        try:
            if action == "finalise":
                classroom = None
                if request.POST.get("classroom"):
                    classroom = get_object_or_404(
                        Classroom, pk=request.POST["classroom"], school_id=term.school_id,
                        school_year_id=term.school_year_id,
                    )  # fmt: skip
                services.finalise(request.user, actor, term, classroom)
                messages.success(
                    request,
                    f"{classroom.label if classroom else '学校全体'}の{term.name}の成績を確定しました。",
                )
            elif action == "unfinalise":
                fin = get_object_or_404(
                    Finalisation, pk=request.POST.get("finalisation"), term=term
                )
                services.unfinalise(request.user, actor, fin, request.POST.get("reason", ""))
                messages.success(request, "確定を取り消しました。")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("gradebook:finalise", term.pk)
    classrooms = list(
        Classroom.objects.filter(school_id=term.school_id, school_year_id=term.school_year_id)
    )
    fins = queries.finalisations(term)
    school_fin = next((f for f in fins if f.classroom_id is None), None)
    by_class = {f.classroom_id: f for f in fins if f.classroom_id}
    return render(
        request,
        "gradebook/finalise.html",
        {
            "term": term, "school_fin": school_fin, "can_act": can_act,
            "rows": [(c, by_class.get(c.pk)) for c in classrooms],
            "terms": queries.terms_of_school(term.school_id, term.school_year_id),
        },
    )  # fmt: skip


@staff_required
def history(request: HttpRequest, classroom_id: int, term_id: int, student_id: int) -> HttpResponse:
    """The history of a student's grades in a term (optionally one subject): who, when, old, new."""
    actor = request.actor
    classroom = _classroom(actor, classroom_id)
    term = get_object_or_404(Term, pk=term_id, school_id=classroom.school_id)
    subject_id = request.GET.get("subject")
    subject_id = int(subject_id) if subject_id and subject_id.isdigit() else None
    allowed = services.can_view_class(actor, classroom) or (
        subject_id is not None and actor.can_edit_teaching(classroom, subject_id)
    )
    if not allowed:
        raise PermissionDenied("この成績の履歴を見る権限がありません。")
    student = get_object_or_404(Student, pk=student_id, enrolments__classroom=classroom)
    changes = queries.history(
        student_id=student.pk, term=term, classroom_id=classroom.pk, subject_id=subject_id
    )[:500]
    return render(
        request,
        "gradebook/history.html",
        {"classroom": classroom, "term": term, "student": student, "changes": changes},
    )


# --- settings -----------------------------------------------------------------------------------


@staff_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """評価設定: municipality defaults (BoE) or one school's own (its administrator), with
    per-subject thresholds."""
    from gradebook.forms import SubjectThresholdsForm
    from gradebook.models import GradingSettings, SubjectThresholds

    actor = request.actor
    school = None
    if request.GET.get("school"):
        school = get_object_or_404(actor.schools(), pk=request.GET["school"])
        actor.require(actor.can_manage_school(school.pk))
    else:
        actor.require(actor.can_manage_municipality)
    obj = GradingSettings.objects.filter(school=school).first()
    if obj is None and school is not None:
        obj = GradingSettings.objects.filter(school__isnull=True).first()
    subjects = Subject.objects.filter(is_graded=True).order_by("school_type", "sort_order")
    if school is not None:
        subjects = subjects.filter(school_type=school.school_type)
    action = request.POST.get("action", "settings") if request.method == "POST" else ""
    form = SettingsForm(
        request.POST if action == "settings" else None, instance=obj or GradingSettings()
    )
    subject_form = SubjectThresholdsForm(
        request.POST if action == "subject" else None, subjects=subjects
    )
    if request.method == "POST":
        try:
            if action == "settings" and form.is_valid():
                services.save_settings(request.user, actor, school, form.settings_data())
                messages.success(request, "評価設定を保存しました。")
                return redirect(request.get_full_path())
            if action == "subject" and subject_form.is_valid():
                cd = subject_form.cleaned_data
                services.save_subject_thresholds(
                    request.user, actor, school, cd["subject"], cd["threshold_a"], cd["threshold_b"]
                )
                messages.success(request, f"{cd['subject'].name} のしきい値を保存しました。")
                return redirect(request.get_full_path())
            if action == "subject-delete":
                subject = get_object_or_404(subjects, pk=request.POST.get("subject"))
                services.save_subject_thresholds(request.user, actor, school, subject, None, None)
                messages.success(request, f"{subject.name} のしきい値を削除しました。")
                return redirect(request.get_full_path())
        except ValidationError as exc:
            _errors_to_form(subject_form if action.startswith("subject") else form, exc)
    return render(
        request,
        "gradebook/settings.html",
        {
            "form": form, "subject_form": subject_form, "school": school, "osaka": rules.OSAKA_TABLE,
            "table_rows": list(zip(form.table_fields(5), form.table_fields(3), strict=True)),
            "subject_rows": SubjectThresholds.objects.filter(school=school).select_related("subject"),
        },
    )  # fmt: skip


# keep Evaluation importable for templates' type hints
__all__ = ["Evaluation"]


# --- Excel round trip of a teaching assignment's grid ------------------------------------------


@staff_required
def grid_xlsx(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    from gradebook import excel

    classroom, subject, term = _teaching(request, classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    return excel.response(
        excel.grid_workbook(data), f"得点_{classroom.label}_{subject.name}_{term.name}.xlsx"
    )


@staff_required
def grid_import(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    """Upload -> preview (what changes, every error with row and column) -> commit, all or nothing.

    The file travels back with the confirmation as base64 (grid files are small), so the
    server keeps no upload between the two steps.
    """
    import base64
    import binascii

    from gradebook import excel

    classroom, subject, term = _teaching(request, classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    if not services.can_write_teaching(request.actor, classroom, subject.pk, data.finalised):
        raise PermissionDenied("この学級・教科の得点を取り込む権限がありません。")
    grid_url = reverse("gradebook:grid", args=[classroom.pk, subject.pk, term.pk])
    context = {"grid": data, "grid_url": grid_url, "limits": excel.GRID_LIMITS.describe()}
    if request.method == "POST":
        raw: bytes | None = None
        if request.FILES.get("file"):
            upload = request.FILES["file"]
            if upload.size > excel.GRID_LIMITS.max_bytes:
                messages.error(request, f"ファイルが大きすぎます。{excel.GRID_LIMITS.describe()}。")
                return render(request, "gradebook/grid_import.html", context)
            raw = upload.read()
        elif request.POST.get("payload"):
            try:
                raw = base64.b64decode(request.POST["payload"], validate=True)
            except (binascii.Error, ValueError):
                raw = None
        if not raw:
            messages.error(request, "取り込むファイルを選んでください。")
            return render(request, "gradebook/grid_import.html", context)
        plan = excel.plan_grid_import(raw, data)
        context.update({"plan": plan, "payload": base64.b64encode(raw).decode()})
        if request.POST.get("confirm") and plan.ok:
            cells = [
                services.CellInput(c.student_id, c.assessment_id, c.new, c.version)
                for c in plan.changes
            ]
            try:
                result = services.save_scores(
                    request.user, request.actor, classroom, subject, term, cells,
                    reason=request.POST.get("reason", "") or ("Excel取り込み" if not data.finalised else ""),
                )  # fmt: skip
            except (services.GridInvalid, services.GridConflict) as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Excel から {result.changed} 件の得点を取り込みました。")
                return redirect(grid_url)
    return render(request, "gradebook/grid_import.html", context)


# --- report cards (通知表) -------------------------------------------------------------------------


def _layout_body() -> str:
    from gradebook import layouts
    from gradebook.models import ReportCardLayout

    row = ReportCardLayout.objects.order_by("-updated_at").first()
    return row.body if row else layouts.default_layout()


def _render_cards(request, classroom, term, student_id=None):
    from gradebook import layouts, reportcards

    cards = reportcards.class_report_cards(classroom, term, student_id)
    if student_id is not None and not cards:
        raise Http404
    try:
        sheets = layouts.render_cards(cards, _layout_body())
        layout_error = ""
    except layouts.LayoutError as exc:  # a broken saved layout: fall back, say so
        sheets = layouts.render_cards(cards, layouts.default_layout())
        layout_error = str(exc)
    return render(
        request,
        "gradebook/report_cards.html",
        {
            "classroom": classroom, "term": term, "sheets": sheets, "layout_error": layout_error,
            "single": student_id is not None,
            "back_url": reverse("gradebook:class-list", args=[classroom.pk, term.pk]),
        },
    )  # fmt: skip


@staff_required
def report_card(request: HttpRequest, classroom_id: int, term_id: int, student_id: int):
    """A student's 通知表: A4 print preview with a print button."""
    classroom, term = _class_term(request, classroom_id, term_id)
    return _render_cards(request, classroom, term, student_id)


@staff_required
def report_cards(request: HttpRequest, classroom_id: int, term_id: int):
    """Every 通知表 of a class, one A4 sheet each."""
    classroom, term = _class_term(request, classroom_id, term_id)
    return _render_cards(request, classroom, term)


@staff_required
def report_cards_xlsx(request: HttpRequest, classroom_id: int, term_id: int):
    from gradebook import excel, reportcards

    classroom, term = _class_term(request, classroom_id, term_id)
    cards = reportcards.class_report_cards(classroom, term)
    layout = (
        request.GET.get("layout") or queries.grading_context(classroom.school).report_card_excel
    )
    if layout not in ("sheet", "row"):
        layout = "sheet"
    return excel.response(
        excel.report_cards_workbook(cards, layout), f"通知表_{classroom.label}_{term.name}.xlsx"
    )


@staff_required
def report_layout(request: HttpRequest) -> HttpResponse:
    """The BoE administrator edits the municipality's 通知表 layout, with a preview."""
    from gradebook import layouts
    from gradebook.forms import LayoutForm

    actor = request.actor
    actor.require(
        actor.can_manage_municipality, "通知表のレイアウトは教育委員会の管理者が編集します。"
    )
    form = LayoutForm(request.POST or None, initial={"body": _layout_body()})
    preview = None
    if request.method == "POST" and form.is_valid():
        body = form.cleaned_data["body"]
        if request.POST.get("action") == "reset":
            services.save_layout(request.user, actor, None)
            messages.success(request, "標準のレイアウトに戻しました。")
            return redirect("gradebook:report-layout")
        try:
            preview = layouts.render_cards([_sample_card()], body)[0]
        except layouts.LayoutError as exc:
            form.add_error("body", str(exc))
        else:
            if request.POST.get("action") == "save":
                services.save_layout(request.user, actor, body)
                messages.success(request, "通知表のレイアウトを保存しました。")
                return redirect("gradebook:report-layout")
    if preview is None:
        try:
            preview = layouts.render_cards([_sample_card()], form["body"].value() or "")[0]
        except layouts.LayoutError:
            preview = None
    return render(request, "gradebook/report_layout.html", {"form": form, "preview": preview})


def _sample_card():
    """A fictional card for the layout preview (no real student's data)."""
    import datetime as dt

    from gradebook.reportcards import ReportCard, SubjectLine
    from schools.models import Enrolment, School, SchoolYear

    year = SchoolYear(year=2026)
    school = School(name="見本市立見本中学校", school_type="junior_high")
    classroom = Classroom(school=school, school_year=year, grade=1, name="1組")
    student = Student(name="見本 太郎", kana="みほん たろう")
    enrolment = Enrolment(student=student, classroom=classroom, roll_number=1, grade=1,
                          enrolled_on=dt.date(2026, 4, 1))  # fmt: skip
    term = Term(school=school, school_year=year, number=1, name="1学期",
                start=dt.date(2026, 4, 6), end=dt.date(2026, 7, 19))  # fmt: skip
    levels = ["A", "B", "A"]
    lines = [
        SubjectLine(Subject(name=name), dict(zip(rules.VIEWPOINTS, levels, strict=True)), 4, 5)
        for name in (
            "国語",
            "社会",
            "数学",
            "理科",
            "音楽",
            "美術",
            "保健体育",
            "技術・家庭",
            "外国語",
        )
    ]
    return ReportCard(
        school=school, classroom=classroom, term=term, enrolment=enrolment, subjects=lines,
        attendance=[("授業日数", 70), ("出席停止・忌引等の日数", 0), ("出席しなければならない日数", 70),
                    ("欠席日数", 1), ("出席日数", 69), ("遅刻", 0), ("早退", 1)],
        remark="見本の所見です。学習に粘り強く取り組みました。", finalised=False,
    )  # fmt: skip


# --- the board's view: distribution of 評定 ---------------------------------------------------------

RATING_COLOURS = {5: "#1f5fa8", 4: "#4f8fd6", 3: "#9cc3ea", 2: "#f0b35a", 1: "#c4512d"}


@staff_required
def distribution(request: HttpRequest) -> HttpResponse:
    """評定の分布: per subject, for each grade the municipality's bar then one per school
    (percentages and counts, never a student's name)."""
    from schools.models import School, SchoolType

    actor = request.actor
    actor.require(actor.sees_whole_municipality, "評定の分布は教育委員会が見るページです。")
    year = _year(request)
    school_type = request.GET.get("type", SchoolType.JUNIOR_HIGH)
    if school_type not in SchoolType.values:
        school_type = SchoolType.JUNIOR_HIGH
    term_param = request.GET.get("term", "1")
    term_number = int(term_param) if term_param.isdigit() else 1
    data = queries.rating_distribution(year.pk, school_type, term_number) if year else {}
    schools = {s.pk: s for s in School.objects.filter(school_type=school_type)}
    subjects = {s.pk: s for s in Subject.objects.filter(school_type=school_type)}
    by_subject: dict[int, list] = {}
    for (subject_id, grade), per_school in data.items():
        by_subject.setdefault(subject_id, []).append((grade, per_school))
    charts = []
    for subject_id in sorted(by_subject, key=lambda pk: subjects[pk].sort_order):
        bars = []
        for grade, per_school in sorted(by_subject[subject_id]):
            scale = 5 if any(r > 3 for c in per_school.values() for r in c) else 3
            if school_type == SchoolType.JUNIOR_HIGH:
                scale = 5
            overall: dict[int, int] = {}
            for counts in per_school.values():
                for rating, n in counts.items():
                    overall[rating] = overall.get(rating, 0) + n
            bars.append(_bar(f"{grade}年 全体", overall, scale, strong=True))
            for school_id in sorted(per_school, key=lambda pk: schools[pk].mext_code):
                bars.append(_bar(schools[school_id].name, per_school[school_id], scale))
        for i, bar in enumerate(bars):
            bar["y"] = i * BAR_H + 4
            bar["text_y"] = bar["y"] + (BAR_H - 6) / 2 + 5
        charts.append({
            "subject": subjects[subject_id], "bars": bars, "height": BAR_H * len(bars) + 8,
            "bar_h": BAR_H - 6, "width": LABEL_W + CHART_W + 60, "n_x": LABEL_W + CHART_W + 6,
        })  # fmt: skip
    return render(
        request,
        "gradebook/distribution.html",
        {
            "charts": charts, "year": year, "school_type": school_type, "term_number": term_number,
            "types": SchoolType.choices, "colours": sorted(RATING_COLOURS.items(), reverse=True),
        },
    )  # fmt: skip


BAR_H, LABEL_W, CHART_W = 26, 170, 420


def _bar(label: str, counts: dict[int, int], scale: int, strong: bool = False) -> dict:
    """One stacked bar (評定 from the highest) with its SVG geometry."""
    total = sum(counts.values())
    x = 0.0
    segments = []
    for rating in range(scale, 0, -1):
        n = counts.get(rating, 0)
        width = CHART_W * n / total if total else 0
        segments.append({
            "rating": rating, "count": n, "pct": round(100 * n / total, 1) if total else 0,
            "x": round(LABEL_W + x, 1), "text_x": round(LABEL_W + x + 4, 1),
            "width": round(width, 1), "colour": RATING_COLOURS[rating], "show_text": width >= 44,
        })  # fmt: skip
        x += width
    return {"label": label, "total": total, "segments": segments, "strong": strong}
