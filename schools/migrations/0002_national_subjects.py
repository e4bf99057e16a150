from django.db import migrations


def seed_subjects(apps, schema_editor):
    from schools.national import SUBJECTS_BY_TYPE

    Subject = apps.get_model("schools", "Subject")
    for school_type, subjects in SUBJECTS_BY_TYPE.items():
        for order, (name, short, graded) in enumerate(subjects, start=1):
            Subject.objects.update_or_create(
                school_type=school_type,
                name=name,
                defaults={"short_name": short, "sort_order": order, "is_graded": graded},
            )


class Migration(migrations.Migration):
    dependencies = [("schools", "0001_initial")]
    operations = [migrations.RunPython(seed_subjects, migrations.RunPython.noop)]
