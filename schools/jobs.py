"""Roster work that runs as a job (tenants.jobs): the municipality's whole data, to take away."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from schools import audit
from schools.leaving import bundle
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
