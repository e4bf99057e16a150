"""Procrastinate tasks (found by procrastinate.contrib.django's autodiscovery of ``tasks``).

One task runs every job kind, inside the schema the job was enqueued from; a periodic task
queues again the jobs of workers that died.
"""

from __future__ import annotations

from django.db import close_old_connections, connection
from django_tenants.utils import schema_context
from procrastinate import JobContext, RetryStrategy, exceptions
from procrastinate.contrib.django import app

RUN_TASK = "tenants.jobs.run"
# A worker heartbeats every 10 s; after this long without one its jobs are taken over.
STALLED_AFTER_SECONDS = 30


class WorkerStopping(Exception):  # noqa: N818
    """Raised when a job was interrupted by its worker's shutdown: Procrastinate queues it again."""


# Only an interruption is retried: a failure of the kind itself is final (and shown).
@app.task(
    name=RUN_TASK,
    pass_context=True,
    queue="jobs",
    retry=RetryStrategy(retry_exceptions={WorkerStopping}, wait=1),
)
def run(context: JobContext, *, schema_name: str, job_id: int) -> str:
    from tenants.jobs import runner
    from tenants.jobs.models import Job

    # Sync tasks run in a thread pool: start and end with a fresh connection of this thread.
    close_old_connections()
    try:
        with schema_context(schema_name):
            state = runner.execute(job_id, abort_reason=context.abort_reason)
    finally:
        connection.close()
    if state == Job.State.QUEUED:
        raise WorkerStopping(f"job {job_id} of {schema_name} interrupted by shutdown")
    if state == Job.State.CANCELLED:
        raise exceptions.JobAborted(f"job {job_id} of {schema_name} cancelled")
    if state == Job.State.FAILED:
        raise RuntimeError(f"job {job_id} of {schema_name} failed (see its record)")
    return state


@app.periodic(cron="* * * * *", periodic_id="recover_stalled")
@app.task(name="tenants.jobs.recover_stalled", queue="jobs")
def recover_stalled(timestamp: int) -> int:
    from tenants.jobs import runner

    close_old_connections()
    try:
        return len(runner.recover_stalled(STALLED_AFTER_SECONDS))
    finally:
        connection.close()
