"""Uploads waiting for confirmation live in the municipality's schema, for their owner only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone
from django_tenants.utils import schema_context

from schools.imports import store
from schools.models import PendingUpload, Student
from schools.permissions import actor_for_user
from tests import factories as f
from tests.schools.roster_files import xlsx

URL = "/roster/io/import/"
CONFIRM = "/roster/io/import/confirm/"
ROWS = [[1, "1組", 1, "山田 太郎", "やまだ たろう", "男", "2019/5/3", "P0001"]]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def preview(client, school, year) -> dict[str, str]:
    file = SimpleUploadedFile("名簿.xlsx", xlsx(ROWS))
    response = client.post(URL, {"school": school.pk, "year": year.pk, "file": file})
    assert response.status_code == 200
    return dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', response.content.decode())
    )


def test_preview_keeps_the_file_in_the_schema_and_nothing_under_media_root(
    muni, client_for, principal, school, year, classroom, media_root
):
    fields = preview(client_for(muni, principal), school, year)
    pending = PendingUpload.objects.get(token=fields["token"])
    assert pending.owner == principal and pending.kind == "schools.roster"
    assert pending.filename == "名簿.xlsx" and bytes(pending.data).startswith(b"PK")  # the .xlsx
    assert not media_root.exists() or not any(media_root.rglob("*"))
    assert client_for(muni, principal).post(CONFIRM, fields).status_code == 302
    assert Student.objects.filter(student_number="P0001").exists()
    assert not PendingUpload.objects.filter(token=fields["token"]).exists()  # used once
    assert not media_root.exists() or not any(media_root.rglob("*"))


def test_another_user_cannot_confirm(muni, client_for, principal, school, year, classroom):
    fields = preview(client_for(muni, principal), school, year)
    colleague = f.school_admin(school, year).user  # may import into the school, but not this file
    response = client_for(muni, colleague).post(CONFIRM, fields, follow=True)
    assert "別の利用者が読み込んだもの" in response.content.decode()
    assert not Student.objects.exists()
    assert PendingUpload.objects.filter(token=fields["token"]).exists()  # still the owner's


def test_expired_upload_is_refused_and_purged_by_the_next_one(
    muni, client_for, principal, school, year, classroom
):
    client = client_for(muni, principal)
    fields = preview(client, school, year)
    PendingUpload.objects.filter(token=fields["token"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.post(CONFIRM, fields, follow=True)
    assert "確認期限（24時間）を過ぎました" in response.content.decode()
    assert not Student.objects.exists()
    preview(client, school, year)  # storing a new upload removes the expired ones
    assert not PendingUpload.objects.filter(token=fields["token"]).exists()
    assert PendingUpload.objects.count() == 1


def test_token_of_another_municipality_finds_nothing(muni, other_muni, principal):
    owner = actor_for_user(principal)
    token = store.put(b"data", by=owner, kind="schools.roster")
    assert store.get(token, by=owner, kind="schools.roster") == b"data"
    with (
        schema_context(other_muni.schema_name),
        pytest.raises(store.PendingRefused, match="見つかりません"),
    ):
        store.get(token, by=owner, kind="schools.roster")
    with pytest.raises(store.PendingRefused, match="見つかりません"):
        store.get(token, by=owner, kind="schools.staff")  # nor under another kind
    for bad in ("", "0" * 32, "../../etc/passwd", "Ｆ" * 32):
        with pytest.raises(store.PendingRefused):
            store.get(bad, by=owner, kind="schools.roster")


def test_lookups_answer_404_for_ids_that_are_not_numbers(muni, boe_admin, school, classroom):
    actor = actor_for_user(boe_admin)
    assert actor.school_or_404(str(school.pk)) == school
    assert actor.classroom_or_404(classroom.pk) == classroom
    for bad in ("abc", "", None, "1;drop", "-1", "１", "9" * 30, 0):
        with pytest.raises(Http404):
            actor.school_or_404(bad)
        with pytest.raises(Http404):
            actor.enrolment_or_404(bad)


def test_bad_ids_in_pages_and_api_are_never_a_500(muni, client_for, boe_admin, school, year):
    client = client_for(muni, boe_admin)
    assert client.get("/roster/io/export/staff.xlsx?school=abc").status_code == 404
    assert client.get(f"/roster/io/export/school/{school.pk}.xlsx?year=20x6").status_code == 404
    assert client.get(f"/roster/io/export/school/{school.pk}.xlsx?year=2026").status_code == 200
    assert client.get(f"/roster/schools/{school.pk}/?year=abc").status_code == 200
    assert client.get("/api/v1/roster/classes/?school=abc").status_code == 400
    body = {"school": "abc", "year": 2026, "name": "1組", "grade": 1}
    assert (
        client.post("/api/v1/roster/classes/", body, content_type="application/json").status_code
        == 400
    )


def test_roll_over_actions_have_their_own_addresses(muni, client_for, principal, school, classroom):
    client = client_for(muni, principal)
    base = f"/roster/schools/{school.pk}/rollover/"
    # Nothing prepared yet: cancelling or confirming finds nothing (404, never a 500).
    assert client.post(base + "cancel/").status_code == 404
    assert client.post(base + "confirm/").status_code == 404
    assert client.get(base + "prepare/").status_code == 405
    assert client.post(base + "prepare/").status_code == 302
    assert "仮年度更新済み" in client.get(base).content.decode()
    assert client.post(base + "confirm/").status_code == 302
    assert "確定" in client.get(base).content.decode()
