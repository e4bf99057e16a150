"""Seed the municipality's attendance codes with the domain document's default table."""

from django.db import migrations


def seed(apps, schema_editor):
    from attendance.rules import DEFAULT_CODES

    AttendanceCode = apps.get_model("attendance", "AttendanceCode")
    for c in DEFAULT_CODES:
        AttendanceCode.objects.get_or_create(
            code=c.code,
            defaults={
                "symbol": c.symbol,
                "label": c.label,
                "figure": c.figure.value,
                "key": c.key,
                "sort_order": c.sort_order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("attendance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
