"""The timetable's menu link and its card on 「今日」 (see config/extensions.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(request) -> list[tuple[str, str]]:
    actor = request.actor
    items = []
    if actor.has_any_role:
        items.append((_("時間割"), reverse("timetable:index")))
    if actor.sees_every_hours_tally:
        items.append((_("授業時数"), reverse("timetable:hours-board")))
    return items


def home_cards(request) -> list[tuple[str, dict]]:
    """ "My week" for a teacher (no query: the Actor knows whether they teach)."""
    actor = request.actor
    if not (actor.teaching or actor.homeroom_classroom_ids or actor.admin_school_ids):
        return []
    return [("timetable/_card.html", {"admin": bool(actor.admin_school_ids)})]
