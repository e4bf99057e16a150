"""Grades' part of leaving with all the data (see schools/leaving/): its tables, and the
成績一覧表 of every school for each term (one sheet per class, as the page exports it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gradebook import excel, queries
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
from schools.leaving import Table
from schools.models import Classroom, Term
from schools.permissions import Actor


def tables() -> list[Table]:
    return [
        Table(model)
        for model in (
            GradingSettings,
            SubjectThresholds,
            ReportCardLayout,
            Assessment,
            Score,
            Evaluation,
            Remark,
            ConductRecord,
            Finalisation,
            GradeChange,
        )
    ]


def workbooks(*, by: Actor, progress: Callable[[str], None]) -> Iterator[tuple[str, bytes]]:
    """成績一覧表: one workbook per school and term, a sheet per class."""
    terms = Term.objects.select_related("school", "school_year").order_by(
        "school_year__year", "school__mext_code", "number"
    )
    for term in terms:
        classrooms = list(
            Classroom.objects.filter(school=term.school, school_year=term.school_year)
            .select_related("school", "school_year")
            .order_by("is_special_needs", "grade", "sort_order", "name")
        )
        lists = queries.class_lists(classrooms, term)
        if not lists:
            continue
        progress(
            f"{term.school_year.year}年度 {term.school.name} {term.name}の成績を書き出しています"
        )
        book = excel.class_list_workbook(lists)
        name = f"成績/{term.school_year.year}年度/成績一覧表_{term.school.name}_{term.name}.xlsx"
        yield name, book.to_bytes()
