"""Periodic tasks of the operators (found by procrastinate.contrib.django's autodiscovery).

Each queues a job in the public schema, so that it has a record and shows on the job pages.
The times are UTC: 17:00 / 17:30 UTC is 02:00 / 02:30 in Japan. ``AI_BACKUP_CRON`` changes
the backups' (an empty value turns the periodic backup off, e.g. when cron runs
``manage.py backup_municipality --all --scheduled`` instead).
"""

from __future__ import annotations

from django.conf import settings
from django.db import close_old_connections, connection
from django_tenants.utils import schema_context
from procrastinate.contrib.django import app


def _enqueue(kind: str) -> int:
    from tenants.jobs import runner

    close_old_connections()
    try:
        with schema_context("public"):
            return runner.enqueue(
                kind, requested_by_id=None, requested_by_name="定期実行", params={}
            ).pk
    finally:
        connection.close()


if settings.AI_BACKUP_CRON:

    @app.periodic(cron=settings.AI_BACKUP_CRON, periodic_id="nightly_backups")
    @app.task(name="tenants.nightly_backups", queue="jobs")
    def nightly_backups(timestamp: int) -> int:
        from tenants.backups.jobs import BACKUP_ALL

        return _enqueue(BACKUP_ALL)


@app.periodic(cron="30 17 * * *", periodic_id="purge_deleted")
@app.task(name="tenants.purge_deleted", queue="jobs")
def purge_deleted(timestamp: int) -> int:
    from tenants.backups.jobs import PURGE_DELETED

    return _enqueue(PURGE_DELETED)
