"""The year's lifecycle events: each sent once, by the service that causes it, with its objects."""

from __future__ import annotations

from schools import rollover, services, signals
from schools.models import School, SchoolRollover, SchoolYear
from schools.permissions import actor_for_user
from tests import factories as f


def test_school_created(muni, boe_admin, received):
    by = actor_for_user(boe_admin)
    calls = received(signals.school_created)
    school = services.create_school(
        by=by, name="桂小学校", school_type="elementary", mext_code="B119210000037"
    )
    assert len(calls) == 1
    assert calls[0]["sender"] is School and calls[0]["school"] == school
    assert calls[0]["by"] == by and calls[0]["atomic"]


def test_school_year_opened(muni, boe_admin, received):
    by = actor_for_user(boe_admin)
    calls = received(signals.school_year_opened)
    first = services.open_school_year(by=by, year=2026)
    second = services.open_school_year(by=by, year=2027)
    assert [c["school_year"] for c in calls] == [first, second]
    assert [c["school_year"].state for c in calls] == ["current", "preparing"]
    assert all(c["sender"] is SchoolYear and c["by"] == by for c in calls)


def test_rollover_prepared_cancelled_confirmed_and_year_switched(
    muni, boe_admin, school, year, classroom, received
):
    f.students(classroom, 2)
    by = actor_for_user(boe_admin)
    prepared = received(signals.rollover_prepared)
    cancelled = received(signals.rollover_cancelled)
    confirmed = received(signals.rollover_confirmed)
    switched = received(signals.school_year_switched)

    first = rollover.rollover_school(school, by=by)
    assert [c["rollover"] for c in prepared] == [first]
    rollover.cancel_rollover(first, by=by)
    # sent before the rows go, so that a receiver can still read what it undoes
    assert [c["rollover"].pk for c in cancelled] == [first.pk]
    assert not SchoolRollover.objects.filter(pk=first.pk).exists()

    again = rollover.rollover_school(school, by=by)
    rollover.confirm_rollover(again, by=by)
    assert len(prepared) == 2 and [c["rollover"] for c in confirmed] == [again]
    assert confirmed[0]["rollover"].state == SchoolRollover.State.CONFIRMED

    rollover.switch_school_year(again.to_year, by=by)
    assert len(switched) == 1
    assert switched[0]["school_year"] == again.to_year and switched[0]["previous"] == year
    assert switched[0]["school_year"].state == SchoolYear.State.CURRENT
    for call in prepared + cancelled + confirmed + switched:
        assert call["by"] == by and call["atomic"]
        assert call["sender"] in (SchoolRollover, SchoolYear)
