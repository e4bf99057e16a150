"""Read models of the roster for pages, exports and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from schools.models import SchoolYear, Staff


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).first()


def staff_list() -> QuerySet[Staff]:
    return Staff.objects.select_related("user").prefetch_related(
        "roles__school", "roles__classroom"
    )
