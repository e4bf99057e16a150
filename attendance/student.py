"""Attendance's section of a pupil's page (config.extensions.student_panels): this year's
figures so far, with links to the class's 出席簿 and yearly figures."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from attendance import figures
from attendance.rules import FIGURE_COLUMNS
from schools import calendar
from schools.models import Enrolment, Student

# rules.FIGURE_COLUMNS names the 指導要録 figures in Japanese (the exports print them); the
# panel shows them in the reader's language, and these markers put them in the catalogue.
FIGURE_NAMES = (
    gettext_noop("授業日数"),
    gettext_noop("出席停止・忌引等の日数"),
    gettext_noop("出席しなければならない日数"),
    gettext_noop("欠席日数"),
    gettext_noop("出席日数"),
    gettext_noop("遅刻"),
    gettext_noop("早退"),
    gettext_noop("出席扱い"),
)


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
                "figures": [(gettext(label), totals[key]) for key, label in FIGURE_COLUMNS]
                if totals
                else [],
                "register_url": reverse("attendance:register", args=[classroom.pk, *month]),
                "year_url": reverse("attendance:year", args=[classroom.pk]),
                "classroom": classroom,
            },
        )
    ]
