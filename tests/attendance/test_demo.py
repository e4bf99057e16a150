"""Demo attendance: runs after the roster demo, idempotent, with a few long-absence students."""

from __future__ import annotations

import datetime as dt

from attendance import demo as attendance_demo
from attendance import figures
from attendance.models import Mark
from schools.models import SchoolDate, SchoolYear


def test_demo_seed_is_realistic_and_idempotent(demo_muni, demo_site):
    # seeded once for the session, after the roster (tests/conftest.py: demo_site)
    print(f"attendance demo seed: {demo_site.timings['attendance']:.2f} s")
    marks = Mark.objects.count()
    assert marks > 100
    assert SchoolDate.objects.filter(date=dt.date(2026, 6, 13), is_school_day=True).exists()
    attendance_demo.seed(demo_muni)
    assert Mark.objects.count() == marks
    year = SchoolYear.objects.get(year=2026)
    today = min(dt.date.today(), dt.date(2027, 3, 31))
    watch = figures.long_absence_watch(year, max(today, dt.date(2026, 11, 26)))
    assert 1 <= len(watch) <= 10
