"""The gradebook's section of a pupil's page (config.extensions.student_panels): this
year's 観点別評価 and 評定 by term, with each term's 通知表."""

from __future__ import annotations

from django.urls import reverse

from gradebook import queries, rules
from schools.models import Enrolment, Student


def panels(request, student: Student, enrolment: Enrolment | None) -> list[tuple[str, dict]]:
    actor = request.actor
    if enrolment is None or not actor.can_view_class_grades(enrolment.classroom):
        return []
    classroom = enrolment.classroom
    terms = queries.terms_of_school(classroom.school_id, classroom.school_year_id)
    columns, by_subject = [], {}
    for term in terms:  # a few queries per term, whatever the size of the class
        cl = queries.class_list(classroom, term)
        columns.append(
            {
                "term": term,
                "finalised": cl.finalised,
                "card_url": reverse(
                    "gradebook:report-card", args=[classroom.pk, term.pk, student.pk]
                ),
            }
        )
        for subject in cl.subjects:
            result = cl.results.get((student.pk, subject.pk))
            row = by_subject.setdefault(subject.pk, {"subject": subject, "cells": {}})
            if result is not None:
                row["cells"][term.pk] = {
                    "levels": "".join(result.levels.get(vp) or "-" for vp in rules.VIEWPOINTS),
                    "rating": result.rating,
                }
    rows = [
        {"subject": r["subject"], "cells": [r["cells"].get(t.pk) for t in terms]}
        for r in by_subject.values()
        if r["cells"]
    ]
    return [
        (
            "gradebook/_student_panel.html",
            {"columns": columns, "rows": rows},
        )
    ]
