"""A municipality's schema stays eligible for Citus schema-based sharding.

Where one database server is no longer enough, the path is Citus: with
``citus_schema_distribute('<schema>')`` (or ``citus.enable_schema_based_sharding``) each
tenant schema becomes a group of co-located single-shard tables that Citus can move to
another node (ARCHITECTURE.md, "National scale"). Citus refuses a schema whose tables
have foreign keys to tables of another schema (unless those are reference tables) or
from another schema, partitions or inheritance across schemas, foreign tables, or
objects owned by an extension; and a query that joins a tenant table with a table
elsewhere stops being one routable query. So, on a provisioned municipality:

- its tables reference only their own schema and nothing outside references them;
- nothing inside depends on an object outside (a sequence, a type, a function, a
  view, a default, a trigger) except PostgreSQL's own catalog, and nothing outside
  depends on it; its functions' bodies name no other schema;
- its tables are plain tables of one owner, none an extension's;
- no tenant model relates to a model whose table is only in ``public`` (the ORM would
  join them), and no SQL written in the code names ``public.`` or a public-only table
  next to a tenant table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.apps import apps
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

# The namespace of any object pg_depend can name, by the catalog it lives in.
NAMESPACE_OF = """
CASE {cls}
  WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = {obj})
  WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = {obj})
  WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = {obj})
  WHEN 'pg_constraint'::regclass THEN (SELECT connamespace FROM pg_constraint WHERE oid = {obj})
  WHEN 'pg_namespace'::regclass THEN {obj}
  WHEN 'pg_collation'::regclass THEN (SELECT collnamespace FROM pg_collation WHERE oid = {obj})
  WHEN 'pg_operator'::regclass THEN (SELECT oprnamespace FROM pg_operator WHERE oid = {obj})
  WHEN 'pg_statistic_ext'::regclass
    THEN (SELECT stxnamespace FROM pg_statistic_ext WHERE oid = {obj})
  WHEN 'pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_attrdef a
                                    JOIN pg_class c ON c.oid = a.adrelid WHERE a.oid = {obj})
  WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger t
                                    JOIN pg_class c ON c.oid = t.tgrelid WHERE t.oid = {obj})
  WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite r
                                    JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = {obj})
  WHEN 'pg_policy'::regclass THEN (SELECT c.relnamespace FROM pg_policy p
                                   JOIN pg_class c ON c.oid = p.polrelid WHERE p.oid = {obj})
END
"""


def rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def tables_of(schema: str) -> set[str]:
    return {r[0] for r in rows("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])}


def test_foreign_keys_stay_inside_the_schema(muni):
    crossing = rows(
        """
        SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class f ON f.oid = con.confrelid
        WHERE con.contype = 'f' AND c.relnamespace <> f.relnamespace
          AND %s IN (c.relnamespace::regnamespace::text, f.relnamespace::regnamespace::text)
        """,
        [muni.schema_name],
    )
    assert crossing == []
    # ... and there are foreign keys inside it (the query above is not vacuous).
    assert (
        rows(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = %s::regnamespace",
            [muni.schema_name],
        )[0][0]
        > 50
    )


def test_nothing_inside_depends_on_anything_outside_nor_the_reverse(muni):
    obj_ns = NAMESPACE_OF.format(cls="d.classid", obj="d.objid")
    ref_ns = NAMESPACE_OF.format(cls="d.refclassid", obj="d.refobjid")
    crossing = rows(
        f"""
        WITH deps AS (
          SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS obj,
                 pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) AS ref,
                 d.deptype, ({obj_ns}) AS obj_ns, ({ref_ns}) AS ref_ns
          FROM pg_depend d
          WHERE d.refclassid <> 'pg_language'::regclass  -- languages belong to no schema
        )
        SELECT obj, ref, deptype, obj_ns::regnamespace::text, ref_ns::regnamespace::text
        FROM deps
        WHERE (obj_ns = %(schema)s::regnamespace
               AND ref_ns IS DISTINCT FROM obj_ns AND ref_ns IS DISTINCT FROM 'pg_catalog'::regnamespace)
           OR (ref_ns = %(schema)s::regnamespace AND obj_ns IS DISTINCT FROM ref_ns
               AND obj_ns IS DISTINCT FROM 'pg_toast'::regnamespace)
        """,
        {"schema": muni.schema_name},
    )
    # Its tables' TOAST tables live in pg_toast and go with them: not a crossing.
    assert crossing == []
    # The query sees the schema's own dependencies (sequences owned by columns, triggers).
    assert (
        rows(
            f"SELECT count(*) FROM pg_depend d WHERE ({obj_ns}) = %s::regnamespace",
            [muni.schema_name],
        )[0][0]
        > 100
    )


def test_functions_name_no_other_schema(muni):
    # pg_depend does not see into a function's body: read it.
    public_only = tables_of("public") - tables_of(muni.schema_name)
    others = [
        ns
        for (ns,) in rows(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT IN (%s, 'pg_catalog')",
            [muni.schema_name],
        )
    ]
    qualified = re.compile(r'\b"?(' + "|".join(map(re.escape, others)) + r')"?\s*\.')
    bodies = rows(
        "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = %s::regnamespace",
        [muni.schema_name],
    )
    assert bodies  # the audit trail's append-only guard (schools migration 0007)
    for name, body in bodies:
        assert not qualified.search(body), name
        assert not set(re.findall(r"\w+", body)) & public_only, name


def test_only_plain_tables_of_one_owner_none_an_extensions(muni):
    kinds = rows(
        "SELECT DISTINCT relkind::text FROM pg_class WHERE relnamespace = %s::regnamespace",
        [muni.schema_name],
    )
    assert {k for (k,) in kinds} <= {"r", "i", "S"}  # tables, indexes, identity sequences
    assert rows(
        """SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid IN (i.inhrelid, i.inhparent)
           WHERE c.relnamespace = %s::regnamespace""",
        [muni.schema_name],
    ) == [(0,)]
    owners = rows(
        """SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class
           WHERE relnamespace = %s::regnamespace AND relkind = 'r'""",
        [muni.schema_name],
    )
    assert owners == [(connection.settings_dict["USER"],)]
    assert rows(
        """SELECT count(*) FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
           WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
             AND c.relnamespace = %s::regnamespace""",
        [muni.schema_name],
    ) == [(0,)]
    assert rows(
        "SELECT count(*) FROM pg_extension WHERE extnamespace = %s::regnamespace",
        [muni.schema_name],
    ) == [(0,)]


def test_no_tenant_model_relates_to_a_public_only_model(muni):
    tenant = tables_of(muni.schema_name)
    crossing = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table not in tenant:
            continue
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            if field.is_relation and related is not None and related._meta.db_table not in tenant:
                crossing.append(f"{model._meta.label}.{field.name} -> {related._meta.label}")
    assert crossing == []


# SQL written in the code: a string with SQL's words in capitals.
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE|ALTER TABLE|JOIN)\b")
# Code that runs on the operators' side in ``public``, by design: the fast clone copies the
# template schema into a new one (with Citus: on the coordinator, before distributing it).
OPERATORS_SIDE = {"tenants/cloning.py", "tenants/provisioning.py"}


def sql_strings(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if SQL.search(text):
            found.append((node.lineno, text))
    return found


def project_sources() -> list[Path]:
    skip = {".venv", "tests", "bench", "node_modules", "static", "staticfiles"}
    return [
        p
        for p in ROOT.rglob("*.py")
        if not skip & set(p.relative_to(ROOT).parts) and not p.name.startswith(".")
    ]


def test_no_sql_in_the_code_reaches_outside_the_tenant_schema(muni):
    public_only = tables_of("public") - tables_of(muni.schema_name)
    tenant = tables_of(muni.schema_name)
    names_public = re.compile(r'\b"?public"?\s*\.\s*"?\w')
    problems = []
    checked = 0
    for path in project_sources():
        where = path.relative_to(ROOT).as_posix()
        if where in OPERATORS_SIDE:
            continue
        for line, text in sql_strings(path):
            checked += 1
            words = set(re.findall(r"\w+", text))
            if names_public.search(text):
                problems.append(f"{where}:{line} names the public schema")
            if words & public_only and words & tenant:
                problems.append(f"{where}:{line} joins {words & public_only} with tenant tables")
    assert problems == []
    assert checked > 10  # the scan found the code's SQL (attendance figures, migrations...)
