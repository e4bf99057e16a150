"""The gradebook's menu link and its card on 「今日」 (see config/extensions.py)."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def nav_items(request) -> list[tuple[str, str]]:
    actor = request.actor
    items = []
    if actor.has_any_role:
        items.append((_("成績"), reverse("gradebook:index")))
    if actor.sees_whole_municipality:
        # "menu": the English menu says it shorter than the page title
        items.append((pgettext("menu", "評定の分布"), reverse("gradebook:distribution")))
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


def board_columns(request, schools, school_year, today) -> list[dict]:
    """The board's overview: 確定 per term of each school (classes finalised / classes), each a
    link to the term's 確定 page where the actor may open it: 3 queries."""
    from gradebook.models import Finalisation
    from schools.models import Classroom, Term

    ids = [s.pk for s in schools]
    terms: dict[int, list[Term]] = {}
    for term in Term.objects.filter(school_id__in=ids, school_year=school_year).order_by(
        "school_id", "number"
    ):
        terms.setdefault(term.school_id, []).append(term)
    classes: dict[int, int] = {}
    for row in (
        Classroom.objects.filter(school_id__in=ids, school_year=school_year)
        .values_list("school_id")
        .annotate(n=Count("id"))
    ):
        classes[row[0]] = row[1]
    whole: set[int] = set()
    by_term: dict[int, int] = {}
    for term_id, classroom_id in Finalisation.objects.filter(
        term__school_id__in=ids, term__school_year=school_year
    ).values_list("term_id", "classroom_id"):
        if classroom_id is None:
            whole.add(term_id)
        else:
            by_term[term_id] = by_term.get(term_id, 0) + 1
    actor = request.actor
    cells = {}
    for s in schools:
        total = classes.get(s.pk, 0)
        items = []
        for term in terms.get(s.pk, []):
            done = total if term.pk in whole else min(by_term.get(term.pk, 0), total)
            state = (
                pgettext("state", "確定")
                if total and done == total
                else _("確定 %(done)s/%(total)s学級") % {"done": done, "total": total}
            )
            items.append(
                {
                    "text": f"{term.name}: {state}",
                    "url": reverse("gradebook:finalise", args=[term.pk])
                    if actor.can_view_finalisation(s.pk)
                    else None,
                    "tone": "ok" if total and done == total else "",
                }
            )
        cells[s.pk] = items
    return [{"label": pgettext("column", "成績の確定"), "cells": cells}]
