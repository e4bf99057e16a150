"""A connection that has served more than AI_CONN_MAX_SCHEMAS municipalities is closed."""

from __future__ import annotations

from django.db import connection, connections

from tenants.connections import count_and_close


def test_closed_after_serving_more_schemas_than_allowed(muni, other_muni):
    # A connection of its own: the test's is inside the test's transaction.
    conn = connections.create_connection("default")

    def serve(schema: str) -> None:  # what a request leaves behind
        conn.set_schema(schema)
        conn.ensure_connection()
        count_and_close(conn, 2)

    try:
        serve(muni.schema_name)
        serve(other_muni.schema_name)
        serve(muni.schema_name)  # the same one again: still two
        assert conn.connection is not None
        serve("public")  # a third
        assert conn.connection is None
        serve(muni.schema_name)  # a fresh connection counts from zero
        assert conn.connection is not None
    finally:
        conn.close()


def test_never_inside_a_transaction(muni):
    count_and_close(connection, 0)
    assert connection.in_atomic_block and connection.connection is not None
