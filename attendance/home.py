"""Attendance's links in the menu and its card on 「今日」 (see config/extensions.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from attendance.models import TakenDay


def nav_items(request) -> list[tuple[str, str]]:
    actor = request.actor
    if not actor.has_any_role:
        return []
    return [("出欠", reverse("attendance:index"))]


def home_cards(request) -> list[tuple[str, dict]]:
    """My classes with today's state (入力済み / 未保存): 2 queries."""
    actor = request.actor
    classes = list(
        actor.classrooms()
        .filter(pk__in=actor.homeroom_classroom_ids)
        .exclude(school_year__state="archived")
    )
    reports = actor.sees_attendance_reports
    if not classes and not reports:
        return []
    entered = (
        set(
            TakenDay.objects.filter(
                classroom__in=classes, date=timezone.localdate(), period=0
            ).values_list("classroom_id", flat=True)
        )
        if classes
        else set()
    )
    return [("attendance/_card.html", {"classes": classes, "entered": entered, "reports": reports})]
