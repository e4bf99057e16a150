"""教科担任 roles (RoleAssignment role="subject") become teaching assignments, with their data.

One assignment per class × subject; every teacher of that pair becomes one of its teachers
(team teaching). The assignment is a draft only when every role it came from was a draft.
Reversible: the roles come back from the assignments' teachers.
"""

from django.db import migrations


def forward(apps, schema_editor):
    RoleAssignment = apps.get_model("schools", "RoleAssignment")
    TeachingAssignment = apps.get_model("schools", "TeachingAssignment")
    pairs: dict[tuple[int, int], dict] = {}
    for r in RoleAssignment.objects.filter(role="subject").order_by("pk"):
        entry = pairs.setdefault(
            (r.classroom_id, r.subject_id),
            {"school": r.school_id, "year": r.school_year_id, "staff": [], "draft": True},
        )
        entry["staff"].append(r.staff_id)
        entry["draft"] = entry["draft"] and r.is_draft
    for (classroom_id, subject_id), e in pairs.items():
        assignment, _ = TeachingAssignment.objects.get_or_create(
            classroom_id=classroom_id,
            subject_id=subject_id,
            defaults={
                "school_id": e["school"],
                "school_year_id": e["year"],
                "is_draft": e["draft"],
            },
        )
        assignment.teachers.add(*e["staff"])
    RoleAssignment.objects.filter(role="subject").delete()
    _check_now(schema_editor)


def _check_now(schema_editor) -> None:
    # Fire the deferred foreign-key checks now, so that the next migration may ALTER the table
    # even when run in the same transaction (the migration tests do).
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def backward(apps, schema_editor):
    RoleAssignment = apps.get_model("schools", "RoleAssignment")
    TeachingAssignment = apps.get_model("schools", "TeachingAssignment")
    for a in TeachingAssignment.objects.filter(classroom__isnull=False):
        for staff_id in a.teachers.values_list("pk", flat=True):
            RoleAssignment.objects.get_or_create(
                staff_id=staff_id,
                role="subject",
                school_id=a.school_id,
                school_year_id=a.school_year_id,
                classroom_id=a.classroom_id,
                subject_id=a.subject_id,
                defaults={"is_draft": a.is_draft},
            )
    _check_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("schools", "0008_teaching_assignments")]

    operations = [migrations.RunPython(forward, backward)]
