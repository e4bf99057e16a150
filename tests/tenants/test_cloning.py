"""The fast clone makes a municipality's schema identical to a migrated one."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.cloning import clone_schema


def structure(schema: str) -> dict[str, set]:
    """Tables, columns, constraints and indexes of ``schema``, with its name taken out."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
               FROM information_schema.columns WHERE table_schema = %s""",
            [schema],
        )
        columns = set(cursor.fetchall())
        cursor.execute(
            """SELECT cl.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
               FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
               JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = %s""",
            [schema],
        )
        constraints = {
            tuple(str(v).replace(f"{schema}.", "") for v in row) for row in cursor.fetchall()
        }
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = %s", [schema])
        indexes = {(t, d.replace(f"{schema}.", "")) for t, d in cursor.fetchall()}
    return {"columns": columns, "constraints": constraints, "indexes": indexes}


@pytest.fixture
def public(db):
    connection.set_schema_to_public()


def test_clone_has_the_template_structure(public):
    with connection.cursor() as cursor:
        clone_schema(cursor, "tenant_template", "zz_clone")
    template, clone = structure("tenant_template"), structure("zz_clone")
    assert clone["columns"] == template["columns"]
    assert clone["indexes"] == template["indexes"]
    # foreign keys of the clone point inside the clone: their definitions name no other schema
    assert clone["constraints"] == template["constraints"]
    assert len(clone["constraints"]) > 20


def test_clone_copies_rows_and_moves_identity_sequences_past_them(public):
    with connection.cursor() as cursor:
        clone_schema(cursor, "tenant_template", "zz_clone")
        cursor.execute("SELECT count(*), max(id) FROM tenant_template.schools_subject")
        count, max_id = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM zz_clone.schools_subject")
        assert cursor.fetchone()[0] == count > 0
        cursor.execute(
            "INSERT INTO zz_clone.schools_subject (school_type, name, short_name, sort_order, is_graded)"
            " VALUES ('elementary', '書写', '書', 99, false) RETURNING id"
        )
        assert cursor.fetchone()[0] == max_id + 1
        # the template's own sequence did not move
        cursor.execute("SELECT last_value FROM tenant_template.schools_subject_id_seq")
        assert cursor.fetchone()[0] == max_id


def test_foreign_keys_of_the_clone_stay_inside_it(public):
    with connection.cursor() as cursor:
        clone_schema(cursor, "tenant_template", "zz_clone")
        cursor.execute(
            """SELECT DISTINCT rn.nspname FROM pg_constraint con
               JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
               JOIN pg_namespace n ON n.oid = con.connamespace
               WHERE n.nspname = 'zz_clone' AND con.contype = 'f'"""
        )
        assert [row[0] for row in cursor.fetchall()] == ["zz_clone"]


def test_objects_the_clone_cannot_copy_are_refused(public):
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW tenant_template.v_probe AS SELECT 1 AS one")
        with pytest.raises(RuntimeError, match="v_probe"):
            clone_schema(cursor, "tenant_template", "zz_clone")
