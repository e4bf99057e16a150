"""The school calendar moves from attendance into the core (schools), with its data.

The four tables are renamed in place (rows, keys, constraints and foreign keys stay); the
model state moves from attendance to schools (attendance.0004 drops its side). Then every
school gets the calendar of every year it lacks, so that pages never have to build one
while they are read.
"""

import django.db.models.deletion
from django.db import migrations, models

from schools import calendar_rules

TABLES = ("vacation", "calendaroverride", "closure", "schooldate")
INDEXES = {
    "attendance__school__32c7c6_idx": "closure_school_kind",
    "attendance__school__1327e9_idx": "school_date_year",
}


def _rename(old_app: str, new_app: str) -> list[str]:
    statements = []
    for table in TABLES:
        statements.append(f"ALTER TABLE {old_app}_{table} RENAME TO {new_app}_{table}")
        statements.append(
            f"ALTER SEQUENCE IF EXISTS {old_app}_{table}_id_seq RENAME TO {new_app}_{table}_id_seq"
        )
    pairs = INDEXES.items() if old_app == "attendance" else [(b, a) for a, b in INDEXES.items()]
    statements += [f"ALTER INDEX IF EXISTS {a} RENAME TO {b}" for a, b in pairs]
    names = ", ".join(f"'{t}'" for t in TABLES)
    # Content types (and so permissions) and the audit trail's target types follow the models.
    statements.append(
        f"UPDATE django_content_type ct SET app_label = '{new_app}'"
        f" WHERE ct.app_label = '{old_app}' AND ct.model IN ({names})"
        f" AND NOT EXISTS (SELECT 1 FROM django_content_type o"
        f" WHERE o.app_label = '{new_app}' AND o.model = ct.model)"
    )
    labels = ", ".join(f"'{old_app}.{t}'" for t in TABLES)
    statements.append(
        f"UPDATE schools_auditevent SET target_type = '{new_app}.' || split_part(target_type, '.', 2)"
        f" WHERE target_type IN ({labels})"
    )
    return statements


def build_missing_calendars(apps, schema_editor):
    """Materialise the calendar of every school and year that has none (pages only read it)."""
    School = apps.get_model("schools", "School")
    SchoolYear = apps.get_model("schools", "SchoolYear")
    SchoolDate = apps.get_model("schools", "SchoolDate")
    Vacation = apps.get_model("schools", "Vacation")
    CalendarOverride = apps.get_model("schools", "CalendarOverride")
    Closure = apps.get_model("schools", "Closure")
    built = set(SchoolDate.objects.values_list("school_id", "school_year_id").distinct())
    for school_year in SchoolYear.objects.all():
        start, end = calendar_rules.school_year_bounds(school_year.year)
        for school in School.objects.all():
            if (school.pk, school_year.pk) in built:
                continue
            days = calendar_rules.year_days(
                school_year.year,
                vacations=Vacation.objects.filter(school=school, school_year=school_year)
                .values_list("start", "end", "name"),
                overrides={
                    o.date: (o.is_school_day, o.note)
                    for o in CalendarOverride.objects.filter(school=school, date__range=(start, end))
                },
                school_closures=Closure.objects.filter(
                    school=school, school_year=school_year, kind="school"
                ).values_list("start", "end", "reason"),
            )
            SchoolDate.objects.bulk_create(
                SchoolDate(school=school, school_year=school_year, date=d.date,
                           is_school_day=d.is_school_day, cum=d.cum, note=d.note)
                for d in days
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("schools", "0004_audit_action_grammar"),
        ("attendance", "0003_taken_day"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=_rename("attendance", "schools"), reverse_sql=_rename("schools", "attendance")
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="CalendarOverride",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(verbose_name="日付")),
                        ("is_school_day", models.BooleanField(verbose_name="授業日")),
                        ("note", models.CharField(blank=True, max_length=50, verbose_name="行事・理由")),
                        ("school", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="calendar_overrides", to="schools.school")),
                    ],
                    options={
                        "verbose_name": "授業日の変更",
                        "verbose_name_plural": "授業日の変更",
                        "ordering": ["school", "date"],
                        "constraints": [models.UniqueConstraint(fields=("school", "date"), name="calendar_override_unique")],
                    },
                ),
                migrations.CreateModel(
                    name="Closure",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("school", "臨時休業"), ("grade", "学年閉鎖"), ("class", "学級閉鎖")], max_length=10, verbose_name="種類")),
                        ("grade", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="学年")),
                        ("start", models.DateField(verbose_name="開始日")),
                        ("end", models.DateField(verbose_name="終了日")),
                        ("reason", models.CharField(max_length=100, verbose_name="理由")),
                        ("classroom", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="closures", to="schools.classroom")),
                        ("school", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="closures", to="schools.school")),
                        ("school_year", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="schools.schoolyear")),
                    ],
                    options={
                        "verbose_name": "休業・閉鎖",
                        "verbose_name_plural": "休業・閉鎖",
                        "ordering": ["school", "start"],
                        "indexes": [models.Index(fields=["school", "kind", "start"], name="closure_school_kind")],
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(("start__lte", models.F("end"))), name="closure_dates"),
                            models.CheckConstraint(condition=models.Q(models.Q(("classroom__isnull", True), ("grade__isnull", True), ("kind", "school")), models.Q(("classroom__isnull", True), ("grade__isnull", False), ("kind", "grade")), models.Q(("classroom__isnull", False), ("kind", "class")), _connector="OR"), name="closure_scope"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SchoolDate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField()),
                        ("is_school_day", models.BooleanField()),
                        ("cum", models.PositiveSmallIntegerField()),
                        ("note", models.CharField(blank=True, max_length=50)),
                        ("school", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="schools.school")),
                        ("school_year", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="schools.schoolyear")),
                    ],
                    options={
                        "indexes": [models.Index(fields=["school_year", "school"], name="school_date_year")],
                        "constraints": [models.UniqueConstraint(fields=("school", "date"), name="school_date_unique")],
                    },
                ),
                migrations.CreateModel(
                    name="Vacation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=30, verbose_name="名称")),
                        ("start", models.DateField(verbose_name="開始日")),
                        ("end", models.DateField(verbose_name="終了日")),
                        ("school", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="vacations", to="schools.school")),
                        ("school_year", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="schools.schoolyear")),
                    ],
                    options={
                        "verbose_name": "休業日",
                        "verbose_name_plural": "休業日",
                        "ordering": ["school", "start"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("start__lte", models.F("end"))), name="vacation_dates")],
                    },
                ),
            ],
        ),
        migrations.RunPython(build_missing_calendars, migrations.RunPython.noop),
    ]
