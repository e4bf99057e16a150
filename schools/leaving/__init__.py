"""Leaving with all the data: the municipality's data in open formats, and back in.

Each domain app says what of it is the municipality's data in ``<app>/portability.py``
(discovered over ``TENANT_APPS`` like ``<app>/jobs.py``)::

    def tables() -> list[leaving.Table]        # its own models, with the secret columns left out
    def excluded() -> dict[str, str]            # its tables left out of the archive, and why
    def workbooks(*, by, progress) -> Iterator[tuple[str, bytes]]   # its area's workbooks

The core writes the machine-readable archive from those declarations (``archive.py``, a
Frictionless Data Package), the roster in the OneRoster 1.2 CSV layout (``oneroster.py``),
and puts everything in one zip (``bundle.py``); ``archive.import_archive`` loads an archive
into an empty municipality, all or nothing. No app's models are imported here: the tables
come from the apps' own declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django.db import models


@dataclass(frozen=True)
class Table:
    """One table of the municipality's data; ``omit`` names columns left out (secrets)."""

    model: type[models.Model]
    omit: tuple[str, ...] = ()


def contributions() -> list[ModuleType]:
    """``<app>.portability`` of every installed domain app, in ``INSTALLED_APPS`` order."""
    from config.extensions import app_modules

    return app_modules("portability")


def tables() -> list[Table]:
    """Every table of the archive: the apps' declared models and their many-to-many tables."""
    found: list[Table] = []
    for module in contributions():
        for table in module.tables():
            found.append(table)
            for field in table.model._meta.local_many_to_many:
                through = field.remote_field.through
                if through._meta.auto_created:
                    found.append(Table(through))
    return found


def excluded() -> dict[str, str]:
    """Tables of the municipality's schema left out of the archive, with the reason."""
    reasons: dict[str, str] = {}
    for module in contributions():
        if hasattr(module, "excluded"):
            reasons.update(module.excluded())
    return reasons
