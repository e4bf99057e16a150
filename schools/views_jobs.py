"""Pages of long-running jobs (/jobs/): progress, result, error, cancel.

A job is seen only by whoever started it and by the board's administrator
(``Actor.can_follow_job``); anyone else gets 404, so that its existence does not leak.
Jobs live in the municipality's own schema: another municipality's never appear.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from schools.permissions import Actor, staff_required
from tenants import jobs


def _job_or_404(actor: Actor, job_id: int):
    job = jobs.find(job_id)
    if (
        job is None
        or job.schema_name != connection.schema_name
        or not actor.can_follow_job(job.requested_by_id)  # type: ignore[attr-defined]
    ):
        raise Http404("処理が見つかりません。")
    return job


def _context(job) -> dict:
    return {"job": job, "label": jobs.label_of(job.kind)}


@staff_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    from schools import jobs as schools_jobs

    job = _job_or_404(request.actor, job_id)
    page = schools_jobs.PAGES.get(job.kind)
    if (
        page is not None
        and request.actor.owns_job(job.requested_by_id)  # type: ignore[attr-defined]
        and not schools_jobs.is_api_job(job)  # an API call's job: its status here only
    ):
        return redirect(page, job_id=job.pk)  # an import's own page: progress, then preview
    return render(request, "schools/jobs/detail.html", _context(job))


@staff_required
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The status fragment the page polls (htmx) every second until the job ends."""
    job = _job_or_404(request.actor, job_id)
    return render(request, "schools/jobs/_status.html", _context(job))


@staff_required
def job_download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request.actor, job_id)
    if not job.has_file:
        raise Http404("ダウンロードできるファイルがありません。")
    response = HttpResponse(
        bytes(job.result_file), content_type=job.result_content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(True, job.result_filename)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_required
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request.actor, job_id)
    if jobs.cancel(job):
        messages.success(request, "取り消しを受け付けました。")
    else:
        messages.info(request, "この処理はすでに終わっています。")
    # A job started from its own page (an import's progress) goes back there.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("jobs:detail", job_id=job.pk)


@staff_required
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The person's own recent jobs (the board's administrator: everyone's)."""
    actor: Actor = request.actor
    everyone = actor.can_follow_job(None)  # type: ignore[attr-defined]
    listed = jobs.recent(requested_by_id=None if everyone else actor.user_id)
    return render(
        request,
        "schools/jobs/list.html",
        {"rows": [(job, jobs.label_of(job.kind)) for job in listed], "everyone": everyone},
    )
