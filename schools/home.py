"""The roster's links in the menu and cards on the home page (see config/extensions.py)."""

from __future__ import annotations

from django.urls import reverse


def nav_items(request) -> list[tuple[str, str]]:
    items = []
    if request.actor.can_manage_municipality:
        items.append(("教職員", reverse("schools:staff-list")))
    return items


def home_cards(request) -> list[tuple[str, dict]]:
    actor = request.actor
    cards = []
    if actor.can_manage_municipality:
        cards.append(("schools/_card_boe.html", {}))
    return cards
