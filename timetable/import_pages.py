"""The pages of a file import — upload, preview (nothing written), confirm — shared by the
timetable grid, the FET file and the 自動作成の決まり workbook, so the three cannot drift
apart on what a missing file, a stale preview or a refused commit looks like."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from schools.imports import store
from schools.imports.base import ImportPlan, ImportRefused
from schools.models import School, SchoolYear
from schools.spreadsheets import Limits
from schools.spreadsheets.uploads import read_page_upload


@dataclass(frozen=True)
class PageImport:
    """One import's pages: ``plan(school, year, data, filename=)`` previews,
    ``commit(school, year, data, by=, filename=, expected_fingerprint=)`` writes all or
    nothing; ``pending`` says whether a preview has something to confirm."""

    kind: str  # the pending upload's kind (``schools.imports.store``)
    limits: Limits
    template: str
    form_url: str  # the upload page's URL name
    plan: Callable[..., ImportPlan]
    commit: Callable[..., ImportPlan]
    pending: Callable[[Any], bool]
    context: Callable[[], dict[str, Any]] = field(default=dict)  # the form's own context
    preview_context: Callable[[Any], dict[str, Any]] = field(default=lambda plan: {})


def page(
    request: HttpRequest,
    imp: PageImport,
    school: School,
    year: SchoolYear,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {"school": school, "year": year, **imp.context(), **extra}
    return render(request, imp.template, context, status=status)


def preview(
    request: HttpRequest, imp: PageImport, school: School, year: SchoolYear
) -> HttpResponse:
    """GET: the form. POST: the preview of the uploaded file; the file is kept (as a pending
    upload of the user) only when there is something to confirm."""
    if request.method != "POST":
        return page(request, imp, school, year)
    uploaded = read_page_upload(request, imp.limits)
    if uploaded is None:
        return page(request, imp, school, year, status=400)
    data, filename = uploaded
    plan = imp.plan(school, year, data, filename=filename)
    token = (
        store.put(data, by=request.actor, kind=imp.kind, filename=filename)
        if plan.ok and imp.pending(plan)
        else ""
    )
    return page(
        request,
        imp,
        school,
        year,
        plan=plan,
        token=token,
        filename=filename,
        fingerprint=plan.fingerprint(),
        errors=plan.errors[:300],
        **(imp.preview_context(plan) if plan.ok else {}),
    )


def confirm(
    request: HttpRequest, imp: PageImport, school: School, year: SchoolYear
) -> ImportPlan | HttpResponse:
    """Commit the previewed file: the written plan, or the page that says why not (the
    pending upload is gone or not the user's; the school changed since the preview)."""
    token = request.POST.get("token", "")
    try:
        data = store.get(token, by=request.actor, kind=imp.kind)
    except store.PendingRefused as refused:
        messages.error(request, refused.message)
        return redirect(f"{reverse(imp.form_url, args=[school.pk])}?year={year.year}")
    try:
        plan = imp.commit(
            school,
            year,
            data,
            by=request.actor,
            filename=request.POST.get("filename", "")[:200],
            expected_fingerprint=request.POST.get("fingerprint", ""),
        )
    except ImportRefused as refused:
        return page(request, imp, school, year, refused=refused.errors, status=409)
    store.discard(token, by=request.actor, kind=imp.kind)
    return plan
