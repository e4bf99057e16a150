"""Timetable work that runs as a job (tenants.jobs): the board's 授業時数 of every school.

A municipality of 500 schools takes tens of seconds: too long for a page, so the board's
tally page starts a job whose page shows the progress (one step per school) and then the
workbook (one row per class, with the totals of each school).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from schools import audit
from schools.models import SchoolYear
from schools.permissions import Actor, actor_for_user
from schools.spreadsheets.writer import XLSX_CONTENT_TYPE, ExportColumn, ExportWorkbook
from tenants import jobs
from timetable import national, queries, rules

MUNICIPALITY_TALLY = "timetable.municipality_tally"
BOARD_ONLY = "全校の授業時数を見る権限がありません。"


def start_municipality_tally(school_year: SchoolYear, *, by: Actor, as_of: dt.date | None = None):
    """Queue the tally of every active school of the municipality for ``school_year``."""
    by.require(by.sees_every_hours_tally, BOARD_ONLY)
    return jobs.enqueue(
        MUNICIPALITY_TALLY,
        requested_by_id=by.user_id,
        requested_by_name=audit.display_name(by),
        params={
            "school_year_id": school_year.pk,
            "as_of": (as_of or timezone.localdate()).isoformat(),
        },
    )


def _hours(value: Fraction | int) -> float:
    """Hours as a number cell (modules make thirds: two decimals are enough for a report)."""
    return round(float(Fraction(value)), 2)


@jobs.kind(MUNICIPALITY_TALLY, label="全校の授業時数のExcel出力")
def municipality_tally(ctx, params: dict[str, Any]) -> jobs.FileResult:
    # Asked again when it runs: a role taken away while the job waited counts.
    user = get_user_model().objects.filter(pk=ctx.requested_by_id).first()
    by = actor_for_user(user)
    by.require(by.sees_every_hours_tally, BOARD_ONLY)
    school_year = SchoolYear.objects.filter(pk=params.get("school_year_id")).first()
    if school_year is None:
        raise jobs.JobError("集計する年度が見つかりません (削除された可能性があります)。")
    try:
        as_of = dt.date.fromisoformat(str(params.get("as_of")))
    except ValueError:
        as_of = timezone.localdate()
    schools = list(by.schools().filter(is_active=True).order_by("pk"))
    book = ExportWorkbook()
    summary = book.add_sheet(
        "学校別",
        [
            ExportColumn("学校", 28),
            ExportColumn("学級数", 8, "int"),
            ExportColumn("不足の見込みのある学級", 12, "int"),
            ExportColumn("1,086時間以上の学級", 12, "int"),
            ExportColumn("計画 (時間)", 12),
            ExportColumn("実施 (時間)", 12),
            ExportColumn("見込み (時間)", 12),
        ],
        heading=f"{school_year.year}年度 授業時数 ({as_of:%Y/%m/%d} 現在)",
    )
    detail = book.add_sheet(
        "学級別",
        [
            ExportColumn("学校", 28),
            ExportColumn("学級", 10),
            ExportColumn("標準時数", 10, "int"),
            ExportColumn("計画", 10),
            ExportColumn("実施", 10),
            ExportColumn("見込み", 10),
            ExportColumn("不足の見込み", 30),
        ],
        heading=f"{school_year.year}年度 授業時数 学級別",
        landscape=True,
    )
    totals: list[dict[str, Any]] = []
    ctx.progress(0, len(schools), "集計しています")
    for i, found in enumerate(queries.school_tallies(schools, school_year, as_of=as_of)):
        school = found.school
        ctx.progress(i + 1, len(schools), school.name)
        classes = found.tally.classes
        planned = sum((c.planned for c in classes), Fraction(0))
        held = sum((c.held for c in classes), Fraction(0))
        projected = sum((c.projected for c in classes), Fraction(0))
        summary.append(
            [
                school.name,
                len(classes),
                found.short_classes,
                found.over_classes,
                _hours(planned),
                _hours(held),
                _hours(projected),
            ]
        )
        for c in classes:
            short = "、".join(
                f"{s.subject} {rules.format_hours(s.shortfall)}" for s in c.subjects if s.shortfall
            )
            detail.append(
                [
                    school.name,
                    c.name,
                    c.standard,
                    _hours(c.planned),
                    _hours(c.held),
                    _hours(c.projected),
                    short,
                ]
            )
        totals.append(
            {
                "school": school.pk,
                "classes": len(classes),
                "short": found.short_classes,
                "over": found.over_classes,
                "planned": str(planned),
                "held": str(held),
                "projected": str(projected),
            }
        )
    ctx.progress(len(schools), len(schools), "Excelを作成しています")
    audit.record_export(
        by,
        "timetable.hours.export",
        school_year,
        params={
            "year": school_year.year,
            "as_of": as_of.isoformat(),
            "schools": len(schools),
            "threshold": national.REVIEW_THRESHOLD_HOURS,
        },
    )
    return jobs.FileResult(
        book.to_bytes(),
        f"授業時数_{school_year.year}年度.xlsx",
        XLSX_CONTENT_TYPE,
        data={"schools": totals},
    )


# 自動作成 (timetable.generating registers its kind here, where job kinds are discovered).
from timetable import generating  # noqa: E402, F401
