"""The year's lifecycle events: each sent once, by the service that causes it, with its objects."""

from __future__ import annotations

from schools import services, signals
from schools.models import School, SchoolRollover, SchoolYear
from tests import factories as f


def test_school_created(muni, boe_admin, received):
    calls = received(signals.school_created)
    school = services.create_school(
        boe_admin, name="桂小学校", school_type="elementary", mext_code="B119210000037"
    )
    assert len(calls) == 1
    assert calls[0]["sender"] is School and calls[0]["school"] == school
    assert calls[0]["by"] == boe_admin and calls[0]["atomic"]


def test_school_year_opened(muni, boe_admin, received):
    calls = received(signals.school_year_opened)
    first = services.open_school_year(boe_admin, year=2026)
    second = services.open_school_year(boe_admin, year=2027)
    assert [c["school_year"] for c in calls] == [first, second]
    assert [c["school_year"].state for c in calls] == ["current", "preparing"]
    assert all(c["sender"] is SchoolYear and c["by"] == boe_admin for c in calls)


def test_rollover_prepared_cancelled_confirmed_and_year_switched(
    muni, boe_admin, school, year, classroom, received
):
    f.students(classroom, 2)
    prepared = received(signals.rollover_prepared)
    cancelled = received(signals.rollover_cancelled)
    confirmed = received(signals.rollover_confirmed)
    switched = received(signals.school_year_switched)

    first = services.rollover_school(boe_admin, school)
    assert [c["rollover"] for c in prepared] == [first]
    services.cancel_rollover(boe_admin, first)
    # sent before the rows go, so that a receiver can still read what it undoes
    assert [c["rollover"].pk for c in cancelled] == [first.pk]
    assert not SchoolRollover.objects.filter(pk=first.pk).exists()

    again = services.rollover_school(boe_admin, school)
    services.confirm_rollover(boe_admin, again)
    assert len(prepared) == 2 and [c["rollover"] for c in confirmed] == [again]
    assert confirmed[0]["rollover"].state == SchoolRollover.State.CONFIRMED

    services.switch_school_year(boe_admin, again.to_year)
    assert len(switched) == 1
    assert switched[0]["school_year"] == again.to_year and switched[0]["previous"] == year
    assert switched[0]["school_year"].state == SchoolYear.State.CURRENT
    for call in prepared + cancelled + confirmed + switched:
        assert call["by"] == boe_admin and call["atomic"]
        assert call["sender"] in (SchoolRollover, SchoolYear)
