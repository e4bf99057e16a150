"""Copy a migrated template schema into a new municipality's schema, fast.

django-tenants' generic ``clone_schema`` (a large PL/pgSQL function) takes 0.5-2 s
here; Ai's tenant schemas hold only tables, indexes, constraints and identity
sequences, so a plan built from the catalog does the same in a fraction of that:

1. ``CREATE TABLE new.t (LIKE template.t ...)``: columns, defaults, identity, CHECKs;
2. every constraint and index under its own name (later migrations drop them by
   name), re-created from ``pg_get_constraintdef``/``pg_get_indexdef`` with the new
   schema on the search path, so that foreign keys point inside it;
3. the template's rows (``django_migrations``, content types, national subject
   lists and other reference data) and identity sequences moved past them;
4. the schema's own functions (``pg_get_functiondef``) and triggers (``pg_get_triggerdef``),
   their table and function re-qualified with the new schema: the audit trail's
   append-only guard (``schools`` migration 0007).

Anything else in the template (views, procedures, aggregates, plain sequences) is
refused loudly rather than silently missed. A copied function's body must not name the
template schema (nothing rewrites it).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.backends.utils import CursorWrapper


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The schema's relations, found through pg_depend (indexed on the referenced object): every
# table, view and sequence depends on its schema. Scanning pg_class instead costs as much
# as the whole catalog, which grows with every municipality (0.5 s a query at 1,350).
RELATIONS = """
    WITH rels AS (
      SELECT c.oid, c.relname, c.relkind FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
      WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %s::regnamespace
        AND d.classid = 'pg_class'::regclass AND d.deptype = 'n'
    )
"""


def unsupported_objects(cursor: CursorWrapper, schema: str) -> list[str]:
    cursor.execute(
        RELATIONS
        + """
        SELECT relkind::text || ':' || relname::text FROM rels WHERE relkind IN ('v', 'm', 'f')
        UNION ALL
        SELECT 'S:' || s.relname::text FROM rels s
        WHERE s.relkind = 'S'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = s.oid AND d.deptype = 'i')
        UNION ALL
        SELECT 'routine:' || p.proname::text FROM pg_proc p
        WHERE p.pronamespace = %s::regnamespace AND p.prokind <> 'f'
        """,
        [schema, schema],
    )
    return [row[0] for row in cursor.fetchall()]


def clone_schema(
    cursor: CursorWrapper,
    source: str,
    target: str,
    *,
    rows: bool = True,
    fill: Callable[[], None] | None = None,
) -> None:
    """Create schema ``target`` as a copy of ``source``: structure, and rows unless ``rows=False``.

    ``fill`` (a restore's COPY) runs once the tables exist and before keys, indexes and
    triggers: like pg_restore, each index is then built once and each foreign key checked by
    one query rather than row by row.
    """
    if unsupported := unsupported_objects(cursor, source):
        raise RuntimeError(
            f"template schema {source} holds objects the fast clone does not copy: {unsupported}"
        )
    cursor.execute(
        RELATIONS + "SELECT relname FROM rels WHERE relkind IN ('r', 'p') ORDER BY relname",
        [source],
    )
    tables = [row[0] for row in cursor.fetchall()]
    # With only the source on the search path, definitions name its tables unqualified.
    cursor.execute(f"SET LOCAL search_path TO {_q(source)}")
    # Constraints keep their names (later migrations drop them by name): primary and unique
    # keys first, then the foreign keys that need them. CHECK constraints come with LIKE
    # (re-parsing their text would not give back the same expression).
    cursor.execute(
        RELATIONS
        + """
        SELECT cl.relname, con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN rels cl ON cl.oid = con.conrelid
        WHERE con.contype IN ('p', 'u', 'x', 'f')
        ORDER BY array_position(ARRAY['p', 'u', 'x', 'f']::"char"[], con.contype),
                 cl.relname, con.conname
        """,
        [source],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        RELATIONS
        + """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rels cl ON cl.oid = i.indrelid
        WHERE NOT EXISTS (SELECT 1 FROM pg_constraint con
                          WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid)
        """,
        [source],
    )
    # pg_get_indexdef qualifies the table whatever the search path: point it at the target.
    indexes = [
        row[0].replace(f" ON {source}.", f" ON {_q(target)}.", 1) for row in cursor.fetchall()
    ]
    cursor.execute(
        RELATIONS
        + """
        SELECT cl.relname, a.attname FROM pg_attribute a JOIN rels cl ON cl.oid = a.attrelid
        WHERE a.attidentity <> '' AND NOT a.attisdropped
        """,
        [source],
    )
    identities = dict(cursor.fetchall())
    cursor.execute(
        """
        SELECT quote_ident(n.nspname), pg_get_functiondef(p.oid) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %s AND p.prokind = 'f' ORDER BY p.proname
        """,
        [source],
    )
    # pg_get_functiondef always qualifies the function's name: point it at the target.
    functions = [
        definition.replace(f"FUNCTION {quoted}.", f"FUNCTION {_q(target)}.", 1)
        for quoted, definition in cursor.fetchall()
    ]
    cursor.execute(
        RELATIONS
        + """
        SELECT quote_ident(%s), pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN rels c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal ORDER BY c.relname, t.tgname
        """,
        [source, source],
    )
    # pg_get_triggerdef qualifies the table (point it at the target); with only the source on
    # the search path it names the function unqualified: run on the target's path, the target's.
    triggers = [
        definition.replace(f" ON {quoted}.", f" ON {_q(target)}.", 1)
        for quoted, definition in cursor.fetchall()
    ]

    statements = [f"CREATE SCHEMA {_q(target)}", f"SET LOCAL search_path TO {_q(target)}"]
    for table in tables:
        statements.append(
            f"CREATE TABLE {_q(target)}.{_q(table)} (LIKE {_q(source)}.{_q(table)} "
            "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE "
            "INCLUDING CONSTRAINTS)"
        )
    if fill is not None:
        cursor.execute(";\n".join(statements))
        fill()
        statements = [f"SET LOCAL search_path TO {_q(target)}"]
    for table, name, definition in constraints:
        statements.append(
            f"ALTER TABLE {_q(target)}.{_q(table)} ADD CONSTRAINT {_q(name)} {definition}"
        )
    statements.extend(indexes)
    for table in tables if rows else ():
        statements.append(
            f"INSERT INTO {_q(target)}.{_q(table)} OVERRIDING SYSTEM VALUE "
            f"SELECT * FROM {_q(source)}.{_q(table)}"
        )
    for table, column in identities.items() if rows else ():
        statements.append(
            f"SELECT setval(pg_get_serial_sequence('{_q(target)}.{_q(table)}', '{column}'), "
            f"COALESCE(MAX({_q(column)}), 0) + 1, false) FROM {_q(target)}.{_q(table)}"
        )
    statements.extend(functions)
    statements.extend(triggers)
    statements.append("SET LOCAL search_path TO public")
    cursor.execute(";\n".join(statements))
