"""Committed municipalities for backup tests: pg_dump and pg_restore are other connections
and see only committed rows, so these tests run outside the test transaction and clean up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from tenants import demo, provisioning
from tenants.models import Backup, Domain, Municipality, PlatformEvent
from tests.factories import PASSWORD


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.AI_BACKUP_DIR = tmp_path / "backups"
    return settings.AI_BACKUP_DIR


@pytest.fixture
def committed(django_db_setup, django_db_blocker, backup_dir) -> Iterator[None]:
    """The database as other connections see it; every kofu-like leftover removed after."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        yield
        connection.set_schema_to_public()
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'm\\_kofu%%'"
                " OR nspname LIKE 'restore\\_%%' OR nspname LIKE 'replaced\\_%%'"
            )
            for (schema,) in cur.fetchall():
                cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
        Domain.objects.filter(domain__startswith="kofu").delete()
        Municipality.objects.filter(schema_name__startswith="m_kofu").delete()
        Backup.objects.all().delete()
        PlatformEvent.objects.filter(schema_name__startswith="m_kofu").delete()


@pytest.fixture
def kofu(committed) -> Municipality:
    """甲府市, provisioned and seeded with every app's demo data (committed)."""
    municipality = provisioning.provision(
        provisioning.NewMunicipality(
            name="甲府市",
            code="192015",
            subdomain="kofu",
            admin_username="boe-admin",
            admin_password=PASSWORD,
            admin_name="甲斐 太郎",
        ),
        actor="pytest",
    )
    demo.exempt_loopback(municipality)
    demo.seed_apps(municipality)
    connection.set_schema_to_public()
    municipality.refresh_from_db()
    return municipality
