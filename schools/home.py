"""The roster's links in the menu and cards on the home page (see config/extensions.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from schools import queries
from schools.models import Role


def nav_items(request) -> list[tuple[str, str]]:
    actor = request.actor
    items = []
    if actor.sees_board_overview:
        # "menu": the English menu says it shorter than the page title
        items.append((pgettext("menu", "学校の状況"), reverse("schools:board-overview")))
    if actor.has_any_role:
        items.append((_("学校・名簿"), reverse("schools:school-list")))
    if actor.can_manage_municipality:
        items.append((_("教職員"), reverse("schools:staff-list")))
    if actor.sees_whole_municipality:  # the board runs the long exports (jobs)
        items.append((_("処理の状況"), reverse("jobs:list")))
    if actor.can_read_audit_trail:
        items.append((_("操作記録"), reverse("schools:audit-log")))
    return items


def home_cards(request) -> list[tuple[str, dict]]:
    """My classes (学級担任), my teaching assignments (教科担任) and my schools, this year."""
    actor = request.actor
    cards = []
    if actor.can_manage_municipality:
        cards.append(("schools/_card_boe.html", {}))
    if not actor.member_school_ids:
        return cards
    year = queries.current_year()
    mine = queries.my_assignments(request.user, year)
    if mine.get(Role.SCHOOL_ADMIN):
        cards.append(("schools/_card_school_admin.html", {"admin": mine[Role.SCHOOL_ADMIN]}))
    if mine.get(Role.HOMEROOM):
        cards.append(
            ("schools/_card_my_classes.html", {"year": year, "homerooms": mine[Role.HOMEROOM]})
        )
    if mine.get(Role.SUBJECT):
        cards.append(
            ("schools/_card_my_teaching.html", {"year": year, "teaching": mine[Role.SUBJECT]})
        )
    return cards
