"""The platform operators' pages (public host): municipalities, never pupils' records."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tenants import provisioning, readonly
from tenants.access import operator_required
from tenants.backups.service import retire
from tenants.forms import DeleteForm, MunicipalityForm
from tenants.models import Domain, Municipality, PlatformEvent


def _municipalities():
    return Municipality.objects.exclude(schema_name="public").prefetch_related(
        Prefetch("domains", queryset=Domain.objects.filter(is_primary=True))
    )


@operator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tenants/dashboard.html",
        {
            "municipalities": _municipalities(),
            "events": PlatformEvent.objects.all()[:20],
        },
    )


@operator_required
def create(request: HttpRequest) -> HttpResponse:
    form = MunicipalityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            municipality = provisioning.provision(form.new, actor=request.user.get_username())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request,
                f"{municipality.name} を作成しました (https://{provisioning.host_for(form.cleaned_data['subdomain'])}/)。",
            )
            return redirect("home")
    return render(request, "tenants/create.html", {"form": form})


@operator_required
@require_POST
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(_municipalities(), pk=pk)
    provisioning.set_active(municipality, False, actor=request.user.get_username())
    messages.warning(
        request, f"{municipality.name} の利用を停止しました。データは保持されています。"
    )
    return redirect("home")


@operator_required
@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(_municipalities(), pk=pk)
    provisioning.set_active(municipality, True, actor=request.user.get_username())
    messages.success(request, f"{municipality.name} の利用を再開しました。")
    return redirect("home")


@operator_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(_municipalities(), pk=pk)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # --- backup (issue 13): deleting is recoverable (final backup, purge later) ---
            retire(
                municipality,
                confirm_schema=form.cleaned_data["confirm_schema"],
                actor=request.user.get_username(),
            )
        except ValidationError as exc:
            form.add_error("confirm_schema", exc.messages[0])
        else:
            messages.success(
                request,
                f"{municipality.name} (スキーマ {municipality.schema_name}) を削除しました。"
                f"{municipality.purge_after:%Y-%m-%d} までは「元に戻す」で復旧できます。",
            )
            return redirect("home")
    return render(
        request,
        "tenants/delete.html",
        # "target", not "municipality": the header would take it for the current host's
        {"target": municipality, "form": form, "grace_days": settings.AI_DELETE_GRACE_DAYS},
    )


# --- read-only mode (tenants.readonly) ------------------------------------------------------


@operator_required
@require_POST
def read_only(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Switch read-only mode on or off for one municipality (``pk``) or all of them."""
    on = request.POST.get("state") == "on"
    reason = request.POST.get("reason", "")
    if pk is None:
        targets = list(_municipalities())
        label = "すべての自治体"
    else:
        municipality = get_object_or_404(_municipalities(), pk=pk)
        targets, label = [municipality], municipality.name
    try:
        readonly.set_read_only(targets, on, reason=reason, actor=request.user.get_username())
    except readonly.ReadOnlyRefused as exc:
        messages.error(request, str(exc))
    else:
        if on:
            messages.warning(
                request, f"{label}を読み取り専用にしました。閲覧はでき、書き込みは拒否されます。"
            )
        else:
            messages.success(request, f"{label}の読み取り専用を解除しました。")
    return redirect("home")


# --- end read-only mode ---------------------------------------------------------------------
