"""Every write of the gradebook: one function per user action, one transaction, audited.

Who may write (asked of ``schools.permissions.Actor``):

- before 確定: the class × subject's 教科担任, or an administrator of the school;
- after 確定 (of the school's term or of the class): administrators only;
- never in an archived year (指導要録 retention: old years stay unchanged).

Every changed score, viewpoint grade, 評定 and remark is written to ``GradeChange``
(who, when, old, new, reason, before/after finalising) and one ``AuditEvent`` per action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from gradebook import layouts, queries, rules
from gradebook.models import (
    Assessment,
    ConductRecord,
    Evaluation,
    Finalisation,
    GradeChange,
    GradingSettings,
    Remark,
    Score,
)
from schools import audit
from schools.models import Classroom, School, SchoolType, SchoolYear, Subject, Term
from schools.permissions import Actor

# --- who may write (asked of the Actor; the finalised state is the gradebook's to know) -------


def _finalised_for_write(by: Actor, classroom: Classroom, subject_id: int, term: Term) -> bool:
    """Check that ``by`` may write the class × subject in ``term``; answer whether it is 確定."""
    if term.school_id != classroom.school_id or term.school_year_id != classroom.school_year_id:
        raise ValidationError("学期と学級の学校・年度が一致しません。")
    finalised = queries.is_finalised(term, classroom)
    by.require_teaching_write(classroom, subject_id, finalised=finalised)
    return finalised


# --- the score grid ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CellInput:
    """One cell a teacher saves: the text typed and the version it started from (0 = none)."""

    student_id: int
    assessment_id: int
    text: str
    version: int = 0


@dataclass
class CellProblem:
    student_id: int
    assessment_id: int
    message: str
    current_text: str = ""
    current_version: int = 0

    def as_dict(self) -> dict:
        return {
            "student": self.student_id,
            "assessment": self.assessment_id,
            "message": self.message,
            "current": self.current_text,
            "version": self.current_version,
        }


class GridInvalid(Exception):
    """Cells that cannot be stored (bad numbers, unknown students): nothing was written."""

    def __init__(self, problems: list[CellProblem], message: str = ""):
        self.problems = problems
        self.message = message or f"{len(problems)} 件の入力に誤りがあります。保存していません。"
        super().__init__(self.message)


class GridConflict(Exception):
    """Cells changed by someone else since the teacher loaded them: nothing was written."""

    def __init__(self, problems: list[CellProblem]):
        self.problems = problems
        self.message = (
            f"{len(problems)} 件のセルは他の人が先に変更しました。現在の値を表示しています。"
            "確認してからもう一度保存してください。"
        )
        super().__init__(self.message)


@dataclass
class SaveResult:
    changed: int
    versions: dict[tuple[int, int], int] = field(default_factory=dict)  # (student, assessment)


def save_scores(
    classroom: Classroom,
    subject: Subject,
    term: Term,
    cells: list[CellInput],
    *,
    by: Actor,
    reason: str = "",
) -> SaveResult:
    """Save a block of cells (a whole grid, or an imported sheet) all or nothing.

    Constant number of queries whatever the number of cells.
    """
    finalised = _finalised_for_write(by, classroom, subject.pk, term)
    assessments = {a.pk: a for a in queries.assessments_of(classroom, subject, term)}
    student_ids = {e.student_id for e in queries.enrolments(classroom, term)}
    problems: list[CellProblem] = []
    parsed: dict[tuple[int, int], tuple[rules.Score, CellInput]] = {}
    for cell in cells:
        assessment = assessments.get(cell.assessment_id)
        if assessment is None or cell.student_id not in student_ids:
            problems.append(
                CellProblem(
                    cell.student_id, cell.assessment_id, "この学級・教科の欄ではありません。"
                )
            )
            continue
        try:
            value = rules.parse_score(cell.text, assessment.max_points)
        except rules.ScoreError as exc:
            problems.append(CellProblem(cell.student_id, cell.assessment_id, str(exc)))
            continue
        parsed[(cell.student_id, cell.assessment_id)] = (value, cell)
    if problems:
        raise GridInvalid(problems)
    if finalised and not reason.strip():
        raise ValidationError({"reason": "確定後の変更には理由が必要です。"})
    try:
        with transaction.atomic():
            result = _write_scores(by, classroom, subject, term, parsed, finalised, reason)
            if finalised and result.changed:
                _refresh_snapshots(by, classroom, subject, term, reason=reason)
            return result
    except IntegrityError as exc:
        # Two first saves of the same blank cell at once: the loser is told, nothing is lost.
        raise GridConflict(
            [CellProblem(0, 0, "他の人が同時に保存しました。再読み込みしてください。")]
        ) from exc


def _write_scores(by: Actor, classroom, subject, term, parsed, finalised, reason) -> SaveResult:
    existing = {
        (s.student_id, s.assessment_id): s
        for s in Score.objects.select_for_update().filter(
            assessment_id__in={a for _, a in parsed}, student_id__in={s for s, _ in parsed}
        )
    }
    conflicts: list[CellProblem] = []
    to_create: list[Score] = []
    to_update: list[Score] = []
    changes: list[GradeChange] = []
    now = timezone.now()
    name = audit.display_name(by)
    for key, (value, cell) in parsed.items():
        current = existing.get(key)
        current_value = current.value if current else None
        current_version = current.version if current else 0
        if _same(current_value, value):
            continue  # unchanged: whatever version the client had, nothing to do
        if cell.version != current_version:
            conflicts.append(
                CellProblem(
                    key[0],
                    key[1],
                    "他の人が先に変更しました。",
                    current_text=rules.format_score(current_value),
                    current_version=current_version,
                )
            )
            continue
        points = None if value is None or value is rules.ABSENT else value
        absent = value is rules.ABSENT
        if current is None:
            current = Score(
                student_id=key[0],
                assessment_id=key[1],
                points=points,
                is_absent=absent,
                version=1,
                updated_by_id=by.user_id,
                updated_at=now,
            )
            to_create.append(current)
        else:
            current.points, current.is_absent = points, absent
            current.version += 1
            current.updated_by_id, current.updated_at = by.user_id, now
            to_update.append(current)
        changes.append(
            GradeChange(
                actor_id=by.user_id,
                actor_name=name,
                kind=GradeChange.Kind.SCORE,
                student_id=key[0],
                classroom=classroom,
                subject=subject,
                term=term,
                assessment_id=key[1],
                field="points",
                old=rules.format_score(current_value),
                new=rules.format_score(value),
                reason=reason,
                after_finalisation=finalised,
            )
        )
    if conflicts:
        raise GridConflict(conflicts)
    Score.objects.bulk_create(to_create)
    Score.objects.bulk_update(
        to_update, ["points", "is_absent", "version", "updated_by", "updated_at"]
    )
    GradeChange.objects.bulk_create(changes)
    if changes:
        audit.record(
            by,
            "gradebook.scores.save",
            classroom,
            school=classroom.school,
            reason=reason,
            changes={
                "subject": subject.name,
                "term": term.name,
                "count": len(changes),
                "student_ids": sorted({c.student_id for c in changes}),
                # [student, assessment, old, new] of each changed cell
                "cells": [[c.student_id, c.assessment_id, c.old, c.new] for c in changes[:200]],
            },
        )
    versions = {(s.student_id, s.assessment_id): s.version for s in [*to_create, *to_update]}
    return SaveResult(changed=len(changes), versions=versions)


def _same(a: rules.Score, b: rules.Score) -> bool:
    if a is None or b is None or a is rules.ABSENT or b is rules.ABSENT:
        return a is b
    return Decimal(a) == Decimal(b)


# --- assessments -------------------------------------------------------------------------------


ASSESSMENT_FIELDS = (
    "title",
    "date",
    "kind",
    "max_points",
    "weight_knowledge",
    "weight_thinking",
    "weight_attitude",
    "sort_order",
)


def _validate_assessment(data: dict, existing: Assessment | None) -> None:
    weights = [data.get(f) or 0 for f in ("weight_knowledge", "weight_thinking", "weight_attitude")]
    errors: dict[str, str] = {}
    if any(w < 0 for w in weights):
        errors["weight_knowledge"] = "重みは 0 以上にしてください。"
    elif not any(w > 0 for w in weights):
        errors["weight_knowledge"] = "少なくとも一つの観点に重みを付けてください。"
    max_points = data.get("max_points")
    if max_points is None or max_points <= 0:
        errors["max_points"] = "満点は 0 より大きくしてください。"
    elif existing is not None and max_points < existing.max_points:
        top = (
            Score.objects.filter(assessment=existing, points__gt=max_points)
            .order_by("-points")
            .values_list("points", flat=True)
            .first()
        )
        if top is not None:
            errors["max_points"] = (
                f"満点より高い得点 ({rules.format_points(top)}) が入力済みです。先に得点を直してください。"
            )
    if errors:
        raise ValidationError(errors)


def create_assessment(
    classroom: Classroom, subject: Subject, term: Term, data: dict, *, by: Actor
) -> Assessment:
    _finalised_for_write(by, classroom, subject.pk, term)
    if subject.school_type != classroom.school.school_type:
        raise ValidationError({"subject": "この学校種の教科ではありません。"})
    _validate_assessment(data, None)
    with transaction.atomic():
        if not data.get("sort_order"):
            data = {
                **data,
                "sort_order": Assessment.objects.filter(
                    classroom=classroom, subject=subject, term=term
                ).count()
                + 1,
            }
        assessment = Assessment.objects.create(
            classroom=classroom,
            subject=subject,
            term=term,
            **{k: v for k, v in data.items() if k in ASSESSMENT_FIELDS},
        )
        audit.record(
            by,
            "gradebook.assessment.create",
            assessment,
            school=classroom.school,
            changes={k: str(data.get(k)) for k in ASSESSMENT_FIELDS if k in data},
        )
    return assessment


def update_assessment(assessment: Assessment, data: dict, *, by: Actor) -> Assessment:
    finalised = _finalised_for_write(
        by, assessment.classroom, assessment.subject_id, assessment.term
    )
    _validate_assessment(data, assessment)
    with transaction.atomic():
        before = {k: str(getattr(assessment, k)) for k in ASSESSMENT_FIELDS}
        for key in ASSESSMENT_FIELDS:
            if key in data:
                setattr(assessment, key, data[key])
        assessment.save()
        after = {k: str(getattr(assessment, k)) for k in ASSESSMENT_FIELDS}
        diff = {k: [before[k], after[k]] for k in ASSESSMENT_FIELDS if before[k] != after[k]}
        audit.record(
            by,
            "gradebook.assessment.update",
            assessment,
            school=assessment.classroom.school,
            changes=diff,
        )
        if finalised and diff:
            _refresh_snapshots(
                by,
                assessment.classroom,
                assessment.subject,
                assessment.term,
                reason="評価材料の変更",
            )
    return assessment


def delete_assessment(assessment: Assessment, *, by: Actor) -> None:
    finalised = _finalised_for_write(
        by, assessment.classroom, assessment.subject_id, assessment.term
    )
    if finalised:
        raise ValidationError("確定済みの学期の評価材料は削除できません。")
    with transaction.atomic():
        name = audit.display_name(by)
        changes = [
            GradeChange(
                actor_id=by.user_id,
                actor_name=name,
                kind=GradeChange.Kind.SCORE,
                student_id=s.student_id,
                classroom=assessment.classroom,
                subject=assessment.subject,
                term=assessment.term,
                assessment=None,
                field=f"points:{assessment.title}",
                old=s.text,
                new="",
                reason="評価材料の削除",
            )
            for s in assessment.scores.all()
            if s.points is not None or s.is_absent
        ]
        GradeChange.objects.bulk_create(changes)
        audit.record(
            by,
            "gradebook.assessment.delete",
            assessment,
            school=assessment.classroom.school,
            changes={
                "title": [assessment.title, None],
                "scores": len(changes),
                "student_ids": sorted({c.student_id for c in changes}),
                "cells": [[c.student_id, c.old, ""] for c in changes[:200]],
            },
        )
        assessment.delete()


# --- overrides of a viewpoint grade or 評定 -----------------------------------------------------


OVERRIDE_FIELDS = {
    rules.KNOWLEDGE: "override_knowledge",
    rules.THINKING: "override_thinking",
    rules.ATTITUDE: "override_attitude",
}


def override_evaluation(
    classroom: Classroom,
    subject: Subject,
    term: Term,
    student_id: int,
    *,
    by: Actor,
    levels: dict[str, str | None],
    rating: int | None,
    reason: str,
    version: int | None = None,
) -> Evaluation:
    """Set (or clear, with None/"") the teacher's overrides of one student's evaluation."""
    finalised = _finalised_for_write(by, classroom, subject.pk, term)
    if student_id not in {e.student_id for e in queries.enrolments(classroom, term)}:
        raise ValidationError("この学級の児童生徒ではありません。")
    context = queries.grading_context(classroom.school)
    scale = context.scale(classroom.grade, subject)
    if not subject.is_graded:
        raise ValidationError("この教科には観点別評価・評定がありません。")
    errors = rules.validate_override(levels, rating, scale, reason)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        evaluation, _ = Evaluation.objects.select_for_update().get_or_create(
            student_id=student_id, classroom=classroom, subject=subject, term=term
        )
        if version is not None and version != evaluation.version:
            raise ValidationError(
                {"version": "他の人が先にこの評価を変更しました。再読み込みしてください。"}
            )
        name = audit.display_name(by)
        changes = []
        for vp, value in levels.items():
            attr = OVERRIDE_FIELDS[vp]
            old, new = getattr(evaluation, attr), value or ""
            if old != new:
                setattr(evaluation, attr, new)
                changes.append((GradeChange.Kind.LEVEL, vp, old, new))
        new_rating = rating
        if evaluation.override_rating != new_rating:
            changes.append(
                (GradeChange.Kind.RATING, "rating", _s(evaluation.override_rating), _s(new_rating))
            )
            evaluation.override_rating = new_rating
        if not changes:
            return evaluation
        evaluation.override_reason = reason.strip()
        evaluation.version += 1
        evaluation.save()
        GradeChange.objects.bulk_create(
            GradeChange(
                actor_id=by.user_id,
                actor_name=name,
                kind=kind,
                student_id=student_id,
                classroom=classroom,
                subject=subject,
                term=term,
                field=f"override:{fld}",
                old=old,
                new=new,
                reason=reason.strip(),
                after_finalisation=finalised,
            )
            for kind, fld, old, new in changes
        )
        audit.record(
            by,
            "gradebook.evaluation.override",
            evaluation,
            school=classroom.school,
            reason=reason.strip(),
            changes={
                "student_id": student_id,
                "subject": subject.name,
                "term": term.name,
                **{fld: [old, new] for _, fld, old, new in changes},
            },
        )
        if finalised:
            _refresh_snapshots(
                by, classroom, subject, term, reason=reason, student_ids={student_id}
            )
    evaluation.refresh_from_db()
    return evaluation


def _s(value) -> str:
    return "" if value is None else str(value)


# --- finalised snapshots -------------------------------------------------------------------


def _refresh_snapshots(
    by: Actor,
    classroom: Classroom,
    subject: Subject,
    term: Term,
    *,
    reason: str,
    student_ids: set[int] | None = None,
) -> None:
    """After a change to a finalised class-subject: recompute and store the snapshot, with history
    of every viewpoint grade and 評定 that moved."""
    grid = queries.grid(classroom, subject, term)
    _store_snapshots(by, [(classroom, subject, term, grid)], reason, student_ids, after=True)


def _store_snapshots(by: Actor, grids, reason: str, student_ids=None, *, after: bool) -> int:
    now = timezone.now()
    name = audit.display_name(by)
    new_rows, changed_rows, history = [], [], []
    for classroom, subject, term, grid in grids:
        # A row the grid computed live is reused; a row showing a stored snapshot is recomputed.
        context_live = {
            row.enrolment.student_id: row.result
            if not row.snapshot
            else rules.evaluate(
                [a.spec for a in grid.assessments],
                {pk: (s.value if s else None) for pk, s in row.cells.items()},
                thresholds=grid.thresholds,
                rule=grid.rule,
                overrides=row.evaluation.overrides if row.evaluation else None,
            )
            for row in grid.rows
            if student_ids is None or row.enrolment.student_id in student_ids
        }
        by_student = {row.enrolment.student_id: row.evaluation for row in grid.rows}
        for sid, live in context_live.items():
            empty = all(v is None for v in live.levels.values()) and live.rating is None
            if empty and by_student.get(sid) is None:
                continue  # nothing entered for this student: no row needed
            evaluation = by_student.get(sid) or Evaluation(
                student_id=sid, classroom=classroom, subject=subject, term=term
            )
            old = (
                (
                    [
                        evaluation.final_knowledge,
                        evaluation.final_thinking,
                        evaluation.final_attitude,
                    ],
                    evaluation.final_rating,
                )
                if evaluation.finalised_at
                else None
            )
            new_levels = [live.levels[vp] or "" for vp in rules.VIEWPOINTS]
            evaluation.final_knowledge, evaluation.final_thinking, evaluation.final_attitude = (
                new_levels
            )
            evaluation.final_rating = live.rating
            evaluation.finalised_at = now
            if evaluation.pk is None:
                new_rows.append(evaluation)
            else:
                changed_rows.append(evaluation)
            if after and old is not None:
                for vp, o, n in zip(rules.VIEWPOINTS, old[0], new_levels, strict=True):
                    if o != n:
                        history.append((evaluation, GradeChange.Kind.LEVEL, vp, o, n))
                if old[1] != live.rating:
                    history.append(
                        (evaluation, GradeChange.Kind.RATING, "rating", _s(old[1]), _s(live.rating))
                    )
    Evaluation.objects.bulk_create(new_rows)
    Evaluation.objects.bulk_update(
        changed_rows,
        ["final_knowledge", "final_thinking", "final_attitude", "final_rating", "finalised_at"],
    )
    GradeChange.objects.bulk_create(
        GradeChange(
            actor_id=by.user_id,
            actor_name=name,
            kind=kind,
            student_id=ev.student_id,
            classroom_id=ev.classroom_id,
            subject_id=ev.subject_id,
            term_id=ev.term_id,
            field=f"final:{fld}",
            old=o,
            new=n,
            reason=reason,
            after_finalisation=True,
        )
        for ev, kind, fld, o, n in history
    )
    return len(new_rows) + len(changed_rows)


# --- finalising (確定) ----------------------------------------------------------------------


class FinalisationGaps(ValidationError):
    """確定 refused because pupils lack a 評定 or a 所見 and no one chose to finalise anyway;
    ``gaps`` names them (the page lists them, the API answers them with a 409)."""

    def __init__(self, message: str, gaps: list[queries.Gap]):
        super().__init__(message)
        self.gaps = gaps


def finalise(
    term: Term,
    classroom: Classroom | None = None,
    *,
    by: Actor,
    gaps_accepted: bool | None = None,
) -> Finalisation:
    """確定: store the snapshot of every evaluation of the school (or the class) for the term.

    ``gaps_accepted``: the page's explicit choice. False refuses while a pupil lacks a 評定 or
    a 所見 (the confirmation lists them, ``queries.finalisation_gaps``); True finalises anyway
    and records how many gaps there were (the API's ``allow_gaps``, the page's box); None
    (the demo, which does not ask) finalises as before. Refused gaps raise
    ``FinalisationGaps`` naming them.
    """
    by.require_finalise(term, "成績を確定できるのは学校管理者です。")
    if classroom is not None and classroom.school_id != term.school_id:
        raise ValidationError("学級と学期の学校が一致しません。")
    if Finalisation.objects.filter(term=term, classroom__isnull=True).exists() or (
        classroom is not None
        and Finalisation.objects.filter(term=term, classroom=classroom).exists()
    ):
        raise ValidationError("すでに確定しています。")
    classrooms = (
        [classroom]
        if classroom is not None
        else list(
            Classroom.objects.filter(
                school_id=term.school_id, school_year_id=term.school_year_id
            ).select_related("school", "school_year")
        )
    )
    gaps = queries.finalisation_gaps(term, classrooms) if gaps_accepted is not None else []
    if gaps and not gaps_accepted:
        raise FinalisationGaps(
            f"未入力が{len(gaps)}人分あります (評定のない教科・空欄の所見)。"
            "このまま確定するには「未入力があるまま確定する」を選んでください。",
            gaps,
        )
    with transaction.atomic():
        count = _store_snapshots(by, _grids_of(term, classrooms), "確定", after=False)
        if classroom is None:
            # The school-wide row replaces per-class ones.
            Finalisation.objects.filter(term=term).delete()
        fin = Finalisation.objects.create(
            term=term, classroom=classroom, finalised_by_id=by.user_id
        )
        audit.record(
            by,
            "gradebook.finalisation.finalise",
            fin,
            school=term.school,
            changes={
                "term": term.name,
                "classroom": classroom.label if classroom else "学校全体",
                "evaluations": count,
                "state": ["未確定", "確定"],
                **({"gaps": len(gaps)} if gaps else {}),
            },
        )
    return fin


def _grids_of(term: Term, classrooms: list[Classroom]) -> list:
    """The grids of every class × subject of ``classrooms`` with something entered in ``term``."""
    pairs = set(
        Assessment.objects.filter(classroom__in=classrooms, term=term).values_list(
            "classroom_id", "subject_id"
        )
    ) | set(
        Evaluation.objects.filter(classroom__in=classrooms, term=term).values_list(
            "classroom_id", "subject_id"
        )
    )
    subjects = Subject.objects.in_bulk({s for _, s in pairs})
    by_id = {c.pk: c for c in classrooms}
    grids = []
    for classroom_id, subject_id in sorted(pairs):
        c, s = by_id[classroom_id], subjects[subject_id]
        grids.append((c, s, term, queries.grid(c, s, term)))
    return grids


def seal_year(school_year: SchoolYear, *, by: Actor) -> int:
    """年度切替: store the grades of every term not yet 確定 of a year being archived, as they
    stand under today's thresholds, so that a later change of settings never alters them
    (a past year's grades are read from these snapshots, finalised or not)."""
    terms = list(Term.objects.filter(school_year=school_year).select_related("school"))
    finalised = set(
        Finalisation.objects.filter(term__in=terms).values_list("term_id", "classroom_id")
    )
    classrooms = list(
        Classroom.objects.filter(school_year=school_year).select_related("school", "school_year")
    )
    count = 0
    with transaction.atomic():
        for term in terms:
            if (term.pk, None) in finalised:
                continue
            open_classes = [
                c
                for c in classrooms
                if c.school_id == term.school_id and (term.pk, c.pk) not in finalised
            ]
            if open_classes:
                count += _store_snapshots(
                    by, _grids_of(term, open_classes), "年度切替", after=False
                )
        audit.record(
            by,
            "gradebook.finalisation.seal",
            school_year,
            changes={"school_year": school_year.year, "evaluations": count},
        )
    return count


def unfinalise(finalisation: Finalisation, *, by: Actor, reason: str) -> None:
    """確定の取消: teachers may write again; the snapshot stays in the history."""
    term = finalisation.term
    by.require_finalise(term, "確定を取り消せるのは学校管理者です。")
    if not reason.strip():
        raise ValidationError({"reason": "取り消しの理由を入力してください。"})
    with transaction.atomic():
        audit.record(
            by,
            "gradebook.finalisation.cancel",
            finalisation,
            school=term.school,
            reason=reason,
            changes={
                "term": term.name,
                "classroom": finalisation.classroom.label if finalisation.classroom else "学校全体",
                "state": ["確定", "未確定"],
            },
        )
        finalisation.delete()


# --- remarks (所見) -------------------------------------------------------------------------


@dataclass(frozen=True)
class RemarkInput:
    student_id: int
    text: str
    version: int = 0


def save_remarks(classroom: Classroom, term: Term, items: list[RemarkInput], *, by: Actor) -> int:
    finalised = queries.is_finalised(term, classroom)
    by.require_remarks_write(classroom, finalised=finalised)
    student_ids = {e.student_id for e in queries.enrolments(classroom, term)}
    errors = {}
    for item in items:
        if item.student_id not in student_ids:
            errors[str(item.student_id)] = "この学級の児童生徒ではありません。"
        elif len(item.text) > 2000:
            errors[str(item.student_id)] = "所見は 2000 文字以内にしてください。"
    if errors:
        raise ValidationError(errors)
    name = audit.display_name(by)
    with transaction.atomic():
        existing = {
            r.student_id: r
            for r in Remark.objects.select_for_update().filter(
                term=term, student_id__in=[i.student_id for i in items]
            )
        }
        to_create, to_update, history, conflicts = [], [], [], {}
        for item in items:
            remark = existing.get(item.student_id)
            text = item.text.strip()
            old = remark.text if remark else ""
            if old == text:
                continue
            if (remark.version if remark else 0) != item.version:
                conflicts[str(item.student_id)] = (
                    "他の人が先に変更しました。現在の所見: " + old[:100]
                )
                continue
            if remark is None:
                to_create.append(
                    Remark(
                        student_id=item.student_id, term=term, text=text, updated_by_id=by.user_id
                    )
                )
            else:
                remark.text, remark.version = text, remark.version + 1
                remark.updated_by_id = by.user_id
                remark.updated_at = timezone.now()
                to_update.append(remark)
            history.append(
                GradeChange(
                    actor_id=by.user_id,
                    actor_name=name,
                    kind=GradeChange.Kind.REMARK,
                    student_id=item.student_id,
                    classroom=classroom,
                    term=term,
                    field="remark",
                    old=old,
                    new=text,
                    after_finalisation=finalised,
                )
            )
        if conflicts:
            raise ValidationError(conflicts)
        Remark.objects.bulk_create(to_create)
        Remark.objects.bulk_update(to_update, ["text", "version", "updated_by", "updated_at"])
        GradeChange.objects.bulk_create(history)
        if history:
            audit.record(
                by,
                "gradebook.remarks.save",
                classroom,
                school=classroom.school,
                changes={
                    "term": term.name,
                    "count": len(history),
                    "student_ids": sorted({h.student_id for h in history}),
                    # [student, old, new] of each changed 所見 (the full texts: 変更履歴)
                    "remarks": [[h.student_id, h.old[:200], h.new[:200]] for h in history[:100]],
                },
            )
    return len(history)


# --- 行動の記録・特別活動・外国語活動・総合 (conduct) ---------------------------------------------


@dataclass(frozen=True)
class ConductInput:
    """One pupil's row of the entry grid: the items marked ○ and the two texts."""

    student_id: int
    behaviour: frozenset[str] = frozenset()
    special: frozenset[str] = frozenset()
    foreign_language: str = ""
    integrated_study: str = ""
    version: int = 0


def conduct_items(classroom: Classroom) -> tuple[dict[str, str], dict[str, str]]:
    """(行動の記録 items, 特別活動 items) of the class's school type."""
    elementary = classroom.school.school_type == SchoolType.ELEMENTARY
    return rules.BEHAVIOUR_ITEMS, rules.special_activity_items(elementary)


def save_conduct(classroom: Classroom, term: Term, items: list[ConductInput], *, by: Actor) -> int:
    """Save the class's grid in one go; returns how many pupils' rows changed."""
    finalised = queries.is_finalised(term, classroom)
    by.require_conduct_write(classroom, finalised=finalised)
    behaviour_keys, special_items = conduct_items(classroom)
    student_ids = {e.student_id for e in queries.enrolments(classroom, term)}
    limit = rules.CONDUCT_TEXT_MAX
    errors = {}
    for item in items:
        if item.student_id not in student_ids:
            errors[str(item.student_id)] = "この学級の児童生徒ではありません。"
        elif len(item.foreign_language) > limit or len(item.integrated_study) > limit:
            errors[str(item.student_id)] = f"記述は {limit} 文字以内にしてください。"
        elif not (item.behaviour <= set(behaviour_keys) and item.special <= set(special_items)):
            errors[str(item.student_id)] = "項目が正しくありません。"
    if errors:
        raise ValidationError(errors)
    fields = ("behaviour", "special", "foreign_language", "integrated_study")
    with transaction.atomic():
        existing = {
            r.student_id: r
            for r in ConductRecord.objects.select_for_update().filter(
                term=term, student_id__in=[i.student_id for i in items]
            )
        }
        to_create, to_update, changes, conflicts = [], [], [], {}
        for item in items:
            record = existing.get(item.student_id)
            new = {
                # stored in the 指導要録's order, so that equal sets compare equal
                "behaviour": [k for k in behaviour_keys if k in item.behaviour],
                "special": [k for k in rules.SPECIAL_ACTIVITY_KEYS if k in item.special],
                "foreign_language": item.foreign_language.strip(),
                "integrated_study": item.integrated_study.strip(),
            }
            old = (
                {f: getattr(record, f) for f in fields}
                if record
                else {
                    "behaviour": [],
                    "special": [],
                    "foreign_language": "",
                    "integrated_study": "",
                }
            )
            if old == new:
                continue
            if (record.version if record else 0) != item.version:
                conflicts[str(item.student_id)] = (
                    "他の人が先に変更しました。再読み込みしてください。"
                )
                continue
            if record is None:
                to_create.append(
                    ConductRecord(
                        student_id=item.student_id, term=term, updated_by_id=by.user_id, **new
                    )
                )
            else:
                for f, value in new.items():
                    setattr(record, f, value)
                record.version += 1
                record.updated_by_id = by.user_id
                record.updated_at = timezone.now()
                to_update.append(record)
            changes.append(
                [item.student_id, {f: [old[f], new[f]] for f in fields if old[f] != new[f]}]
            )
        if conflicts:
            raise ValidationError(conflicts)
        ConductRecord.objects.bulk_create(to_create)
        ConductRecord.objects.bulk_update(
            to_update, [*fields, "version", "updated_by", "updated_at"]
        )
        if changes:
            audit.record(
                by,
                "gradebook.conduct.save",
                classroom,
                school=classroom.school,
                changes={
                    "term": term.name,
                    "count": len(changes),
                    "student_ids": sorted(c[0] for c in changes),
                    # [student, {field: [old, new]}] of each changed row
                    "rows": changes[:100],
                },
            )
    return len(changes)


# --- settings ----------------------------------------------------------------------------


def _require_settings(by: Actor, school: School | None) -> None:
    """Municipality defaults: the BoE administrator; a school's own: its administrator."""
    by.require(by.can_manage_municipality if school is None else by.can_manage_school(school.pk))


def save_settings(school: School | None, data: dict, *, by: Actor) -> GradingSettings:
    """Municipality defaults (school None, BoE administrator) or a school's own (its admin)."""
    _require_settings(by, school)
    try:
        rules.Thresholds(a=data["threshold_a"], b=data["threshold_b"])
    except ValueError as exc:
        raise ValidationError({"threshold_b": str(exc)}) from exc
    for scale in (5, 3):
        if data.get(f"rule_{scale}") == rules.CUSTOM:
            try:
                rules.named_rule(rules.CUSTOM, scale, data.get(f"table_{scale}"))
            except ValueError as exc:
                raise ValidationError({f"rule_{scale}": str(exc)}) from exc
    with transaction.atomic():
        obj, _ = GradingSettings.objects.get_or_create(school=school)
        before = {k: str(getattr(obj, k)) for k in data}
        for key, value in data.items():
            setattr(obj, key, value)
        obj.save()
        audit.record(
            by,
            "gradebook.settings.save",
            obj,
            school=school,
            changes={k: [before[k], str(v)] for k, v in data.items() if before[k] != str(v)},
        )
    return obj


# --- report card layout ----------------------------------------------------------------------


def save_layout(layout: layouts.Layout | None, *, by: Actor):
    """Save (or with None, remove: back to the standard layout) the municipality's layout.

    A template kept from the old editor (``legacy_body``) stays stored until a reset."""
    from gradebook.models import ReportCardLayout

    by.require(by.can_manage_municipality, "通知表のレイアウトは教育委員会の管理者が編集します。")
    with transaction.atomic():
        before = ReportCardLayout.objects.select_for_update().order_by("-updated_at").first()
        old = layouts.Layout.from_dict(before.config).to_dict() if before else None
        ReportCardLayout.objects.all().delete()
        row = None
        new = layout.to_dict() if layout is not None else None
        if layout is not None:
            row = ReportCardLayout.objects.create(
                config=new,
                legacy_body=before.legacy_body if before else "",
                updated_by_id=by.user_id,
            )
        old_values, new_values = (
            old or layouts.STANDARD.to_dict(),
            new or layouts.STANDARD.to_dict(),
        )
        audit.record(
            by,
            "gradebook.layout.save",
            row,
            target_type="gradebook.reportcardlayout",
            changes={
                **{k: [old_values[k], v] for k, v in new_values.items() if old_values[k] != v},
                "reset": layout is None,
            },
        )
    return row


def save_subject_thresholds(
    school: School | None, subject: Subject, a: Decimal | None, b: Decimal | None, *, by: Actor
):
    """A subject's own thresholds (municipality-wide with ``school`` None, or one school's);
    ``a`` None removes them (the general thresholds apply again)."""
    from gradebook.models import SubjectThresholds

    _require_settings(by, school)
    if school is not None and subject.school_type != school.school_type:
        raise ValidationError({"subject": "この学校種の教科を選んでください。"})
    with transaction.atomic():
        row = SubjectThresholds.objects.filter(school=school, subject=subject).first()
        before = [str(row.threshold_a), str(row.threshold_b)] if row else None
        if a is None:
            if row is not None:
                row.delete()
        else:
            try:
                rules.Thresholds(a=a, b=b)
            except ValueError as exc:
                raise ValidationError({"threshold_b": str(exc)}) from exc
            row = row or SubjectThresholds(school=school, subject=subject)
            row.threshold_a, row.threshold_b = a, b
            row.save()
        audit.record(
            by,
            "gradebook.subject_thresholds.save",
            school=school,
            target_type="gradebook.subjectthresholds",
            target_id=str(subject.pk),
            changes={
                "subject": subject.name,
                "thresholds": [before, None if a is None else [str(a), str(b)]],
            },
        )


# --- exports (成績一覧表, score grids, 通知表): who took a copy of which grades ----------------

EXPORTS = ("scores", "class_list", "report_cards")


def record_export(
    thing: str,
    classroom: Classroom,
    term: Term,
    *,
    by: Actor,
    output: str,
    subject: Subject | None = None,
    student_id: int | None = None,
) -> None:
    """The one place a gradebook export or print is audited (``gradebook.<thing>.export``),
    with what was taken: class, term, subject or student, and the format (xlsx, print)."""
    if thing not in EXPORTS:
        raise ValueError(f"unknown gradebook export {thing!r}")
    params: dict = {
        "classroom": classroom.label,
        "classroom_id": classroom.pk,
        "term": term.name,
        "term_id": term.pk,
        "format": output,
    }
    if subject is not None:
        params |= {"subject": subject.name, "subject_id": subject.pk}
    if student_id is not None:
        params["student_id"] = student_id
    audit.record_export(
        by, f"gradebook.{thing}.export", classroom, school=classroom.school, params=params
    )


def record_report_card_view(
    classroom: Classroom, term: Term, student_ids: list[int], *, by: Actor
) -> None:
    """Who opened which pupils' 通知表 (an access log: the one write of this read)."""
    audit.record_read(
        by,
        "gradebook.report_card.view",
        classroom,
        school=classroom.school,
        params={
            "classroom": classroom.label,
            "term": term.name,
            "term_id": term.pk,
            **({"student_id": student_ids[0]} if len(student_ids) == 1 else {}),
            "student_ids": student_ids,
        },
    )
