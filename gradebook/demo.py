"""Demo grades: settings, term-1 assessments and scores of the demo schools, one finalised term.

Runs after ``schools.demo`` inside the municipality's schema. Scores are drawn from a
random generator seeded per municipality (fictional data). Seeding twice changes
nothing: the municipality's grading settings row is the marker.

- every 教科担任 assignment of 2026 (the junior high schools) gets four assessments in
  term 1 and scores for every student (a few absences and blanks: not yet entered);
- the elementary schools' classes get 国語 and 算数 assessments (entered by the school);
- 中央小学校's term 1 is finalised (確定), so the demo shows a locked term;
- the municipality uses the Osaka table; 東中学校 (where there is one) the A=3/B=2/C=1 bands.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from gradebook import services
from gradebook.models import Assessment, GradingSettings, Remark, Score
from schools.models import (
    Classroom,
    Enrolment,
    School,
    SchoolType,
    SchoolYear,
    Subject,
    TeachingAssignment,
    Term,
)
from schools.permissions import Actor

DEMO_YEAR = 2026

# (title, kind, max points, weights knowledge/thinking/attitude, day offset in the term)
PLAN = (
    ("小テスト1", "test", 20, (1, 0, 0), 20),
    ("単元テスト", "test", 100, (1, 1, 0), 45),
    ("レポート", "assignment", 10, (0, 1, 1), 60),
    ("授業の観察", "observation", 5, (0, 0, 1), 80),
)

REMARKS = (
    "何事にも意欲的に取り組み、友達と協力して学習を進めることができました。",
    "自分の考えを分かりやすく発表する姿が見られました。",
    "こつこつと課題に取り組み、着実に力を伸ばしています。",
)


def seed(municipality) -> None:
    if GradingSettings.objects.filter(school__isnull=True).exists():
        return
    school_year = SchoolYear.objects.filter(year=DEMO_YEAR).first()
    if school_year is None:
        return
    rng = random.Random(f"grades-{municipality.code}")
    GradingSettings.objects.create(school=None)  # 80 % / 50 %, Osaka table, 3-level bands
    second_jh = School.objects.filter(school_type=SchoolType.JUNIOR_HIGH, name="東中学校").first()
    if second_jh is not None:
        GradingSettings.objects.create(school=second_jh, rule_5="average")

    terms = {t.school_id: t for t in Term.objects.filter(school_year=school_year, number=1)}
    pairs: set[tuple[int, int]] = set(
        TeachingAssignment.objects.filter(
            school_year=school_year, classroom__isnull=False
        ).values_list("classroom_id", "subject_id")
    )
    elementary_subjects = list(
        Subject.objects.filter(school_type=SchoolType.ELEMENTARY, name__in=["国語", "算数"])
    )
    classrooms = {
        c.pk: c for c in Classroom.objects.filter(school_year=school_year).select_related("school")
    }
    for c in classrooms.values():
        if c.school.school_type == SchoolType.ELEMENTARY and c.grade:
            pairs |= {(c.pk, s.pk) for s in elementary_subjects}

    assessments = []
    for classroom_id, subject_id in sorted(pairs):
        classroom = classrooms[classroom_id]
        term = terms.get(classroom.school_id)
        if term is None:
            continue
        for order, (title, kind, max_points, weights, day) in enumerate(PLAN, start=1):
            assessments.append(
                Assessment(
                    classroom=classroom,
                    subject_id=subject_id,
                    term=term,
                    title=title,
                    kind=kind,
                    date=term.start + _days(day),
                    max_points=Decimal(max_points),
                    weight_knowledge=weights[0],
                    weight_thinking=weights[1],
                    weight_attitude=weights[2],
                    sort_order=order,
                )
            )
    Assessment.objects.bulk_create(assessments, batch_size=1000)

    students_by_class: dict[int, list[int]] = {}
    for classroom_id, student_id in Enrolment.objects.filter(school_year=school_year).values_list(
        "classroom_id", "student_id"
    ):
        students_by_class.setdefault(classroom_id, []).append(student_id)
    ability = {}
    scores = []
    for a in assessments:
        for student_id in students_by_class.get(a.classroom_id, []):
            level = ability.setdefault(student_id, rng.uniform(0.35, 0.98))
            roll = rng.random()
            if roll < 0.02:
                scores.append(Score(assessment=a, student_id=student_id, is_absent=True))
            elif roll < 0.03:
                continue  # not entered yet
            else:
                ratio = min(1.0, max(0.0, rng.gauss(level, 0.12)))
                points = Decimal(round(float(a.max_points) * ratio))
                scores.append(Score(assessment=a, student_id=student_id, points=points))
    Score.objects.bulk_create(scores, batch_size=2000)

    # A few remarks, and 中央小学校's term 1 finalised.
    first_es = School.objects.filter(school_type=SchoolType.ELEMENTARY, name="中央小学校").first()
    if first_es is not None and first_es.pk in terms:
        term = terms[first_es.pk]
        remark_students = [
            s
            for c in classrooms.values()
            if c.school_id == first_es.pk
            for s in students_by_class.get(c.pk, [])[:3]
        ]
        Remark.objects.bulk_create(
            Remark(student_id=s, term=term, text=REMARKS[i % len(REMARKS)])
            for i, s in enumerate(remark_students)
        )
        # the demo finalises as the school's administrator would, recorded as the seed
        principal = replace(
            Actor.system("seed_demo", all_powers=False), admin_school_ids=frozenset({first_es.pk})
        )
        services.finalise(term, by=principal)


def _days(n: int):
    import datetime as dt

    return dt.timedelta(days=n)
