"""A large 名簿 file goes through jobs: the upload page → a progress page → the same preview as
in the request; the confirmation → a progress page → the same rows written and the same
message. Pages over HTTP (the test client through the middleware) in 多摩市, a real worker.

The threshold (``AI_IMPORT_JOB_ROWS``) is lowered so that small files take the job's way;
the same files under the normal threshold give the in-request baseline.
"""

from __future__ import annotations

import json
import re

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.imports import background
from schools.models import (
    AuditEvent,
    Enrolment,
    PendingUpload,
    Role,
    Student,
)
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
from tests.schools.roster_files import csv_bytes, xlsx

IMPORT = "/roster/io/import/"
CONFIRM = "/roster/io/import/confirm/"
JOB_PAGE = re.compile(r"^/roster/io/import/jobs/(\d+)/$")
STAFF_JOB = re.compile(r"^/roster/io/import/staff/jobs/(\d+)/$")


def _client(client_for, tama, user):
    return client_for(tama, user)


def _upload(client, school, year, data: bytes, name: str = "名簿.xlsx"):
    return client.post(
        IMPORT, {"school": school.pk, "year": year.pk, "file": SimpleUploadedFile(name, data)}
    )


def _main(html: str) -> str:
    """The page's content, without what differs between two renderings of one preview."""
    main = html[html.index('<main id="main"') : html.index("</main>")]
    main = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)
    return re.sub(r'name="token" value="[0-9a-f]{32}"', 'name="token"', main)


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def _errors(html: str) -> list[tuple[str, ...]]:
    return re.findall(
        r'<tr><td>([^<]*)</td><td class="num">(\d*)</td><td>([^<]*)</td><td class="error">([^<]*)</td></tr>',
        html,
    )


def _job_of(response, page: re.Pattern = JOB_PAGE) -> Job:
    assert response.status_code == 302, response.content[:300]
    found = page.match(response["Location"])
    assert found, response["Location"]
    return Job.objects.get(pk=int(found.group(1)))


def _written(school) -> list[tuple]:
    return sorted(
        Enrolment.objects.filter(school=school).values_list(
            "student__student_number",
            "student__name",
            "student__kana",
            "student__sex",
            "student__birth_date",
            "classroom__grade",
            "classroom__name",
            "roll_number",
            "enrolled_on",
            "entry",
        )
    )


def test_estimated_rows_counts_without_parsing():
    rows = roster_rows(120)
    assert background.estimated_rows(xlsx(rows)) == 121  # with the header
    assert background.estimated_rows(csv_bytes(rows)) == 121
    assert background.estimated_rows(b"%PDF-1.4 \x00\x00") == 0


def test_small_file_stays_in_the_request(roster_school, client_for, tama, settings):
    settings.AI_IMPORT_JOB_ROWS = 100
    client = _client(client_for, tama, roster_school[LOGINS[0]])
    before = Job.objects.count()
    page = _upload(client, roster_school["school"], roster_school["year"], xlsx(roster_rows(35)))
    assert page.status_code == 200 and "この内容で登録する" in page.content.decode()
    assert Job.objects.count() == before


def test_large_file_previews_and_commits_as_jobs_like_the_request(
    roster_school, client_for, tama, worker, settings
):
    school, year = roster_school["school"], roster_school["year"]
    principal = roster_school[LOGINS[0]]
    client = _client(client_for, tama, principal)
    data = xlsx(roster_rows(64))

    # The baseline: the same file in the request, committed, its rows noted, then removed.
    settings.AI_IMPORT_JOB_ROWS = 100_000
    in_request = _upload(client, school, year, data)
    assert in_request.status_code == 200
    baseline_html = in_request.content.decode()
    done = client.post(CONFIRM, _hidden(baseline_html))
    assert done.status_code == 302
    baseline_rows = _written(school)
    assert len(baseline_rows) == 64
    Enrolment.objects.filter(school=school).delete()
    Student.objects.filter(student_number__startswith=PREFIX).delete()
    audits = AuditEvent.objects.filter(action="schools.roster.import", school=school).count()

    # Above the threshold: the upload answers with the progress page of a job.
    settings.AI_IMPORT_JOB_ROWS = 20
    job = _job_of(_upload(client, school, year, data))
    assert job.kind == "schools.roster_import_preview" and job.requested_by_id == principal.pk
    progress = client.get(f"/roster/io/import/jobs/{job.pk}/")
    text = progress.content.decode()
    if not Job.objects.get(pk=job.pk).is_finished:
        assert "名簿の取り込み（読み込みと確認）" in text and "取り消す" in text
        assert f"/roster/io/import/jobs/{job.pk}/status/" in text
    job = wait_for(job, lambda j: j.is_finished, what="previewed")
    assert job.state == Job.State.SUCCEEDED, job.error
    status = client.get(f"/roster/io/import/jobs/{job.pk}/status/")
    assert status["HX-Refresh"] == "true"  # the page reloads into the preview
    preview = client.get(f"/roster/io/import/jobs/{job.pk}/")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert _main(html) == _main(baseline_html)
    assert "新規</span> 64" in html

    # The confirmation of a large plan: a job too, ending on the same message.
    commit = _job_of(client.post(CONFIRM, _hidden(html)))
    assert commit.kind == "schools.roster_import_commit"
    commit = wait_for(commit, lambda j: j.is_finished, what="committed")
    assert commit.state == Job.State.SUCCEEDED, commit.error
    assert commit.progress_message == "完了しました。"
    assert _written(school) == baseline_rows
    assert (
        AuditEvent.objects.filter(action="schools.roster.import", school=school).count()
        == audits + 1
    )
    event = AuditEvent.objects.filter(action="schools.roster.import", school=school).latest("id")
    assert event.actor_id == principal.pk and event.changes["created"] == 64
    ended = client.get(f"/roster/io/import/jobs/{commit.pk}/")
    assert ended.status_code == 302 and ended["Location"].endswith(f"&done={commit.pk}")
    message = client.get(ended["Location"]).content.decode()
    assert "名簿を取り込みました（取り込み試験小学校" in message and "新規 64名" in message

    # The preview's token was used: confirming it again is refused as in the request.
    again = client.post(CONFIRM, _hidden(html))
    assert again.status_code == 302 and JOB_PAGE.match(again["Location"]) is None


def test_a_file_with_errors_gives_the_same_list(roster_school, client_for, tama, worker, settings):
    school, year = roster_school["school"], roster_school["year"]
    client = _client(client_for, tama, roster_school[LOGINS[0]])
    rows = roster_rows(40)
    rows[3][5] = "不明"  # 性別
    rows[10][3] = ""  # 氏名
    rows[10][1] = "9組"  # no such class, same row
    rows[20][6] = "2030/1/1"  # born after the year began
    data = csv_bytes(rows)

    settings.AI_IMPORT_JOB_ROWS = 100_000
    baseline = _upload(client, school, year, data, "名簿.csv").content.decode()
    expected = _errors(baseline)
    assert len(expected) == 4, expected

    settings.AI_IMPORT_JOB_ROWS = 20
    job = _job_of(_upload(client, school, year, data, "名簿.csv"))
    job = wait_for(job, lambda j: j.is_finished, what="previewed")
    html = client.get(f"/roster/io/import/jobs/{job.pk}/").content.decode()
    assert _errors(html) == expected
    assert _main(html) == _main(baseline)
    assert 'name="token"' not in html  # nothing to confirm
    # As in the request, a file with errors is not kept for a confirmation.
    owner = roster_school[LOGINS[0]]
    assert not PendingUpload.objects.filter(owner_id=owner.pk, filename="名簿.csv").exists()
    assert not Student.objects.filter(student_number__startswith=PREFIX).exists()


def test_cancelling_the_commit_writes_nothing(roster_school, client_for, tama, worker, settings):
    school, year = roster_school["school"], roster_school["year"]
    client = _client(client_for, tama, roster_school[LOGINS[0]])
    for grade in (1, 2):
        for klass in range(5, 9):
            factories.classroom(school, year, grade=grade, name=f"{klass}組")
    data = xlsx(roster_rows(6000, classes=8))
    settings.AI_IMPORT_JOB_ROWS = 1000
    job = wait_for(
        _job_of(_upload(client, school, year, data)),
        lambda j: j.is_finished,
        timeout=180,
        what="previewed",
    )
    assert job.state == Job.State.SUCCEEDED, job.error
    html = client.get(f"/roster/io/import/jobs/{job.pk}/").content.decode()
    commit = _job_of(client.post(CONFIRM, _hidden(html)))
    # Cancel once it writes (inside its transaction), through the button of the progress page.
    commit = wait_for(
        commit,
        lambda j: j.is_finished or j.progress_message == background.WRITING,
        timeout=180,
        what="writing",
    )
    assert not commit.is_finished, "the commit ended before it could be cancelled"
    page = client.get(f"/roster/io/import/jobs/{commit.pk}/").content.decode()
    back = f"/roster/io/import/jobs/{commit.pk}/"
    assert f'name="next" value="{back}"' in page
    cancelled = client.post(f"/jobs/{commit.pk}/cancel/", {"next": back})
    assert cancelled.status_code == 302 and cancelled["Location"] == back
    commit = wait_for(commit, lambda j: j.is_finished, timeout=120, what="cancelled")
    assert commit.state == Job.State.CANCELLED
    assert not Enrolment.objects.filter(school=school).exists()
    assert not Student.objects.filter(student_number__startswith=PREFIX).exists()
    assert not AuditEvent.objects.filter(action="schools.roster.import", school=school).exists()
    shown = client.get(back).content.decode()
    assert "取消" in shown and "名簿の取り込みへ戻る" in shown


def test_another_user_cannot_see_the_job(roster_school, client_for, tama, worker, settings):
    school, year = roster_school["school"], roster_school["year"]
    owner = _client(client_for, tama, roster_school[LOGINS[0]])
    other = _client(client_for, tama, roster_school[LOGINS[1]])
    settings.AI_IMPORT_JOB_ROWS = 20
    job = _job_of(_upload(owner, school, year, xlsx(roster_rows(30))))
    for url in (
        f"/roster/io/import/jobs/{job.pk}/",
        f"/roster/io/import/jobs/{job.pk}/status/",
        f"/jobs/{job.pk}/",
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    job = wait_for(job, lambda j: j.is_finished, what="previewed")
    assert other.get(f"/roster/io/import/jobs/{job.pk}/").status_code == 404
    html = owner.get(f"/roster/io/import/jobs/{job.pk}/").content.decode()
    # The other person cannot confirm the owner's preview either (the token is the owner's).
    refused = other.post(CONFIRM, _hidden(html))
    assert refused.status_code == 302 and JOB_PAGE.match(refused["Location"]) is None
    assert not Student.objects.filter(student_number__startswith=PREFIX).exists()
    # A job id that is not an import, or unknown, is 404 too.
    assert owner.get("/roster/io/import/jobs/999999/").status_code == 404


def test_a_refused_file_comes_back_to_the_form_with_its_reason(
    roster_school, client_for, tama, worker, settings
):
    school, year = roster_school["school"], roster_school["year"]
    client = _client(client_for, tama, roster_school[LOGINS[0]])
    data = csv_bytes(roster_rows(30), header=["名前", "よみ", "メモ"])  # no 学年/組/番号 header

    settings.AI_IMPORT_JOB_ROWS = 100_000
    baseline = _upload(client, school, year, data, "名簿.csv").content.decode()
    reasons = re.findall(r'<div class="errorlist" role="alert">(.*?)</div>', baseline, re.S)
    assert reasons and "見出し" in reasons[0], baseline[:500]

    settings.AI_IMPORT_JOB_ROWS = 20
    job = wait_for(
        _job_of(_upload(client, school, year, data, "名簿.csv")),
        lambda j: j.is_finished,
        what="read",
    )
    html = client.get(f"/roster/io/import/jobs/{job.pk}/").content.decode()
    assert re.findall(r'<div class="errorlist" role="alert">(.*?)</div>', html, re.S) == reasons
    assert "読み込んで確認する" in html


def test_staff_previews_as_a_job_and_many_passwords_commit_as_a_job(
    roster_school, client_for, tama, worker, settings
):
    board = get_user_model().objects.get(username="boe-admin")
    client = _client(client_for, tama, board)
    year = roster_school["year"]
    data = xlsx(staff_rows(8), header=STAFF_HEADER)

    def upload():
        return client.post(
            "/roster/io/import/staff/",
            {"year": year.pk, "file": SimpleUploadedFile("教職員.xlsx", data)},
        )

    settings.AI_IMPORT_JOB_ROWS = 100_000
    baseline = upload()
    assert baseline.status_code == 200
    baseline_html = baseline.content.decode()
    assert "新規</span> 8" in baseline_html

    settings.AI_IMPORT_JOB_ROWS = 5  # the same file as a job: the same preview
    job = _job_of(upload(), STAFF_JOB)
    assert job.kind == "schools.staff_import_preview"
    job = wait_for(job, lambda j: j.is_finished, what="previewed")
    assert job.state == Job.State.SUCCEEDED, job.error
    html = client.get(f"/roster/io/import/staff/jobs/{job.pk}/").content.decode()
    assert _main(html) == _main(baseline_html)
    assert "Impjobs-pass" not in json.dumps(job.result_data)  # no password in the result

    # Eight initial passwords (a hash each) are more than AI_IMPORT_JOB_PASSWORDS: a job.
    settings.AI_IMPORT_JOB_ROWS = 100_000
    settings.AI_IMPORT_JOB_PASSWORDS = 5
    commit = _job_of(client.post("/roster/io/import/staff/confirm/", _hidden(html)), STAFF_JOB)
    assert commit.kind == "schools.staff_import_commit"
    # Another administrator of the board may import staff, but not see this person's job.
    other_user = roster_school[LOGINS[1]]
    factories.give_role(other_user.staff, Role.BOE_ADMIN)
    other = _client(client_for, tama, other_user)
    assert other.get(f"/roster/io/import/staff/jobs/{commit.pk}/").status_code == 404
    assert other.get(f"/roster/io/import/staff/jobs/{commit.pk}/status/").status_code == 404
    commit = wait_for(commit, lambda j: j.is_finished, timeout=180, what="committed")
    assert commit.state == Job.State.SUCCEEDED, commit.error
    ended = client.get(f"/roster/io/import/staff/jobs/{commit.pk}/")
    assert ended.status_code == 302
    message = client.get(ended["Location"]).content.decode()
    assert "教職員を取り込みました: 新規 8名" in message
    created = get_user_model().objects.get(username=f"{STAFF_LOGIN}3")
    # Hashed by the worker (its settings' hasher; this process knows only the tests' MD5).
    assert created.has_usable_password() and "Impjobs" not in created.password
    event = AuditEvent.objects.filter(action="schools.staff.import").latest("id")
    assert event.actor_id == board.pk and len(event.changes["created"]) == 8


def test_the_jobs_page_sends_the_requester_to_the_import_page(
    roster_school, client_for, tama, settings
):
    client = _client(client_for, tama, roster_school[LOGINS[0]])
    settings.AI_IMPORT_JOB_ROWS = 20
    job = _job_of(
        _upload(client, roster_school["school"], roster_school["year"], xlsx(roster_rows(30)))
    )
    answer = client.get(f"/jobs/{job.pk}/")  # from 処理の一覧: back to the progress, then preview
    assert answer.status_code == 302 and answer["Location"] == f"/roster/io/import/jobs/{job.pk}/"
    assert "名簿の取り込み（読み込みと確認）" in client.get("/jobs/").content.decode()
