"""One new migration across every municipality in seconds, not in Django's 1.4 s per schema.

Django migrates the template schema (``tenants.provisioning.ensure_template``): it is the
reference. The migrations a municipality lacks are the template's it has not applied; when
each of them is pure schema work (schema operations, ``RunSQL``; no ``RunPython``, atomic),
its SQL is captured once with Django's schema editor (``collect_sql``, what ``sqlmigrate``
prints) and run in each schema on one connection, one transaction per schema, with the
``django_migrations`` rows and the content types and permissions that ``post_migrate`` gave
the template. Anything else takes Django's own path for that schema. A schema whose SQL fails
is rolled back alone and reported; afterwards every migrated schema is compared with the
template (columns and types, constraints, indexes, ``django_migrations``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython, SeparateDatabaseAndState
from django_tenants.utils import schema_context

from tenants import provisioning

Key = tuple[str, str]

# A backend caches every table it touches: a fresh connection after this many schemas
# (as tenants/connections.py does for requests).
SCHEMAS_PER_CONNECTION = 50


@dataclass
class Report:
    fast: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    different: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.different


def ordered_migrations(loader: MigrationLoader) -> list[Key]:
    """Every migration of the project in an order Django could apply them."""
    order: list[Key] = []
    seen: set[Key] = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                order.append(key)
    return order


def applied_in(schema: str) -> set[Key]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return {(app, name) for app, name in cursor.fetchall()}


def _sql_only(operations: Iterable) -> bool:
    for operation in operations:
        if isinstance(operation, RunPython) or not operation.reduces_to_sql:
            return False
        if isinstance(operation, SeparateDatabaseAndState) and not _sql_only(
            operation.database_operations
        ):
            return False
    return True


def expressible_as_sql(migration) -> bool:
    """Pure schema work that runs inside a transaction (else: Django's path)."""
    return migration.atomic and _sql_only(migration.operations)


def sql_for(loader: MigrationLoader, keys: list[Key], schema: str) -> list[str]:
    """The statements Django would run for ``keys`` in ``schema`` (read from, not run in, it).

    Collected with ``schema``'s search path: the schema editor reads constraint names of the
    schema it alters (an ``AlterField``), which are those of every clone of the template.
    """
    statements: list[str] = []
    with schema_context(schema):
        # One at a time, each from the state of all its ancestors (a plan's later migrations
        # need not descend from its first: the state before the first would lack their models).
        for key in keys:
            statements += loader.collect_sql([(loader.graph.nodes[key], False)])
    out = []
    for statement in statements:
        code = "\n".join(
            line for line in statement.splitlines() if not line.strip().startswith("--")
        )
        if code.strip():
            out.append(code)
    return out


COPY_CONTENT_TYPES = """
INSERT INTO "{s}".django_content_type (app_label, model)
SELECT t.app_label, t.model FROM "{t}".django_content_type t
WHERE NOT EXISTS (SELECT 1 FROM "{s}".django_content_type c
                  WHERE c.app_label = t.app_label AND c.model = t.model);
INSERT INTO "{s}".auth_permission (name, content_type_id, codename)
SELECT p.name, c.id, p.codename FROM "{t}".auth_permission p
JOIN "{t}".django_content_type tc ON tc.id = p.content_type_id
JOIN "{s}".django_content_type c ON c.app_label = tc.app_label AND c.model = tc.model
WHERE NOT EXISTS (SELECT 1 FROM "{s}".auth_permission q
                  WHERE q.content_type_id = c.id AND q.codename = p.codename);
"""


def apply_sql(schema: str, statements: list[str], keys: list[Key], template: str) -> None:
    """Run ``statements`` in ``schema`` and record ``keys``: all of it or nothing."""
    connection.set_schema(schema)
    # The cursor sets the search path, before the transaction (a rolled-back savepoint
    # would undo it behind django-tenants' back).
    with connection.cursor() as cursor, transaction.atomic():
        for statement in statements:
            cursor.execute(statement)
        cursor.executemany(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())",
            keys,
        )
        # What post_migrate made in the template (content types, permissions).
        cursor.execute(COPY_CONTENT_TYPES.format(s=schema, t=template))


FINGERPRINT = """
WITH rel AS (
  SELECT c.oid, c.relname FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class c ON c.oid = d.objid
  WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjid = %(ns)s
    AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n'
    AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
)
SELECT 'column ' || rel.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
FROM rel JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || rel.relname || '.' || con.conname || ' '
       || replace(pg_get_constraintdef(con.oid), %(prefix)s, '')
FROM rel JOIN pg_catalog.pg_constraint con ON con.conrelid = rel.oid
UNION ALL
SELECT 'index ' || rel.relname || '.' || i.relname || ' '
       || replace(pg_get_indexdef(x.indexrelid), %(prefix)s, '')
FROM rel JOIN pg_catalog.pg_index x ON x.indrelid = rel.oid
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
"""


def structure(schema: str) -> set[str]:
    """Columns and types, constraints, indexes and applied migrations of ``schema``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s", [schema])
        row = cursor.fetchone()
        if row is None:
            return set()
        cursor.execute(FINGERPRINT, {"ns": row[0], "prefix": f"{schema}."})
        lines = {r[0] for r in cursor.fetchall()}
    return lines | {f"migration {app}.{name}" for app, name in applied_in(schema)}


def differences(schema: str, template: str) -> list[str]:
    """What ``schema`` has that the template lacks (+) and the reverse (-); empty if equal."""
    mine, reference = structure(schema), structure(template)
    return sorted(f"- {x}" for x in reference - mine) + sorted(f"+ {x}" for x in mine - reference)


def _recycle(count: int) -> None:
    if count % SCHEMAS_PER_CONNECTION == 0 and not connection.in_atomic_block:
        connection.close()


def migrate_tenants(
    schemas: list[str] | None = None,
    *,
    template: str = provisioning.TEMPLATE_SCHEMA,
    verify: bool = True,
    verbosity: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """Bring every municipality (or ``schemas``) to the template's migration state.

    The template must be migrated already (``provisioning.ensure_template``).
    """
    from tenants.models import Municipality

    if schemas is None:
        schemas = list(
            Municipality.objects.exclude(schema_name__in=["public", template])
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
    report = Report()
    t0 = time.perf_counter()
    connection.set_schema_to_public()
    loader = MigrationLoader(connection)
    order = ordered_migrations(loader)
    reference = applied_in(template)
    sql_cache: dict[tuple[Key, ...], list[str] | None] = {}
    for count, schema in enumerate(schemas, start=1):
        try:
            keys = tuple(k for k in order if k in reference and k not in applied_in(schema))
            if not keys:
                continue
            if keys not in sql_cache:
                by_sql = all(expressible_as_sql(loader.graph.nodes[k]) for k in keys)
                sql_cache[keys] = sql_for(loader, list(keys), schema) if by_sql else None
                log(f"{len(keys)} migrations by {'SQL' if by_sql else 'Django'}: {keys}")
            statements = sql_cache[keys]
            if statements is None:
                call_command(
                    "migrate_schemas", schema_name=schema, interactive=False, verbosity=verbosity
                )
                report.slow.append(schema)
            else:
                apply_sql(schema, statements, list(keys), template)
                report.fast.append(schema)
        except Exception as error:  # reported, the others go on
            report.failed[schema] = f"{type(error).__name__}: {error}".strip()
            log(f"{schema}: {report.failed[schema]}")
        finally:
            connection.set_schema_to_public()
        _recycle(count)
    report.seconds = time.perf_counter() - t0
    if verify:
        t1 = time.perf_counter()
        reference_structure = structure(template)
        for count, schema in enumerate(report.fast + report.slow, start=1):
            mine = structure(schema)
            if mine != reference_structure:
                report.different[schema] = sorted(
                    f"- {x}" for x in reference_structure - mine
                ) + sorted(f"+ {x}" for x in mine - reference_structure)
            _recycle(count)
        report.verify_seconds = time.perf_counter() - t1
    connection.set_schema_to_public()
    return report
