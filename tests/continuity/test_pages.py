"""The operators' backup pages: operators only; the dashboard flags stale municipalities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from tenants.demo import OPERATOR
from tenants.models import Backup, Municipality
from tests.conftest import TenantClient
from tests.factories import PASSWORD

# 甲府市 as provisioned is enough here (no demo seed: faster).
SEED_DEMO = False

PAGES = [
    ("get", "/backups/"),
    ("get", "/backups/schema/m_kofu/"),
    ("get", "/backups/{backup}/restore/"),
    ("post", "/backups/{backup}/restore/"),
    ("get", "/backups/{backup}/restore-new/"),
    ("post", "/municipalities/{pk}/backup/"),
    ("post", "/municipalities/{pk}/undelete/"),
    ("get", "/municipalities/{pk}/purge/"),
]


@pytest.fixture
def operator():
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(get_user_model().objects.get(username=OPERATOR[0]))
    return client


def test_pages_refuse_everyone_but_operators(kofu):
    record = Backup.objects.create(schema_name="m_kofu", kind="manual", status="ok", file="x")
    anonymous = Client(HTTP_HOST=settings.BASE_DOMAIN)
    staff_user, _ = get_user_model().objects.get_or_create(username="not-operator")
    staff_user.set_password(PASSWORD)
    staff_user.save()
    plain = Client(HTTP_HOST=settings.BASE_DOMAIN)
    plain.force_login(staff_user)
    teacher = TenantClient(Municipality.objects.get(schema_name="m_fujiyoshida"))
    for method, url in PAGES:
        url = url.format(backup=record.pk, pk=kofu.pk)
        assert getattr(anonymous, method)(url).status_code == 302, url
        assert getattr(plain, method)(url).status_code == 403, url
        assert getattr(teacher, method)(url).status_code in (302, 404), url
    with connection.cursor() as cur:  # the ORM's cascade would look for tenant-only tables
        cur.execute("DELETE FROM auth_user WHERE username = 'not-operator'")
    assert Backup.objects.filter(schema_name="m_kofu").count() == 1  # nothing was backed up


def test_dashboard_flags_municipalities_without_a_recent_backup(kofu, operator):
    page = operator.get("/backups/").content.decode()
    assert "甲府市" in page and "未取得" in page
    operator.post(f"/municipalities/{kofu.pk}/backup/")
    record = Backup.objects.get(schema_name="m_kofu")
    assert record.status == Backup.Status.OK
    page = operator.get("/backups/").content.decode()
    assert "今すぐ取得" in page
    Backup.objects.filter(pk=record.pk).update(started_at=timezone.now() - timedelta(hours=30))
    Backup.objects.create(
        schema_name="m_kofu", kind="scheduled", status="failed", error="ディスクがいっぱいです"
    )
    page = operator.get("/backups/").content.decode()
    assert "ディスクがいっぱいです" in page and "⚠" in page


def test_restore_page_names_what_is_replaced_and_compares_rows(kofu, operator):
    operator.post(f"/municipalities/{kofu.pk}/backup/")
    record = Backup.objects.get(schema_name="m_kofu")
    page = operator.get(f"/backups/{record.pk}/restore/").content.decode()
    assert "甲府市" in page and "m_kofu" in page and "置き換え" in page
    assert "すべての表の行数はバックアップと同じです" in page
    wrong = operator.post(f"/backups/{record.pk}/restore/", {"confirm_schema": "kofu"})
    assert "正確に入力" in wrong.content.decode()
    done = operator.post(f"/backups/{record.pk}/restore/", {"confirm_schema": "m_kofu"})
    assert done.status_code == 302
    new = operator.post(f"/backups/{record.pk}/restore-new/", {"subdomain": "kofu-cmp"})
    assert new.status_code == 302
    assert Municipality.objects.filter(schema_name="m_kofu_cmp").exists()
