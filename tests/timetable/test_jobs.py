"""The board's tally of every school as a job (``timetable.municipality_tally``)."""

from __future__ import annotations

import io
from fractions import Fraction

import openpyxl

from schools.models import AuditEvent
from tenants import jobs
from tests import factories as f
from tests.timetable.test_services import MONDAY, _count, build
from timetable import queries, rules, services


def test_municipality_tally_job_totals_every_school(muni, client_for, boe_admin):
    small, large = build(2), build(7)
    client = client_for(muni, boe_admin)
    assert b"Excel" in client.get("/timetable/hours/?year=2026").content
    response = client.post("/timetable/hours/export/", {"year": "2026", "as_of": "2026-07-01"})
    assert response.status_code == 302 and "/jobs/" in response.url
    job = jobs.run_now(jobs.find(int(response.url.strip("/").rsplit("/", 1)[-1])))
    assert job.state == "succeeded", job.error
    by_school = {row["school"]: row for row in job.result_data["schools"]}
    for built in (small, large):
        tally = queries.hours_tally(built.school, built.year, as_of=MONDAY.replace(month=7))
        row = by_school[built.school.pk]
        assert row["classes"] == len(tally.classes) == len(built.classes)
        assert Fraction(row["planned"]) == sum(c.planned for c in tally.classes) > 0
        assert Fraction(row["held"]) == sum(c.held for c in tally.classes) > 0
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/jobs/{job.pk}/download/").content))
    names = [r[0] for r in book["学校別"].iter_rows(values_only=True)]
    assert small.school.name in names and large.school.name in names
    detail = [r for r in book["学級別"].iter_rows(values_only=True) if r[0] == large.school.name]
    assert len(detail) == 7
    assert AuditEvent.objects.filter(action="timetable.hours.export").count() == 1


def test_the_tally_is_for_the_board_only(muni, client_for):
    b = build(1)
    response = client_for(muni, b.admin.user).post("/timetable/hours/export/", {"year": "2026"})
    assert response.status_code == 403


def test_hours_tally_costs_a_constant_number_of_queries(muni):
    small, large = build(2), build(12)
    assert _count(lambda: queries.hours_tally(small.school, small.year)) == _count(
        lambda: queries.hours_tally(large.school, large.year)
    )


def test_clash_inputs_find_what_the_grid_finds(muni):
    b = build(3)
    japanese = f.subject(name="国語")
    services.replace_class_week(
        by=b.by,
        timetable=b.timetable,
        classroom=b.classes[1],
        lessons=[
            {"weekday": 0, "period": 2, "subject": japanese.pk, "teachers": [b.homerooms[0].pk]}
        ],
    )
    lessons, rooms, assignments = queries.clash_inputs(b.timetable)
    found = rules.clashes(lessons, rooms=rooms, assignments=assignments)
    expected = queries.grid(b.school, b.year, timetable=b.timetable, date=MONDAY).clashes
    assert expected and sorted(c.kind for c in found) == sorted(c.kind for c in expected)
    small = _count(lambda: queries.clash_inputs(b.timetable))
    large = build(9)
    assert small == _count(lambda: queries.clash_inputs(large.timetable)) <= 8
