"""The gradebook's part of the school-year lifecycle (``schools.signals``)."""

from __future__ import annotations

from django.dispatch import receiver

from schools.signals import school_year_switched


@receiver(school_year_switched, dispatch_uid="gradebook.seal_archived_year")
def seal_archived_year(sender, school_year, previous, by, **kwargs) -> None:
    """The year just archived keeps its grades as stored now, not as today's settings compute."""
    if previous is not None:
        from gradebook import services

        services.seal_year(previous, by=by)
