"""Job tests: real workers (``manage.py procrastinate worker`` in a subprocess) on the test database.

A worker is another process: it sees only committed rows, so these tests commit their data
in 多摩市 (the municipality whose data tests may commit) and remove it afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from tests.jobs.import_world import roster_school  # noqa: F401 (a fixture of these tests)

ROOT = Path(settings.BASE_DIR)


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class Worker:
    """One ``manage.py procrastinate worker`` process on the test database."""

    def __init__(self, log: Path):
        env = dict(
            os.environ,
            DATABASE_URL=test_database_url(),
            DJANGO_SETTINGS_MODULE="config.settings",
            AI_WORKER_GRACE_SECONDS="2",
            LOG_LEVEL="INFO",
        )
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker"],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        """Ctrl-C: the worker finishes (or hands back) its jobs and says goodbye."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

    def kill(self) -> None:
        """The machine is gone: no goodbye, no heartbeat any more."""
        self.process.kill()
        self.process.wait()
        self._out.close()


@pytest.fixture
def committed(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Database access outside any test transaction (what we write, the worker sees)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def tama(committed):
    from tests.conftest import _municipality

    municipality = _municipality("tama")
    with schema_context(municipality.schema_name):
        yield municipality
    with schema_context(municipality.schema_name):
        from tenants.jobs.models import Job

        Job.objects.all().delete()


@pytest.fixture
def start_worker(tmp_path, committed) -> Iterator[Callable[[], Worker]]:
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(tmp_path / f"worker{len(workers) + 1}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Worker]:
    """One worker for a module's tests (starting a process costs seconds)."""
    with django_db_blocker.unblock():
        worker = Worker(tmp_path_factory.mktemp("worker") / "worker.log")
        yield worker
        worker.stop()


def wait_for(job, condition: Callable, timeout: float = 60.0, what: str = ""):
    """Poll the job's row until ``condition(job)``; fail with its state after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if condition(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(
                f"job {job.pk} not {what or 'ready'}: {job.state} {job.progress_message} {job.error}"
            )
        time.sleep(0.05)


def queue_status(procrastinate_id: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM public.procrastinate_jobs WHERE id = %s", [procrastinate_id]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def wait_for_queue_status(procrastinate_id: int, status: str, timeout: float = 10.0) -> str | None:
    """The worker writes the queue's status just after the job's own record: wait for it."""
    deadline = time.monotonic() + timeout
    while (found := queue_status(procrastinate_id)) != status and time.monotonic() < deadline:
        time.sleep(0.05)
    return found
