"""The gradebook's menu link and its card on 「今日」 (see config/extensions.py)."""

from __future__ import annotations

from django.urls import reverse


def nav_items(request) -> list[tuple[str, str]]:
    actor = request.actor
    items = []
    if actor.has_any_role:
        items.append(("成績", reverse("gradebook:index")))
    if actor.sees_whole_municipality:
        items.append(("評定の分布", reverse("gradebook:distribution")))
    return items


def home_cards(request) -> list[tuple[str, dict]]:
    """Links to my gradebooks (no query: the Actor already knows the assignments)."""
    actor = request.actor
    if not (
        actor.teaching
        or actor.homeroom_classroom_ids
        or actor.admin_school_ids
        or actor.is_boe_admin
    ):
        return []
    return [
        (
            "gradebook/_card.html",
            {
                "teaching": len(actor.teaching),
                "boe_admin": actor.is_boe_admin,
                "boe": actor.sees_whole_municipality,
            },
        )
    ]
