"""The board administrator's 操作記録 (audit trail) page and its export.

Reading the trail is a read: nothing is written, except the export's own record (who took a
copy of the trail is itself in the trail).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from schools import audit
from schools.forms import AuditSearchForm
from schools.permissions import Actor, staff_required
from schools.spreadsheets.writer import ExportColumn, ExportWorkbook

PER_PAGE = 50
EXPORT_LIMIT = 50_000  # rows in one workbook; narrow the search for more


def _require_board_admin(actor: Actor) -> None:
    actor.require(actor.can_read_audit_trail, "操作記録を閲覧できるのは教育委員会の管理者です。")


def _search(request: HttpRequest) -> tuple[AuditSearchForm, audit.Search | None]:
    form = AuditSearchForm(request.GET or None)
    if not request.GET:
        return form, audit.Search()
    return form, (form.search() if form.is_valid() else None)


@staff_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Newest first, 50 a page; constant number of queries (count, page, and the student
    lookup of a student search)."""
    _require_board_admin(request.actor)
    form, query = _search(request)
    page = None
    rows = []
    if query is not None:
        page = Paginator(audit.search(query), PER_PAGE).get_page(request.GET.get("page"))
        rows = [
            {
                "event": e,
                "label": audit.label(e.action),
                "target": audit.target_label(e.target_type),
                "changes": audit.describe_changes(e.changes),
            }
            for e in page.object_list
        ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "schools/audit_log.html",
        {"form": form, "page": page, "rows": rows, "query_string": params.urlencode()},
    )


COLUMNS = [
    ExportColumn("日時", 20),
    ExportColumn("操作者", 24),
    ExportColumn("操作", 26),
    ExportColumn("操作コード", 30),
    ExportColumn("学校", 20),
    ExportColumn("対象", 24),
    ExportColumn("対象ID", 10),
    ExportColumn("内容 (変更前 → 変更後)", 60),
    ExportColumn("理由", 24),
    ExportColumn("リクエストID", 20),
]


@staff_required
@require_GET
def audit_log_xlsx(request: HttpRequest) -> HttpResponse:
    """The records of the search (.xlsx, at most ``EXPORT_LIMIT`` rows), itself recorded."""
    _require_board_admin(request.actor)
    form, query = _search(request)
    if query is None:
        return render(
            request,
            "schools/audit_log.html",
            {"form": form, "page": None, "rows": [], "query_string": ""},
            status=400,
        )
    events = list(audit.search(query)[:EXPORT_LIMIT])
    book = ExportWorkbook()
    sheet = book.add_sheet(
        "操作記録",
        COLUMNS,
        heading="操作記録",
        subheadings=[
            "条件: "
            + (" / ".join(f"{k}={v}" for k, v in query.as_params().items()) or "なし")
            + f"  ({len(events)} 件)"
        ],
        landscape=True,
    )
    for e in events:
        sheet.append(
            [
                timezone.localtime(e.at).strftime("%Y/%m/%d %H:%M:%S"),
                e.actor_name,
                audit.label(e.action),
                e.action,
                e.school.name if e.school else "",
                audit.target_label(e.target_type),
                e.target_id,
                "\n".join(audit.describe_changes(e.changes, limit=2000)),
                e.reason,
                e.request_id,
            ]
        )
    audit.record_export(
        request.actor,
        "schools.audit_log.export",
        target_type="schools.auditevent",
        params={**query.as_params(), "rows": len(events)},
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    return book.response(f"操作記録_{stamp}.xlsx")
