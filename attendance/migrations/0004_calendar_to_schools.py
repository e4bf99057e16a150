"""The school calendar now lives in schools (schools.0005 renamed the tables): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0003_taken_day"),
        ("schools", "0005_calendar_from_attendance"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CalendarOverride"),
                migrations.DeleteModel(name="Closure"),
                migrations.DeleteModel(name="SchoolDate"),
                migrations.DeleteModel(name="Vacation"),
            ],
        ),
    ]
