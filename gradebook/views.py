"""Browser pages of the gradebook: thin (parse, ask the Actor, call a service or query, render).

Teachers' pages: the score grid (and its Excel round trip), assessments, overrides, the
class's 成績一覧表, 所見, history and 通知表. Administrators' and the board's pages are in
``views_admin``. Objects come from the Actor's lookups (``request.actor.teaching_or_404`` …),
shared with the API; every POST action has its own view; every export and print goes
through ``services.record_export``.
"""

from __future__ import annotations

import base64
import binascii
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gradebook import excel, layouts, queries, reportcards, rules, services
from gradebook.forms import AssessmentForm, OverrideForm, add_errors
from gradebook.models import Assessment
from schools.models import Classroom, Student, Subject, Term
from schools.permissions import staff_required
from schools.spreadsheets.uploads import read_page_upload


def _grid_url(classroom: Classroom, subject: Subject, term: Term) -> str:
    return reverse("gradebook:grid", args=[classroom.pk, subject.pk, term.pk])


# --- 担当一覧 ---------------------------------------------------------------------------------


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """教科担任の担当一覧 (and, for administrators, every assignment of their schools)."""
    actor = request.actor
    school_year = queries.school_year_numbered(request.GET.get("year"))
    rows = queries.teaching_assignments(actor, school_year.pk) if school_year else []
    school_ids = {r.classroom.school_id for r in rows}
    terms_by_school: dict[int, list[Term]] = {}
    for term in Term.objects.filter(school_id__in=school_ids, school_year=school_year):
        terms_by_school.setdefault(term.school_id, []).append(term)
    today = timezone.localdate()
    items = []
    for row in rows:
        terms = terms_by_school.get(row.classroom.school_id, [])
        items.append((row, terms, queries.current_term(terms, today)))
    homerooms = list(
        actor.classrooms()
        .filter(pk__in=actor.homeroom_classroom_ids, school_year=school_year)
        .prefetch_related("school__terms")
    )
    # School administrators see their schools; the board sees every school of the municipality.
    admin_schools = actor.schools().prefetch_related("terms")
    if not actor.sees_whole_municipality:
        admin_schools = admin_schools.filter(pk__in=actor.admin_school_ids)
    # (school, may open its 確定 page, may change its 評価設定): the links shown are the ones
    # that open (a board viewer sees the schools, without links it could not follow)
    admin_schools = [
        (s, actor.can_view_finalisation(s.pk), actor.can_manage_school(s.pk)) for s in admin_schools
    ]
    return render(
        request,
        "gradebook/index.html",
        {
            "school_year": school_year,
            "items": items,
            "homerooms": homerooms,
            "admin_schools": admin_schools,
        },
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
    classroom, subject, term = request.actor.teaching_or_404(classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    writable = request.actor.can_write_teaching(classroom, subject.pk, finalised=data.finalised)
    return render(
        request,
        "gradebook/grid.html",
        {
            "grid": data,
            "payload": _grid_payload(data),
            "writable": writable,
            "terms": queries.terms_of_school(classroom.school_id, classroom.school_year_id),
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
    classroom, subject, term = request.actor.teaching_or_404(classroom_id, subject_id, term_id)
    try:
        body = json.loads(request.body or b"{}")
        cells = [
            services.CellInput(
                int(c["student"]),
                int(c["assessment"]),
                str(c.get("text") or ""),
                int(c.get("version") or 0),
            )
            for c in body.get("cells", [])
        ]
        reason = str(body.get("reason") or "")
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, RawPostDataException):
        # RawPostDataException: a form post (multipart) instead of JSON; the body was parsed.
        return JsonResponse({"message": "送信内容を読み取れませんでした。"}, status=400)
    try:
        result = services.save_scores(
            classroom, subject, term, cells, by=request.actor, reason=reason
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
        messages_ = (
            [m for ms in exc.message_dict.values() for m in ms]
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        return JsonResponse({"message": " ".join(messages_), "needs_reason": True}, status=400)
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


@staff_required
def grid_xlsx(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    classroom, subject, term = request.actor.teaching_or_404(classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    services.record_export(
        "scores", classroom, term, by=request.actor, subject=subject, output="xlsx"
    )
    return excel.response(
        excel.grid_workbook(data), f"得点_{classroom.label}_{subject.name}_{term.name}.xlsx"
    )


# --- Excel import of a grid: upload -> preview, then confirm ---------------------------------
# The file travels back with the confirmation as base64 (grid files are small), so the
# server keeps no upload between the two steps.


def _writable_grid(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    classroom, subject, term = request.actor.teaching_or_404(classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    request.actor.require(
        request.actor.can_write_teaching(classroom, subject.pk, finalised=data.finalised),
        "この学級・教科の得点を取り込む権限がありません。",
    )
    return data


def _import_context(data: queries.Grid) -> dict:
    return {
        "grid": data,
        "grid_url": _grid_url(data.classroom, data.subject, data.term),
        "limits": excel.GRID_LIMITS.describe(),
    }


@staff_required
def grid_import(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    """Upload a filled grid: every change and every error (row, column) is shown; nothing saved."""
    data = _writable_grid(request, classroom_id, subject_id, term_id)
    context = _import_context(data)
    if request.method == "POST":
        uploaded = read_page_upload(
            request, excel.GRID_LIMITS, missing="取り込むファイルを選んでください。"
        )
        if uploaded is not None:
            raw, filename = uploaded
            context.update(
                {
                    "plan": excel.plan_grid_import(raw, data, filename=filename),
                    "payload": base64.b64encode(raw).decode(),
                }
            )
    return render(request, "gradebook/grid_import.html", context)


@staff_required
@require_POST
def grid_import_confirm(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    """Commit the previewed file, all or nothing (it is planned again: it may have changed)."""
    data = _writable_grid(request, classroom_id, subject_id, term_id)
    context = _import_context(data)
    try:
        raw = base64.b64decode(request.POST.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw:
        messages.error(request, "取り込むファイルを選んでください。")
        return render(request, "gradebook/grid_import.html", context)
    plan = excel.plan_grid_import(raw, data)
    context.update({"plan": plan, "payload": base64.b64encode(raw).decode()})
    if plan.ok:
        cells = [
            services.CellInput(c.student_id, c.assessment_id, c.new, c.version)
            for c in plan.changes
        ]
        reason = request.POST.get("reason", "") or ("" if data.finalised else "Excel取り込み")
        try:
            result = services.save_scores(
                data.classroom, data.subject, data.term, cells, by=request.actor, reason=reason
            )
        except (services.GridInvalid, services.GridConflict) as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Excel から {result.changed} 件の得点を取り込みました。")
            return redirect(context["grid_url"])
    return render(request, "gradebook/grid_import.html", context)


# --- assessments: add, edit, delete ------------------------------------------------------------


def _writable_teaching(request: HttpRequest, classroom_id, subject_id, term_id, message: str):
    classroom, subject, term = request.actor.teaching_or_404(classroom_id, subject_id, term_id)
    finalised = queries.is_finalised(term, classroom)
    request.actor.require(
        request.actor.can_write_teaching(classroom, subject.pk, finalised=finalised), message
    )
    return classroom, subject, term


def _assessment_page(request, form, classroom, subject, term, assessment=None) -> HttpResponse:
    return render(
        request,
        "gradebook/assessment_form.html",
        {
            "form": form,
            "assessment": assessment,
            "classroom": classroom,
            "subject": subject,
            "term": term,
            "grid_url": _grid_url(classroom, subject, term),
        },
    )


NO_ASSESSMENT_RIGHTS = "この学級・教科の評価材料を編集する権限がありません。"


@staff_required
def assessment_new(request: HttpRequest, classroom_id: int, subject_id: int, term_id: int):
    classroom, subject, term = _writable_teaching(
        request, classroom_id, subject_id, term_id, NO_ASSESSMENT_RIGHTS
    )
    form = AssessmentForm(request.POST or None, term=term)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_assessment(
                classroom, subject, term, form.cleaned_data, by=request.actor
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"「{created.title}」を追加しました。")
            return redirect(_grid_url(classroom, subject, term))
    return _assessment_page(request, form, classroom, subject, term)


@staff_required
def assessment_edit(
    request: HttpRequest, classroom_id: int, subject_id: int, term_id: int, pk: int
) -> HttpResponse:
    classroom, subject, term = _writable_teaching(
        request, classroom_id, subject_id, term_id, NO_ASSESSMENT_RIGHTS
    )
    assessment = get_object_or_404(
        Assessment, pk=pk, classroom=classroom, subject=subject, term=term
    )
    form = AssessmentForm(request.POST or None, instance_data=assessment, term=term)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_assessment(assessment, form.cleaned_data, by=request.actor)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"「{assessment.title}」を保存しました。")
            return redirect(_grid_url(classroom, subject, term))
    return _assessment_page(request, form, classroom, subject, term, assessment)


@staff_required
@require_POST
def assessment_delete(
    request: HttpRequest, classroom_id: int, subject_id: int, term_id: int, pk: int
) -> HttpResponse:
    classroom, subject, term = _writable_teaching(
        request, classroom_id, subject_id, term_id, NO_ASSESSMENT_RIGHTS
    )
    assessment = get_object_or_404(
        Assessment, pk=pk, classroom=classroom, subject=subject, term=term
    )
    try:
        services.delete_assessment(assessment, by=request.actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("gradebook:assessment-edit", classroom.pk, subject.pk, term.pk, pk)
    messages.success(request, f"「{assessment.title}」を削除しました。")
    return redirect(_grid_url(classroom, subject, term))


# --- overrides -----------------------------------------------------------------------------------


@staff_required
def override(
    request: HttpRequest, classroom_id: int, subject_id: int, term_id: int, student_id: int
) -> HttpResponse:
    classroom, subject, term = request.actor.teaching_or_404(classroom_id, subject_id, term_id)
    data = queries.grid(classroom, subject, term)
    request.actor.require(
        request.actor.can_write_teaching(classroom, subject.pk, finalised=data.finalised),
        "この学級・教科の評価を変更する権限がありません。",
    )
    row = next((r for r in data.rows if r.enrolment.student_id == student_id), None)
    if row is None:
        raise Http404
    evaluation = row.evaluation
    initial = {}
    if evaluation is not None:
        initial = {
            "knowledge": evaluation.override_knowledge,
            "thinking": evaluation.override_thinking,
            "attitude": evaluation.override_attitude,
            "rating": evaluation.override_rating or "",
            "reason": evaluation.override_reason,
            "version": evaluation.version,
        }
    form = OverrideForm(
        request.POST or None, initial=initial, scale=data.rule.scale if data.rule else None
    )
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.override_evaluation(
                classroom,
                subject,
                term,
                student_id,
                by=request.actor,
                levels={vp: cd.get(vp) or None for vp in rules.VIEWPOINTS},
                rating=cd.get("rating"),
                reason=cd.get("reason", ""),
                version=cd.get("version") if evaluation is not None else None,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"{row.student.name} さんの評価を保存しました。")
            return redirect(_grid_url(classroom, subject, term))
    return render(
        request,
        "gradebook/override_form.html",
        {
            "form": form,
            "row": row,
            "grid": data,
            "grid_url": _grid_url(classroom, subject, term),
            "viewpoints": [(vp, rules.VIEWPOINT_LABELS[vp]) for vp in rules.VIEWPOINTS],
            "history": queries.history(student_id=student_id, term=term, subject_id=subject.pk)[
                :50
            ],
        },
    )


# --- class grade list (成績一覧表), remarks --------------------------------------------------------


def _class_list_context(classroom: Classroom, data: queries.ClassList, **extra) -> dict:
    return {
        "cl": data,
        "terms": queries.terms_of_school(classroom.school_id, classroom.school_year_id),
        "viewpoints": [(vp, rules.VIEWPOINT_SHORT[vp]) for vp in rules.VIEWPOINTS],
        **extra,
    }


@staff_required
def class_list(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    classroom, term = request.actor.class_grades_or_404(classroom_id, term_id)
    data = queries.class_list(classroom, term)
    template = "gradebook/class_list.html"
    if request.GET.get("print"):
        template = "gradebook/class_list_print.html"
        services.record_export("class_list", classroom, term, by=request.actor, output="print")
    return render(
        request,
        template,
        _class_list_context(
            classroom,
            data,
            can_finalise=request.actor.can_finalise(classroom.school_id, classroom.school_year),
        ),
    )


@staff_required
def class_list_year(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """学年 (通年): the whole year's assessments together, read-only, for reference."""
    classroom = request.actor.classroom_or_404(classroom_id)
    request.actor.require(
        request.actor.can_view_class_grades(classroom), "この学級の成績を見る権限がありません。"
    )
    data = queries.year_list(classroom)
    if data is None:
        raise Http404("学期が設定されていません。")
    return render(
        request,
        "gradebook/class_list.html",
        _class_list_context(classroom, data, year_view=True, can_finalise=False),
    )


@staff_required
def class_list_xlsx(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    classroom, term = request.actor.class_grades_or_404(classroom_id, term_id)
    data = queries.class_list(classroom, term)
    services.record_export("class_list", classroom, term, by=request.actor, output="xlsx")
    return excel.response(
        excel.class_list_workbook([data]), f"成績一覧表_{classroom.label}_{term.name}.xlsx"
    )


@staff_required
def remarks(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    actor = request.actor
    classroom, term = actor.class_grades_or_404(classroom_id, term_id)
    finalised = queries.is_finalised(term, classroom)
    writable = actor.can_write_remarks(classroom, finalised=finalised)
    enrolled = queries.enrolments(classroom, term)
    existing = queries.remarks_of(term, [e.student_id for e in enrolled])
    errors: dict[str, str] = {}
    posted: dict[int, str] = {}
    if request.method == "POST":
        actor.require(writable, "この学級の所見を入力する権限がありません。")
        items = []
        for e in enrolled:
            key = f"remark-{e.student_id}"
            if key in request.POST:
                posted[e.student_id] = request.POST[key]
                version = request.POST.get(f"version-{e.student_id}", "0")
                items.append(
                    services.RemarkInput(
                        e.student_id, request.POST[key], int(version) if version.isdecimal() else 0
                    )
                )
        try:
            count = services.save_remarks(classroom, term, items, by=actor)
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


@staff_required
def conduct(request: HttpRequest, classroom_id: int, term_id: int) -> HttpResponse:
    """行動の記録・特別活動 (○ per item) and 外国語活動・総合 text: one grid, one POST."""
    actor = request.actor
    classroom, term = actor.class_grades_or_404(classroom_id, term_id)
    finalised = queries.is_finalised(term, classroom)
    writable = actor.can_write_conduct(classroom, finalised=finalised)
    enrolled = queries.enrolments(classroom, term)
    existing = queries.conduct_of(term, [e.student_id for e in enrolled])
    behaviour_items, special_items = services.conduct_items(classroom)
    elementary = "club" in special_items
    errors: dict[str, str] = {}
    posted: dict[int, services.ConductInput] = {}
    if request.method == "POST":
        actor.require(writable, "この学級の行動の記録を入力する権限がありません。")
        post = request.POST
        for e in enrolled:
            sid = e.student_id
            if f"version-{sid}" not in post:
                continue  # a row the form did not carry is left as it is
            version = post.get(f"version-{sid}", "0")
            posted[sid] = services.ConductInput(
                sid,
                behaviour=frozenset(k for k in behaviour_items if post.get(f"b-{sid}-{k}")),
                special=frozenset(k for k in special_items if post.get(f"s-{sid}-{k}")),
                foreign_language=post.get(f"fl-{sid}", "") if elementary else "",
                integrated_study=post.get(f"is-{sid}", ""),
                version=int(version) if version.isdecimal() else 0,
            )
        try:
            count = services.save_conduct(classroom, term, list(posted.values()), by=actor)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
            messages.error(request, "保存できなかった行があります。内容を確認してください。")
        else:
            messages.success(request, f"{count} 人の記録を保存しました。")
            return redirect("gradebook:conduct", classroom.pk, term.pk)
    rows = []
    for e in enrolled:
        record = existing.get(e.student_id)
        shown = posted.get(e.student_id) or services.ConductInput(
            e.student_id,
            behaviour=frozenset(record.behaviour if record else ()),
            special=frozenset(record.special if record else ()),
            foreign_language=record.foreign_language if record else "",
            integrated_study=record.integrated_study if record else "",
        )
        rows.append(
            {
                "enrolment": e,
                "version": record.version if record else 0,
                "behaviour": [(k, n, k in shown.behaviour) for k, n in behaviour_items.items()],
                "special": [(k, n, k in shown.special) for k, n in special_items.items()],
                "foreign_language": shown.foreign_language,
                "integrated_study": shown.integrated_study,
                "error": errors.get(str(e.student_id), ""),
            }
        )
    return render(
        request,
        "gradebook/conduct.html",
        {
            "classroom": classroom,
            "term": term,
            "rows": rows,
            "behaviour_items": behaviour_items,
            "special_items": special_items,
            "elementary": elementary,
            "text_max": rules.CONDUCT_TEXT_MAX,
            "writable": writable,
            "finalised": finalised,
        },
    )


@staff_required
def history(request: HttpRequest, classroom_id: int, term_id: int, student_id: int) -> HttpResponse:
    """The history of a student's grades in a term (optionally one subject): who, when, old, new."""
    actor = request.actor
    classroom, term = actor.class_term_or_404(classroom_id, term_id)
    subject_id = request.GET.get("subject", "")
    subject_id = int(subject_id) if subject_id.isdecimal() else None
    actor.require(
        actor.can_view_grade_history(classroom, subject_id),
        "この成績の履歴を見る権限がありません。",
    )
    student = get_object_or_404(
        Student.objects.filter(enrolments__classroom=classroom).distinct(), pk=student_id
    )
    changes = queries.history(
        student_id=student.pk, term=term, classroom_id=classroom.pk, subject_id=subject_id
    )[:500]
    return render(
        request,
        "gradebook/history.html",
        {"classroom": classroom, "term": term, "student": student, "changes": changes},
    )


# --- report cards (通知表) -------------------------------------------------------------------------


def _render_cards(request, classroom, term, student_id=None):
    cards = reportcards.class_report_cards(classroom, term, student_id, today=timezone.localdate())
    if student_id is not None and not cards:
        raise Http404
    services.record_export(
        "report_cards", classroom, term, by=request.actor, student_id=student_id, output="print"
    )
    services.record_report_card_view(
        classroom, term, [card.enrolment.student_id for card in cards], by=request.actor
    )
    layout = queries.report_layout()
    sheets = layouts.render_cards(cards, layout)
    return render(
        request,
        "gradebook/report_cards.html",
        {
            "classroom": classroom,
            "term": term,
            "sheets": sheets,
            "sheet_style": layout.sheet_style,
            "single": student_id is not None,
            "back_url": reverse("gradebook:class-list", args=[classroom.pk, term.pk]),
        },
    )


@staff_required
def report_card(request: HttpRequest, classroom_id: int, term_id: int, student_id: int):
    """A student's 通知表: A4 print preview with a print button."""
    classroom, term = request.actor.class_grades_or_404(classroom_id, term_id)
    return _render_cards(request, classroom, term, student_id)


@staff_required
def report_cards(request: HttpRequest, classroom_id: int, term_id: int):
    """Every 通知表 of a class, one A4 sheet each."""
    classroom, term = request.actor.class_grades_or_404(classroom_id, term_id)
    return _render_cards(request, classroom, term)


@staff_required
def report_cards_xlsx(request: HttpRequest, classroom_id: int, term_id: int):
    classroom, term = request.actor.class_grades_or_404(classroom_id, term_id)
    cards = reportcards.class_report_cards(classroom, term, today=timezone.localdate())
    layout = (
        request.GET.get("layout") or queries.grading_context(classroom.school).report_card_excel
    )
    if layout not in ("sheet", "row"):
        layout = "sheet"
    services.record_export(
        "report_cards", classroom, term, by=request.actor, output=f"xlsx:{layout}"
    )
    return excel.response(
        excel.report_cards_workbook(cards, layout), f"通知表_{classroom.label}_{term.name}.xlsx"
    )
