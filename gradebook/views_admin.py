"""Gradebook pages of administrators and the board: 確定, 評価設定, the 通知表 layout, and the
distribution of 評定. Thin like ``views``: one view per POST action, the Actor decides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gradebook import charts, layouts, queries, rules, samples, services
from gradebook.forms import LayoutForm, SettingsForm, SubjectThresholdsForm, add_errors
from gradebook.models import Finalisation, GradingSettings, SubjectThresholds
from schools.models import Classroom, School, SchoolType, Subject
from schools.permissions import recent_verification_required, staff_required

# --- finalising (確定): the page, finalise, withdraw -------------------------------------------


@staff_required
@require_GET
def finalise_page(request: HttpRequest, term_id: int) -> HttpResponse:
    actor = request.actor
    term = actor.term_or_404(term_id)
    # The board sees which classes are finalised; only the school's administrators act.
    actor.require(actor.can_view_finalisation(term.school_id))
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
            "term": term,
            "school_fin": school_fin,
            "can_act": actor.can_finalise(term.school_id, term.school_year),
            "rows": [(c, by_class.get(c.pk)) for c in classrooms],
            "terms": queries.terms_of_school(term.school_id, term.school_year_id),
        },
    )


MAX_GAPS_SHOWN = 300  # a school-wide list is cut here (the count is always whole)


def _finalise_target(actor, term, classroom_id: str | None) -> Classroom | None:
    if not classroom_id:
        return None
    classroom = actor.classroom_or_404(classroom_id)
    if (classroom.school_id, classroom.school_year_id) != (term.school_id, term.school_year_id):
        raise Http404
    return classroom


@staff_required
@require_GET
def finalise_confirm(request: HttpRequest, term_id: int) -> HttpResponse:
    """確定 asks first: names the class (or the school) and the term, lists what is missing."""
    actor = request.actor
    term = actor.term_or_404(term_id)
    actor.require_finalise(term)
    classroom = _finalise_target(actor, term, request.GET.get("classroom"))
    classrooms = (
        [classroom]
        if classroom
        else list(
            Classroom.objects.filter(
                school_id=term.school_id, school_year_id=term.school_year_id
            ).select_related("school", "school_year")
        )
    )
    gaps = queries.finalisation_gaps(term, classrooms)
    return render(
        request,
        "gradebook/finalise_confirm.html",
        {
            "term": term,
            "classroom": classroom,
            "what": classroom.label if classroom else f"{term.school.name} 全学級",
            "gaps": gaps[:MAX_GAPS_SHOWN],
            "gap_count": len(gaps),
            "cut": len(gaps) > MAX_GAPS_SHOWN,
        },
    )


@staff_required
@require_POST
@recent_verification_required
def finalise_run(request: HttpRequest, term_id: int) -> HttpResponse:
    """確定 of the whole school's term, or of one class (``classroom`` in the form)."""
    actor = request.actor
    term = actor.term_or_404(term_id)
    actor.require_finalise(term)
    classroom = _finalise_target(actor, term, request.POST.get("classroom"))
    try:
        services.finalise(
            term, classroom, by=actor, gaps_accepted=request.POST.get("accept_gaps") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        confirm = reverse("gradebook:finalise-confirm", args=[term.pk])
        return redirect(confirm + (f"?classroom={classroom.pk}" if classroom else ""))
    else:
        what = classroom.label if classroom else "学校全体"
        messages.success(request, f"{what}の{term.name}の成績を確定しました。")
    return redirect("gradebook:finalise", term.pk)


@staff_required
@require_POST
@recent_verification_required
def finalise_cancel(request: HttpRequest, term_id: int, pk: int) -> HttpResponse:
    """確定の取消, with a reason."""
    actor = request.actor
    term = actor.term_or_404(term_id)
    actor.require_finalise(term)
    fin = get_object_or_404(Finalisation.objects.select_related("classroom"), pk=pk, term=term)
    try:
        services.unfinalise(fin, by=actor, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "確定を取り消しました。")
    return redirect("gradebook:finalise", term.pk)


# --- settings: the general thresholds and rules, and per-subject thresholds --------------------


def _settings_scope(request: HttpRequest) -> School | None:
    """``?school=<id>``: that school's own settings (its administrator); else the municipality's."""
    actor = request.actor
    if request.GET.get("school"):
        school = actor.school_or_404(request.GET["school"])
        actor.require(actor.can_manage_school(school.pk))
        return school
    actor.require(actor.can_manage_municipality)
    return None


def _graded_subjects(school: School | None):
    subjects = Subject.objects.filter(is_graded=True).order_by("school_type", "sort_order")
    return subjects.filter(school_type=school.school_type) if school is not None else subjects


def _settings_form(school: School | None, data=None) -> SettingsForm:
    obj = GradingSettings.objects.filter(school=school).first()
    if obj is None and school is not None:
        obj = GradingSettings.objects.filter(school__isnull=True).first()
    return SettingsForm(data, instance=obj or GradingSettings())


def _settings_page(request, school, form=None, subject_form=None) -> HttpResponse:
    form = form or _settings_form(school)
    subject_form = subject_form or SubjectThresholdsForm(subjects=_graded_subjects(school))
    query = f"?school={school.pk}" if school is not None else ""
    return render(
        request,
        "gradebook/settings.html",
        {
            "form": form,
            "subject_form": subject_form,
            "school": school,
            "query": query,
            "osaka": rules.OSAKA_TABLE,
            "table_rows": list(zip(form.table_fields(5), form.table_fields(3), strict=True)),
            "subject_rows": SubjectThresholds.objects.filter(school=school).select_related(
                "subject"
            ),
        },
    )


def _back_to_settings(school: School | None):
    url = reverse("gradebook:settings")
    return redirect(f"{url}?school={school.pk}" if school is not None else url)


@staff_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """評価設定: municipality defaults (BoE) or one school's own (its administrator)."""
    school = _settings_scope(request)
    form = _settings_form(school, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_settings(school, form.settings_data(), by=request.actor)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "評価設定を保存しました。")
            return _back_to_settings(school)
    return _settings_page(request, school, form=form)


@staff_required
@require_POST
def settings_subject_save(request: HttpRequest) -> HttpResponse:
    """A subject's own thresholds."""
    school = _settings_scope(request)
    subject_form = SubjectThresholdsForm(request.POST, subjects=_graded_subjects(school))
    if subject_form.is_valid():
        cd = subject_form.cleaned_data
        try:
            services.save_subject_thresholds(
                school, cd["subject"], cd["threshold_a"], cd["threshold_b"], by=request.actor
            )
        except ValidationError as exc:
            add_errors(subject_form, exc)
        else:
            messages.success(request, f"{cd['subject'].name} のしきい値を保存しました。")
            return _back_to_settings(school)
    return _settings_page(request, school, subject_form=subject_form)


@staff_required
@require_POST
def settings_subject_delete(request: HttpRequest) -> HttpResponse:
    """Remove a subject's own thresholds (the general ones apply again)."""
    school = _settings_scope(request)
    subject_id = request.POST.get("subject", "")
    if not subject_id.isdecimal():
        raise Http404
    subject = get_object_or_404(_graded_subjects(school), pk=int(subject_id))
    services.save_subject_thresholds(school, subject, None, None, by=request.actor)
    messages.success(request, f"{subject.name} のしきい値を削除しました。")
    return _back_to_settings(school)


# --- the municipality's 通知表 layout: edit with a preview, save, reset ------------------------


def _require_layout_editor(request: HttpRequest) -> None:
    request.actor.require(
        request.actor.can_manage_municipality,
        "通知表のレイアウトは教育委員会の管理者が編集します。",
    )


def _preview(layout: layouts.Layout) -> dict:
    """The layout applied to the fictional sample card (nothing real, nothing saved)."""
    return {"preview": layouts.render_cards([samples.sample_card()], layout)[0], "layout": layout}


def _editor(request: HttpRequest, form: LayoutForm, layout: layouts.Layout) -> HttpResponse:
    return render(
        request,
        "gradebook/report_layout.html",
        {"form": form, "legacy_body": queries.legacy_layout_body(), **_preview(layout)},
    )


@staff_required
def report_layout(request: HttpRequest) -> HttpResponse:
    """The BoE administrator edits the municipality's 通知表 layout; POST previews, unsaved
    (the page without JavaScript; with it, the preview follows every change)."""
    _require_layout_editor(request)
    current = queries.report_layout()
    form = LayoutForm(request.POST or None, initial=LayoutForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        current = form.layout()
    return _editor(request, form, current)


@staff_required
@require_POST
def report_layout_preview(request: HttpRequest) -> HttpResponse:
    """The live preview (htmx): the sheet for the settings as they stand in the form."""
    _require_layout_editor(request)
    form = LayoutForm(request.POST)
    if not form.is_valid():
        return render(request, "gradebook/_layout_preview.html", {"form": form, "invalid": True})
    return render(request, "gradebook/_layout_preview.html", _preview(form.layout()))


@staff_required
@require_POST
def report_layout_save(request: HttpRequest) -> HttpResponse:
    _require_layout_editor(request)
    form = LayoutForm(request.POST)
    if not form.is_valid():
        return _editor(request, form, queries.report_layout())
    services.save_layout(form.layout(), by=request.actor)
    messages.success(request, "通知表のレイアウトを保存しました。")
    return redirect("gradebook:report-layout")


@staff_required
@require_POST
def report_layout_reset(request: HttpRequest) -> HttpResponse:
    _require_layout_editor(request)
    services.save_layout(None, by=request.actor)
    messages.success(request, "標準のレイアウトに戻しました。")
    return redirect("gradebook:report-layout")


# --- the board's view: distribution of 評定 ---------------------------------------------------------


@staff_required
def distribution(request: HttpRequest) -> HttpResponse:
    """評定の分布: per subject, for each grade the municipality's bar then one per school
    (percentages and counts, never a student's name)."""
    actor = request.actor
    actor.require(actor.sees_whole_municipality, "評定の分布は教育委員会が見るページです。")
    school_year = queries.school_year_numbered(request.GET.get("year"))
    school_type = request.GET.get("type", SchoolType.JUNIOR_HIGH)
    if school_type not in SchoolType.values:
        school_type = SchoolType.JUNIOR_HIGH
    term_param = request.GET.get("term", "1")
    term_number = int(term_param) if term_param.isdecimal() else 1
    data = (
        queries.rating_distribution(school_year.pk, school_type, term_number) if school_year else {}
    )
    return render(
        request,
        "gradebook/distribution.html",
        {
            "charts": charts.distribution_charts(
                data,
                {s.pk: s for s in School.objects.filter(school_type=school_type)},
                {s.pk: s for s in Subject.objects.filter(school_type=school_type)},
                junior_high=school_type == SchoolType.JUNIOR_HIGH,
            ),
            "school_year": school_year,
            "school_type": school_type,
            "term_number": term_number,
            "types": SchoolType.choices,
            "colours": charts.legend(),
        },
    )
