"""django-tenants' PostgreSQL backend, with a table list that does not read the whole catalog.

Django lists a schema's tables (``introspection.get_table_list``: the migration recorder
asks it whether ``django_migrations`` exists, four or five times per schema migrated) by
scanning all of ``pg_class`` and calling ``pg_table_is_visible`` on every row. With 1,800
municipalities the catalog holds about 750,000 relations: 1.5 s a call, so one new migration
across all of them took hours. The schema's own tables are found instead through
``pg_depend`` (every relation depends on its schema; indexed): a few milliseconds
whatever the number of schemas (``bench/national.py`` measures ``migrate_all``).
"""

from __future__ import annotations

from django.db.backends.postgresql.introspection import DatabaseIntrospection, TableInfo
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.introspection import (
    DatabaseSchemaIntrospection,
    DatabaseSchemaIntrospectionSearchPathContext,
)

# Objects made by initdb (pg_catalog, public) are pinned: their dependants are not
# recorded in pg_depend, so schemas below this oid are listed the ordinary way.
FIRST_NORMAL_OID = 16384

TABLES_OF_SCHEMA = """
    SELECT c.relname,
           CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
           obj_description(c.oid, 'pg_class')
    FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
    WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjid = %s
      AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n'
      AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
"""


class Introspection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor):
        with DatabaseSchemaIntrospectionSearchPathContext(
            cursor=cursor, connection=self.connection
        ):
            # The search path is now the connection's schema alone.
            cursor.execute(
                "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema()"
            )
            row = cursor.fetchone()
            if row is None or row[0] < FIRST_NORMAL_OID:
                return DatabaseIntrospection.get_table_list(self, cursor)
            cursor.execute(TABLES_OF_SCHEMA, [row[0]])
            return [TableInfo(*r) for r in cursor.fetchall() if r[0] not in self.ignored_tables]


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.introspection = Introspection(self)
