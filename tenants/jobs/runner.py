"""Enqueue, run, cancel and recover jobs (the worker calls ``execute`` through tasks.run)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.jobs import registry
from tenants.jobs.models import Job
from tenants.jobs.registry import Cancelled, FileResult, JobError


class Interrupted(Exception):  # noqa: N818
    """The worker is stopping (Ctrl-C, deploy): the job goes back to the queue, not cancelled."""


logger = logging.getLogger(__name__)

UNEXPECTED_ERROR = "処理中に予期しないエラーが発生しました。時間をおいてやり直し、続くときは管理者に連絡してください (処理番号 {id})。"
UNKNOWN_KIND = "この種類の処理 ({kind}) は現在のシステムでは実行できません。"
RESTARTED = "処理していた作業プロセスが停止したため、最初からやり直します。"
INTERRUPTED = "作業プロセスの停止により中断しました。再開を待っています。"
# Progress is written at most this often (a kind may call progress() for every row).
PROGRESS_INTERVAL = 0.25


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@transaction.atomic
def enqueue(
    kind: str, *, requested_by_id: int | None, requested_by_name: str, params: dict[str, Any]
) -> Job:
    """Record the job in the current schema and queue it; the worker sees both at commit."""
    from tenants.jobs import tasks

    if registry.get(kind) is None:
        raise ValueError(f"job kind {kind!r} is not registered")
    schema = connection.schema_name
    job = Job.objects.create(
        kind=kind,
        schema_name=schema,
        requested_by_id=requested_by_id,
        requested_by_name=requested_by_name,
        params=params,
        progress_message="順番を待っています。",
    )
    # Deferred on Django's connection, inside this transaction (the Django connector).
    job.procrastinate_id = tasks.run.defer(schema_name=schema, job_id=job.pk)
    job.save(update_fields=["procrastinate_id"])
    return job


def cancel(job: Job) -> bool:
    """Ask to cancel ``job``: a queued job is cancelled at once, a running one at its next
    progress report. False when it had already finished."""
    from procrastinate.contrib.django import app

    now = timezone.now()
    with transaction.atomic():
        asked = Job.objects.filter(pk=job.pk, state__in=[Job.State.QUEUED, Job.State.RUNNING])
        if not asked.update(cancel_requested_at=now):
            job.refresh_from_db()
            return False
        if job.procrastinate_id is not None:
            # todo -> cancelled (no worker will take it), doing -> abort requested.
            app.job_manager.cancel_job_by_id(job.procrastinate_id, abort=True)
            status = app.job_manager.get_job_status(job.procrastinate_id)
            if status.value == "cancelled":
                _finish(job.pk, Job.State.CANCELLED, progress_message="取り消しました。")
    job.refresh_from_db()
    return True


class JobContext:
    """What a kind's function gets: its job, the requester, and ``progress()``.

    Progress goes through a connection of its own when the kind may be inside a long
    transaction (the worker), so the page sees it at once; the same statement tells whether
    cancellation was asked for.
    """

    def __init__(self, job: Job, abort_reason: Callable[[], Any], *, side_connection: bool):
        self.job = job
        self.requested_by_id = job.requested_by_id
        self.requested_by_name = job.requested_by_name
        self._abort_reason = abort_reason
        self._side_connection = side_connection
        self._conn: Any = None
        self._last_write = 0.0
        self._last_message = ""
        self._sql = (
            f"UPDATE {_q(job.schema_name)}.{_q(Job._meta.db_table)} "
            "SET progress_done = %s, progress_total = %s, progress_message = %s "
            "WHERE id = %s RETURNING cancel_requested_at IS NOT NULL"
        )

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report ``done`` of ``total`` (None: not known yet); raises Cancelled when asked to stop."""
        now = time.monotonic()
        if message == self._last_message and now - self._last_write < PROGRESS_INTERVAL:
            return
        self._last_write, self._last_message = now, message
        row = self._execute(self._sql, [max(0, done), total, message[:200], self.job.pk])
        self._raise_if_stopping(bool(row and row[0]))

    def _raise_if_stopping(self, cancel_requested: bool) -> None:
        reason = self._abort_reason()
        if reason is not None and getattr(reason, "value", reason) == "shutdown":
            raise Interrupted
        if cancel_requested or reason is not None:
            raise Cancelled

    def check(self) -> None:
        """Raise Cancelled if asked to, without reporting progress (a step with no count)."""
        row = self._execute(
            f"SELECT cancel_requested_at IS NOT NULL FROM {_q(self.job.schema_name)}."
            f"{_q(Job._meta.db_table)} WHERE id = %s",
            [self.job.pk],
        )
        self._raise_if_stopping(bool(row and row[0]))

    def _execute(self, sql: str, params: list[Any]) -> tuple | None:
        if not self._side_connection:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        if self._conn is None:
            import psycopg

            params_ = connection.get_connection_params()
            params_.pop("cursor_factory", None)
            params_.pop("context", None)
            self._conn = psycopg.connect(**params_, autocommit=True)
        with self._conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _finish(job_id: int, state: str, **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(state=state, finished_at=timezone.now(), **fields)


def _result_fields(result: Any) -> dict[str, Any]:
    if isinstance(result, FileResult):
        return {
            "result_file": result.content,
            "result_filename": result.filename,
            "result_content_type": result.content_type,
            "result_data": result.data,
        }
    return {"result_data": result}


def execute(job_id: int, abort_reason: Callable[[], Any] = lambda: None) -> str:
    """Run job ``job_id`` of the current schema to an end state, and return that state.

    Never raises for the kind's own failure: the job row says what happened.
    """
    claimed = Job.objects.filter(
        pk=job_id,
        state__in=[Job.State.QUEUED, Job.State.RUNNING],  # RUNNING: retried after a dead worker
        cancel_requested_at__isnull=True,
    ).update(
        state=Job.State.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        progress_done=0,
        progress_total=None,
        progress_message="処理を始めました。",
        error="",
    )
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if not claimed:
        if not job.is_finished:  # cancelled while queued, or while its worker was gone
            _finish(job.pk, Job.State.CANCELLED, progress_message="取り消しました。")
            return Job.State.CANCELLED
        return job.state
    kind = registry.get(job.kind)
    ctx = JobContext(job, abort_reason, side_connection=not connection.in_atomic_block)
    try:
        if kind is None:
            raise JobError(UNKNOWN_KIND.format(kind=job.kind))
        result = kind.run(ctx, dict(job.params))
    except Interrupted:
        state, fields = Job.State.QUEUED, {"progress_message": INTERRUPTED}
    except Cancelled:
        state, fields = Job.State.CANCELLED, {"progress_message": "取り消しました。"}
    except (JobError, PermissionDenied) as error:
        state, fields = (
            Job.State.FAILED,
            {"error": str(error) or UNEXPECTED_ERROR.format(id=job_id)},
        )
    except Exception:
        logger.exception("job %s (%s) failed in schema %s", job_id, job.kind, job.schema_name)
        state, fields = Job.State.FAILED, {"error": UNEXPECTED_ERROR.format(id=job_id)}
    else:
        state, fields = Job.State.SUCCEEDED, {"progress_message": "完了しました。"}
        fields |= _result_fields(result)
    finally:
        ctx.close()
    # A kind that lost its connection must not keep its end state from being written.
    if not connection.in_atomic_block and connection.connection and not connection.is_usable():
        connection.close()
    if state == Job.State.QUEUED:
        Job.objects.filter(pk=job_id).update(state=state, **fields)
    else:
        _finish(job_id, state, **fields)
    return state


def run_now(job: Job) -> Job:
    """Run a queued job in this process, now (commands and tests); the queue entry is dropped."""
    from procrastinate.contrib.django import app

    if job.procrastinate_id is not None:
        app.job_manager.cancel_job_by_id(job.procrastinate_id, delete_job=True)
    with schema_context(job.schema_name):
        execute(job.pk)
    job.refresh_from_db()
    return job


def recover_stalled(seconds_since_heartbeat: float = 30) -> list[int]:
    """Queue again the jobs whose worker stopped sending heartbeats (killed, machine lost).

    The worker that finds them may be on any machine; each job starts over (kinds write
    their result at the end, so a half-done run leaves nothing behind).
    """
    from procrastinate import sql
    from procrastinate.contrib.django.django_connector import DjangoConnector
    from procrastinate.manager import JobManager

    from tenants.jobs.tasks import RUN_TASK

    connector = DjangoConnector()
    rows = connector.execute_query_all(
        sql.queries["select_stalled_jobs_by_heartbeat"],
        queue=None,
        task_name=RUN_TASK,
        seconds_since_heartbeat=seconds_since_heartbeat,
    )
    manager = JobManager(connector)
    recovered = []
    for row in rows:
        manager.retry_job_by_id(row["id"], retry_at=timezone.now())
        args = row["args"] or {}
        if isinstance(args, str):  # Django's connection hands jsonb back as text
            args = json.loads(args)
        try:
            with schema_context(args["schema_name"]):
                Job.objects.filter(pk=args["job_id"], state=Job.State.RUNNING).update(
                    state=Job.State.QUEUED, progress_message=RESTARTED
                )
        except Exception:  # the municipality may be gone; the queue entry then finds nothing
            logger.warning("stalled job %s: no record to update", row["id"], exc_info=True)
        logger.warning("job %s of a stalled worker queued again", row["id"])
        recovered.append(row["id"])
    return recovered
