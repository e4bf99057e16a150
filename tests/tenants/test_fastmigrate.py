"""A new migration reaches every municipality by SQL and leaves each like the template."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.apps import AppConfig, apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from tenants import fastmigrate, provisioning
from tenants.provisioning import TEMPLATE_SCHEMA

PASSWORD = "fastmig-pass-1"


@contextmanager
def probe_settings(module: str) -> Iterator[None]:
    """The probe app installed, with the migrations of ``module``.

    Added to the app registry by hand: overriding INSTALLED_APPS would run every app's
    ``ready()`` again (the job runner refuses to register its tasks twice).
    """
    config = AppConfig.create("bench.probe")
    config.apps = apps
    config.import_models()
    apps.app_configs[config.label] = config
    apps.clear_cache()
    try:
        with override_settings(
            TENANT_APPS=[*settings.TENANT_APPS, "bench.probe"],
            MIGRATION_MODULES={"bench_probe": module},
        ):
            yield
    finally:
        del apps.app_configs[config.label]
        apps.clear_cache()


def provision_three() -> list[str]:
    schemas = []
    for i, code in enumerate(["014249", "015563", "016357"]):
        data = provisioning.NewMunicipality(
            name=f"移行市{i}",
            code=code,
            subdomain=f"fastmig-{i}",
            admin_username="admin",
            admin_password=PASSWORD,
            admin_name="移行 管理者",
        )
        schemas.append(provisioning.provision(data, actor="pytest").schema_name)
    connection.set_schema_to_public()
    return schemas


@pytest.fixture
def three(db) -> Iterator[list[str]]:
    connection.set_schema_to_public()
    yield provision_three()
    connection.set_schema_to_public()


def has_table(schema: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".{table}'])
        return cursor.fetchone()[0] is not None


def test_a_new_migration_goes_by_sql_and_each_schema_equals_the_template(three):
    with probe_settings("tests.tenants.fastmig_probe"):
        provisioning.ensure_template()  # Django migrates the reference
        assert has_table(TEMPLATE_SCHEMA, "bench_probe_note")
        assert not has_table(three[0], "bench_probe_note")
        # what post_migrate gives a new model (the probe app has no models module)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH ct AS (INSERT INTO {TEMPLATE_SCHEMA}.django_content_type
                    (app_label, model) VALUES ('bench_probe', 'note') RETURNING id)
                    INSERT INTO {TEMPLATE_SCHEMA}.auth_permission (name, content_type_id, codename)
                    SELECT 'Can view note', id, 'view_note' FROM ct"""
            )
        report = fastmigrate.migrate_tenants(three)
    assert report.failed == {} and report.different == {}
    assert sorted(report.fast) == sorted(three) and report.slow == []
    template = fastmigrate.structure(TEMPLATE_SCHEMA)
    assert "migration bench_probe.0001_note" in template
    assert any(line.startswith("index bench_probe_note.probe_note_body") for line in template)
    assert any("FOREIGN KEY (school_id) REFERENCES schools_school(id)" in x for x in template)
    for schema in three:
        assert fastmigrate.structure(schema) == template
        assert fastmigrate.differences(schema, TEMPLATE_SCHEMA) == []
        with connection.cursor() as cursor:
            # post_migrate's rows, copied from the template
            cursor.execute(
                f"""SELECT p.codename FROM "{schema}".auth_permission p
                    JOIN "{schema}".django_content_type c ON c.id = p.content_type_id
                    WHERE c.app_label = 'bench_probe' AND c.model = 'note'"""
            )
            assert cursor.fetchall() == [("view_note",)]
            # the foreign key points inside the municipality's own schema
            cursor.execute(
                f"SELECT obj_description('\"{schema}\".bench_probe_note'::regclass, 'pg_class')"
            )
            assert cursor.fetchone()[0] == "probe"
    # run again: nothing left to do
    with probe_settings("tests.tenants.fastmig_probe"):
        again = fastmigrate.migrate_tenants(three)
    assert again.fast == again.slow == [] and again.ok


def test_a_difference_is_found(three):
    with probe_settings("tests.tenants.fastmig_probe"):
        provisioning.ensure_template()
        fastmigrate.migrate_tenants(three)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{three[1]}".bench_probe_note ADD COLUMN extra int')
    assert fastmigrate.differences(three[1], TEMPLATE_SCHEMA) == [
        "+ column bench_probe_note.extra integer"
    ]


def test_a_runpython_migration_takes_djangos_path(three):
    with probe_settings("tests.tenants.fastmig_probe_slow"):
        provisioning.ensure_template()
        report = fastmigrate.migrate_tenants(three)
    assert report.fast == [] and sorted(report.slow) == sorted(three)
    assert report.ok
    for schema in three:
        assert "migration bench_probe.0002_fill" in fastmigrate.structure(schema)


def test_a_failure_in_one_schema_is_reported_and_the_others_go_on(three):
    # the table the migration creates is already there in one municipality
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{three[1]}".bench_probe_note (id int)')
    with probe_settings("tests.tenants.fastmig_probe"):
        provisioning.ensure_template()
        report = fastmigrate.migrate_tenants(three)
    assert list(report.failed) == [three[1]]
    assert "already exists" in report.failed[three[1]]
    assert sorted(report.fast) == sorted([three[0], three[2]])
    assert not report.ok
    # rolled back whole: no migration recorded there
    assert "migration bench_probe.0001_note" not in fastmigrate.structure(three[1])
    assert fastmigrate.structure(three[2]) == fastmigrate.structure(TEMPLATE_SCHEMA)


def test_migrate_all_fails_naming_the_schema_that_failed(three):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{three[0]}".bench_probe_note (id int)')
    out, err = StringIO(), StringIO()
    with probe_settings("tests.tenants.fastmig_probe"), pytest.raises(CommandError) as failed:
        call_command("migrate_all", verbosity=1, stdout=out, stderr=err)
    assert "1 municipalities failed" in str(failed.value)
    assert three[0] in err.getvalue() and "already exists" in err.getvalue()
    assert "by SQL" in out.getvalue()
    connection.set_schema_to_public()
    for schema in three[1:]:
        assert fastmigrate.differences(schema, TEMPLATE_SCHEMA) == []
