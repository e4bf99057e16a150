"""How the domain apps plug into shared pages, the demo seed and the API by being installed.

A *domain app* is an installed app listed in ``settings.TENANT_APPS`` (it lives in every
municipality's schema): today schools, attendance, gradebook and timetable. Nothing lists
them again: removing an app from ``TENANT_APPS`` / ``INSTALLED_APPS`` removes its menu
links, home cards, demo data and API routes, and adding one adds them. They are visited in
``INSTALLED_APPS`` order, which is therefore the dependency order: an app comes after the
apps it builds on (``schools`` first).

What an app may provide, each module optional:

- ``<app>.home``: ``nav_items(request) -> list[tuple[str, str]]`` (label, url) links for the
  main menu, and ``home_cards(request) -> list[tuple[str, dict]]`` (template name, context)
  cards for the teacher's home page 「今日」. ``request.actor`` (schools.permissions.Actor) is
  set when these are called.
- ``<app>.home``, optionally: ``board_columns(request, schools, school_year, today) ->
  list[dict]`` columns of the board's overview of the schools (学校の状況): each
  ``{"label": str, "cells": {school_id: [{"text": str, "url": str | None, "tone": str}]}}``,
  read in a constant number of queries whatever the number of schools.
- ``<app>.demo``: ``seed(municipality)`` and ``DEMO_LOGINS`` (see ``tenants.demo``).
- ``api/<app label>.py``: the app's REST resources, registered on ``api.routers.router``.

Its pages: the AppConfig's ``urls``, a tuple of ``(prefix, URLConf module)`` pairs
(``(("attendance/", "attendance.urls"),)``), mounted on every municipality's host by
``url_patterns()``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from django.utils.module_loading import module_has_submodule


def domain_apps() -> list[AppConfig]:
    """The installed apps of a municipality's schema, in ``INSTALLED_APPS`` order."""
    tenant_apps = set(settings.TENANT_APPS)
    return [config for config in apps.get_app_configs() if config.name in tenant_apps]


def app_modules(name: str) -> list[ModuleType]:
    """``<app>.<name>`` of every domain app that has one (``app_modules("demo")``)."""
    return [
        import_module(f"{config.name}.{name}")
        for config in domain_apps()
        if module_has_submodule(config.module, name)
    ]


def nav_items(request) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for module in app_modules("home"):
        if hasattr(module, "nav_items"):
            items.extend(module.nav_items(request))
    return items


def home_cards(request) -> list[tuple[str, dict]]:
    cards: list[tuple[str, dict]] = []
    for module in app_modules("home"):
        if hasattr(module, "home_cards"):
            cards.extend(module.home_cards(request))
    return cards


def board_columns(request, schools, school_year, today) -> list[dict]:
    columns: list[dict] = []
    for module in app_modules("home"):
        if hasattr(module, "board_columns"):
            columns.extend(module.board_columns(request, schools, school_year, today))
    return columns


def student_panels(request, student, enrolment) -> list[tuple[str, dict]]:
    """Sections of a pupil's page from the apps (``<app>/student.py`` ``panels``): this
    year's attendance, grades by term... ``enrolment`` is this year's (None if none)."""
    found: list[tuple[str, dict]] = []
    for module in app_modules("student"):
        found.extend(module.panels(request, student, enrolment))
    return found


def url_patterns() -> list[URLPattern | URLResolver]:
    """The pages of every installed domain app, under the prefixes its AppConfig declares."""
    return [
        path(prefix, include(module))
        for config in domain_apps()
        for prefix, module in getattr(config, "urls", ())
    ]
