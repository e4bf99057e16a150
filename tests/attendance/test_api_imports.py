"""出席簿 import through the API: upload → preview (JSON, 病/遅 symbols) → commit its token."""

from __future__ import annotations

import io

from attendance.models import Mark
from schools.models import AuditEvent
from tests import factories
from tests.attendance.helpers import D, save
from tests.attendance.test_excel import cell, exported, klass, upload  # noqa: F401 (fixture)

URL = "/api/v1/attendance/register-imports/"


def post_book(client, classroom, book, **extra):
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "出席簿.xlsx"
    return client.post(URL, {"classroom": classroom.pk, "file": buffer, "y": 2026, "m": 6, **extra})


def commit(client, token):
    return client.post(URL + "commit/", {"token": token}, content_type="application/json")


def test_preview_shows_symbols_then_commit_writes_all(muni, client_for, klass, boe_admin):  # noqa: F811
    classroom, ens, user = klass
    save(boe_admin, classroom, D(2026, 6, 1), {ens[0].pk: "sick"})
    client = client_for(muni, user)
    book = exported(client, classroom)
    ws = book["2026年6月"]
    cell(ws, 2, 2).value = "遅"
    cell(ws, 3, 3).value = "停"
    cell(ws, 1, 1).value = None
    preview = post_book(client, classroom, book)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["ok"] and body["counts"]["changed"] == 3 and body["token"]
    symbols = {(r["roll_number"], r["old_symbol"], r["new_symbol"]) for r in body["rows"]}
    assert symbols == {(1, "病", "出席"), (2, "出席", "遅"), (3, "出席", "停")}
    assert Mark.objects.count() == 1  # nothing written yet
    done = commit(client, body["token"])
    assert done.status_code == 200, done.content
    assert set(Mark.objects.values_list("enrolment_id", "code")) == {
        (ens[1].pk, "late"),
        (ens[2].pk, "suspended"),
    }
    assert AuditEvent.objects.filter(action="attendance.register.import").count() == 1
    assert commit(client, body["token"]).status_code == 404  # used once


def test_bad_cells_are_listed_and_nothing_is_written(muni, client_for, klass):  # noqa: F811
    classroom, ens, user = klass
    client = client_for(muni, user)
    book = exported(client, classroom)
    ws = book["2026年6月"]
    cell(ws, 1, 1).value = "Z"
    cell(ws, 2, 2).value = "遅"
    body = post_book(client, classroom, book).json()
    assert not body["ok"] and body["token"] == ""
    error = body["errors"][0]
    assert error["row"] and error["column"] and "記号「Z」" in error["message"]
    pdf = client.post(URL, {"classroom": classroom.pk, "file": io.BytesIO(b"%PDF-1.4 x")}).json()
    assert not pdf["ok"] and pdf["errors"]
    assert not Mark.objects.exists()


def test_other_teachers_and_other_users_tokens(muni, client_for, klass, boe_admin):  # noqa: F811
    classroom, ens, user = klass
    client = client_for(muni, user)
    book = exported(client, classroom)
    cell(book["2026年6月"], 2, 2).value = "遅"
    body = post_book(client, classroom, book).json()
    other_class = factories.classroom(classroom.school, classroom.school_year, grade=2)
    stranger = factories.homeroom_teacher(other_class).user
    assert post_book(client_for(muni, stranger), classroom, book).status_code == 403
    assert commit(client_for(muni, stranger), body["token"]).status_code == 403
    assert commit(client_for(muni, boe_admin), body["token"]).status_code == 403  # not the uploader
    assert not Mark.objects.exists()


def test_the_preview_page_shows_symbols_not_codes(muni, client_for, klass, boe_admin):  # noqa: F811
    classroom, ens, user = klass
    save(boe_admin, classroom, D(2026, 6, 1), {ens[0].pk: "sick"})
    client = client_for(muni, user)
    book = exported(client, classroom)
    ws = book["2026年6月"]
    cell(ws, 1, 1).value = "遅"
    cell(ws, 2, 2).value = "停"
    html = upload(client, classroom, book).content.decode()
    assert "<td>病</td><td>遅</td>" in html and "<td>出席</td><td>停</td>" in html
    assert ">sick<" not in html and ">late<" not in html and ">suspended<" not in html
