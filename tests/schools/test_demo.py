"""The demo roster: realistic sizes, exact names, working logins, and idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from schools import demo
from schools.models import Classroom, Enrolment, RoleAssignment, School, SchoolYear, Student, Term
from schools.permissions import actor_for_user


def test_seed_is_complete_and_idempotent(demo_muni, demo_site):
    elapsed = demo_site.timings["schools"]  # seeded once for the session, with the other apps
    print(f"schools.demo.seed: {elapsed:.2f} s, {Student.objects.count()} students")
    elementary = School.objects.filter(school_type="elementary").count()
    junior = School.objects.filter(school_type="junior_high").count()
    assert 2 <= elementary <= 3 and 1 <= junior <= 2
    year = SchoolYear.objects.get(year=2026)
    assert year.state == SchoolYear.State.CURRENT
    assert Term.objects.filter(school_year=year).count() == 3 * (elementary + junior)
    for c in Classroom.objects.filter(is_special_needs=False):
        assert 25 <= c.enrolments.count() <= 35
    assert Student.objects.filter(name="𠮷田 拓海").exists()
    assert Student.objects.filter(name__startswith="髙").exists()
    counts = (Student.objects.count(), Enrolment.objects.count(), RoleAssignment.objects.count())
    demo.seed(demo_muni)
    assert counts == (
        Student.objects.count(),
        Enrolment.objects.count(),
        RoleAssignment.objects.count(),
    )
    User = get_user_model()
    for _label, username in demo.DEMO_LOGINS:
        user = User.objects.get(username=username)
        assert user.check_password("ai-demo-2026")
        assert actor_for_user(user).member_school_ids
    teacher = actor_for_user(User.objects.get(username="teacher-es1-1-1"))
    assert len(teacher.homeroom_classroom_ids) == 1
    math = actor_for_user(User.objects.get(username="math-jh1"))
    assert len(math.teaching) == 6  # 2 classes × 3 grades
