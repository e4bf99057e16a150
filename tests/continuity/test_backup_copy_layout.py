"""The ``copy`` layout: a restored municipality has the same tables, next ids and triggers."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from schools.models import Student
from tenants.backups import archive, service
from tenants.backups.archive import Refused
from tenants.models import Backup

from .test_backup_restore import _footprint, _rewrite, path_of, snapshot


def _structure(schema: str) -> dict[str, list]:
    """Tables with their columns, identity sequences' next state, and triggers."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
            " a.attidentity FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
            " AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
            [schema],
        )
        columns = cur.fetchall()
        cur.execute(
            "SELECT s.relname, pg_sequence_last_value(s.oid) FROM pg_class s"
            " JOIN pg_namespace n ON n.oid = s.relnamespace WHERE n.nspname = %s AND s.relkind = 'S' ORDER BY 1",
            [schema],
        )
        sequences = cur.fetchall()
        cur.execute(
            "SELECT c.relname, t.tgname, t.tgtype, p.proname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT t.tgisinternal ORDER BY 1, 2",
            [schema],
        )
        triggers = cur.fetchall()
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = %s::regnamespace ORDER BY 2",
            [schema],
        )
        # foreign keys name their own schema: compare them without it
        constraints = [
            (name, definition.replace(f"REFERENCES {schema}.", "REFERENCES "))
            for _, name, definition in cur.fetchall()
        ]
    return {
        "columns": columns,
        "sequences": sequences,
        "triggers": triggers,
        "constraints": constraints,
    }


def _new_student_id() -> int:
    with schema_context("m_kofu"):
        any_student = Student.objects.order_by("pk").first()
        with connection.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence('schools_student', 'id'))")
            value = cur.fetchone()[0]
        assert any_student is not None
    return value


def test_restore_gives_back_tables_next_ids_and_triggers(kofu):
    before_rows = snapshot("m_kofu")
    before = _structure("m_kofu")
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    manifest = archive.verify(path_of(record)).manifest
    assert manifest["layout"] == "copy" and manifest["format"] == archive.FORMAT
    assert manifest["sequences"]["schools_student"][0] == "id"

    next_id = _new_student_id()  # moves the live sequence on; the restore puts it back
    with schema_context("m_kofu"), connection.cursor() as cur:
        cur.execute("DELETE FROM attendance_mark")
    service.restore_in_place(record, confirm_schema="m_kofu", actor="ops")

    assert snapshot("m_kofu") == before_rows
    after = _structure("m_kofu")
    assert after == before
    assert any(t[1] == "audit_append_only" for t in after["triggers"])
    assert _new_student_id() == next_id  # the next id is the one it would have been
    # the append-only trail is guarded in the restored schema too
    with (
        schema_context("m_kofu"),
        connection.cursor() as cur,
        pytest.raises(Exception, match="追記のみ"),
        transaction.atomic(),
    ):
        cur.execute("DELETE FROM schools_auditevent")


def test_restore_as_new_has_the_same_structure(kofu):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    before = _structure("m_kofu")
    new = service.restore_as_new(record, subdomain="kofu-copy", actor="ops")
    schema = new.municipality.schema_name
    assert snapshot(schema) == snapshot("m_kofu")
    assert _structure(schema) == before


def test_pg_dump_layout_still_restores(kofu):
    before = snapshot("m_kofu")
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops", layout="pgdump")
    assert record.status == Backup.Status.OK, record.error
    assert archive.verify(path_of(record)).manifest["layout"] == "pgdump"
    with schema_context("m_kofu"), connection.cursor() as cur:
        cur.execute("DELETE FROM attendance_mark")
    service.restore_in_place(record, confirm_schema="m_kofu", actor="ops")
    assert snapshot("m_kofu") == before


def test_copy_backup_at_another_migration_state_is_refused(kofu, backup_dir):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    older = backup_dir / "older.aibackup"

    def drop_last_migration(name: str, data: bytes) -> bytes:
        if name != archive.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["migrations"] = manifest["migrations"][:-1]
        return json.dumps(manifest).encode()

    _rewrite(path_of(record), older, drop_last_migration)
    before = _footprint()
    with pytest.raises(Refused, match="移行状態が現在のテンプレートと異なります"):
        service.restore_in_place(record, confirm_schema="m_kofu", actor="ops", path=older)
    assert _footprint() == before


def test_rows_that_do_not_match_the_manifest_are_refused(kofu, backup_dir):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    lying = backup_dir / "lying.aibackup"

    def more_students(name: str, data: bytes) -> bytes:
        if name != archive.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["row_counts"]["schools_student"] += 1
        return json.dumps(manifest).encode()

    _rewrite(path_of(record), lying, more_students)
    before = _footprint()
    with pytest.raises(Refused, match="壊れているか"):
        service.restore_in_place(record, confirm_schema="m_kofu", actor="ops", path=lying)
    assert _footprint() == before
