"""A large 名簿 / 教職員 import through the API: 202 with a job, polled at /api/v1/jobs/<id>/,
ending on the same body as the synchronous call; only its requester sees it; cancelling the
commit writes nothing. Real HTTP (the test client through the middleware) in 多摩市, a real
worker; thresholds lowered so that small files take the job's way."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.imports import background
from schools.models import AuditEvent, Enrolment, Role, Student
from tenants.jobs.models import Job
from tests import factories
from tests.jobs.conftest import wait_for
from tests.jobs.import_world import (
    LOGINS,
    PREFIX,
    STAFF_HEADER,
    STAFF_LOGIN,
    roster_rows,
    staff_rows,
)
from tests.jobs.test_import_jobs import _written
from tests.schools.roster_files import csv_bytes, xlsx

URL = "/api/v1/roster/imports/"
COMMIT = "/api/v1/roster/imports/commit/"
STAFF_URL = "/api/v1/roster/staff-imports/"
STAFF_COMMIT = "/api/v1/roster/staff-imports/commit/"


def _upload(client, school, data: bytes, name: str = "名簿.xlsx"):
    return client.post(
        URL, {"school": school.pk, "year": 2026, "file": SimpleUploadedFile(name, data)}
    )


def _commit(client, url: str, token: str):
    return client.post(url, {"token": token}, content_type="application/json")


def _accepted(response) -> dict:
    assert response.status_code == 202, response.content[:500]
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/jobs/{body['id']}/")
    assert body["url"] == f"/api/v1/jobs/{body['id']}/"
    assert set(body["progress"]) == {"done", "total", "message"}
    return body


def _poll(client, body: dict, timeout: float = 120) -> dict:
    """GET the job until it has finished (as a client would), its last body."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(body["url"])
        assert answer.status_code == 200, answer.content[:300]
        body = answer.json()
        if body["status"] in {"succeeded", "failed", "cancelled"}:
            return body
        assert body["result"] is None and body["result_status"] is None
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def _without_token(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "token"}


def test_large_roster_previews_and_commits_as_jobs_like_the_request(
    roster_school, client_for, tama, worker, settings
):
    school = roster_school["school"]
    principal = roster_school[LOGINS[0]]
    client = client_for(tama, principal)
    data = xlsx(roster_rows(64))

    # The baseline: the same file in the request, committed, its rows noted, then removed.
    settings.AI_IMPORT_JOB_ROWS = 100_000
    before = Job.objects.count()
    in_request = _upload(client, school, data)
    assert in_request.status_code == 200 and Job.objects.count() == before
    baseline = in_request.json()
    done = _commit(client, COMMIT, baseline["token"])
    assert done.status_code == 200, done.content
    baseline_done = done.json()
    baseline_rows = _written(school)
    assert len(baseline_rows) == 64
    Enrolment.objects.filter(school=school).delete()
    Student.objects.filter(student_number__startswith=PREFIX).delete()

    # Above the threshold: 202, a job of the page path's kind, polled to the same preview.
    settings.AI_IMPORT_JOB_ROWS = 20
    started = _accepted(_upload(client, school, data))
    assert started["kind"] == "schools.roster_import_preview"
    assert started["label"] == "名簿の取り込み（読み込みと確認）"
    job = Job.objects.get(pk=started["id"])
    assert job.requested_by_id == principal.pk
    # The page's own progress page is not this job's (its token is the API's).
    assert client.get(f"/roster/io/import/jobs/{job.pk}/").status_code == 404
    finished = _poll(client, started)
    assert finished["status"] == "succeeded", finished["error"]
    assert finished["result_status"] == 200
    preview = finished["result"]
    assert _without_token(preview) == _without_token(baseline)
    assert preview["token"].split(".")[1:] == baseline["token"].split(".")[1:]
    assert preview["row_count"] == 64 and len(preview["rows"]) == 64
    assert not Student.objects.filter(student_number__startswith=PREFIX).exists()

    # The commit of a large file: a job too, ending on the same body; the rows written.
    started = _accepted(_commit(client, COMMIT, preview["token"]))
    assert started["kind"] == "schools.roster_import_commit"
    finished = _poll(client, started)
    assert finished["status"] == "succeeded", finished["error"]
    assert finished["result_status"] == 200 and finished["result"] == baseline_done
    assert _written(school) == baseline_rows
    event = AuditEvent.objects.filter(action="schools.roster.import", school=school).latest("id")
    assert event.actor_id == principal.pk and event.changes["created"] == 64

    # The token was used: a second commit is refused at once, as in the request.
    again = _commit(client, COMMIT, preview["token"])
    assert again.status_code == 404 and "見つかりません" in again.json()["error"]["message"]


def test_errors_and_a_changed_plan_read_as_in_the_request(
    roster_school, client_for, tama, worker, settings
):
    school = roster_school["school"]
    client = client_for(tama, roster_school[LOGINS[0]])
    rows = roster_rows(40)
    rows[3][5] = "不明"  # 性別
    rows[20][6] = "2030/1/1"  # born after the year began
    data = csv_bytes(rows)
    settings.AI_IMPORT_JOB_ROWS = 100_000
    baseline = _upload(client, school, data, "名簿.csv").json()
    assert not baseline["ok"] and baseline["error_count"] == 2 and baseline["token"] == ""
    settings.AI_IMPORT_JOB_ROWS = 20
    finished = _poll(client, _accepted(_upload(client, school, data, "名簿.csv")))
    assert finished["result"] == baseline

    # A commit whose plan changed after the preview: the job's result is the 409 body.
    good = xlsx(roster_rows(30))
    preview = _poll(client, _accepted(_upload(client, school, good)))["result"]
    settings.AI_IMPORT_JOB_ROWS = 100_000  # meanwhile the same file is imported at once
    first = _upload(client, school, good).json()
    assert _commit(client, COMMIT, first["token"]).status_code == 200
    settings.AI_IMPORT_JOB_ROWS = 20
    finished = _poll(client, _accepted(_commit(client, COMMIT, preview["token"])))
    assert finished["status"] == "succeeded" and finished["result_status"] == 409
    error = finished["result"]["error"]
    assert error["code"] == "import_refused" and error["errors"][0]["text"] == error["message"]
    assert Student.objects.filter(student_number__startswith=PREFIX).count() == 30


def test_another_user_cannot_see_or_cancel_the_job(
    roster_school, client_for, tama, worker, settings
):
    school = roster_school["school"]
    owner = client_for(tama, roster_school[LOGINS[0]])
    other = client_for(tama, roster_school[LOGINS[1]])  # the same school's administrator
    board = client_for(tama, get_user_model().objects.get(username="boe-admin"))
    settings.AI_IMPORT_JOB_ROWS = 20
    started = _accepted(_upload(owner, school, xlsx(roster_rows(30))))
    url = started["url"]
    for client in (other, board):
        assert client.get(url).status_code == 404
        assert client.delete(url).status_code == 404
        assert client.post(f"{url}cancel/").status_code == 404
    assert client_for(tama).get(url).status_code in {401, 403}
    finished = _poll(owner, started)
    assert finished["status"] == "succeeded"
    assert other.get(url).status_code == 404
    # The other person cannot commit the owner's preview either (the token is the owner's).
    stolen = _commit(other, COMMIT, finished["result"]["token"])
    assert stolen.status_code == 403
    assert not Student.objects.filter(student_number__startswith=PREFIX).exists()
    # Cancelling a finished job: 409, nothing changes.
    late = owner.delete(url)
    assert late.status_code == 409 and late.json()["error"]["code"] == "finished"
    assert owner.get("/api/v1/jobs/999999/").status_code == 404


def test_cancelling_the_commit_writes_nothing(roster_school, client_for, tama, worker, settings):
    school, year = roster_school["school"], roster_school["year"]
    client = client_for(tama, roster_school[LOGINS[0]])
    for grade in (1, 2):
        for klass in range(5, 9):
            factories.classroom(school, year, grade=grade, name=f"{klass}組")
    data = xlsx(roster_rows(6000, classes=8))
    settings.AI_IMPORT_JOB_ROWS = 1000
    preview = _poll(client, _accepted(_upload(client, school, data)), timeout=180)
    assert preview["status"] == "succeeded", preview["error"]
    assert preview["result"]["row_count"] == 6000 and len(preview["result"]["rows"]) == 1000
    started = _accepted(_commit(client, COMMIT, preview["result"]["token"]))
    commit = wait_for(
        Job.objects.get(pk=started["id"]),
        lambda j: j.is_finished or j.progress_message == background.WRITING,
        timeout=180,
        what="writing",
    )
    assert not commit.is_finished, "the commit ended before it could be cancelled"
    cancelled = client.post(f"{started['url']}cancel/")
    assert cancelled.status_code == 202, cancelled.content
    finished = _poll(client, started)
    assert finished["status"] == "cancelled" and finished["result"] is None
    assert not Enrolment.objects.filter(school=school).exists()
    assert not Student.objects.filter(student_number__startswith=PREFIX).exists()
    assert not AuditEvent.objects.filter(action="schools.roster.import", school=school).exists()


def test_staff_commit_with_many_passwords_runs_as_a_job(
    roster_school, client_for, tama, worker, settings
):
    board = get_user_model().objects.get(username="boe-admin")
    client = client_for(tama, board)
    data = xlsx(staff_rows(8), header=STAFF_HEADER)

    def upload():
        return client.post(
            STAFF_URL, {"year": 2026, "file": SimpleUploadedFile("教職員.xlsx", data)}
        )

    settings.AI_IMPORT_JOB_ROWS = 100_000
    baseline = upload()
    assert baseline.status_code == 200
    baseline = baseline.json()
    assert baseline["counts"]["create"] == 8

    settings.AI_IMPORT_JOB_ROWS = 5  # the same file as a job: the same preview
    started = _accepted(upload())
    assert started["kind"] == "schools.staff_import_preview"
    finished = _poll(client, started)
    assert finished["status"] == "succeeded", finished["error"]
    preview = finished["result"]
    assert _without_token(preview) == _without_token(baseline)
    assert "Impjobs-pass" not in str(Job.objects.get(pk=started["id"]).result_data)

    # Eight initial passwords (a hash each) are more than AI_IMPORT_JOB_PASSWORDS: a job.
    settings.AI_IMPORT_JOB_ROWS = 100_000
    settings.AI_IMPORT_JOB_PASSWORDS = 5
    started = _accepted(_commit(client, STAFF_COMMIT, preview["token"]))
    assert started["kind"] == "schools.staff_import_commit"
    # Another administrator of the board may import staff, but not see this job.
    other_user = roster_school[LOGINS[1]]
    factories.give_role(other_user.staff, Role.BOE_ADMIN)
    assert client_for(tama, other_user).get(started["url"]).status_code == 404
    finished = _poll(client, started, timeout=180)
    assert finished["status"] == "succeeded", finished["error"]
    assert finished["result_status"] == 200 and finished["result"]["committed"]
    assert finished["result"]["kind"] == "staff"
    assert "教職員を取り込みました: 新規 8名" in finished["result"]["message"]
    created = get_user_model().objects.get(username=f"{STAFF_LOGIN}3")
    assert created.has_usable_password()
    event = AuditEvent.objects.filter(action="schools.staff.import").latest("id")
    assert event.actor_id == board.pk and len(event.changes["created"]) == 8
