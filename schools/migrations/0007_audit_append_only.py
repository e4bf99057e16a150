"""The audit trail is append-only, and the database says so too (issue 10).

A trigger refuses every UPDATE, DELETE and TRUNCATE of ``schools_auditevent`` in the
municipality's schema, whoever connects. One UPDATE is let through: the one Django makes when a
user or a school is deleted (``on_delete=SET_NULL``), which only forgets the id; the record keeps
``actor_name`` and everything else. A municipality is still deleted whole (DROP SCHEMA).

The function lives in the municipality's own schema (schema-qualified here); new municipalities
get it and the trigger from the fast clone of the template schema (``tenants/cloning.py``).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.ai_audit_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $body$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_id' - 'school_id') = (to_jsonb(OLD) - 'actor_id' - 'school_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (NEW.school_id IS NULL OR NEW.school_id = OLD.school_id) THEN
        RETURN NEW;  -- a deleted user or school is forgotten by id only (SET_NULL)
    END IF;
    RAISE EXCEPTION '操作記録は追記のみです。変更・削除はできません (%% on %%)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$body$
"""

TRIGGERS = """
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {schema}.schools_auditevent
    FOR EACH ROW EXECUTE FUNCTION {schema}.ai_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {schema}.schools_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ai_audit_append_only()
"""

DROP = """
DROP TRIGGER IF EXISTS audit_no_truncate ON {schema}.schools_auditevent;
DROP TRIGGER IF EXISTS audit_append_only ON {schema}.schools_auditevent;
DROP FUNCTION IF EXISTS {schema}.ai_audit_append_only()
"""


def _schema(schema_editor) -> str:
    name = schema_editor.connection.schema_name
    return '"' + name.replace('"', '""') + '"'


def forwards(apps, schema_editor) -> None:
    schema = _schema(schema_editor)
    schema_editor.execute(FUNCTION.format(schema=schema))
    schema_editor.execute(TRIGGERS.format(schema=schema))


def backwards(apps, schema_editor) -> None:
    schema_editor.execute(DROP.format(schema=_schema(schema_editor)))


class Migration(migrations.Migration):
    dependencies = [("schools", "0006_pending_upload")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
