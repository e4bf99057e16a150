"""Score grid import through the API: upload → preview (JSON) → commit its token."""

from __future__ import annotations

import io

from gradebook.models import Score
from tests import factories
from tests.gradebook.test_excel import _filled, download, grid_url

URL = "/api/v1/gradebook/grid-imports/"


def post_file(client, s, data: bytes):
    file = io.BytesIO(data)
    file.name = "得点.xlsx"
    target = {"classroom": s.classroom.pk, "subject": s.subject.pk, "term": s.term.pk}
    return client.post(URL, {**target, "file": file})


def commit(client, token):
    return client.post(URL + "commit/", {"token": token}, content_type="application/json")


def test_preview_then_commit(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    data = download(client, grid_url(setup, "gradebook:grid-xlsx"))
    body = post_file(client, setup, _filled(data, {(1, 3): 95, (2, 3): "欠"})).json()
    assert body["ok"] and body["counts"]["changed"] == 2
    assert {r["new"] for r in body["rows"]} == {"95", "欠"}
    assert not Score.objects.exists()
    done = commit(client, body["token"])
    assert done.status_code == 200, done.content
    assert done.json()["counts"]["changed"] == 2 and Score.objects.count() == 2


def test_errors_and_permissions(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    data = download(client, grid_url(setup, "gradebook:grid-xlsx"))
    bad = post_file(client, setup, _filled(data, {(1, 3): 95, (2, 4): 30, (3, 3): "abc"})).json()
    assert not bad["ok"] and bad["token"] == "" and bad["error_count"] == 2
    assert all(e["row"] and e["column"] for e in bad["errors"])
    good = post_file(client, setup, _filled(data, {(1, 3): 95})).json()
    outsider = factories.staff().user
    assert post_file(client_for(muni, outsider), setup, data).status_code in (403, 404)
    assert commit(client_for(muni, outsider), good["token"]).status_code in (403, 404)
    assert not Score.objects.exists()
