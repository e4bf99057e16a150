"""The audit trail is append-only in the database: a trigger refuses UPDATE, DELETE, TRUNCATE.

Every municipality's schema has it: the existing ones by migration, a new one by the fast
clone of the template schema. Deleting a whole municipality (DROP SCHEMA) still works.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from schools import audit
from schools.models import AuditEvent
from schools.permissions import Actor, actor_for_user
from tenants import provisioning
from tenants.models import Municipality
from tests import factories as f


def _refused(sql_or_call) -> str:
    """Run a statement (or callable) in a savepoint; return the database's refusal."""
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        if callable(sql_or_call):
            sql_or_call()
        else:
            with connection.cursor() as cursor:
                # deferred foreign-key checks of this test's inserts would refuse TRUNCATE first
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql_or_call)
    return str(exc.value)


def _assert_append_only() -> None:
    event = audit.record(Actor.system("pytest"), "schools.school.create", changes={"a": 1})
    table = AuditEvent._meta.db_table
    assert "追記のみ" in _refused(f"UPDATE {table} SET action = 'x' WHERE id = {event.pk}")
    assert "追記のみ" in _refused(f"DELETE FROM {table} WHERE id = {event.pk}")
    assert "追記のみ" in _refused(f"TRUNCATE {table}")
    # the ORM is refused the same way
    assert "追記のみ" in _refused(
        lambda: AuditEvent.objects.filter(pk=event.pk).update(reason="書き換え")
    )
    assert "追記のみ" in _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    # nulling the id of the school too when it is not a SET_NULL of a deleted row: refused
    assert "追記のみ" in _refused(
        f"UPDATE {table} SET actor_name = 'x', school_id = NULL WHERE id = {event.pk}"
    )
    event.refresh_from_db()
    assert event.action == "schools.school.create" and event.changes == {"a": 1}


def test_the_audit_table_refuses_update_delete_and_truncate(muni):
    _assert_append_only()


def test_deleting_a_person_or_a_school_keeps_their_records(muni):
    """Django's on_delete=SET_NULL is the one UPDATE let through: it only forgets the id."""
    staff = f.staff("消える 先生")
    school = f.school("閉校小学校")
    event = audit.record(actor_for_user(staff.user), "schools.school.update", school, school=school)
    school_pk = school.pk
    school.delete()
    get_user_model().objects.filter(pk=staff.user_id).delete()
    event.refresh_from_db()
    assert event.actor_id is None and event.school_id is None
    assert event.actor_name.startswith("消える 先生") and event.target_id == str(school_pk)


def test_a_new_municipality_gets_the_trigger_from_the_clone(db):
    connection.set_schema_to_public()
    data = provisioning.NewMunicipality(
        name="甲府市",
        code="192015",
        subdomain="kofu",
        admin_username="kofu-admin",
        admin_password="Kofu-pass-2026",
        admin_name="甲斐 太郎",
    )
    municipality = provisioning.provision(data, actor="ops")
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.tgname, p.pronamespace::regnamespace::text FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal ORDER BY 1""",
            ["m_kofu"],
        )
        # the trigger calls the new schema's own function, not the template's
        assert cursor.fetchall() == [
            ("audit_append_only", "m_kofu"),
            ("audit_no_truncate", "m_kofu"),
        ]
    with schema_context("m_kofu"):
        # the first administrator's creation was recorded, and stays
        assert AuditEvent.objects.exists()
        _assert_append_only()
    # operators can still delete the whole municipality
    provisioning.delete(municipality, confirm_schema="m_kofu", actor="ops")
    assert not Municipality.objects.filter(schema_name="m_kofu").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'm_kofu'")
        assert cursor.fetchone() is None
