"""Roster work that runs as a job (tenants.jobs): the municipality's whole data, to take away;
the preview and the commit of a large 名簿 file."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from schools import audit
from schools.imports import roster, staff, store
from schools.imports.base import ImportRefused, error_data
from schools.leaving import bundle
from schools.models import School, SchoolYear
from schools.permissions import Actor, actor_for_user
from tenants import jobs

MUNICIPALITY_DATA = "schools.municipality_data"


def start_municipality_data(*, by: Actor):
    """Queue the download of all the municipality's data (board administrators only)."""
    by.require(by.can_take_all_data, bundle.BOARD_ADMIN_ONLY)
    return jobs.enqueue(
        MUNICIPALITY_DATA,
        requested_by_id=by.user_id,
        requested_by_name=audit.display_name(by),
        params={"requested_at": timezone.now().isoformat()},
    )


@jobs.kind(MUNICIPALITY_DATA, label="全データの書き出し (表計算・CSV・OneRoster)")
def municipality_data(ctx, params: dict[str, Any]) -> jobs.FileResult:
    # Asked again when it runs: a role taken away while the job waited counts.
    user = get_user_model().objects.filter(pk=ctx.requested_by_id).first()
    by = actor_for_user(user)
    by.require(by.can_take_all_data, bundle.BOARD_ADMIN_ONLY)
    municipality = bundle.current_municipality()
    # Spooled: a small municipality stays in memory, a large one goes to a temporary file.
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as target:
        summary = bundle.write_bundle(
            target, by=by, municipality=municipality, progress=ctx.progress
        )
        target.seek(0)
        content = target.read()
    today = dt.date.today().strftime("%Y%m%d")
    return jobs.FileResult(
        content,
        f"全データ_{municipality.get('name', '')}_{today}.zip",
        "application/zip",
        data={**summary, "bytes": len(content)},
    )


# --- 名簿の取り込み of a large file: the preview and the commit as jobs --------------------
# The same plan and commit as in the request (schools.imports.roster); the file waits in the
# pending-upload store, for its owner only, as between a preview and its confirmation.

ROSTER_PREVIEW = "schools.roster_import_preview"
ROSTER_COMMIT = "schools.roster_import_commit"
ROSTER_IMPORTS = (ROSTER_PREVIEW, ROSTER_COMMIT)


def start_roster_import(
    step: str,
    school: School,
    year: SchoolYear,
    *,
    by: Actor,
    upload: str,
    filename: str,
    create_classes: bool,
    fingerprint: str = "",
    api: dict[str, Any] | None = None,
):
    """Queue the preview (``ROSTER_PREVIEW``) or the commit (``ROSTER_COMMIT``) of the file
    kept under ``upload`` for ``by``.

    ``api`` (the API's call, see ``_api_params``): the pending upload's kind, the rows its
    preview lists, what its token names; the job is then followed at ``/api/v1/jobs/<id>/``."""
    by.require_roster_import(school.pk)
    return jobs.enqueue(
        step,
        requested_by_id=by.user_id,
        requested_by_name=audit.display_name(by),
        params={
            "school_id": school.pk,
            "year_id": year.pk,
            "upload": upload,
            "filename": filename[:200],
            "create_classes": create_classes,
            "fingerprint": fingerprint,
            **_api_params(api),
        },
    )


def _api_params(api: dict[str, Any] | None) -> dict[str, Any]:
    """An API call's job: ``{"api": {"upload_kind": ..., "rows": ..., "target": [...]}}``."""
    if api is None:
        return {}
    return {"api": {"upload_kind": str(api["upload_kind"]), **api}}


def is_api_job(job) -> bool:
    """Whether ``job`` was started through the API (its preview and token are the API's)."""
    return isinstance((job.params or {}).get("api"), dict)


def _upload_kind(params: dict[str, Any], default: str) -> str:
    api = params.get("api")
    return str(api.get("upload_kind") or default) if isinstance(api, dict) else default


def _preview_rows(params: dict[str, Any]) -> int:
    api = params.get("api")
    rows = api.get("rows") if isinstance(api, dict) else None
    return int(rows) if isinstance(rows, int) and 0 < rows <= 10_000 else roster.PREVIEW_ROWS


def _roster_import_target(ctx, params: dict[str, Any]) -> tuple[Actor, School, SchoolYear, bytes]:
    # Asked again when it runs: a role taken away while the job waited counts.
    by = actor_for_user(get_user_model().objects.filter(pk=ctx.requested_by_id).first())
    school = School.objects.filter(pk=params.get("school_id")).first()
    year = SchoolYear.objects.filter(pk=params.get("year_id")).first()
    if school is None or year is None:
        raise jobs.JobError("取り込む学校か年度が見つかりません (削除された可能性があります)。")
    by.require_roster_import(school.pk)
    try:
        data = store.get(
            params.get("upload", ""), by=by, kind=_upload_kind(params, roster.UPLOAD_KIND)
        )
    except store.PendingRefused as refused:
        raise jobs.JobError(refused.message) from refused
    return by, school, year, data


@jobs.kind(ROSTER_PREVIEW, label="名簿の取り込み（読み込みと確認）")
def roster_import_preview(ctx, params: dict[str, Any]) -> dict[str, Any]:
    by, school, year, data = _roster_import_target(ctx, params)
    plan = roster.plan_roster_import(
        school,
        year,
        data,
        filename=params.get("filename", ""),
        create_classes=bool(params.get("create_classes")),
        progress=ctx.progress,
    )
    token = params["upload"]
    if not plan.ok:  # as in the request: a file with errors is not kept for a confirmation
        store.discard(token, by=by, kind=_upload_kind(params, roster.UPLOAD_KIND))
        token = ""
    return {**plan.snapshot(_preview_rows(params)), "token": token}


@jobs.kind(ROSTER_COMMIT, label="名簿の取り込み（登録）")
def roster_import_commit(ctx, params: dict[str, Any]) -> dict[str, Any]:
    by, school, year, data = _roster_import_target(ctx, params)
    try:
        plan = roster.commit_roster_import(
            school,
            year,
            data,
            by=by,
            filename=params.get("filename", ""),
            create_classes=bool(params.get("create_classes")),
            expected_fingerprint=params.get("fingerprint", ""),
            progress=ctx.progress,
        )
    except ImportRefused as exc:  # nothing written; the page lists why, as in the request
        return {"refused": [error_data(e) for e in exc.errors]}
    store.discard(params["upload"], by=by, kind=_upload_kind(params, roster.UPLOAD_KIND))
    return {"counts": plan.counts()}


# --- 教職員の取り込み: a large file, or many new accounts with an initial password (one hash
# each, about a second), runs as jobs the same way.

STAFF_PREVIEW = "schools.staff_import_preview"
STAFF_COMMIT = "schools.staff_import_commit"
STAFF_IMPORTS = (STAFF_PREVIEW, STAFF_COMMIT)


def start_staff_import(
    step: str,
    year: SchoolYear,
    *,
    by: Actor,
    upload: str,
    filename: str,
    fingerprint: str = "",
    api: dict[str, Any] | None = None,
):
    """Queue the preview (``STAFF_PREVIEW``) or the commit (``STAFF_COMMIT``) of the file kept
    under ``upload`` for ``by`` (``api``: as for ``start_roster_import``)."""
    by.require_staff_import()
    return jobs.enqueue(
        step,
        requested_by_id=by.user_id,
        requested_by_name=audit.display_name(by),
        params={
            "year_id": year.pk,
            "upload": upload,
            "filename": filename[:200],
            "fingerprint": fingerprint,
            **_api_params(api),
        },
    )


def _staff_import_target(ctx, params: dict[str, Any]) -> tuple[Actor, SchoolYear, bytes]:
    by = actor_for_user(get_user_model().objects.filter(pk=ctx.requested_by_id).first())
    by.require_staff_import()  # asked again when it runs
    year = SchoolYear.objects.filter(pk=params.get("year_id")).first()
    if year is None:
        raise jobs.JobError("取り込む年度が見つかりません (削除された可能性があります)。")
    try:
        data = store.get(
            params.get("upload", ""), by=by, kind=_upload_kind(params, staff.UPLOAD_KIND)
        )
    except store.PendingRefused as refused:
        raise jobs.JobError(refused.message) from refused
    return by, year, data


@jobs.kind(STAFF_PREVIEW, label="教職員の取り込み（読み込みと確認）")
def staff_import_preview(ctx, params: dict[str, Any]) -> dict[str, Any]:
    by, year, data = _staff_import_target(ctx, params)
    plan = staff.plan_staff_import(
        year, data, filename=params.get("filename", ""), progress=ctx.progress
    )
    token = params["upload"]
    if not plan.ok:
        store.discard(token, by=by, kind=_upload_kind(params, staff.UPLOAD_KIND))
        token = ""
    return {**plan.snapshot(), "token": token}


@jobs.kind(STAFF_COMMIT, label="教職員の取り込み（登録）")
def staff_import_commit(ctx, params: dict[str, Any]) -> dict[str, Any]:
    by, year, data = _staff_import_target(ctx, params)
    try:
        plan = staff.commit_staff_import(
            year,
            data,
            by=by,
            filename=params.get("filename", ""),
            expected_fingerprint=params.get("fingerprint", ""),
            progress=ctx.progress,
        )
    except ImportRefused as exc:
        return {"refused": [error_data(e) for e in exc.errors]}
    store.discard(params["upload"], by=by, kind=_upload_kind(params, staff.UPLOAD_KIND))
    return {"counts": plan.counts()}


# The page that follows each import job (its progress, then its preview or result): the
# jobs' own page sends the person who started one there.
PAGES = {
    ROSTER_PREVIEW: "schools_io:import-roster-job",
    ROSTER_COMMIT: "schools_io:import-roster-job",
    STAFF_PREVIEW: "schools_io:import-staff-job",
    STAFF_COMMIT: "schools_io:import-staff-job",
}
