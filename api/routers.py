"""The one router of ``/api/v1/``, filled by the API modules of the installed apps.

The API of a domain app lives in ``api/<app label>.py`` (``api/schools.py`` for the
roster, ``api/attendance.py`` …) and registers its viewsets on ``router`` when imported.
``discover()`` imports the module of each installed domain app (config.extensions), so an
app that is not installed has no routes, and a new app gets its routes by adding its
module: no list to keep. The modules stay in ``api`` (not in the apps) because ``api`` is
a face over the apps' services: the apps know nothing of it.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.utils.module_loading import module_has_submodule
from rest_framework.routers import DefaultRouter

import api
from config import extensions


class IntegerIdRouter(DefaultRouter):
    """Every id in Ai is a number: ``/roster/students/abc/`` matches no route (a JSON 404).

    DRF's default accepts any text as ``{id}`` and leaves it to each viewset, where a
    ``get_object_or_404(qs, pk="abc")`` is a 500 (the probe found some). A viewset that
    really needs another shape sets ``lookup_value_regex`` itself. At most 18 digits: a
    bigint, never an overflow in PostgreSQL.
    """

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        if getattr(viewset, "lookup_value_regex", None) is None:
            lookup_field = getattr(viewset, "lookup_field", "pk")
            kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
            return f"(?P<{lookup_prefix}{kwarg}>[0-9]{{1,18}})"
        return super().get_lookup_regex(viewset, lookup_prefix)


router = IntegerIdRouter(trailing_slash=True)
router.include_root_view = False


def api_module_names() -> list[str]:
    """``api.<label>`` of every installed domain app that has an API, in INSTALLED_APPS order."""
    return [
        f"api.{config.label}"
        for config in extensions.domain_apps()
        if module_has_submodule(api, config.label)
    ]


def discover() -> list[ModuleType]:
    """Import (once) the API module of every installed domain app: they fill ``router``."""
    return [import_module(name) for name in api_module_names()]
