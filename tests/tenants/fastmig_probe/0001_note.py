"""A new migration of the probe app, for tests/tenants/test_fastmigrate.py."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("schools", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("body", models.TextField(default="")),
                ("written", models.DateField(db_index=True)),
                (
                    "school",
                    models.ForeignKey(on_delete=models.deletion.CASCADE, to="schools.school"),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="note", index=models.Index(fields=["body"], name="probe_note_body")
        ),
        migrations.RunSQL("COMMENT ON TABLE bench_probe_note IS 'probe'"),
    ]
