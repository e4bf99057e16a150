"""The import pages over real HTTP: upload -> preview -> confirm, refusals and permissions."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from schools.models import Enrolment, Student
from tests import factories as f
from tests.schools.roster_files import xlsx

URL = "/roster/io/import/"
CONFIRM = "/roster/io/import/confirm/"
ROWS = [
    [1, "1組", 1, "𠮷田　太郎", "ﾖｼﾀﾞ ﾀﾛｳ", "男", "2019/5/3", "S0001"],
    [1, "1組", 2, "髙橋 花子", "たかはし はなこ", "女", "R1.6.1", "S0002"],
]


@pytest.fixture(autouse=True)
def pending_files_in_tmp(settings, tmp_path):
    """Uploaded files waiting for confirmation go to a per-test directory."""
    settings.MEDIA_ROOT = tmp_path


def upload(client, school, year, data: bytes, name="名簿.xlsx", **extra):
    file = SimpleUploadedFile(name, data)
    return client.post(URL, {"school": school.pk, "year": year.pk, "file": file, **extra})


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_upload_preview_confirm(muni, client_for, principal, school, year, classroom):
    client = client_for(muni, principal)
    page = client.get(URL)
    assert page.status_code == 200
    assert "10MBまで" in page.content.decode() and "20,000行まで" in page.content.decode()
    response = upload(client, school, year, xlsx(ROWS))
    html = response.content.decode()
    assert response.status_code == 200
    assert "新しく登録する児童生徒" in html and "𠮷田　太郎" in html and "よしだ たろう" in html
    assert not Student.objects.exists()  # the preview writes nothing
    fields = hidden_fields(html)
    confirmed = client.post(CONFIRM, fields)
    assert confirmed.status_code == 302
    assert Enrolment.objects.filter(classroom=classroom).count() == 2
    follow = client.get(confirmed["Location"])
    assert "新規 2名" in follow.content.decode()
    # Next steps from there: the school's roster and its export.
    assert f"/roster/io/export/school/{school.pk}.xlsx?year={year.year}" in follow.content.decode()
    # The same confirmation cannot be replayed: the pending file is gone.
    again = client.post(CONFIRM, fields)
    assert again.status_code == 302 and Student.objects.count() == 2


def test_preview_lists_errors_with_row_and_column_and_offers_no_confirm(
    muni, client_for, principal, school, year, classroom
):
    rows = [*ROWS, [1, "2組", 3, "山田 三郎", "やまだ さぶろう", "男", "2019/2/30", "S0003"]]
    response = upload(client_for(muni, principal), school, year, xlsx(rows))
    html = response.content.decode()
    assert "エラーが 2 件あります" in html
    assert "1年2組" in html and "存在しない日付です" in html
    assert "「生年月日」" in html
    assert "この内容で登録する" not in html
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "名簿.xlsx", "PDFファイルは取り込めません"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 64
            + "EncryptionInfo".encode("utf-16-le"),
            "名簿.xlsx",
            "パスワードで保護",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "名簿.csv", "スプレッドシートではない"),
        ("学年,組,出席番号,氏名\n".encode(), "名簿.csv", "必須の列「ふりがな」がありません"),
        (xlsx([]), "名簿.xlsx", "データがありません"),
    ],
)
def test_refused_files_say_why_and_write_nothing(
    muni, client_for, principal, school, year, classroom, data, name, message
):
    response = upload(client_for(muni, principal), school, year, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Student.objects.exists()


def test_too_large_file_states_the_limit(muni, client_for, principal, school, year, classroom):
    data = b"a" * (10 * 1024 * 1024 + 10)
    response = upload(client_for(muni, principal), school, year, data, name="big.csv")
    html = response.content.decode()
    assert "ファイルが大きすぎます" in html and "10MBまで" in html


def test_teacher_and_other_school_admin_are_refused(
    muni, client_for, teacher, school, other_school, year, classroom
):
    assert client_for(muni, teacher).get(URL).status_code == 403
    other_admin = f.school_admin(other_school, year).user
    client = client_for(muni, other_admin)
    # The other school's admin cannot choose this school (not in the form's choices).
    response = upload(client, school, year, xlsx(ROWS))
    assert response.status_code == 200 and "正しく選択してください" in response.content.decode()
    response = client.post(CONFIRM, {"school": school.pk, "year": year.pk, "token": "0" * 32})
    assert response.status_code == 404
    assert not Student.objects.exists()


def test_anonymous_is_sent_to_login(muni, client_for):
    response = client_for(muni).get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_other_municipality_host_cannot_confirm(
    muni, other_muni, client_for, principal, school, year, classroom
):
    response = upload(client_for(muni, principal), school, year, xlsx(ROWS))
    fields = hidden_fields(response.content.decode())
    with schema_context(other_muni.schema_name):
        stranger = get_user_model().objects.get(username="boe-admin")
    answer = client_for(other_muni, stranger).post(CONFIRM, fields)
    assert answer.status_code == 404
    assert not Student.objects.exists()


def test_file_field_required(muni, client_for, principal, school, year):
    response = client_for(muni, principal).post(URL, {"school": school.pk, "year": year.pk})
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_preview_says_when_other_sheets_were_not_read(
    muni, client_for, principal, school, year, classroom
):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx(ROWS)))
    book.create_sheet("1年2組").append(["学年", "組", "出席番号", "氏名", "ふりがな"])
    buffer = io.BytesIO()
    book.save(buffer)
    html = upload(client_for(muni, principal), school, year, buffer.getvalue()).content.decode()
    assert "他のシート（1年2組）もあります" in html and "最初のシート「名簿」だけ" in html
