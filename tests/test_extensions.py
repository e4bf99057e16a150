"""Apps plug in by being installed: the menu, the home page, the demo seed and the API.

Removing ``gradebook`` from ``TENANT_APPS`` removes its menu links, home card, demo seed and
API routes; nothing else lists the apps.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from api import routers
from config import extensions
from tenants import demo

WITHOUT_GRADEBOOK = [app for app in settings.TENANT_APPS if app != "gradebook"]


def names(modules) -> list[str]:
    return [module.__name__ for module in modules]


def test_domain_apps_follow_installed_apps_order():
    labels = [config.label for config in extensions.domain_apps()]
    assert labels[labels.index("schools") :] == ["schools", "attendance", "gradebook", "timetable"]
    assert "tenants" not in labels and "api" not in labels
    mounted = [str(p.pattern) for p in extensions.url_patterns()]
    assert mounted == [
        "account/",
        "roster/io/",
        "roster/",
        "jobs/",
        "attendance/",
        "grades/",
        "timetable/",
    ]


def test_demo_seeders_start_with_the_roster():
    assert names(demo.seeders()) == [
        "schools.demo",
        "attendance.demo",
        "gradebook.demo",
        "timetable.demo",
    ]


def test_home_page_shows_every_installed_apps_links_and_cards(muni, client_for, boe_admin):
    response = client_for(muni, boe_admin).get("/")
    html = response.content.decode()
    templates = {t.name for t in response.templates}
    assert f'href="{reverse("gradebook:index")}"' in html
    assert "gradebook/_card.html" in templates
    assert f'href="{reverse("attendance:index")}"' in html


@override_settings(TENANT_APPS=WITHOUT_GRADEBOOK)
def test_an_app_taken_out_leaves_menu_home_and_seed(muni, client_for, boe_admin):
    assert "gradebook.home" not in names(extensions.app_modules("home"))
    assert names(demo.seeders()) == ["schools.demo", "attendance.demo", "timetable.demo"]
    assert "api.gradebook" not in routers.api_module_names()
    mounted = {str(p.pattern) for p in extensions.url_patterns()}
    assert "grades/" not in mounted and "attendance/" in mounted  # its pages are not mounted
    response = client_for(muni, boe_admin).get("/")
    html = response.content.decode()
    assert f'href="{reverse("gradebook:index")}"' not in html
    assert "gradebook/_card.html" not in {t.name for t in response.templates}
    assert f'href="{reverse("attendance:index")}"' in html  # the others stay


def test_an_app_not_installed_has_no_api_routes():
    """In a process where gradebook is not installed at all, the API has no gradebook route."""
    code = textwrap.dedent(
        """
        import django
        from django.conf import settings

        settings.TENANT_APPS = [a for a in settings.TENANT_APPS if a != "gradebook"]
        settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "gradebook"]
        django.setup()
        from api.urls import v1  # noqa: F401  (fills the router)
        from api.routers import router

        print(" ".join(sorted({prefix.split("/")[0] for prefix, _, _ in router.registry})))
        """
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["attendance", "jobs", "roster", "timetable"]
    # and with every app installed, the gradebook's routes are there
    routers.discover()
    assert any(prefix.startswith("gradebook/") for prefix, _, _ in routers.router.registry)
