"""Benchmark: report cards and grade lists of a 30-class junior high school.

    .venv/bin/python -m bench.gradebook_reports [--classes 30] [--students 40] [--runs 5]

Targets (issue 5): report cards of a 40-student class as one Excel workbook in at
most 2 s; the grade lists (成績一覧表) of every class of a 30-class school in at most
10 s. Also printed: the score grid page (40 × 20), its one-request save, the report
card print preview of a class and the class grade list page (medians).

Every figure is measured end to end over HTTP (Django's test client on the
municipality's host, through the middleware, logged in as the school's principal),
in a throw-away municipality (provisioned, deleted at the end, also after an error).
Synthetic data at realistic scale: 9 graded subjects × 8 assessments per class, a
score for every student (2 % absent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from decimal import Decimal

from bench.common import provision_bench, setup_django

SUBDOMAIN = "bench-grades"
CODE_FIRST_FIVE = "39991"


def line(label: str, seconds: list[float], target: float | None = None) -> str:
    med = statistics.median(seconds)
    text = f"{label}: median {med:.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f}, n={len(seconds)})"
    if target is not None:
        text += f"  target <= {target:.0f} s: {'OK' if med <= target else 'MISSED'}"
    return text


def provision():
    from tenants.codes import check_digit

    code = CODE_FIRST_FIVE + str(check_digit(CODE_FIRST_FIVE))
    return provision_bench("ベンチ成績市", SUBDOMAIN, code, actor="bench:gradebook")


def generate(n_classes: int, n_students: int):
    """A junior high school with ``n_classes`` classes of ``n_students``, full term-1 grades."""
    from django.contrib.auth import get_user_model

    from gradebook.models import Assessment, Score
    from schools.models import (
        Classroom,
        Enrolment,
        Role,
        RoleAssignment,
        School,
        SchoolType,
        SchoolYear,
        Staff,
        Student,
        Subject,
        Term,
    )

    rng = random.Random(5)
    year = SchoolYear.objects.create(year=2026, state=SchoolYear.State.CURRENT)
    school = School.objects.create(
        name="ベンチ中学校", school_type=SchoolType.JUNIOR_HIGH, mext_code="C139999999999"
    )
    term = Term.objects.create(
        school=school,
        school_year=year,
        number=1,
        name="1学期",
        start=dt.date(2026, 4, 6),
        end=dt.date(2026, 7, 19),
    )
    classes = Classroom.objects.bulk_create(
        Classroom(
            school=school, school_year=year, grade=1 + i % 3, name=f"{i // 3 + 1}組", sort_order=i
        )
        for i in range(n_classes)
    )
    students = Student.objects.bulk_create(
        Student(name=f"生徒 {i}", kana=f"せいと {i:05d}") for i in range(n_classes * n_students)
    )
    Enrolment.objects.bulk_create(
        Enrolment(
            student=st,
            classroom=classes[i // n_students],
            school=school,
            school_year=year,
            grade=classes[i // n_students].grade,
            roll_number=i % n_students + 1,
            enrolled_on=dt.date(2026, 4, 1),
        )
        for i, st in enumerate(students)
    )
    subjects = list(Subject.objects.filter(school_type=SchoolType.JUNIOR_HIGH, is_graded=True))
    weights = [
        (1, 0, 0),
        (0, 1, 0),
        (0, 0, 1),
        (1, 1, 0),
        (1, 0, 0),
        (0, 1, 1),
        (1, 1, 1),
        (0, 0, 1),
    ]
    assessments = Assessment.objects.bulk_create(
        Assessment(
            classroom=c,
            subject=s,
            term=term,
            title=f"テスト{k + 1}",
            max_points=Decimal(100),
            weight_knowledge=w[0],
            weight_thinking=w[1],
            weight_attitude=w[2],
            sort_order=k,
        )
        for c in classes
        for s in subjects
        for k, w in enumerate(weights)
    )
    by_class: dict[int, list] = {}
    for i, st in enumerate(students):
        by_class.setdefault(classes[i // n_students].pk, []).append(st)
    scores = []
    for a in assessments:
        for st in by_class[a.classroom_id]:
            if rng.random() < 0.02:
                scores.append(Score(assessment=a, student=st, is_absent=True))
            else:
                scores.append(Score(assessment=a, student=st, points=Decimal(rng.randint(20, 100))))
    Score.objects.bulk_create(scores, batch_size=5000)
    User = get_user_model()
    principal = User.objects.create_user("bench-principal", password="Bench-pass-2026")
    staff = Staff.objects.create(user=principal, name="ベンチ 校長")
    RoleAssignment.objects.create(
        staff=staff, role=Role.SCHOOL_ADMIN, school=school, school_year=year
    )
    # the grid benchmark: a 40 × 20 grid
    grid_class = classes[0]
    grid_subject = subjects[0]
    Assessment.objects.bulk_create(
        Assessment(
            classroom=grid_class,
            subject=grid_subject,
            term=term,
            title=f"追加{k}",
            max_points=Decimal(100),
            weight_knowledge=1,
            sort_order=100 + k,
        )
        for k in range(20 - len(weights))
    )
    return school, term, classes, principal, grid_class, grid_subject, len(scores)


SMOKE_ARGS = "--classes 1 --students 5 --runs 1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_tenants.utils import schema_context
    from openpyxl import load_workbook

    from gradebook import excel, queries
    from tenants import provisioning

    t0 = time.perf_counter()
    municipality = provision()
    print(f"provisioned {municipality.schema_name} in {time.perf_counter() - t0:.2f} s")
    try:
        with schema_context(municipality.schema_name):
            t0 = time.perf_counter()
            school, term, classes, principal, grid_class, grid_subject, n_scores = generate(
                args.classes, args.students
            )
            print(
                f"generated {len(classes)} classes × {args.students} students, {n_scores:,} scores "
                f"in {time.perf_counter() - t0:.1f} s"
            )
            client = Client(HTTP_HOST=provisioning.host_for(SUBDOMAIN))
            client.force_login(principal)

            def get(url: str) -> bytes:
                response = client.get(url)
                connection.set_schema(municipality.schema_name)
                assert response.status_code == 200, (url, response.status_code)
                return response.content

            c0 = classes[0]
            xlsx_url = reverse("gradebook:report-cards-xlsx", args=[c0.pk, term.pk])
            card_times, size = [], 0
            for _ in range(args.runs):
                started = time.perf_counter()
                data = get(xlsx_url)
                card_times.append(time.perf_counter() - started)
                size = len(data)
            import io

            book = load_workbook(io.BytesIO(data), read_only=True)
            sheets = len(book.sheetnames)
            print(
                line(
                    f"report cards of a {args.students}-student class, one .xlsx ({sheets} sheets, "
                    f"{size / 1024:.0f} KB) over HTTP",
                    card_times,
                    2,
                )
            )

            row_times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                get(xlsx_url + "?layout=row")
                row_times.append(time.perf_counter() - started)
            print(line("  same, one row per student", row_times))

            # Every class's grade list: each class's page, and its Excel export, over HTTP.
            all_pages, all_xlsx = [], []
            for _ in range(max(1, args.runs // 2)):
                started = time.perf_counter()
                for c in classes:
                    get(reverse("gradebook:class-list", args=[c.pk, term.pk]))
                all_pages.append(time.perf_counter() - started)
                started = time.perf_counter()
                for c in classes:
                    get(reverse("gradebook:class-list-xlsx", args=[c.pk, term.pk]))
                all_xlsx.append(time.perf_counter() - started)
            print(
                line(
                    f"grade lists of all {len(classes)} classes (pages, one request each)",
                    all_pages,
                    10,
                )
            )
            print(
                line(
                    f"grade lists of all {len(classes)} classes (.xlsx, one request each)",
                    all_xlsx,
                    10,
                )
            )
            started = time.perf_counter()
            lists = queries.class_lists(
                [
                    type(c).objects.select_related("school", "school_year").get(pk=c.pk)
                    for c in classes
                ],
                term,
            )
            excel.class_list_workbook(lists).to_bytes()
            print(
                f"  all {len(classes)} grade lists in one workbook (in process): "
                f"{time.perf_counter() - started:.3f} s"
            )

            print_times, page_times, grid_times, save_times = [], [], [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                get(reverse("gradebook:report-cards", args=[c0.pk, term.pk]))
                print_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                get(reverse("gradebook:class-list", args=[c0.pk, term.pk]) + "?print=1")
                page_times.append(time.perf_counter() - started)
            print(
                line(
                    f"report card print preview of a class ({args.students} A4 sheets)", print_times
                )
            )
            print(line("grade list print view of a class", page_times))

            grid_url = reverse("gradebook:grid", args=[grid_class.pk, grid_subject.pk, term.pk])
            save_url = reverse(
                "gradebook:grid-save", args=[grid_class.pk, grid_subject.pk, term.pk]
            )
            grid = queries.grid(grid_class, grid_subject, term)
            print(f"score grid: {len(grid.rows)} students × {len(grid.assessments)} assessments")
            for run in range(args.runs):
                started = time.perf_counter()
                get(grid_url)
                grid_times.append(time.perf_counter() - started)
                grid = queries.grid(grid_class, grid_subject, term)
                cells = [
                    {
                        "student": row.enrolment.student_id,
                        "assessment": a.pk,
                        "text": str((run * 7 + i + j) % 101),
                        "version": row.cells[a.pk].version if row.cells[a.pk] else 0,
                    }
                    for i, row in enumerate(grid.rows)
                    for j, a in enumerate(grid.assessments)
                ]
                started = time.perf_counter()
                response = client.post(
                    save_url, json.dumps({"cells": cells}), content_type="application/json"
                )
                save_times.append(time.perf_counter() - started)
                connection.set_schema(municipality.schema_name)
                assert response.status_code == 200, response.content[:300]
            print(line("score grid page (40 × 20)", grid_times))
            print(
                line(
                    f"score grid save, every cell changed ({len(cells)} cells, one request)",
                    save_times,
                )
            )
    finally:
        connection.set_schema_to_public()
        provisioning.delete(
            municipality, confirm_schema=municipality.schema_name, actor="bench:gradebook"
        )
        print("throw-away municipality deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
