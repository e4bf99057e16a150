"""The demo installation: the operators' site and three municipalities of the consortium.

Names of people are fictional. Seeding twice changes nothing.
"""

from __future__ import annotations

import time
from types import ModuleType

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django_tenants.utils import schema_context

from config import extensions
from tenants import provisioning
from tenants.models import Domain, Municipality

OPERATOR = ("operator", "ai-operator-2026")
DEMO_PASSWORD = "ai-demo-2026"

# (subdomain, name, kana, code, BoE administrator's name)
DEMO_MUNICIPALITIES = (
    ("fujiyoshida", "富士吉田市", "ふじよしだし", "192023", "山田 花子"),
    ("tono", "遠野市", "とおのし", "032085", "佐藤 一郎"),
    ("tama", "多摩市", "たまし", "132241", "鈴木 恵"),
)


def seeders() -> list[ModuleType]:
    """The ``<app>.demo`` modules of the installed domain apps, in ``INSTALLED_APPS`` order.

    Each has ``seed(municipality)``, called inside the municipality's schema and its own
    transaction, and may list ``DEMO_LOGINS`` ((label, username) pairs). The order is the
    dependency order (config.extensions): ``schools`` seeds the roster the others build on.
    """
    return extensions.app_modules("demo")


def ensure_public_site() -> Municipality:
    with transaction.atomic():
        public, _ = Municipality.objects.get_or_create(
            schema_name="public", defaults={"name": "Ai 運用管理", "code": None}
        )
        exempt_loopback(public)
        Domain.objects.get_or_create(
            domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        User = get_user_model()
        if not User.objects.filter(username=OPERATOR[0]).exists():
            User.objects.create_superuser(OPERATOR[0], password=OPERATOR[1])
    return public


def seed(stdout=None) -> list[Municipality]:
    ensure_public_site()
    result = []
    for subdomain, name, kana, code, admin_name in DEMO_MUNICIPALITIES:
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            municipality = provisioning.provision(
                provisioning.NewMunicipality(
                    name=name,
                    kana=kana,
                    code=code,
                    subdomain=subdomain,
                    admin_username="boe-admin",
                    admin_password=DEMO_PASSWORD,
                    admin_name=admin_name,
                ),
                actor="seed_demo",
            )
            if stdout:
                stdout.write(f"created {name} ({municipality.schema_name})")
        exempt_loopback(municipality)
        seed_apps(municipality)
        result.append(municipality)
    return result


def exempt_loopback(municipality: Municipality) -> None:
    """The demo logs in without a second factor from this machine (127.0.0.1, ::1) only.

    A demo site's own setting (not the board's form): every other address, and every
    municipality made by ``create_municipality`` or the operators' page, asks for one.
    """
    if not municipality.mfa_exempt_loopback:
        municipality.mfa_exempt_loopback = True
        municipality.save(update_fields=["mfa_exempt_loopback"])


def seed_apps(municipality: Municipality) -> dict[str, float]:
    """Seed every installed app's demo data; returns the seconds each app took, by app."""
    timings: dict[str, float] = {}
    with schema_context(municipality.schema_name):
        for module in seeders():
            started = time.perf_counter()
            with transaction.atomic():
                module.seed(municipality)
            timings[module.__name__.rpartition(".")[0]] = time.perf_counter() - started
        analyze()
    return timings


def analyze() -> None:
    """Refresh the planner's statistics of the current municipality's tables.

    A seed is a bulk load: until autovacuum passes, the planner takes the new tables for
    empty, and a report over them (the long-absence watch) then takes seconds, not ms.
    """
    tables = [
        connection.ops.quote_name(model._meta.db_table)
        for config in extensions.domain_apps()
        for model in config.get_models()
        if model._meta.managed and not model._meta.proxy
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def logins(port: int = 8000) -> list[tuple[str, str, str, str]]:
    """(site, URL, login, password) of every demo account worth printing."""
    rows = [("運用管理", f"http://{settings.BASE_DOMAIN}:{port}/", *OPERATOR)]
    for subdomain, name, *_ in DEMO_MUNICIPALITIES:
        url = f"http://{provisioning.host_for(subdomain)}:{port}/"
        rows.append((f"{name} 教育委員会", url, "boe-admin", DEMO_PASSWORD))
        for module in seeders():
            for label, username in getattr(module, "DEMO_LOGINS", ()):
                rows.append((f"{name} {label}", url, username, DEMO_PASSWORD))
    return rows
