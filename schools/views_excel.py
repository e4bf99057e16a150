"""Excel in and out for the roster: upload -> preview -> confirm, and the printed exports.

Thin views: they parse the request, ask ``request.actor`` (schools.permissions),
and call ``schools.imports`` (writes) or ``schools.excel`` (exports).
Objects of a school the actor cannot see answer 404, so their existence does not leak.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schools import audit, excel, imports, queries
from schools.excel import ROSTER_COLUMNS, STAFF_COLUMNS
from schools.imports import background, roster, store
from schools.imports.base import error_from
from schools.models import School, SchoolYear
from schools.permissions import Actor, as_pk, staff_required, step_up
from tenants import jobs

PREVIEW_LIST_LIMIT = roster.PREVIEW_ROWS  # rows listed per section of the preview (all counted)
ERROR_LIST_LIMIT = 500


ROSTER_UPLOAD = roster.UPLOAD_KIND  # kinds of pending uploads (schools.imports.store)
STAFF_UPLOAD = "schools.staff"


def _id(value: str | None) -> int:
    """A primary key from a form; anything else finds nothing (404, not 500)."""
    return as_pk(value) or 0


def _year_or_404(value: str | None) -> SchoolYear:
    """The ``?year=`` of an export or a link (the year number; the current year by default)."""
    year = queries.school_year_for(value)
    if year is None:
        raise Http404("その年度はありません。")
    return year


class RosterUploadForm(forms.Form):
    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none())
    year = forms.ModelChoiceField(label="年度", queryset=SchoolYear.objects.none())
    file = forms.FileField(
        label="名簿ファイル",
        help_text=imports.ROSTER_LIMITS.describe(),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.ods,.csv"}),
    )
    create_classes = forms.BooleanField(
        label="ファイルにあって未登録の学級を作成する",
        required=False,
        help_text="チェックしない場合、登録されていない学級はエラーになります。",
    )

    def __init__(self, actor: Actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = actor.manageable_schools()
        self.fields["year"].queryset = queries.open_years()
        current = queries.current_year()
        if current is not None:
            self.fields["year"].initial = current.pk


def _columns_help(columns=ROSTER_COLUMNS) -> list[dict]:
    return [
        {"label": c.label, "aliases": "、".join(c.aliases), "required": c.required} for c in columns
    ]


def _upload_page(
    request: HttpRequest,
    form: RosterUploadForm,
    chosen_school: School | None,
    chosen_year: SchoolYear | None,
    done: str = "",
) -> HttpResponse:
    return render(
        request,
        "schools/import_roster.html",
        {
            "form": form,
            "columns": _columns_help(),
            "limits": imports.ROSTER_LIMITS,
            "chosen_school": chosen_school,
            "chosen_year": chosen_year,
            "done": done,
        },
    )


def _roster_done_message(school: School, year: SchoolYear, counts: dict[str, int]) -> str:
    return _(
        "名簿を取り込みました（{school} {year}）: 新規 {create}名、更新 {update}名、変更なし {unchanged}名。"
    ).format(school=school.name, year=year, **counts)


@staff_required
def import_roster(request: HttpRequest) -> HttpResponse:
    """Step 1 (GET: the form) and step 2 (POST: the preview; nothing is written).

    A file above ``settings.AI_IMPORT_JOB_ROWS`` rows (or ``AI_IMPORT_JOB_BYTES``) is read by a
    job: the POST sends the person to its progress page, which becomes the same preview.
    """
    actor = request.actor
    actor.require(
        actor.can_import_roster, _("名簿を取り込めるのは、学校の管理者か教育委員会の管理者です。")
    )
    form = RosterUploadForm(actor, request.POST or None, request.FILES or None)
    # ``?school=<id>&year=2026`` (from the school's page) preselects both.
    chosen_school = actor.manageable_schools().filter(pk=_id(request.GET.get("school"))).first()
    named = queries.school_year_for(request.GET["year"]) if request.GET.get("year") else None
    chosen_year = queries.open_years().filter(pk=named.pk).first() if named else None
    done = ""
    if request.method == "GET":
        if chosen_school is not None:
            form.initial["school"] = chosen_school.pk
        if chosen_year is not None:
            form.initial["year"] = chosen_year.pk
        # ``?done=<job>``: the page a committed import job ends on says what it did.
        done = _committed_message(actor, request.GET.get("done"))
    if request.method == "POST" and form.is_valid():
        school, year = form.cleaned_data["school"], form.cleaned_data["year"]
        actor.require_roster_import(school.pk)
        upload = form.cleaned_data["file"]
        create_classes = form.cleaned_data["create_classes"]
        if upload.size > imports.ROSTER_LIMITS.max_bytes:
            form.add_error(
                "file",
                f"ファイルが大きすぎます（{upload.size / 1024 / 1024:.1f}MB）。"
                f"{imports.ROSTER_LIMITS.describe()}。",
            )
        elif background.runs_as_job(data := upload.read()):
            from schools import jobs as schools_jobs

            token = store.put(data, by=actor, kind=ROSTER_UPLOAD, filename=upload.name)
            job = schools_jobs.start_roster_import(
                schools_jobs.ROSTER_PREVIEW,
                school,
                year,
                by=actor,
                upload=token,
                filename=upload.name,
                create_classes=create_classes,
            )
            return redirect("schools_io:import-roster-job", job_id=job.pk)
        else:
            plan = imports.plan_roster_import(
                school, year, data, filename=upload.name, create_classes=create_classes
            )
            if plan.result is None:  # the file as a whole was refused
                for error in plan.file_errors:
                    form.add_error("file", str(error))
            else:
                token = (
                    store.put(data, by=actor, kind=ROSTER_UPLOAD, filename=upload.name)
                    if plan.ok
                    else ""
                )
                snapshot = plan.snapshot(PREVIEW_LIST_LIMIT)
                return render(
                    request,
                    "schools/import_preview.html",
                    _preview_context(snapshot, school, year, token, create_classes),
                )
    return _upload_page(request, form, chosen_school, chosen_year, done)


def _preview_context(
    snapshot: dict, school: School, year: SchoolYear, token: str, create_classes: bool
) -> dict:
    """The preview page's context from a plan's snapshot (made in the request or by a job:
    the page is the same either way)."""

    def rows(items: list[dict]) -> list[dict]:
        return [
            {
                **r,
                "values": {
                    **r["values"],
                    "birth_date": dt.date.fromisoformat(r["values"]["birth_date"])
                    if r["values"].get("birth_date")
                    else None,
                },
            }
            for r in items
        ]

    errors = [error_from(e) for e in snapshot["errors"]]
    return {
        "plan": {
            "school": school,
            "year": year,
            "filename": snapshot["filename"],
            "result": {
                "sheet": snapshot["sheet"],
                "header_row": snapshot["header_row"],
                "other_sheets": snapshot["other_sheets"],
            },
            "new_classes": snapshot["new_classes"],
            "not_in_file": snapshot["not_in_file"],
        },
        "counts": snapshot["counts"],
        "to_create": rows(snapshot["to_create"]),
        "to_update": rows(snapshot["to_update"]),
        "unchanged": rows(snapshot["unchanged"]),
        "limit": PREVIEW_LIST_LIMIT,
        "errors": errors[:ERROR_LIST_LIMIT],
        "error_count": len(errors),
        "error_limit": ERROR_LIST_LIMIT,
        "token": token,
        "fingerprint": snapshot["fingerprint"],
        "create_classes": create_classes,
        "ignored_headers": snapshot["ignored_headers"],
    }


@staff_required
@require_POST
def import_roster_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: commit the previewed file in one transaction, or show why not (nothing written).

    A large file is committed by a job (the same function, the same checks) whose progress
    page ends where this one does."""
    actor = request.actor
    school = get_object_or_404(actor.manageable_schools(), pk=_id(request.POST.get("school")))
    actor.require_roster_import(school.pk)
    year = get_object_or_404(queries.open_years(), pk=_id(request.POST.get("year")))
    back = _roster_back(school, year)
    token = request.POST.get("token", "")
    try:
        data = store.get(token, by=actor, kind=ROSTER_UPLOAD)
    except store.PendingRefused as exc:
        messages.error(request, exc.message)
        return redirect(back)
    create_classes = request.POST.get("create_classes") == "1"
    filename = request.POST.get("filename", "")[:200]
    if background.runs_as_job(data):
        from schools import jobs as schools_jobs

        job = schools_jobs.start_roster_import(
            schools_jobs.ROSTER_COMMIT,
            school,
            year,
            by=actor,
            upload=token,
            filename=filename,
            create_classes=create_classes,
            fingerprint=request.POST.get("fingerprint", ""),
        )
        return redirect("schools_io:import-roster-job", job_id=job.pk)
    try:
        plan = imports.commit_roster_import(
            school,
            year,
            data,
            by=actor,
            filename=filename,
            create_classes=create_classes,
            expected_fingerprint=request.POST.get("fingerprint", ""),
        )
    except imports.ImportRefused as exc:
        return render(
            request, "schools/import_refused.html", {"errors": exc.errors, "back": back}, status=409
        )
    store.discard(token, by=actor, kind=ROSTER_UPLOAD)
    messages.success(request, _roster_done_message(school, year, plan.counts()))
    return redirect(back)


def _roster_back(school: School, year: SchoolYear) -> str:
    return f"{reverse('schools_io:import-roster')}?school={school.pk}&year={year.year}"


# --- a large 名簿 file: its preview and commit as jobs (schools.jobs) ------------------------


def _import_job_or_404(actor: Actor, job_id: int, kinds: tuple[str, ...]):
    """An import job of this person (nobody else's: the preview holds the confirmation), and
    of a page (an API call's job has the API's token: ``/api/v1/jobs/<id>/`` follows it)."""
    from schools import jobs as schools_jobs

    job = jobs.find(job_id)
    if (
        job is None
        or job.kind not in kinds
        or not actor.owns_job(job.requested_by_id)  # type: ignore[attr-defined]
        or schools_jobs.is_api_job(job)
    ):
        raise Http404("処理が見つかりません。")
    return job


def _finished_commit(actor: Actor, job_id: str | None, kind: str):
    """The person's committed import job ``?done=<id>`` names, or None."""
    pk = as_pk(job_id)
    job = jobs.find(pk) if pk else None
    if (
        job is None
        or job.kind != kind
        or not actor.owns_job(job.requested_by_id)  # type: ignore[attr-defined]
        or job.state != job.State.SUCCEEDED
        or "counts" not in (job.result_data or {})
    ):
        return None
    return job


def _committed_message(actor: Actor, job_id: str | None) -> str:
    from schools import jobs as schools_jobs

    job = _finished_commit(actor, job_id, schools_jobs.ROSTER_COMMIT)
    if job is None:
        return ""
    school = School.objects.filter(pk=job.params.get("school_id")).first()
    year = SchoolYear.objects.filter(pk=job.params.get("year_id")).first()
    if school is None or year is None:
        return ""
    return _roster_done_message(school, year, job.result_data["counts"])


def _job_context(job, page: str, status: str, unit: str) -> dict:
    """The jobs' status partial, polled at the import's own address (it reloads at the end)."""
    return {
        "job": job,
        "label": jobs.label_of(job.kind),
        "poll_url": reverse(status, args=[job.pk]),
        "next_url": reverse(page, args=[job.pk]),
        "unit": unit,
    }


def _roster_job_context(request: HttpRequest, job) -> dict:
    return _job_context(
        job, "schools_io:import-roster-job", "schools_io:import-roster-job-status", _("行")
    )


@staff_required
def import_roster_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress of a large file's preview or commit; when it is done, the same preview
    (or refusal, or the import page with its message) as the request would have shown."""
    actor: Actor = request.actor
    from schools import jobs as schools_jobs

    job = _import_job_or_404(actor, job_id, schools_jobs.ROSTER_IMPORTS)
    params = job.params
    school = get_object_or_404(actor.manageable_schools(), pk=_id(str(params.get("school_id"))))
    actor.require_roster_import(school.pk)
    year = get_object_or_404(SchoolYear, pk=_id(str(params.get("year_id"))))
    back = _roster_back(school, year)
    if job.state != job.State.SUCCEEDED:
        return render(
            request,
            "schools/import_job.html",
            {
                **_roster_job_context(request, job),
                "back": back,
                "back_label": _("名簿の取り込みへ戻る"),
                "heading": f"{school.name} {year}",
            },
        )
    result = job.result_data or {}
    if job.kind == schools_jobs.ROSTER_COMMIT:
        if "refused" in result:
            errors = [error_from(e) for e in result["refused"]]
            return render(
                request, "schools/import_refused.html", {"errors": errors, "back": back}, status=409
            )
        return redirect(f"{back}&done={job.pk}")
    if not result.get("read"):  # the file as a whole was refused: the form says why
        form = RosterUploadForm(actor, initial={"school": school.pk, "year": year.pk})
        form.cleaned_data = {}
        for error in result.get("errors", []):
            form.add_error("file", str(error_from(error)))
        return _upload_page(request, form, school, year)
    return render(
        request,
        "schools/import_preview.html",
        _preview_context(
            result, school, year, result.get("token", ""), bool(params.get("create_classes"))
        ),
    )


@staff_required
def import_roster_job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The polled fragment; once the job has ended the page reloads into its result."""
    from schools import jobs as schools_jobs

    job = _import_job_or_404(request.actor, job_id, schools_jobs.ROSTER_IMPORTS)
    return _status_fragment(request, _roster_job_context(request, job))


def _status_fragment(request: HttpRequest, context: dict) -> HttpResponse:
    response = render(request, "schools/jobs/_status.html", context)
    if context["job"].is_finished:
        response["HX-Refresh"] = "true"  # htmx reloads the page: it shows the result
    return response


# --- staff -------------------------------------------------------------------------------


class StaffUploadForm(forms.Form):
    year = forms.ModelChoiceField(
        label="年度",
        queryset=SchoolYear.objects.none(),
        help_text="学校の役割はこの年度に付きます。",
    )
    file = forms.FileField(
        label="教職員ファイル",
        help_text=imports.STAFF_LIMITS.describe(),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.ods,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = queries.open_years()
        current = queries.current_year()
        if current is not None:
            self.fields["year"].initial = current.pk


def _staff_page(request: HttpRequest, form: StaffUploadForm, done: str = "") -> HttpResponse:
    return render(
        request,
        "schools/import_staff.html",
        {
            "form": form,
            "columns": _columns_help(STAFF_COLUMNS),
            "limits": imports.STAFF_LIMITS,
            "done": done,
        },
    )


def _staff_done_message(counts: dict[str, int]) -> str:
    return _(
        "教職員を取り込みました: 新規 {create}名、更新 {update}名、追加した役割 {roles_add}件。"
    ).format(**counts)


def _staff_preview_context(snapshot: dict, year: SchoolYear, token: str) -> dict:
    """The staff preview's context from a plan's snapshot (made in the request or by a job)."""
    errors = [error_from(e) for e in snapshot["errors"]]
    return {
        "plan": {
            "year": year,
            "filename": snapshot["filename"],
            "result": {"sheet": snapshot["sheet"], "other_sheets": snapshot["other_sheets"]},
            "ignored_passwords": snapshot["ignored_passwords"],
            "people": snapshot["people"],
            "roles": snapshot["roles"],
        },
        "counts": snapshot["counts"],
        "errors": errors[:ERROR_LIST_LIMIT],
        "error_count": len(errors),
        "token": token,
        "fingerprint": snapshot["fingerprint"],
    }


@staff_required
def import_staff(request: HttpRequest) -> HttpResponse:
    """教職員の取り込み (BoE administrators): the form, then the preview (a large file: through
    a job's progress page, as for the roster)."""
    actor = request.actor
    actor.require_staff_import()
    form = StaffUploadForm(request.POST or None, request.FILES or None)
    done = ""
    if request.method == "GET":
        from schools import jobs as schools_jobs

        job = _finished_commit(actor, request.GET.get("done"), schools_jobs.STAFF_COMMIT)
        done = _staff_done_message(job.result_data["counts"]) if job is not None else ""
    if request.method == "POST" and form.is_valid():
        year, upload = form.cleaned_data["year"], form.cleaned_data["file"]
        if upload.size > imports.STAFF_LIMITS.max_bytes:
            form.add_error("file", f"ファイルが大きすぎます。{imports.STAFF_LIMITS.describe()}。")
        elif background.runs_as_job(data := upload.read()):
            from schools import jobs as schools_jobs

            token = store.put(data, by=actor, kind=STAFF_UPLOAD, filename=upload.name)
            job = schools_jobs.start_staff_import(
                schools_jobs.STAFF_PREVIEW, year, by=actor, upload=token, filename=upload.name
            )
            return redirect("schools_io:import-staff-job", job_id=job.pk)
        else:
            plan = imports.plan_staff_import(year, data, filename=upload.name)
            if plan.result is None:
                for error in plan.file_errors:
                    form.add_error("file", str(error))
            else:
                token = (
                    store.put(data, by=actor, kind=STAFF_UPLOAD, filename=upload.name)
                    if plan.ok
                    else ""
                )
                return render(
                    request,
                    "schools/import_staff_preview.html",
                    _staff_preview_context(plan.snapshot(), year, token),
                )
    return _staff_page(request, form, done)


@staff_required
@require_POST
def import_staff_confirm(request: HttpRequest) -> HttpResponse:
    """Commit the previewed staff file; through a job when the file is large or when it sets
    more than ``AI_IMPORT_JOB_PASSWORDS`` initial passwords (each a slow hash)."""
    actor = request.actor
    actor.require_staff_import()
    year = get_object_or_404(queries.open_years(), pk=_id(request.POST.get("year")))
    token = request.POST.get("token", "")
    try:
        data = store.get(token, by=actor, kind=STAFF_UPLOAD)
    except store.PendingRefused as exc:
        messages.error(request, exc.message)
        return redirect("schools_io:import-staff")
    filename = request.POST.get("filename", "")[:200]
    fingerprint = request.POST.get("fingerprint", "")
    if background.runs_as_job(data) or (
        imports.plan_staff_import(year, data).passwords_to_set > settings.AI_IMPORT_JOB_PASSWORDS
    ):
        from schools import jobs as schools_jobs

        job = schools_jobs.start_staff_import(
            schools_jobs.STAFF_COMMIT,
            year,
            by=actor,
            upload=token,
            filename=filename,
            fingerprint=fingerprint,
        )
        return redirect("schools_io:import-staff-job", job_id=job.pk)
    try:
        plan = imports.commit_staff_import(
            year, data, by=actor, filename=filename, expected_fingerprint=fingerprint
        )
    except imports.ImportRefused as exc:
        back = reverse("schools_io:import-staff")
        return render(
            request, "schools/import_refused.html", {"errors": exc.errors, "back": back}, status=409
        )
    store.discard(token, by=actor, kind=STAFF_UPLOAD)
    messages.success(request, _staff_done_message(plan.counts()))
    return redirect("schools_io:import-staff")


def _staff_job_context(job) -> dict:
    return _job_context(
        job, "schools_io:import-staff-job", "schools_io:import-staff-job-status", _("件")
    )


@staff_required
def import_staff_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress of a staff preview or commit job, then its result (as in the request)."""
    from schools import jobs as schools_jobs

    actor: Actor = request.actor
    actor.require_staff_import()
    job = _import_job_or_404(actor, job_id, schools_jobs.STAFF_IMPORTS)
    year = get_object_or_404(SchoolYear, pk=_id(str(job.params.get("year_id"))))
    back = reverse("schools_io:import-staff")
    if job.state != job.State.SUCCEEDED:
        return render(
            request,
            "schools/import_job.html",
            {
                **_staff_job_context(job),
                "back": back,
                "back_label": _("教職員の取り込みへ戻る"),
                "heading": str(year),
            },
        )
    result = job.result_data or {}
    if job.kind == schools_jobs.STAFF_COMMIT:
        if "refused" in result:
            errors = [error_from(e) for e in result["refused"]]
            return render(
                request, "schools/import_refused.html", {"errors": errors, "back": back}, status=409
            )
        return redirect(f"{back}?done={job.pk}")
    if not result.get("read"):
        form = StaffUploadForm(initial={"year": year.pk})
        form.cleaned_data = {}
        for error in result.get("errors", []):
            form.add_error("file", str(error_from(error)))
        return _staff_page(request, form)
    return render(
        request,
        "schools/import_staff_preview.html",
        _staff_preview_context(result, year, result.get("token", "")),
    )


@staff_required
def import_staff_job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    from schools import jobs as schools_jobs

    request.actor.require_staff_import()
    job = _import_job_or_404(request.actor, job_id, schools_jobs.STAFF_IMPORTS)
    return _status_fragment(request, _staff_job_context(job))


# --- exports -------------------------------------------------------------------------------


@staff_required
def export_class(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """学級名簿 (.xlsx) of a class the actor can see; other schools' classes are 404."""
    classroom = request.actor.classroom_or_404(classroom_id)
    book, filename = excel.class_roster_workbook(classroom)
    # Who took a copy of pupils' personal data, and when (情報セキュリティポリシー: access logs).
    audit.record_export(
        request.actor, "schools.class_roster.export", classroom, school=classroom.school
    )
    return book.response(filename)


@staff_required
def export_school(request: HttpRequest, school_id: int) -> HttpResponse:
    """全校名簿 (.xlsx) of one school and year (``?year=2026``, default the current year)."""
    school = request.actor.school_or_404(school_id)
    request.actor.require(
        request.actor.reads_whole_school(school.pk), "全校名簿を出力する権限がありません。"
    )
    year = _year_or_404(request.GET.get("year"))
    book, filename = excel.school_roster_workbook(school, year)
    audit.record_export(
        request.actor,
        "schools.school_roster.export",
        school,
        school=school,
        params={"year": year.year},
    )
    return book.response(filename)


@staff_required
def export_staff(request: HttpRequest) -> HttpResponse:
    """教職員一覧 (.xlsx): the whole municipality for the BoE, or ``?school=<id>`` for its admin.

    ``?year=2026`` limits the roles to that year (a school's list: the current year by default).
    """
    actor = request.actor
    school = actor.school_or_404(request.GET["school"]) if request.GET.get("school") else None
    actor.require(actor.can_export_staff(school.pk if school else None))
    if school is None and (answer := step_up(request)) is not None:
        return answer  # the whole municipality's list: the password or a code again
    year = _year_or_404(request.GET.get("year")) if (request.GET.get("year") or school) else None
    book, filename = excel.staff_workbook(year, school)
    audit.record_export(
        request.actor,
        "schools.staff_list.export",
        school,
        school=school,
        target_type="schools.staff" if school is None else "",
    )
    return book.response(filename)


# --- leaving with all the data (schools/leaving/) ---------------------------------------------


@staff_required
def export_all(request: HttpRequest) -> HttpResponse:
    """全データの書き出し: the page says what the download holds (GET); a POST starts the job
    (after the password or a code again) whose page shows its progress and then the file."""
    from schools import jobs as schools_jobs

    actor: Actor = request.actor
    actor.require(actor.can_take_all_data, "全データの書き出しは教育委員会の管理者のみができます。")
    if request.method == "POST":
        if (answer := step_up(request)) is not None:
            return answer
        job = schools_jobs.start_municipality_data(by=actor)
        return redirect("jobs:detail", job_id=job.pk)
    earlier = [j for j in jobs.recent(limit=50) if j.kind == schools_jobs.MUNICIPALITY_DATA][:5]
    return render(request, "schools/export_all.html", {"earlier": earlier})
