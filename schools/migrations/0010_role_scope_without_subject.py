"""教科担任 is no longer a role: the check constraint no longer admits role="subject"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schools", "0009_subject_roles_to_assignments")]

    operations = [
        migrations.RemoveConstraint(
            model_name="roleassignment",
            name="role_scope",
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("classroom__isnull", True),
                        ("role__in", ["boe_admin", "boe_viewer"]),
                        ("school__isnull", True),
                    ),
                    models.Q(
                        ("classroom__isnull", True),
                        ("role", "school_admin"),
                        ("school__isnull", False),
                        ("school_year__isnull", False),
                    ),
                    models.Q(
                        ("classroom__isnull", False),
                        ("role", "homeroom"),
                        ("school__isnull", False),
                        ("school_year__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="role_scope",
            ),
        ),
    ]
