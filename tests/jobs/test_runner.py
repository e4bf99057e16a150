"""The job record, cancelling a queued job, who may see a job, where the queue's tables live.

These run inside the test transaction (no worker): ``jobs.run_now`` runs a job in-process.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from schools.models import Role
from tenants import jobs
from tenants.cloning import unsupported_objects
from tenants.jobs import runner
from tenants.jobs.models import Job
from tests import factories
from tests.conftest import host_of
from tests.jobs.conftest import queue_status


def selfcheck(user, **params) -> Job:
    return jobs.enqueue(
        "jobs.selfcheck",
        requested_by_id=user.pk,
        requested_by_name="試験 管理者",
        params={"steps": 3, "delay": 0, **params},
    )


def test_a_job_records_its_schema_requester_and_queue_entry(muni, boe_admin):
    job = selfcheck(boe_admin)
    assert job.state == Job.State.QUEUED and job.schema_name == muni.schema_name
    assert (job.requested_by_id, job.requested_by_name) == (boe_admin.pk, "試験 管理者")
    assert queue_status(job.procrastinate_id) == "todo"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args::text FROM procrastinate_jobs WHERE id = %s", [job.procrastinate_id]
        )
        assert json.loads(cursor.fetchone()[0]) == {
            "schema_name": muni.schema_name,
            "job_id": job.pk,
        }


def test_unknown_kind_is_refused_at_enqueue(muni, boe_admin):
    with pytest.raises(ValueError):
        jobs.enqueue("nothing.such", requested_by_id=boe_admin.pk, requested_by_name="", params={})


def test_a_job_runs_to_success_with_progress(muni, boe_admin):
    job = jobs.run_now(selfcheck(boe_admin, steps=4))
    assert job.state == Job.State.SUCCEEDED and job.result_data == {"steps": 4}
    assert (job.progress_done, job.progress_total, job.attempts) == (4, 4, 1)
    assert job.started_at and job.finished_at and job.percent == 100


def test_a_failing_kind_ends_failed_with_its_japanese_message(muni, boe_admin):
    job = jobs.run_now(selfcheck(boe_admin, fail_at=1))
    assert job.state == Job.State.FAILED
    assert job.error == "動作確認のため 1 件目で失敗させました。"


def test_an_unexpected_error_is_shown_as_a_clear_message(muni, boe_admin):
    job = jobs.run_now(selfcheck(boe_admin, steps="many"))  # int("many") fails inside the kind
    assert job.state == Job.State.FAILED
    assert "予期しないエラー" in job.error and f"処理番号 {job.pk}" in job.error


def test_cancel_before_start_takes_it_off_the_queue(muni, boe_admin):
    job = selfcheck(boe_admin)
    assert jobs.cancel(job) is True
    assert job.state == Job.State.CANCELLED and job.finished_at
    assert queue_status(job.procrastinate_id) == "cancelled"
    # A worker that had already taken it finds it cancelled and does nothing.
    assert runner.execute(job.pk) == Job.State.CANCELLED
    assert jobs.cancel(job) is False  # already over


def test_the_requester_and_the_board_admin_follow_a_job_nobody_else(muni, client_for, boe_admin):
    year = factories.school_year(2026)
    s = factories.school()
    teacher = factories.homeroom_teacher(factories.classroom(s, year)).user
    other = factories.homeroom_teacher(factories.classroom(s, year, name="2組")).user
    viewer = factories.staff()
    factories.give_role(viewer, Role.BOE_VIEWER)
    job = jobs.run_now(selfcheck(teacher))
    for user in (teacher, boe_admin):
        client = client_for(muni, user)
        page = client.get(f"/jobs/{job.pk}/")
        assert page.status_code == 200 and "動作確認" in page.content.decode()
        assert client.get(f"/jobs/{job.pk}/status/").status_code == 200
    assert f"/jobs/{job.pk}/" in client_for(muni, teacher).get("/jobs/").content.decode()
    for user in (other, viewer.user):
        client = client_for(muni, user)
        for path in ("", "status/", "download/"):
            assert client.get(f"/jobs/{job.pk}/{path}").status_code == 404
        assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
        assert f"/jobs/{job.pk}/" not in client.get("/jobs/").content.decode()


def test_a_job_of_one_municipality_is_invisible_to_another(muni, other_muni, client_for, boe_admin):
    job = jobs.run_now(selfcheck(boe_admin))
    from django.contrib.auth import get_user_model

    with schema_context(other_muni.schema_name):
        assert not Job.objects.filter(pk=job.pk).exists()  # its own table, in its own schema
        tono_admin = get_user_model().objects.get(username="boe-admin")
    client = client_for(other_muni, tono_admin)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/", HTTP_HOST=host_of(other_muni)).status_code == 404


def test_cancel_page_and_anonymous(muni, client_for, boe_admin):
    job = selfcheck(boe_admin)
    assert client_for(muni).get(f"/jobs/{job.pk}/").status_code == 302  # log in first
    client = client_for(muni, boe_admin)
    assert client.get(f"/jobs/{job.pk}/cancel/").status_code == 405
    response = client.post(f"/jobs/{job.pk}/cancel/", follow=True)
    assert "取り消しを受け付けました" in response.content.decode()
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert client.get("/jobs/999999999/").status_code == 404


def test_the_queue_lives_in_public_and_tenant_schemas_stay_plain(muni):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = %s",
            ["procrastinate_jobs"],
        )
        assert [r[0] for r in cursor.fetchall()] == ["public"]
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'jobs_job'"
        )
        schemas = {r[0] for r in cursor.fetchall()}
        assert {"public", "tenant_template", muni.schema_name} <= schemas
        # The fast clone refuses functions and triggers: Procrastinate's stay in public.
        assert unsupported_objects(cursor, "tenant_template") == []
        assert unsupported_objects(cursor, muni.schema_name) == []
