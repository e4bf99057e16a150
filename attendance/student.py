"""Attendance's section of a pupil's page (config.extensions.student_panels): this year's
figures so far, with links to the class's 出席簿 and yearly figures."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from attendance import figures
from attendance.rules import FIGURE_COLUMNS
from schools import calendar
from schools.models import Enrolment, Student


def panels(request, student: Student, enrolment: Enrolment | None) -> list[tuple[str, dict]]:
    actor = request.actor
    if enrolment is None or not actor.can_view_classroom(enrolment.classroom):
        return []
    year = enrolment.school_year
    start, end = calendar.year_bounds(year)
    today = timezone.localdate()
    as_of = min(today, end)
    rows = []
    if start <= as_of:
        seen = actor.visible_school_ids()
        narrow = figures.Narrow(
            student_id=student.pk, school_ids=sorted(seen) if seen is not None else None
        )
        rows = figures.figures_rows(year, start, as_of, group="student", narrow=narrow)
    totals: dict[str, int] | None = None
    for _, row in rows:  # one row per school the pupil attended this year
        values = row.as_dict()
        totals = {k: (totals or {}).get(k, 0) + v for k, v in values.items()}
    month = (as_of.year, as_of.month) if start <= as_of else (start.year, start.month)
    classroom = enrolment.classroom
    return [
        (
            "attendance/_student_panel.html",
            {
                "as_of": as_of,
                "started": start <= as_of,
                "figures": [(label, totals[key]) for key, label in FIGURE_COLUMNS]
                if totals
                else [],
                "register_url": reverse("attendance:register", args=[classroom.pk, *month]),
                "year_url": reverse("attendance:year", args=[classroom.pk]),
                "classroom": classroom,
            },
        )
    ]
