"""The score grid import's public face: plan (a dry run) and commit of the same plan.

The file format lives in ``gradebook.excel``; the writing in ``services.save_scores`` (all
or nothing, the same permission checks as the grid page). The API uses these functions.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError

from gradebook import queries, services
from gradebook.excel import GRID_LIMITS, GridPlan, GridPlanCell, plan_grid_import
from schools.permissions import Actor

__all__ = [
    "GRID_LIMITS",
    "GridPlan",
    "GridPlanCell",
    "commit_grid_import",
    "fingerprint",
    "plan_grid_import",
]

CHANGED = "確認のあとで得点が変更されました。もう一度読み込んで確認してください。"


class GridImportRefused(Exception):
    """Nothing was written; ``messages`` say why."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


def fingerprint(plan: GridPlan) -> str:
    """Identifies what the commit would write (the preview's plan must still hold)."""
    text = "|".join(
        f"{c.student_id}:{c.assessment_id}:{c.old}>{c.new}@{c.version}" for c in plan.changes
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def commit_grid_import(
    grid: queries.Grid,
    data: bytes,
    *,
    by: Actor,
    reason: str = "",
    expected_fingerprint: str = "",
) -> tuple[GridPlan, int]:
    """Plan ``data`` again and save every change of it at once, or raise ``GridImportRefused``."""
    plan = plan_grid_import(data, grid)
    if not plan.ok:
        raise GridImportRefused([str(e) for e in plan.errors])
    if expected_fingerprint and fingerprint(plan) != expected_fingerprint:
        raise GridImportRefused([CHANGED])
    cells = [
        services.CellInput(c.student_id, c.assessment_id, c.new, c.version) for c in plan.changes
    ]
    reason = reason or ("" if grid.finalised else "Excel取り込み")
    try:
        result = services.save_scores(
            grid.classroom, grid.subject, grid.term, cells, by=by, reason=reason
        )
    except (services.GridInvalid, services.GridConflict) as exc:
        raise GridImportRefused([exc.message]) from None
    except ValidationError as exc:  # e.g. a 確定 grid without a reason
        raise GridImportRefused(exc.messages) from None
    return plan, result.changed
