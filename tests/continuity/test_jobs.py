"""The nightly backup runs as a job of the public schema, through the job runner."""

from __future__ import annotations

from django.db import connection

from tenants.backups.jobs import BACKUP_ALL, PURGE_DELETED
from tenants.jobs import runner
from tenants.jobs.models import Job
from tenants.models import Backup, Municipality

# 甲府市 as provisioned is enough here (no demo seed: faster).
SEED_DEMO = False


def test_backup_all_job_backs_up_every_municipality_then_prunes(kofu, settings):
    connection.set_schema_to_public()
    # Recorded without the queue: the runner runs it here, as a worker would.
    job = Job.objects.create(kind=BACKUP_ALL, schema_name="public", params={})
    try:
        assert runner.execute(job.pk) == Job.State.SUCCEEDED
        job.refresh_from_db()
        everyone = set(
            Municipality.objects.exclude(schema_name="public").values_list("schema_name", flat=True)
        )
        scheduled = Backup.objects.filter(kind=Backup.Kind.SCHEDULED, status=Backup.Status.OK)
        assert set(scheduled.values_list("schema_name", flat=True)) == everyone
        assert job.result_data == {"backups": len(everyone), "pruned": 0}

        # a second run the same day: retention keeps the newer of the day only
        second = Job.objects.create(kind=BACKUP_ALL, schema_name="public", params={})
        assert runner.execute(second.pk) == Job.State.SUCCEEDED
        assert scheduled.filter(schema_name="m_kofu").count() == 1
        assert Job.objects.get(pk=second.pk).result_data["pruned"] == len(everyone)

        purge = Job.objects.create(kind=PURGE_DELETED, schema_name="public", params={})
        assert runner.execute(purge.pk) == Job.State.SUCCEEDED
        assert Job.objects.get(pk=purge.pk).result_data == {"purged": []}
    finally:
        Job.objects.filter(kind__in=[BACKUP_ALL, PURGE_DELETED]).delete()
