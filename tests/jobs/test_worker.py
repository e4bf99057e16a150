"""Jobs run by a real worker process: success with a file, failure, cancel while running
(workers that die or stop: test_worker_restart.py).

Each test commits in 多摩市 and shares one ``manage.py procrastinate worker`` on the test database.
"""

from __future__ import annotations

import io

import openpyxl
from django.contrib.auth import get_user_model

from attendance.jobs import start_municipality_export
from schools.models import AuditEvent, School, SchoolYear, Student
from schools.permissions import actor_for_user
from tenants import jobs
from tenants.jobs.models import Job
from tests import factories
from tests.jobs.conftest import wait_for, wait_for_queue_status

MEXT = "B113210009977"


def selfcheck(**params) -> Job:
    admin = get_user_model().objects.get(username="boe-admin")
    return jobs.enqueue(
        "jobs.selfcheck",
        requested_by_id=admin.pk,
        requested_by_name="試験 管理者",
        params={"steps": 3, "delay": 0, **params},
    )


def test_the_municipality_export_runs_in_a_worker_and_leaves_its_file(tama, worker):
    School.objects.filter(mext_code=MEXT).delete()
    year = factories.school_year(2026, SchoolYear.State.CURRENT)
    school = factories.school("ジョブ試験小学校", mext_code=MEXT)
    enrolments = factories.students(factories.classroom(school, year, grade=2), 3)
    try:
        admin = get_user_model().objects.get(username="boe-admin")
        wait_for(selfcheck(steps=0), lambda j: j.is_finished, what="warm-up")  # worker is up
        job = start_municipality_export(year, by=actor_for_user(admin))
        job = wait_for(job, lambda j: j.is_finished, what="finished")
        started_after = (job.started_at - job.created_at).total_seconds()
        assert job.state == Job.State.SUCCEEDED, job.error
        assert job.schema_name == tama.schema_name and job.requested_by_id == admin.pk
        assert job.result_filename == "出欠の記録_2026年度.xlsx" and job.has_file
        book = openpyxl.load_workbook(io.BytesIO(bytes(job.result_file)))
        names = {row[5] for row in book.worksheets[0].iter_rows(values_only=True)}
        assert {e.student.name for e in enrolments} <= names
        assert job.progress_total and job.progress_done == job.progress_total
        assert AuditEvent.objects.filter(
            action="attendance.municipality_figures.export", actor_id=admin.pk
        ).exists()
        print(
            f"\nenqueue → started: {started_after * 1000:.0f} ms, ran {job.finished_at - job.started_at}"
        )
    finally:
        School.objects.filter(mext_code=MEXT).delete()
        Student.objects.filter(pk__in=[e.student_id for e in enrolments]).delete()


def test_a_failing_kind_ends_failed_in_the_worker(tama, worker):
    job = wait_for(selfcheck(fail_at=2), lambda j: j.is_finished, what="finished")
    assert job.state == Job.State.FAILED
    assert job.error == "動作確認のため 2 件目で失敗させました。"
    assert wait_for_queue_status(job.procrastinate_id, "failed") == "failed"


def test_cancel_while_running(tama, worker):
    job = selfcheck(steps=400, delay=0.05)
    wait_for(job, lambda j: j.progress_done >= 3, what="running")
    assert jobs.cancel(job) is True
    job = wait_for(job, lambda j: j.is_finished, timeout=10, what="cancelled")
    assert job.state == Job.State.CANCELLED and job.progress_done < 400
    assert wait_for_queue_status(job.procrastinate_id, "aborted") == "aborted"
