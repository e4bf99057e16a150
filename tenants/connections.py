"""Close a worker's database connection once it has served many municipalities.

A PostgreSQL backend caches the definition of every table it touches, in every schema,
for as long as it lives: about 0.4 MB per municipality (``bench/national.py``: three
backends grew from 41 MB to 116 MB over 150 schemas, connections kept). ``CONN_MAX_AGE``
bounds a connection's life in seconds, which bounds nothing when a busy worker serves
hundreds of municipalities a minute; this bounds the number of schemas: after a request,
a connection that has served more than ``AI_CONN_MAX_SCHEMAS`` different municipalities
is closed (the next request opens a fresh one).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection


def close_after_many_schemas(**_: Any) -> None:
    """``request_finished`` receiver: count the schemas this connection has served."""
    count_and_close(connection, settings.AI_CONN_MAX_SCHEMAS)


def count_and_close(conn: Any, limit: int) -> None:
    raw = conn.connection
    # Closed already (CONN_MAX_AGE=0, an error), or inside a transaction (a test's): keep.
    if raw is None or conn.in_atomic_block:
        return
    seen: set[str] = getattr(conn, "_ai_schemas", None) or set()
    if getattr(conn, "_ai_schemas_of", None) is not raw:  # a new connection
        seen = set()
    seen.add(conn.schema_name)
    if len(seen) > limit:
        conn.close()
        seen = set()
    conn._ai_schemas, conn._ai_schemas_of = seen, conn.connection
