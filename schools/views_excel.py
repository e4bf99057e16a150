"""Excel in and out for the roster: upload -> preview -> confirm, and the printed exports.

Thin views: they parse the request, ask ``request.actor`` (schools.permissions),
and call ``schools.imports`` (writes) or ``schools.excel`` (exports).
Objects of a school the actor cannot see answer 404, so their existence does not leak.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schools import audit, excel, imports
from schools.excel import ROSTER_COLUMNS, STAFF_COLUMNS
from schools.models import School, SchoolYear
from schools.permissions import Actor, staff_required

PREVIEW_LIST_LIMIT = 200  # rows listed per section of the preview (all are counted)
ERROR_LIST_LIMIT = 500


def _id(value: str | None) -> int:
    """A primary key from a query string or form; anything else finds nothing (404, not 500)."""
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


def _manageable_schools(actor: Actor):
    schools = actor.schools().filter(is_active=True)
    return schools if actor.is_boe_admin else schools.filter(pk__in=actor.admin_school_ids)


def _open_years():
    return SchoolYear.objects.exclude(state=SchoolYear.State.ARCHIVED).order_by("-year")


class RosterUploadForm(forms.Form):
    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none())
    year = forms.ModelChoiceField(label="年度", queryset=SchoolYear.objects.none())
    file = forms.FileField(
        label="名簿ファイル",
        help_text=imports.ROSTER_LIMITS.describe(),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    create_classes = forms.BooleanField(
        label="ファイルにあって未登録の学級を作成する",
        required=False,
        help_text="チェックしない場合、登録されていない学級はエラーになります。",
    )

    def __init__(self, actor: Actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = _manageable_schools(actor)
        self.fields["year"].queryset = _open_years()
        current = _open_years().filter(state=SchoolYear.State.CURRENT).first()
        if current is not None:
            self.fields["year"].initial = current.pk


def _columns_help(columns=ROSTER_COLUMNS) -> list[dict]:
    return [
        {"label": c.label, "aliases": "、".join(c.aliases), "required": c.required} for c in columns
    ]


@staff_required
def import_roster(request: HttpRequest) -> HttpResponse:
    """Step 1 (GET: the form) and step 2 (POST: the preview; nothing is written)."""
    actor = request.actor
    if not (actor.is_boe_admin or actor.admin_school_ids):
        actor.require(False, _("名簿を取り込めるのは、学校の管理者か教育委員会の管理者です。"))
    form = RosterUploadForm(actor, request.POST or None, request.FILES or None)
    if request.method == "GET":
        for name in ("school", "year"):
            if _id(request.GET.get(name)):
                form.initial[name] = _id(request.GET.get(name))
    if request.method == "POST" and form.is_valid():
        school, year = form.cleaned_data["school"], form.cleaned_data["year"]
        imports.require_import_permission(actor, school)
        upload = form.cleaned_data["file"]
        if upload.size > imports.ROSTER_LIMITS.max_bytes:
            form.add_error(
                "file",
                f"ファイルが大きすぎます（{upload.size / 1024 / 1024:.1f}MB）。"
                f"{imports.ROSTER_LIMITS.describe()}。",
            )
        else:
            data = upload.read()
            plan = imports.plan_roster_import(
                school,
                year,
                data,
                filename=upload.name,
                create_classes=form.cleaned_data["create_classes"],
            )
            if plan.result is None:  # the file as a whole was refused
                for error in plan.file_errors:
                    form.add_error("file", str(error))
            else:
                token = imports.store_pending(data) if plan.ok else ""
                return render(
                    request,
                    "schools/import_preview.html",
                    _preview_context(plan, token, form.cleaned_data["create_classes"]),
                )
    chosen_school = _manageable_schools(actor).filter(pk=_id(request.GET.get("school"))).first()
    chosen_year = _open_years().filter(pk=_id(request.GET.get("year"))).first()
    return render(
        request,
        "schools/import_roster.html",
        {
            "form": form,
            "columns": _columns_help(),
            "limits": imports.ROSTER_LIMITS,
            "chosen_school": chosen_school,
            "chosen_year": chosen_year,
        },
    )


def _preview_context(plan: imports.RosterPlan, token: str, create_classes: bool) -> dict:
    errors = plan.errors
    return {
        "plan": plan,
        "counts": plan.counts(),
        "to_create": plan.to_create[:PREVIEW_LIST_LIMIT],
        "to_update": plan.to_update[:PREVIEW_LIST_LIMIT],
        "unchanged": plan.unchanged[:PREVIEW_LIST_LIMIT],
        "limit": PREVIEW_LIST_LIMIT,
        "errors": errors[:ERROR_LIST_LIMIT],
        "error_count": len(errors),
        "error_limit": ERROR_LIST_LIMIT,
        "token": token,
        "fingerprint": plan.fingerprint() if plan.ok else "",
        "create_classes": create_classes,
        "ignored_headers": plan.result.ignored_headers if plan.result else [],
    }


@staff_required
@require_POST
def import_roster_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: commit the previewed file in one transaction, or show why not (nothing written)."""
    actor = request.actor
    school = get_object_or_404(_manageable_schools(actor), pk=_id(request.POST.get("school")))
    imports.require_import_permission(actor, school)
    year = get_object_or_404(_open_years(), pk=_id(request.POST.get("year")))
    token = request.POST.get("token", "")
    data = imports.load_pending(token)
    if data is None:
        messages.error(
            request,
            _(
                "読み込んだファイルが見つかりません（期限切れです）。もう一度ファイルを選んでください。"
            ),
        )
        return redirect(f"{reverse('schools_io:import-roster')}?school={school.pk}&year={year.pk}")
    create_classes = request.POST.get("create_classes") == "1"
    try:
        plan = imports.commit_roster_import(
            request.user,
            actor,
            school,
            year,
            data,
            filename=request.POST.get("filename", "")[:200],
            create_classes=create_classes,
            expected_fingerprint=request.POST.get("fingerprint", ""),
        )
    except imports.ImportRefused as exc:
        back = f"{reverse('schools_io:import-roster')}?school={school.pk}&year={year.pk}"
        return render(
            request, "schools/import_refused.html", {"errors": exc.errors, "back": back}, status=409
        )
    imports.discard_pending(token)
    counts = plan.counts()
    messages.success(
        request,
        _(
            "名簿を取り込みました（{school} {year}）: 新規 {create}名、更新 {update}名、変更なし {unchanged}名。"
        ).format(school=school.name, year=year, **counts),
    )
    return redirect(f"{reverse('schools_io:import-roster')}?school={school.pk}&year={year.pk}")


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
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = _open_years()
        current = _open_years().filter(state=SchoolYear.State.CURRENT).first()
        if current is not None:
            self.fields["year"].initial = current.pk


@staff_required
def import_staff(request: HttpRequest) -> HttpResponse:
    """教職員の取り込み (BoE administrators): the form, then the preview."""
    imports.require_staff_import_permission(request.actor)
    form = StaffUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        year, upload = form.cleaned_data["year"], form.cleaned_data["file"]
        if upload.size > imports.STAFF_LIMITS.max_bytes:
            form.add_error("file", f"ファイルが大きすぎます。{imports.STAFF_LIMITS.describe()}。")
        else:
            data = upload.read()
            plan = imports.plan_staff_import(year, data, filename=upload.name)
            if plan.result is None:
                for error in plan.file_errors:
                    form.add_error("file", str(error))
            else:
                errors = plan.errors
                return render(
                    request,
                    "schools/import_staff_preview.html",
                    {
                        "plan": plan,
                        "counts": plan.counts(),
                        "errors": errors[:ERROR_LIST_LIMIT],
                        "error_count": len(errors),
                        "token": imports.store_pending(data) if plan.ok else "",
                        "fingerprint": plan.fingerprint() if plan.ok else "",
                    },
                )
    return render(
        request,
        "schools/import_staff.html",
        {
            "form": form,
            "columns": _columns_help(STAFF_COLUMNS),
            "limits": imports.STAFF_LIMITS,
        },
    )


@staff_required
@require_POST
def import_staff_confirm(request: HttpRequest) -> HttpResponse:
    imports.require_staff_import_permission(request.actor)
    year = get_object_or_404(_open_years(), pk=_id(request.POST.get("year")))
    token = request.POST.get("token", "")
    data = imports.load_pending(token)
    if data is None:
        messages.error(request, _("読み込んだファイルが見つかりません。もう一度選んでください。"))
        return redirect("schools_io:import-staff")
    try:
        plan = imports.commit_staff_import(
            request.user,
            request.actor,
            year,
            data,
            filename=request.POST.get("filename", "")[:200],
            expected_fingerprint=request.POST.get("fingerprint", ""),
        )
    except imports.ImportRefused as exc:
        back = reverse("schools_io:import-staff")
        return render(
            request, "schools/import_refused.html", {"errors": exc.errors, "back": back}, status=409
        )
    imports.discard_pending(token)
    messages.success(
        request,
        _(
            "教職員を取り込みました: 新規 {create}名、更新 {update}名、追加した役割 {roles_add}件。"
        ).format(**plan.counts()),
    )
    return redirect("schools_io:import-staff")


# --- exports -------------------------------------------------------------------------------


@staff_required
def export_class(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """学級名簿 (.xlsx) of a class the actor can see; other schools' classes are 404."""
    classroom = get_object_or_404(request.actor.classrooms(), pk=classroom_id)
    request.actor.require(request.actor.can_view_classroom(classroom))
    book, filename = excel.class_roster_workbook(classroom)
    # Who took a copy of pupils' personal data, and when (情報セキュリティポリシー: access logs).
    audit.record_export(
        request.actor, "schools.class_roster.export", classroom, school=classroom.school
    )
    return book.response(filename)


def _year_from(request: HttpRequest) -> SchoolYear:
    if request.GET.get("year"):
        return get_object_or_404(SchoolYear, pk=_id(request.GET["year"]))
    year = SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()
    if year is None:
        raise Http404("現年度がありません。")
    return year


@staff_required
def export_school(request: HttpRequest, school_id: int) -> HttpResponse:
    """全校名簿 (.xlsx) of one school and year (``?year=<id>``, default the current year)."""
    school = get_object_or_404(request.actor.schools(), pk=school_id)
    request.actor.require(request.actor.can_view_school(school.pk))
    year = _year_from(request)
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
    """教職員一覧 (.xlsx): the whole municipality for the BoE, or ``?school=<id>`` for its admin."""
    actor = request.actor
    school = None
    if request.GET.get("school"):
        school = get_object_or_404(actor.schools(), pk=_id(request.GET["school"]))
        actor.require(actor.can_manage_school(school.pk) or actor.sees_whole_municipality)
    else:
        actor.require(actor.sees_whole_municipality)
    year = _year_from(request) if (request.GET.get("year") or school) else None
    book, filename = excel.staff_workbook(year, school)
    audit.record_export(
        request.actor,
        "schools.staff_list.export",
        school,
        school=school,
        target_type="schools.staff" if school is None else "",
    )
    return book.response(filename)
