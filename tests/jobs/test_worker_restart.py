"""Workers that stop: one killed mid-job (its job is taken over by another worker), one
stopped with Ctrl-C (its running job goes back to the queue). No other worker runs here.
"""

from __future__ import annotations

from django.db import connection

from tenants import jobs
from tenants.jobs.models import Job
from tests.jobs.conftest import queue_status, wait_for
from tests.jobs.test_worker import selfcheck


def test_a_job_whose_worker_died_is_taken_over(tama, start_worker):
    first = start_worker()
    job = selfcheck(steps=60, delay=0.05)
    wait_for(job, lambda j: j.progress_done >= 3, what="running")
    first.kill()  # no goodbye: its job stays "doing", its heartbeat stops
    with connection.cursor() as cursor:
        # Age its last heartbeat instead of waiting 30 s for it to go stale.
        cursor.execute(
            "UPDATE public.procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
            " WHERE id = (SELECT worker_id FROM public.procrastinate_jobs WHERE id = %s)",
            [job.procrastinate_id],
        )
    assert jobs.recover_stalled() == [job.procrastinate_id]
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and "やり直します" in job.progress_message
    start_worker()
    job = wait_for(job, lambda j: j.is_finished, what="finished after take-over")
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2
    assert job.result_data == {"steps": 60}


def test_ctrl_c_hands_a_running_job_back_to_the_queue(tama, start_worker):
    first = start_worker()
    job = selfcheck(steps=100, delay=0.05)
    wait_for(job, lambda j: j.progress_done >= 3, what="running")
    first.stop()  # grace period 2 s, then the job is interrupted and queued again
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED, (job.state, job.progress_message)
    assert queue_status(job.procrastinate_id) == "todo"
    start_worker()
    job = wait_for(job, lambda j: j.is_finished, what="finished after restart")
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2
