"""Read models of the gradebook for pages, exports, the API and reports.

Every function here costs a constant number of queries whatever the class size:
rows are fetched in bulk and joined in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from gradebook import rules
from gradebook.models import (
    Assessment,
    ConductRecord,
    Evaluation,
    Finalisation,
    GradeChange,
    GradingSettings,
    Remark,
    ReportCardLayout,
    Score,
    SubjectThresholds,
)
from schools.models import (
    Classroom,
    Enrolment,
    School,
    SchoolYear,
    Subject,
    Term,
)
from schools.permissions import Actor

# --- settings ------------------------------------------------------------------------------


@dataclass
class GradingContext:
    """The thresholds and 評定 rules in force for one school (municipality row, then school row,
    then per-subject thresholds)."""

    school_type: str
    thresholds_default: rules.Thresholds
    thresholds_by_subject: dict[int, rules.Thresholds]
    rule_5: str
    rule_3: str
    report_card_excel: str
    table_5: dict = field(default_factory=dict)
    table_3: dict = field(default_factory=dict)

    def thresholds(self, subject_id: int) -> rules.Thresholds:
        return self.thresholds_by_subject.get(subject_id, self.thresholds_default)

    def scale(self, grade: int | None, subject: Subject) -> int | None:
        return rules.rating_scale(self.school_type, grade, subject.is_graded)

    def rule(self, grade: int | None, subject: Subject) -> rules.RatingRule | None:
        scale = self.scale(grade, subject)
        if scale == 5:
            return rules.named_rule(self.rule_5, 5, self.table_5)
        if scale == 3:
            return rules.named_rule(self.rule_3, 3, self.table_3)
        return None


def grading_context(school: School) -> GradingContext:
    """Two queries."""
    rows = {
        row.school_id: row
        for row in GradingSettings.objects.filter(Q(school__isnull=True) | Q(school=school))
    }
    chosen = rows.get(school.pk) or rows.get(None) or GradingSettings()
    by_subject: dict[int, rules.Thresholds] = {}
    rows_by_subject = SubjectThresholds.objects.filter(Q(school__isnull=True) | Q(school=school))
    # the municipality's rows first, then the school's own rows win
    for row in sorted(rows_by_subject, key=lambda r: r.school_id is not None):
        by_subject[row.subject_id] = row.thresholds
    return GradingContext(
        school_type=school.school_type,
        thresholds_default=chosen.thresholds,
        thresholds_by_subject=by_subject,
        rule_5=chosen.rule_5,
        rule_3=chosen.rule_3,
        report_card_excel=chosen.report_card_excel,
        table_5=chosen.table_5 or {},
        table_3=chosen.table_3 or {},
    )


# --- enrolment, finalisation -------------------------------------------------------------


def enrolments(classroom: Classroom, term: Term) -> list[Enrolment]:
    """Students of the class during the term, in 出席番号 order (one query)."""
    return list(
        Enrolment.objects.filter(classroom=classroom, enrolled_on__lte=term.end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=term.start))
        .select_related("student")
        .order_by("roll_number")
    )


def is_finalised(term: Term, classroom: Classroom) -> bool:
    return (
        Finalisation.objects.filter(term=term)
        .filter(Q(classroom__isnull=True) | Q(classroom=classroom))
        .exists()
    )


def finalisations(term: Term) -> list[Finalisation]:
    return list(Finalisation.objects.filter(term=term).select_related("classroom"))


def terms_of_school(school_id: int, school_year_id: int) -> list[Term]:
    return list(Term.objects.filter(school_id=school_id, school_year_id=school_year_id))


def current_term(terms: list[Term], today) -> Term | None:
    for term in terms:
        if term.start <= today <= term.end:
            return term
    past = [t for t in terms if t.start <= today]
    return past[-1] if past else (terms[0] if terms else None)


# --- teaching assignments ------------------------------------------------------------------


@dataclass
class TeachingRow:
    classroom: Classroom
    subject: Subject
    teacher_names: list[str] = field(default_factory=list)
    assessments: int = 0


def teaching_assignments(actor: Actor, school_year_id: int) -> list[TeachingRow]:
    """教科担任の担当一覧: the actor's (classroom, subject) pairs; school administrators see
    every assignment of their schools (teaching assignments, 担当). Three queries."""
    qs = actor.subject_assignments(school_year_id).select_related(
        "classroom__school", "classroom__school_year", "subject"
    )
    rows: dict[tuple[int, int], TeachingRow] = {}
    for a in (
        qs.filter(classroom__isnull=False)
        .prefetch_related("teachers")
        .order_by("classroom__school", "classroom__grade", "classroom__name", "subject__sort_order")
    ):
        key = (a.classroom_id, a.subject_id)
        row = rows.setdefault(key, TeachingRow(a.classroom, a.subject))
        row.teacher_names.extend(t.name for t in a.teachers.all())
    counts = Assessment.objects.filter(
        classroom_id__in={c for c, _ in rows}, term__school_year_id=school_year_id
    ).values_list("classroom_id", "subject_id")
    for key in counts:
        if key in rows:
            rows[key].assessments += 1
    return list(rows.values())


# --- the score grid --------------------------------------------------------------------------


@dataclass
class StudentRow:
    enrolment: Enrolment
    cells: dict[int, Score | None]  # assessment id -> Score row (None = no row yet)
    evaluation: Evaluation | None
    result: rules.Result
    snapshot: bool  # True when the finalised snapshot is shown
    total_text: str = ""  # 合計: points of the scored assessments / their maximum

    @property
    def student(self):
        return self.enrolment.student


@dataclass
class Grid:
    classroom: Classroom
    subject: Subject
    term: Term
    assessments: list[Assessment]
    rows: list[StudentRow]
    thresholds: rules.Thresholds
    rule: rules.RatingRule | None
    finalised: bool


def assessments_of(classroom: Classroom, subject: Subject, term: Term) -> list[Assessment]:
    return list(Assessment.objects.filter(classroom=classroom, subject=subject, term=term))


def result_for(
    specs: list[rules.AssessmentSpec],
    scores: dict[int, rules.Score],
    evaluation: Evaluation | None,
    thresholds: rules.Thresholds,
    rule: rules.RatingRule | None,
    finalised: bool,
) -> tuple[rules.Result, bool]:
    """Live result, or the stored snapshot when the term is finalised (確定) or its year
    archived (``finalised`` is then True)."""
    overrides = evaluation.overrides if evaluation else None
    live = rules.evaluate(specs, scores, thresholds=thresholds, rule=rule, overrides=overrides)
    if finalised and evaluation is not None and evaluation.finalised_at is not None:
        levels = evaluation.final_levels
        return (
            rules.Result(
                percentages=live.percentages,
                derived_levels=live.derived_levels,
                levels=levels,
                derived_rating=live.derived_rating,
                rating=evaluation.final_rating,
                overridden=live.overridden,
            ),
            True,
        )
    return live, False


def grid(classroom: Classroom, subject: Subject, term: Term) -> Grid:
    """The score grid of one class × subject × term: 7 queries whatever its size."""
    context = grading_context(classroom.school)  # 2
    assessments = assessments_of(classroom, subject, term)  # 1
    enrolled = enrolments(classroom, term)  # 1
    student_ids = [e.student_id for e in enrolled]
    scores: dict[tuple[int, int], Score] = {
        (s.student_id, s.assessment_id): s
        for s in Score.objects.filter(assessment__in=assessments, student_id__in=student_ids)
    }  # 1
    evaluations = {
        e.student_id: e
        for e in Evaluation.objects.filter(classroom=classroom, subject=subject, term=term)
    }  # 1
    finalised = is_finalised(term, classroom)  # 1
    # A past year's grades are its stored snapshots (確定, or sealed at 年度切替), never
    # recomputed from today's thresholds.
    stored = finalised or classroom.school_year.is_read_only
    thresholds = context.thresholds(subject.pk)
    rule = context.rule(classroom.grade, subject)
    specs = [a.spec for a in assessments]
    rows = []
    for enrolment in enrolled:
        cells = {a.pk: scores.get((enrolment.student_id, a.pk)) for a in assessments}
        values = {pk: (s.value if s else None) for pk, s in cells.items()}
        evaluation = evaluations.get(enrolment.student_id)
        result, snapshot = result_for(specs, values, evaluation, thresholds, rule, stored)
        rows.append(
            StudentRow(enrolment, cells, evaluation, result, snapshot, _total(assessments, values))
        )
    return Grid(classroom, subject, term, assessments, rows, thresholds, rule, finalised)


def _total(assessments: list[Assessment], values: dict[int, rules.Score]) -> str:
    scored = [
        (values[a.pk], a.max_points)
        for a in assessments
        if values.get(a.pk) is not None and values[a.pk] is not rules.ABSENT
    ]
    if not scored:
        return ""
    points = sum((p for p, _ in scored), Decimal(0))
    top = sum((m for _, m in scored), Decimal(0))
    return f"{rules.format_points(points)}/{rules.format_points(top)}"


# --- the class grade list (成績一覧表) -------------------------------------------------------


@dataclass
class ClassList:
    classroom: Classroom
    term: Term
    subjects: list[Subject]
    scales: dict[int, int | None]  # subject id -> 評定 scale
    enrolments: list[Enrolment]
    results: dict[tuple[int, int], rules.Result]  # (student id, subject id) -> result
    remarks: dict[int, Remark]
    finalised: bool

    def rows(self):
        for enrolment in self.enrolments:
            yield (
                enrolment,
                [
                    (subject, self.results.get((enrolment.student_id, subject.pk)))
                    for subject in self.subjects
                ],
            )


def subjects_for(school_type: str) -> list[Subject]:
    return list(Subject.objects.filter(school_type=school_type).order_by("sort_order"))


def class_lists(
    classrooms: list[Classroom],
    term: Term,
    *,
    graded_only: bool = True,
    year_terms: list[Term] | None = None,
) -> list[ClassList]:
    """成績一覧表 of several classes of one school and term, in a constant number of queries.

    With ``year_terms`` (and ``term`` the unsaved span from ``year_span``): the whole year's
    assessments together, read-only, without overrides, remarks or finalisation (学年の参考値).
    """
    if not classrooms:
        return []
    if year_terms is not None:
        assessment_q = Q(term__in=year_terms)
        score_q = Q(assessment__term__in=year_terms)
    else:
        assessment_q = Q(term=term)
        score_q = Q(assessment__term=term)
    school = classrooms[0].school
    context = grading_context(school)
    subjects = [s for s in subjects_for(school.school_type) if s.is_graded or not graded_only]
    classroom_ids = [c.pk for c in classrooms]
    enrolled_by_class: dict[int, list[Enrolment]] = defaultdict(list)
    for e in (
        Enrolment.objects.filter(classroom_id__in=classroom_ids, enrolled_on__lte=term.end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=term.start))
        .select_related("student")
        .order_by("classroom_id", "roll_number")
    ):
        enrolled_by_class[e.classroom_id].append(e)
    specs: dict[tuple[int, int], list[rules.AssessmentSpec]] = defaultdict(list)
    for a in Assessment.objects.filter(assessment_q, classroom_id__in=classroom_ids):
        specs[(a.classroom_id, a.subject_id)].append(a.spec)
    scores: dict[tuple[int, int, int], dict[int, rules.Score]] = defaultdict(dict)
    for assessment_id, student_id, points, absent, classroom_id, subject_id in Score.objects.filter(
        score_q, assessment__classroom_id__in=classroom_ids
    ).values_list(
        "assessment_id",
        "student_id",
        "points",
        "is_absent",
        "assessment__classroom_id",
        "assessment__subject_id",
    ):
        scores[(classroom_id, student_id, subject_id)][assessment_id] = (
            rules.ABSENT if absent else points
        )
    if year_terms is not None:
        evaluations, finals, remarks = {}, set(), {}
    else:
        evaluations = {
            (e.classroom_id, e.student_id, e.subject_id): e
            for e in Evaluation.objects.filter(classroom_id__in=classroom_ids, term=term)
        }
        finals = set(Finalisation.objects.filter(term=term).values_list("classroom_id", flat=True))
        remarks = {
            r.student_id: r
            for r in Remark.objects.filter(
                term=term,
                student_id__in=[e.student_id for es in enrolled_by_class.values() for e in es],
            )
        }
    archived = year_terms is None and term.school_year.is_read_only
    result = []
    for classroom in classrooms:
        finalised = None in finals or classroom.pk in finals
        results: dict[tuple[int, int], rules.Result] = {}
        for enrolment in enrolled_by_class[classroom.pk]:
            for subject in subjects:
                sid = enrolment.student_id
                evaluation = evaluations.get((classroom.pk, sid, subject.pk))
                subject_specs = specs.get((classroom.pk, subject.pk), [])
                if not subject_specs and evaluation is None:
                    continue
                results[(sid, subject.pk)], _ = result_for(
                    subject_specs,
                    scores.get((classroom.pk, sid, subject.pk), {}),
                    evaluation,
                    context.thresholds(subject.pk),
                    context.rule(classroom.grade, subject),
                    finalised or archived,
                )
        result.append(
            ClassList(
                classroom=classroom,
                term=term,
                subjects=subjects,
                scales={s.pk: context.scale(classroom.grade, s) for s in subjects},
                enrolments=enrolled_by_class[classroom.pk],
                results=results,
                remarks={
                    e.student_id: remarks[e.student_id]
                    for e in enrolled_by_class[classroom.pk]
                    if e.student_id in remarks
                },
                finalised=finalised,
            )
        )
    return result


def class_list(classroom: Classroom, term: Term) -> ClassList:
    return class_lists([classroom], term)[0]


def year_span(classroom: Classroom, terms: list[Term]) -> Term:
    """An unsaved Term spanning the school's terms of the year: 学年 (通年)."""
    return Term(
        school=classroom.school,
        school_year=classroom.school_year,
        number=0,
        name="学年 (通年)",
        start=min(t.start for t in terms),
        end=max(t.end for t in terms),
    )


def year_list(classroom: Classroom) -> ClassList | None:
    """The class's grades over the whole year (every term's assessments), for reference."""
    terms = terms_of_school(classroom.school_id, classroom.school_year_id)
    if not terms:
        return None
    return class_lists([classroom], year_span(classroom, terms), year_terms=terms)[0]


# --- history -----------------------------------------------------------------------------------


def history(
    *,
    student_id: int | None = None,
    term: Term | None = None,
    classroom_id: int | None = None,
    subject_id: int | None = None,
    assessment_id: int | None = None,
) -> QuerySet[GradeChange]:
    qs = GradeChange.objects.select_related("subject", "assessment", "student")
    if student_id is not None:
        qs = qs.filter(student_id=student_id)
    if term is not None:
        qs = qs.filter(term=term)
    if classroom_id is not None:
        qs = qs.filter(classroom_id=classroom_id)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    if assessment_id is not None:
        qs = qs.filter(assessment_id=assessment_id)
    return qs


# --- the board's distribution of 評定 ---------------------------------------------------------


def rating_distribution(
    school_year_id: int, school_type: str, term_number: int
) -> dict[tuple[int, int], dict[int, dict[int, int]]]:
    """(subject id, grade) -> school id -> 評定 -> count, over every class of the municipality
    of ``school_type`` for the term number; no student names leave this function."""
    schools = list(School.objects.filter(school_type=school_type, is_active=True))
    terms = list(
        Term.objects.filter(
            school__in=schools, school_year_id=school_year_id, number=term_number
        ).select_related("school_year")
    )
    out: dict[tuple[int, int], dict[int, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    by_school = {s.pk: s for s in schools}
    for term in terms:
        classrooms = list(
            Classroom.objects.filter(school_id=term.school_id, school_year_id=school_year_id)
            .exclude(grade__isnull=True)
            .select_related("school")
        )
        for classroom in classrooms:
            classroom.school = by_school[term.school_id]
        for cl in class_lists(classrooms, term):
            for (_sid, subject_id), result in cl.results.items():
                if result.rating is not None:
                    out[(subject_id, cl.classroom.grade)][term.school_id][result.rating] += 1
    return out


# --- which school year ---------------------------------------------------------------------------


def school_year_numbered(value: str | None) -> SchoolYear | None:
    """The school year ``?year=2026`` names (the year number, never a pk); without one, the
    current year (or the first, before any is current)."""
    qs = SchoolYear.objects.all()
    if value and value.isdecimal():
        return qs.filter(year=int(value)).first()
    return qs.filter(state=SchoolYear.State.CURRENT).first() or qs.first()


# --- report card layout -------------------------------------------------------------------------


def report_layout():
    """The municipality's 通知表 layout (``layouts.STANDARD`` until the board saves its own)."""
    from gradebook import layouts

    row = ReportCardLayout.objects.order_by("-updated_at").only("config").first()
    return layouts.Layout.from_dict(row.config) if row else layouts.STANDARD


def legacy_layout_body() -> str:
    """A template saved with the old editor that could not be converted (kept, never run)."""
    row = ReportCardLayout.objects.order_by("-updated_at").only("legacy_body").first()
    return row.legacy_body if row else ""


def remarks_of(term: Term, student_ids: Iterable[int]) -> dict[int, Remark]:
    """student id -> 所見 of the term (one query)."""
    return {r.student_id: r for r in Remark.objects.filter(term=term, student_id__in=student_ids)}


def conduct_of(term: Term, student_ids: Iterable[int]) -> dict[int, ConductRecord]:
    """student id -> 行動の記録・特別活動 etc. of the term (one query)."""
    return {
        r.student_id: r for r in ConductRecord.objects.filter(term=term, student_id__in=student_ids)
    }


# --- 確定 asks first: what is missing ------------------------------------------------------


@dataclass
class Gap:
    """One pupil's missing entries before 確定 (named as a teacher would: 3年1組 5番 山田花子)."""

    classroom: Classroom
    enrolment: Enrolment
    subjects_without_rating: list[str]
    blank_remark: bool

    @property
    def pupil(self) -> str:
        return (
            f"{self.classroom.label} {self.enrolment.roll_number}番 {self.enrolment.student.name}"
        )

    @property
    def text(self) -> str:
        parts = []
        if self.subjects_without_rating:
            parts.append("評定なし: " + "、".join(self.subjects_without_rating))
        if self.blank_remark:
            parts.append("所見が空欄")
        return "・".join(parts)


def finalisation_gaps(term: Term, classrooms: list[Classroom]) -> list[Gap]:
    """Pupils without a 評定 in a subject that has one, or with a blank 所見 (constant queries)."""
    gaps = []
    for cl in class_lists(classrooms, term):
        for enrolment, cells in cl.rows():
            missing = [
                subject.name
                for subject, result in cells
                if cl.scales.get(subject.pk) and (result is None or result.rating is None)
            ]
            remark = cl.remarks.get(enrolment.student_id)
            blank = remark is None or not remark.text.strip()
            if missing or blank:
                gaps.append(Gap(cl.classroom, enrolment, missing, blank))
    return gaps
