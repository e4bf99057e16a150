"""A data migration: not expressible as SQL, so Django's own path."""

from django.db import migrations


def fill(apps, schema_editor):
    apps.get_model("bench_probe", "Note")  # the state has it


class Migration(migrations.Migration):
    dependencies = [("bench_probe", "0001_note")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
