"""Read model of the report card (通知表): per student and term, in constant queries per class.

The layout is structured settings a board chooses without a vendor (gradebook.layouts): see
``gradebook/templates/gradebook/report_card/README.md``. The template receives only
the plain data built here (no model methods that write, no queries).

Attendance figures come from the attendance app when it is installed and answers;
otherwise the card shows none (the gradebook never depends on attendance).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from gradebook import queries, rules
from schools.models import Classroom, Enrolment, School, SchoolType, Student, Subject, Term
from schools.national import ATTENDANCE_RECORD

logger = logging.getLogger(__name__)


@dataclass
class SubjectLine:
    subject: Subject
    levels: dict[str, str | None]
    rating: int | None
    scale: int | None


@dataclass
class ReportCard:
    school: School
    classroom: Classroom
    term: Term
    enrolment: Enrolment
    subjects: list[SubjectLine]
    attendance: list[tuple[str, int]] | None  # (label, value) in 指導要録 order
    remark: str
    finalised: bool
    # 出欠の記録 per term of the year up to this one, and the year's total so far
    attendance_terms: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)
    attendance_total: list[tuple[str, int]] | None = None
    last_term: bool = False  # the year's last term: the card carries the 修了証
    # 出欠の記録 counted up to this day (the term is not over yet); None: the whole term.
    attendance_as_of: dt.date | None = None
    # 行動の記録 / 特別活動の記録: (item name, ○ or not) in the 指導要録's order
    behaviour: list[tuple[str, bool]] = field(default_factory=list)
    special: list[tuple[str, bool]] = field(default_factory=list)
    foreign_language: str | None = None  # None: not an elementary school (no 外国語活動)
    integrated_study: str = ""
    viewpoint_labels: list[str] = field(
        default_factory=lambda: [rules.VIEWPOINT_LABELS[vp] for vp in rules.VIEWPOINTS]
    )

    @property
    def student(self) -> Student:
        return self.enrolment.student


# The layout chooses columns by their figure name.
ATTENDANCE_LABELS = ATTENDANCE_RECORD  # 指導要録「出欠の記録」 (schools.national)


def attendance_figures(classroom: Classroom, term: Term) -> dict[int, list[tuple[str, int]]] | None:
    """student id -> figures of the term, from attendance's public function when it exists."""
    return attendance_figures_between(classroom, term.start, term.end)


def attendance_figures_between(
    classroom: Classroom, start, end
) -> dict[int, list[tuple[str, int]]] | None:
    """student id -> figures between two dates (None without the attendance app)."""
    try:
        from attendance.figures import student_term_figures
    except ImportError:
        return None
    try:
        # A savepoint: a failure there never breaks the page's transaction.
        with transaction.atomic():
            return student_term_figures(classroom, start, end)
    except DatabaseError:
        logger.warning(
            "attendance figures unavailable for classroom %s", classroom.pk, exc_info=True
        )
        return None


def _terms_to_date(classroom: Classroom, term: Term) -> list[Term]:
    """The year's terms up to and including ``term``, in order."""
    terms = sorted(
        queries.terms_of_school(classroom.school_id, classroom.school_year_id),
        key=lambda t: t.start,
    )
    return [t for t in terms if t.start <= term.start] or [term]


def class_report_cards(
    classroom: Classroom,
    term: Term,
    student_id: int | None = None,
    *,
    today: dt.date | None = None,
) -> list[ReportCard]:
    """Every report card of a class (or one student's): constant queries.

    With ``today`` (the pages and the Excel export pass it) 出欠の記録 counts the school days
    up to it, as the attendance pages do: a day still to come is not 出席, and a card of a
    term not over yet says 「…現在」 (``attendance_as_of``).
    """

    def between(start: dt.date, end: dt.date):
        if today is None:
            return attendance_figures_between(classroom, start, end)
        found = attendance_figures_between(classroom, start, max(start, min(end, today)))
        return {} if found is not None and today < start else found  # not started: zeros

    cl = queries.class_list(classroom, term)
    figures = between(term.start, term.end)
    terms = _terms_to_date(classroom, term)
    all_terms = queries.terms_of_school(classroom.school_id, classroom.school_year_id)
    last_term = max(all_terms, key=lambda t: t.start, default=term).pk == term.pk
    # Earlier terms' figures and the year so far: two queries per term (a year has 2-3).
    per_term = (
        [(t, figures if t.pk == term.pk else between(t.start, t.end)) for t in terms]
        if figures is not None
        else []
    )
    year_total = (
        between(terms[0].start, term.end) if figures is not None and len(terms) > 1 else figures
    )
    as_of = today if figures is not None and today is not None and today < term.end else None
    zeros = [(label, 0) for label, _ in ATTENDANCE_LABELS]
    conduct = queries.conduct_of(term, [e.student_id for e in cl.enrolments])
    elementary = classroom.school.school_type == SchoolType.ELEMENTARY
    special_items = rules.special_activity_items(elementary)
    cards = []
    for enrolment, cells in cl.rows():
        if student_id is not None and enrolment.student_id != student_id:
            continue
        lines = [
            SubjectLine(
                subject,
                dict(result.levels) if result else dict.fromkeys(rules.VIEWPOINTS),
                result.rating if result else None,
                cl.scales.get(subject.pk),
            )
            for subject, result in cells
        ]
        remark = cl.remarks.get(enrolment.student_id)
        attendance = None
        if figures is not None:
            attendance = figures.get(enrolment.student_id) or [
                (label, 0) for label, _ in ATTENDANCE_LABELS
            ]
        cards.append(
            ReportCard(
                school=classroom.school,
                classroom=classroom,
                term=term,
                enrolment=enrolment,
                subjects=lines,
                attendance=attendance,
                remark=remark.text if remark else "",
                finalised=cl.finalised,
                attendance_terms=[
                    (t.name, (f or {}).get(enrolment.student_id) or zeros) for t, f in per_term
                ],
                attendance_total=(
                    (year_total or {}).get(enrolment.student_id) or zeros
                    if figures is not None
                    else None
                ),
                last_term=last_term,
                attendance_as_of=as_of,
                **_conduct_fields(conduct.get(enrolment.student_id), special_items, elementary),
            )
        )
    return cards


def _conduct_fields(record, special_items: dict[str, str], elementary: bool) -> dict:
    """The card's 行動の記録・特別活動・外国語活動・総合 from one ConductRecord (or none)."""
    behaviour = set(record.behaviour) if record else set()
    special = set(record.special) if record else set()
    return {
        "behaviour": [(name, key in behaviour) for key, name in rules.BEHAVIOUR_ITEMS.items()],
        "special": [(name, key in special) for key, name in special_items.items()],
        "foreign_language": (record.foreign_language if record else "") if elementary else None,
        "integrated_study": record.integrated_study if record else "",
    }
