"""Fixtures of the continuity tests.

Throw-away PostgreSQL clusters (PITR, failover): a folder the ``postgres`` OS user can reach
(under /var/tmp, not pytest's private tmp) and ports nobody listens on. Committed
municipalities for the backup tests: pg_dump and pg_restore are other connections and see
only committed rows, so those tests run outside the test transaction and clean up.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from bench.clusters import give_to_owner
from tenants import demo, provisioning
from tenants.models import Backup, Domain, Municipality, PlatformEvent
from tests.factories import PASSWORD


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ai-continuity-", dir="/var/tmp"))
    give_to_owner(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def free_port() -> Callable[[], int]:
    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick


@pytest.fixture(scope="module")
def backup_dir(tmp_path_factory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("backups")
    with override_settings(AI_BACKUP_DIR=folder):
        yield folder


def _clean(keep_kofu: bool) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'm\\_kofu%%'"
            " OR nspname LIKE 'restore\\_%%' OR nspname LIKE 'replaced\\_%%'"
        )
        for (schema,) in cur.fetchall():
            if not (keep_kofu and schema == "m_kofu"):
                cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
    leftovers = Municipality.objects.filter(schema_name__startswith="m_kofu")
    if keep_kofu:
        leftovers = leftovers.exclude(schema_name="m_kofu")
    Domain.objects.filter(tenant__in=leftovers).delete()
    leftovers.delete()
    Backup.objects.all().delete()
    PlatformEvent.objects.filter(schema_name__startswith="m_kofu").delete()


@pytest.fixture(scope="module")
def seeded(request, django_db_setup, django_db_blocker, backup_dir) -> Iterator[Municipality]:
    """甲府市, provisioned and seeded with every app's demo data (committed), once a module.

    A module with ``SEED_DEMO = False`` gets it as provisioned (faster).
    """
    with django_db_blocker.unblock():
        _clean(keep_kofu=False)
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
        if getattr(request.module, "SEED_DEMO", True):
            demo.seed_apps(municipality)
        yield municipality
        _clean(keep_kofu=False)


@pytest.fixture
def kofu(seeded, django_db_blocker) -> Iterator[Municipality]:
    """The seeded 甲府市; a test that changes it puts it back (by restoring) before it ends."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        # A test may purge 甲府市 and restore it from its final backup: a new row, a new pk.
        yield Municipality.objects.get(schema_name=seeded.schema_name)
        _clean(keep_kofu=True)
