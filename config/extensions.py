"""How the domain apps plug into shared pages without the roster knowing them.

An app may have a module ``<app>.home`` with

- ``nav_items(request) -> list[tuple[str, str]]``: (label, url) links for the main menu;
- ``home_cards(request) -> list[tuple[str, dict]]``: (template name, context) cards for the
  teacher's home page 「今日」.

``request.actor`` (schools.permissions.Actor) is set when these are called.
"""

from __future__ import annotations

import importlib
from types import ModuleType

APPS = ("schools", "attendance", "gradebook", "timetable")


def _modules() -> list[ModuleType]:
    modules = []
    for app in APPS:
        try:
            modules.append(importlib.import_module(f"{app}.home"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.home":
                raise
    return modules


def nav_items(request) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for module in _modules():
        if hasattr(module, "nav_items"):
            items.extend(module.nav_items(request))
    return items


def home_cards(request) -> list[tuple[str, dict]]:
    cards: list[tuple[str, dict]] = []
    for module in _modules():
        if hasattr(module, "home_cards"):
            cards.extend(module.home_cards(request))
    return cards
