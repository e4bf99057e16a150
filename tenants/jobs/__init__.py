"""Long work run by a worker beside the web server (Procrastinate on PostgreSQL).

Use::

    from tenants import jobs

    @jobs.kind("attendance.municipality_export", label="出欠の記録 (市全体) の出力")
    def export(ctx, params):            # in the app's own jobs.py (discovered at start)
        ctx.progress(0, None, "集計しています")   # raises jobs.Cancelled when cancelled
        ...
        return jobs.FileResult(content, "出欠.xlsx", "application/vnd...")

    job = jobs.enqueue("attendance.municipality_export", requested_by_id=user.pk,
                       requested_by_name=name, params={"school_year_id": 3})
    jobs.cancel(job)

A job runs in the schema it was enqueued from, records who started it, shows its progress,
its result or a Japanese error, survives a worker restart and can be cancelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenants.jobs.registry import Cancelled, FileResult, JobError, kind, label_of

if TYPE_CHECKING:
    from tenants.jobs.models import Job

__all__ = [
    "Cancelled",
    "FileResult",
    "JobError",
    "cancel",
    "enqueue",
    "find",
    "kind",
    "label_of",
    "recent",
    "recover_stalled",
    "run_now",
]


def enqueue(
    kind: str, *, requested_by_id: int | None, requested_by_name: str, params: dict[str, Any]
) -> Job:
    from tenants import readonly
    from tenants.jobs import runner

    readonly.refuse_if_read_only()  # ReadOnlyRefused: the page says so (no job, no row)
    return runner.enqueue(
        kind, requested_by_id=requested_by_id, requested_by_name=requested_by_name, params=params
    )


def cancel(job: Job) -> bool:
    from tenants.jobs import runner

    return runner.cancel(job)


def run_now(job: Job) -> Job:
    from tenants.jobs import runner

    return runner.run_now(job)


def recover_stalled(seconds_since_heartbeat: float = 30) -> list[int]:
    from tenants.jobs import runner

    return runner.recover_stalled(seconds_since_heartbeat)


def find(job_id: int) -> Job | None:
    """The job ``job_id`` of the current schema (None if there is none)."""
    from tenants.jobs.models import Job

    return Job.objects.filter(pk=job_id).first()


def recent(
    *, requested_by_id: int | None = None, kind: str | None = None, limit: int = 50
) -> list[Job]:
    """The latest jobs of the current schema, newest first (one person's, or everyone's;
    of one kind, with their parameters, or of every kind)."""
    from tenants.jobs.models import Job

    qs = Job.objects.defer("result_file", "result_data")
    qs = qs.defer("params") if kind is None else qs.filter(kind=kind)
    if requested_by_id is not None:
        qs = qs.filter(requested_by_id=requested_by_id)
    return list(qs[:limit])
