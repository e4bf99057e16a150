"""Ai's backend lists a schema's tables through pg_depend: the same answer as Django's scan."""

from __future__ import annotations

from django.db import connection
from django.db.backends.postgresql.introspection import DatabaseIntrospection

from tenants.postgresql_backend.base import Introspection


def listed(schema: str) -> tuple[list, list]:
    """(Ai's table list, Django's) with the connection in ``schema``."""
    connection.set_schema(schema) if schema != "public" else connection.set_schema_to_public()
    with connection.cursor() as cursor:
        ours = sorted(connection.introspection.get_table_list(cursor))
        cursor.execute(f'SET search_path = "{schema}"')  # what django-tenants' wrapper does
        theirs = sorted(DatabaseIntrospection.get_table_list(connection.introspection, cursor))
    return ours, theirs


def test_the_backend_is_ais():
    assert isinstance(connection.introspection, Introspection)


def test_a_municipalitys_tables_as_django_lists_them(muni):
    ours, theirs = listed(muni.schema_name)
    assert ours == theirs
    assert any(t.name == "django_migrations" for t in ours)
    assert len(ours) > 50


def test_the_public_schema_as_django_lists_it(db):
    ours, theirs = listed("public")
    assert ours == theirs
    assert any(t.name == "tenants_municipality" for t in ours)
