"""Attendance's links in the menu and its card on 「今日」 (see config/extensions.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attendance import queries


def nav_items(request) -> list[tuple[str, str]]:
    actor = request.actor
    if not actor.has_any_role:
        return []
    return [(_("出欠"), reverse("attendance:index"))]


def home_cards(request) -> list[tuple[str, dict]]:
    """My classes with today's state (入力済み / 未入力 / 学級閉鎖 / 授業日ではありません), and
    for a school's administrators the classes of their schools whose attendance is not taken
    yet today (a closed class is not missing): 3 queries."""
    actor = request.actor
    classes = list(
        actor.classrooms()
        .filter(pk__in=actor.homeroom_classroom_ids)
        .exclude(school_year__state="archived")
    )
    reports = actor.sees_attendance_reports
    if not classes and not reports:
        return []
    today = timezone.localdate()
    states = {c.classroom.pk: c for c in queries.classrooms_today([c.pk for c in classes], today)}
    rows = [(c, states.get(c.pk)) for c in classes]
    school_state = None
    if actor.admin_school_ids:
        state = queries.classes_today(actor.admin_school_ids, today)
        school_state = {
            "missing": [c.classroom for c in state if c.missing],
            "school_day": [c for c in state if c.is_school_day and not c.closed],
            "closed": [c for c in state if c.is_school_day and c.closed],
        }
    return [
        (
            "attendance/_card.html",
            {
                "classes": classes,
                "rows": rows,
                "entered": {pk for pk, s in states.items() if s.taken},
                "reports": reports,
                "schools": school_state,
            },
        )
    ]


def board_columns(request, schools, school_year, today) -> list[dict]:
    """The board's overview: today's attendance per school (classes taken / classes with a
    school day) and the long-absence count (30+ days), each a link: 4 queries."""
    from attendance import figures

    ids = [s.pk for s in schools]
    state = queries.classes_today(ids, today)
    taken: dict[int, list] = {}
    for c in state:
        taken.setdefault(c.classroom.school_id, []).append(c)
    watch = figures.long_absence_watch(school_year, today, ids) if ids else []
    reached: dict[int, int] = {}
    projected: dict[int, int] = {}
    for w in watch:
        target = reached if w.status == "reached" else projected
        target[w.school_id] = target.get(w.school_id, 0) + 1
    index = reverse("attendance:index")
    overview = reverse("attendance:overview")
    today_cells, absence_cells = {}, {}
    for s in schools:
        classes = taken.get(s.pk, [])
        # A class under 学級閉鎖 / 学年閉鎖 takes no attendance: neither taken nor missing.
        day = [c for c in classes if c.is_school_day and not c.closed]
        closed = [c for c in classes if c.is_school_day and c.closed]
        url = f"{index}?school={s.pk}"
        closed_cell = (
            [
                {
                    "text": ngettext("学級閉鎖 %(n)s学級", "学級閉鎖 %(n)s学級", len(closed))
                    % {"n": len(closed)},
                    "url": url,
                    "tone": "",
                }
            ]
            if closed
            else []
        )
        if not classes:
            today_cells[s.pk] = []
        elif not day:
            today_cells[s.pk] = closed_cell or [
                {"text": _("授業日ではありません"), "url": None, "tone": ""}
            ]
        else:
            missing = sum(1 for c in day if c.missing)
            today_cells[s.pk] = (
                [
                    {
                        "text": _("入力済み %(done)s/%(total)s学級")
                        % {"done": len(day) - missing, "total": len(day)},
                        "url": url,
                        "tone": "ok" if not missing else "",
                    }
                ]
                + (
                    [
                        {
                            "text": ngettext("未入力 %(n)s学級", "未入力 %(n)s学級", missing)
                            % {"n": missing},
                            "url": url,
                            "tone": "warn",
                        }
                    ]
                    if missing
                    else []
                )
                + closed_cell
            )
        absence_cells[s.pk] = [
            {
                "text": _("30日以上 %(n)s人") % {"n": reached.get(s.pk, 0)},
                "url": f"{overview}?school={s.pk}#watch",
                "tone": "bad" if reached.get(s.pk) else "",
            },
            {
                "text": _("見込み %(n)s人") % {"n": projected.get(s.pk, 0)},
                "url": f"{overview}?school={s.pk}#watch",
                "tone": "",
            },
        ]
    return [
        {"label": _("今日の出欠"), "cells": today_cells},
        {"label": _("長期欠席"), "cells": absence_cells},
    ]
