"""The demo seed: idempotent, with a finalised term and assessments for teaching assignments."""

from __future__ import annotations

from gradebook import demo, queries
from gradebook.models import Assessment, Finalisation, GradingSettings, Score
from schools.models import TeachingAssignment


def test_demo_seed(demo_muni, demo_site):
    # seeded once for the session, after the roster (tests/conftest.py: demo_site)
    print(f"gradebook demo seed: {demo_site.timings['gradebook']:.1f} s")  # speed: benchmarks
    assert GradingSettings.objects.filter(school__isnull=True).exists()
    ra = (
        TeachingAssignment.objects.filter(school_year__year=2026, classroom__isnull=False)
        .select_related("classroom", "subject")
        .first()
    )
    assert (
        Assessment.objects.filter(
            classroom=ra.classroom, subject=ra.subject, term__number=1
        ).count()
        == 4
    )
    assert Score.objects.count() > 1000
    fin = Finalisation.objects.get()
    assert fin.classroom is None and fin.term.school.name == "中央小学校"
    counts = (Assessment.objects.count(), Score.objects.count(), Finalisation.objects.count())
    demo.seed(demo_muni)
    assert (
        Assessment.objects.count(),
        Score.objects.count(),
        Finalisation.objects.count(),
    ) == counts
    # the finalised school's grade list comes from the snapshot
    classroom = fin.term.school.classrooms.filter(grade=3).first()
    cl = queries.class_list(classroom, fin.term)
    assert cl.finalised
    assert any(r.rating for r in cl.results.values())
