"""Attendance work that runs as a job (tenants.jobs): the whole municipality's yearly figures."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from attendance import excel
from schools import audit
from schools.models import SchoolYear
from schools.permissions import Actor, actor_for_user
from schools.spreadsheets.writer import XLSX_CONTENT_TYPE
from tenants import jobs

MUNICIPALITY_EXPORT = "attendance.municipality_export"
BOARD_ONLY = "市全体の出力は教育委員会の職員のみができます。"


def start_municipality_export(school_year: SchoolYear, *, by: Actor):
    """Queue the export of every pupil's figures of ``school_year`` (to today, for this year)."""
    by.require(by.sees_whole_municipality, BOARD_ONLY)
    return jobs.enqueue(
        MUNICIPALITY_EXPORT,
        requested_by_id=by.user_id,
        requested_by_name=audit.display_name(by),
        params={"school_year_id": school_year.pk, "today": timezone.localdate().isoformat()},
    )


@jobs.kind(MUNICIPALITY_EXPORT, label="出欠の記録 (市全体) のExcel出力")
def municipality_export(ctx, params: dict[str, Any]) -> jobs.FileResult:
    # Asked again when it runs: a role taken away while the job waited counts.
    user = get_user_model().objects.filter(pk=ctx.requested_by_id).first()
    by = actor_for_user(user)
    by.require(by.sees_whole_municipality, BOARD_ONLY)
    school_year = SchoolYear.objects.filter(pk=params.get("school_year_id")).first()
    if school_year is None:
        raise jobs.JobError("出力する年度が見つかりません (削除された可能性があります)。")
    buffer = io.BytesIO()
    rows = excel.export_municipality_figures(
        school_year,
        buffer,
        by=by,
        today=dt.date.fromisoformat(params["today"]),
        progress=ctx.progress,
    )
    return jobs.FileResult(
        buffer.getvalue(),
        f"出欠の記録_{school_year.year}年度.xlsx",
        XLSX_CONTENT_TYPE,
        data={"rows": rows},
    )
