"""The operators' backup pages (public host): the dashboard, back up now, restore, undelete, purge.

Kept apart from ``tenants/views.py``; every action goes to ``tenants.backups.service``, which
records its ``PlatformEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenants.access import operator_required
from tenants.backups import archive, service
from tenants.backups import storage as storages
from tenants.backups.archive import Refused
from tenants.models import Backup, Municipality


class ConfirmForm(forms.Form):
    confirm_schema = forms.CharField(label="スキーマ名", max_length=63)


class SubdomainForm(forms.Form):
    subdomain = forms.CharField(
        label="復元先のサブドメイン", max_length=31, help_text="例: kofu-restore (既存と別の名前)"
    )


@dataclass
class Row:
    schema_name: str
    name: str
    code: str
    municipality: Municipality | None
    last_ok: Backup | None
    failures: list[Backup]
    stale: bool
    age: timedelta | None


def _rows(now: datetime) -> list[Row]:
    stale_after = timedelta(hours=settings.AI_BACKUP_STALE_HOURS)
    since = now - timedelta(days=7)
    municipalities = {m.schema_name: m for m in service.municipalities()}
    backups = Backup.objects.filter(Q(status=Backup.Status.OK) | Q(started_at__gte=since))
    by_schema: dict[str, list[Backup]] = {}
    for b in backups:  # newest first
        by_schema.setdefault(b.schema_name, []).append(b)
    rows = []
    for schema in [*municipalities, *sorted(set(by_schema) - set(municipalities))]:
        m = municipalities.get(schema)
        mine = by_schema.get(schema, [])
        last_ok = next((b for b in mine if b.status == Backup.Status.OK), None)
        age = now - last_ok.started_at if last_ok else None
        rows.append(
            Row(
                schema_name=schema,
                name=m.name if m else (mine[0].name if mine else ""),
                code=(m.code if m else mine[0].code if mine else "") or "",
                municipality=m,
                last_ok=last_ok,
                failures=[
                    b for b in mine if b.status == Backup.Status.FAILED and b.started_at >= since
                ][:3],
                # A purged municipality needs no new backup; every other one does.
                stale=m is not None and (age is None or age > stale_after),
                age=age,
            )
        )
    return rows


@operator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = _rows(now)
    return render(
        request,
        "tenants/backups/dashboard.html",
        {
            "rows": rows,
            "stale_count": sum(r.stale for r in rows),
            "stale_hours": settings.AI_BACKUP_STALE_HOURS,
            "grace_days": settings.AI_DELETE_GRACE_DAYS,
            "backup_dir": settings.AI_BACKUP_DIR,
        },
    )


@operator_required
def history(request: HttpRequest, schema: str) -> HttpResponse:
    backups = Backup.objects.filter(schema_name=schema)[:100]
    if not backups and not Municipality.objects.filter(schema_name=schema).exists():
        return redirect("backups")
    return render(
        request,
        "tenants/backups/history.html",
        {
            "schema": schema,
            # not "municipality": the header shows that one as the current host's
            "target": Municipality.objects.filter(schema_name=schema).first(),
            "backups": backups,
        },
    )


@operator_required
@require_POST
def backup_now(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(Municipality.objects.exclude(schema_name="public"), pk=pk)
    record = service.backup(
        municipality, kind=Backup.Kind.MANUAL, actor=request.user.get_username()
    )
    if record.status == Backup.Status.OK:
        messages.success(
            request,
            f"{municipality.name} をバックアップしました ({record.size / 1_000_000:.1f} MB)。",
        )
    else:
        messages.error(
            request, f"{municipality.name} のバックアップに失敗しました: {record.error[:300]}"
        )
    return redirect(request.POST.get("next") == "home" and "home" or "backups")


def _ok_backup(pk: int) -> Backup:
    return get_object_or_404(Backup, pk=pk, status=Backup.Status.OK)


@operator_required
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Restore in place: the page names what is replaced and compares row counts."""
    backup = _ok_backup(pk)
    form = ConfirmForm(request.POST or None)
    manifest: dict = {}
    refusal = ""
    store = storages.default()
    if store.exists(backup.file):
        with store.local_copy(backup.file) as path:
            try:
                manifest = archive.verify(path).manifest
            except Refused as exc:
                refusal = str(exc)
    else:
        refusal = f"バックアップファイル {backup.file} が見つかりません。"
    if request.method == "POST" and form.is_valid() and not refusal:
        try:
            done = service.restore_in_place(
                backup,
                confirm_schema=form.cleaned_data["confirm_schema"].strip(),
                actor=request.user.get_username(),
            )
        except Refused as exc:
            form.add_error("confirm_schema", str(exc))
        except RuntimeError as exc:  # pg_restore/psql: nothing was changed (one transaction)
            form.add_error(None, f"復元に失敗しました。現在のデータは変更されていません ({exc})。")
        else:
            messages.success(
                request,
                f"{done.municipality.name} を {timezone.localtime(backup.started_at):%Y-%m-%d %H:%M}"
                f" の状態に復元しました ({done.seconds:.1f} 秒)。",
            )
            return redirect("backups")
    current = service.row_counts(backup.schema_name)
    backed = manifest.get("row_counts", {})
    tables = [(t, backed.get(t), current.get(t)) for t in sorted(set(backed) | set(current))]
    return render(
        request,
        "tenants/backups/restore.html",
        {
            "backup": backup,
            "target": Municipality.objects.filter(schema_name=backup.schema_name).first(),
            "form": form,
            "refusal": refusal,
            "tables": [row for row in tables if row[1] or row[2]],
            "changed": [row for row in tables if row[1] != row[2]],
            "totals": (sum(backed.values()), sum(current.values())),
        },
    )


@operator_required
def restore_new(request: HttpRequest, pk: int) -> HttpResponse:
    backup = _ok_backup(pk)
    form = SubdomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = service.restore_as_new(
                backup, subdomain=form.cleaned_data["subdomain"], actor=request.user.get_username()
            )
        except Refused as exc:
            form.add_error("subdomain", str(exc))
        except RuntimeError as exc:
            form.add_error(None, f"復元に失敗しました。何も作成されていません ({exc})。")
        else:
            host = done.municipality.domains.get().domain
            messages.success(
                request, f"{done.municipality.name} を https://{host}/ に復元しました。"
            )
            return redirect("backups")
    return render(request, "tenants/backups/restore_new.html", {"backup": backup, "form": form})


@operator_required
@require_POST
def undelete(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(Municipality.objects.exclude(schema_name="public"), pk=pk)
    try:
        service.bring_back(municipality, actor=request.user.get_username())
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{municipality.name} を元に戻しました。利用を再開しています。")
    return redirect("home")


@operator_required
def purge(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(
        Municipality.objects.exclude(schema_name="public").filter(deleted_at__isnull=False), pk=pk
    )
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.purge(
                municipality,
                confirm_schema=form.cleaned_data["confirm_schema"].strip(),
                actor=request.user.get_username(),
            )
        except ValidationError as exc:
            form.add_error("confirm_schema", exc.messages[0])
        else:
            messages.success(
                request,
                f"{municipality.name} (スキーマ {municipality.schema_name}) を完全に削除しました。"
                "削除前のバックアップから復元できます。",
            )
            return redirect("home")
    final = Backup.objects.filter(
        schema_name=municipality.schema_name, kind=Backup.Kind.FINAL, status=Backup.Status.OK
    ).first()
    return render(
        request,
        "tenants/backups/purge.html",
        {"target": municipality, "form": form, "final": final},
    )
