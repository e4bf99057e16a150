"""Test fixtures: real PostgreSQL schemas, created once per test session.

Two municipalities exist for every test: ``muni`` (富士吉田市, fujiyoshida.localhost)
and ``other_muni`` (遠野市, tono.localhost), the second one for isolation tests.
Browser tests use a third one (多摩市) whose data they commit.
Tests run inside a transaction (pytest-django's ``db``) that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants import demo, provisioning
from tenants.models import Municipality

# One browser and one live server for every test directory (session-scoped fixtures).
pytest_plugins = ["tests.browser.fixtures"]

PASSWORD = "test-pass-2026"

TEST_MUNICIPALITIES = {
    "fujiyoshida": ("富士吉田市", "192023"),
    "tono": ("遠野市", "032085"),
    "tama": ("多摩市", "132241"),
}


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb,
    django_db_modify_db_settings,
):  # fmt: skip
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
            verbosity=request.config.option.verbose, interactive=False, keepdb=keepdb,
            aliases={"default"},
        )  # fmt: skip
        assert connection.settings_dict["NAME"].startswith("test_"), "not on a test database"
        provisioning.ensure_template()
        demo.ensure_public_site()
        for subdomain, (name, code) in TEST_MUNICIPALITIES.items():
            if not Municipality.objects.filter(code=code).exists():
                provisioning.provision(
                    provisioning.NewMunicipality(
                        name=name, code=code, subdomain=subdomain,
                        admin_username="boe-admin", admin_password=PASSWORD, admin_name="試験 管理者",
                    ),
                    actor="pytest",
                )  # fmt: skip
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
def public_client(db) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.BASE_DOMAIN)


@pytest.fixture
def boe_admin(muni):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="boe-admin")
