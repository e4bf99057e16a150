"""名簿 and 教職員 imports through the API: upload → preview (JSON) → commit with its token."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from schools.models import AuditEvent, Enrolment, PendingUpload, Staff, Student
from tests import factories as f
from tests.schools.roster_files import xlsx

URL = "/api/v1/roster/imports/"
COMMIT = "/api/v1/roster/imports/commit/"
ROWS = [
    [1, "1組", 1, "𠮷田　太郎", "ﾖｼﾀﾞ ﾀﾛｳ", "男", "2019/5/3", "S0001"],
    [1, "1組", 2, "髙橋 花子", "たかはし はなこ", "女", "R1.6.1", "S0002"],
]


def upload(client, school, data: bytes, name="名簿.xlsx", **extra):
    file = SimpleUploadedFile(name, data)
    return client.post(URL, {"school": school.pk, "year": 2026, "file": file, **extra})


def commit(client, token: str):
    return client.post(COMMIT, {"token": token}, content_type="application/json")


def test_preview_then_commit_all_at_once(muni, client_for, principal, school, year, classroom):
    client = client_for(muni, principal)
    preview = upload(client, school, xlsx(ROWS))
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["ok"] and body["kind"] == "roster" and body["filename"] == "名簿.xlsx"
    assert body["counts"]["create"] == 2 and body["errors"] == []
    assert [r["name"] for r in body["rows"]] == ["𠮷田　太郎", "髙橋 花子"]
    assert not Student.objects.exists()  # the preview writes nothing
    done = commit(client, body["token"])
    assert done.status_code == 200, done.content
    assert done.json()["committed"] and done.json()["counts"]["create"] == 2
    assert "新規 2名" in done.json()["message"]
    assert Enrolment.objects.filter(classroom=classroom).count() == 2
    event = AuditEvent.objects.get(action="schools.roster.import")
    assert event.changes["file"] == "名簿.xlsx"
    # A token is used once.
    again = commit(client, body["token"])
    assert again.status_code == 404 and "見つかりません" in again.json()["error"]["message"]
    assert Student.objects.count() == 2


def test_errors_have_row_and_column_and_no_token(
    muni, client_for, principal, school, year, classroom
):
    rows = [*ROWS, [1, "2組", 3, "山田 三郎", "やまだ さぶろう", "男", "2019/2/30", "S0003"]]
    body = upload(client_for(muni, principal), school, xlsx(rows)).json()
    assert not body["ok"] and body["token"] == "" and body["error_count"] == 2
    dates = [e for e in body["errors"] if e["header"] == "生年月日"]
    assert dates[0]["row"] == 4 and dates[0]["column"] == "G"
    assert "存在しない日付です" in dates[0]["message"]
    assert not Student.objects.exists()


def test_bad_files_and_missing_file(muni, client_for, principal, school, year, classroom):
    client = client_for(muni, principal)
    pdf = upload(client, school, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").json()
    assert not pdf["ok"] and "PDFファイルは取り込めません" in pdf["errors"][0]["message"]
    missing = client.post(URL, {"school": school.pk, "year": 2026})
    assert missing.status_code == 400
    assert "ファイルを選んでください" in missing.json()["error"]["message"]
    assert "file" in missing.json()["error"]["fields"]


def test_another_users_token_and_an_expired_one_are_refused(
    muni, client_for, principal, school, year, classroom
):
    body = upload(client_for(muni, principal), school, xlsx(ROWS)).json()
    other_admin = f.school_admin(school, year).user
    stolen = commit(client_for(muni, other_admin), body["token"])
    assert stolen.status_code == 403 and "読み込んだ本人だけ" in stolen.json()["error"]["message"]
    PendingUpload.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = commit(client_for(muni, principal), body["token"])
    assert expired.status_code == 410 and "24時間" in expired.json()["error"]["message"]
    assert commit(client_for(muni, principal), "nonsense").status_code == 404
    assert not Student.objects.exists()


def test_a_change_after_the_preview_refuses_the_commit(
    muni, client_for, principal, school, year, classroom
):
    client = client_for(muni, principal)
    body = upload(client, school, xlsx(ROWS)).json()
    f.students(classroom, 1)  # roll number 1 is now taken: the plan differs
    done = commit(client, body["token"])
    assert done.status_code == 409
    refusal = done.json()
    assert refusal["error"]["code"] == "import_refused" and refusal["error"]["message"]
    assert Student.objects.count() == 1


def test_permissions_as_the_page(
    muni, client_for, teacher, principal, school, other_school, year, classroom
):
    assert upload(client_for(muni, teacher), school, xlsx(ROWS)).status_code == 403
    # Another school of the municipality: not even seen (404, its existence does not leak).
    assert upload(client_for(muni, principal), other_school, xlsx(ROWS)).status_code == 404
    assert client_for(muni).post(URL, {}).status_code == 401
    # A token with a tampered target finds nothing.
    body = upload(client_for(muni, principal), school, xlsx(ROWS)).json()
    pending, fingerprint, _ = body["token"].split(".")
    forged = f"{pending}.{fingerprint}.{other_school.pk}-2026-0"
    assert commit(client_for(muni, principal), forged).status_code in (403, 404)
    assert not Student.objects.exists()


def test_staff_import(muni, client_for, boe_admin, school, year, principal):
    header = ["氏名", "ふりがな", "ログインID", "職員番号", "学校", "役割", "職名"]
    person = ["佐藤 一郎", "さとう いちろう", "t.sato", "T9", school.name, "学校管理者", "校長"]
    data = xlsx([person], header=header)
    client = client_for(muni, boe_admin)
    file = SimpleUploadedFile("教職員.xlsx", data)
    body = client.post("/api/v1/roster/staff-imports/", {"year": 2026, "file": file}).json()
    assert body["ok"], body["errors"]
    assert body["counts"]["create"] == 1 and body["rows"][0]["username"] == "t.sato"
    refused = client_for(muni, principal).post(
        "/api/v1/roster/staff-imports/", {"file": SimpleUploadedFile("x.xlsx", data)}
    )
    assert refused.status_code == 403
    done = client.post(
        "/api/v1/roster/staff-imports/commit/",
        {"token": body["token"]},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert Staff.objects.filter(name="佐藤 一郎").exists()
