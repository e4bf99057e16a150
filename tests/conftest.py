"""Test fixtures: real PostgreSQL schemas, created once per test session.

Two municipalities exist for every test: ``muni`` (富士吉田市, fujiyoshida.localhost)
and ``other_muni`` (遠野市, tono.localhost), the second one for isolation tests.
Browser tests use a third one (多摩市) whose data they commit. A fourth one, ``demo_muni``
(都留市), holds the demo seed of every installed app, seeded once per session when a test
asks for it (the demo tests and the crawl).
Tests run inside a transaction (pytest-django's ``db``) that is rolled back.

Fixture style of the whole suite: rows are built by the plain functions of
``tests/factories.py`` (one per kind of row, in the current schema, keyword overrides);
a directory's ``conftest.py`` holds only fixtures that wrap them for the scenario its tests
share. Nothing is imported from a ``conftest.py`` (pytest loads them as plugins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.dispatch import Signal
from django.test import Client
from django_tenants.utils import schema_context

from tenants import demo, provisioning
from tenants.models import Municipality
from tests.factories import PASSWORD

# One browser and one live server for every test directory (session-scoped fixtures).
pytest_plugins = ["tests.browser.fixtures"]

TEST_MUNICIPALITIES = {
    "fujiyoshida": ("富士吉田市", "192023"),
    "tono": ("遠野市", "032085"),
    "tama": ("多摩市", "132241"),
}
DEMO_MUNICIPALITY = ("tsuru", "都留市", "192040")


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """Create the test database and its municipalities once per session.

    pytest-django's own fixture creates only the databases that the collected tests ask
    for with ``db``; browser tests reach the database through a server thread and ask for
    none, so they would run against the development database. Here ``default`` is always
    a fresh ``test_*`` database.
    """
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=keepdb,
            aliases={"default"},
        )
        assert connection.settings_dict["NAME"].startswith("test_"), "not on a test database"
        provisioning.ensure_template()
        demo.ensure_public_site()
        for subdomain, (name, code) in TEST_MUNICIPALITIES.items():
            _provision(subdomain, name, code)
        connection.set_schema_to_public()
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            # Threads of concurrency tests and of the browser tests' server may still hold a
            # session; end them so that the test database is dropped and nothing is left.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


def _provision(subdomain: str, name: str, code: str) -> Municipality:
    """The municipality of ``code``, provisioned (administrator ``boe-admin``) if missing."""
    found = Municipality.objects.filter(code=code).first()
    if found is not None:
        demo.exempt_loopback(found)
        return found
    data = provisioning.NewMunicipality(
        name=name,
        code=code,
        subdomain=subdomain,
        admin_username="boe-admin",
        admin_password=PASSWORD,
        admin_name="試験 管理者",
    )
    municipality = provisioning.provision(data, actor="pytest")
    # Like the demo, the tests' municipalities let loopback (the test client, the browser
    # tests' server) in without a second factor; tests/accounts turn it off to prove MFA.
    demo.exempt_loopback(municipality)
    return municipality


def _municipality(subdomain: str) -> Municipality:
    return Municipality.objects.get(schema_name=provisioning.schema_name_for(subdomain))


@pytest.fixture
def muni(db) -> Iterator[Municipality]:
    """富士吉田市; the connection is inside its schema for the test's own ORM calls."""
    municipality = _municipality("fujiyoshida")
    with schema_context(municipality.schema_name):
        yield municipality


@pytest.fixture
def other_muni(db) -> Municipality:
    return _municipality("tono")


@dataclass(frozen=True)
class DemoSite:
    municipality: Municipality
    timings: dict[str, float]  # seconds each app's seed took, by app label


@pytest.fixture(scope="session")
def demo_site(django_db_setup, django_db_blocker) -> DemoSite:
    """都留市 with every installed app's demo data, seeded (and committed) once per session."""
    subdomain, name, code = DEMO_MUNICIPALITY
    with django_db_blocker.unblock():
        municipality = _provision(subdomain, name, code)
        timings = demo.seed_apps(municipality)
        connection.set_schema_to_public()
    return DemoSite(municipality, timings)


@pytest.fixture
def demo_muni(db, demo_site) -> Iterator[Municipality]:
    """The demo municipality; the connection is inside its schema (changes are rolled back)."""
    with schema_context(demo_site.municipality.schema_name):
        yield demo_site.municipality


def host_of(municipality: Municipality) -> str:
    return municipality.domains.get(is_primary=True).domain


class TenantClient(Client):
    """A Django test client bound to one municipality's host; the schema is restored after."""

    def __init__(self, municipality: Municipality, **kwargs):
        self.municipality = municipality
        super().__init__(HTTP_HOST=host_of(municipality), **kwargs)

    def request(self, **request):
        schema = connection.schema_name
        try:
            return super().request(**request)
        finally:
            connection.set_schema(
                schema
            ) if schema != "public" else connection.set_schema_to_public()


@pytest.fixture
def client_for():
    """``client_for(municipality, user=None)``: a client on that host, logged in as ``user``."""

    def make(municipality: Municipality, user=None) -> TenantClient:
        client = TenantClient(municipality)
        if user is not None:
            with schema_context(municipality.schema_name):
                client.force_login(user)
        return client

    return make


@pytest.fixture
def received():
    """``received(signal)``: the list of every sending of ``signal`` during the test.

    Each entry is the sending's keyword arguments plus ``sender``, and where it happened:
    ``schema`` (the connection's schema) and ``atomic`` (inside a transaction).
    """
    connected: list[tuple[Signal, Callable]] = []

    def listen(signal: Signal) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []

        def receiver(sender, signal, **kwargs) -> None:
            where = {"schema": connection.schema_name, "atomic": connection.in_atomic_block}
            calls.append({"sender": sender, **kwargs, **where})

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return calls

    yield listen
    for signal, receiver in connected:
        signal.disconnect(receiver)


@pytest.fixture
def public_client(db) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.BASE_DOMAIN)


@pytest.fixture
def boe_admin(muni):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="boe-admin")
