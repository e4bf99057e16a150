"""Deleting a municipality is recoverable: final backup, suspended, brought back or purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_exists

from tenants.backups import service
from tenants.demo import OPERATOR
from tenants.models import Backup, Domain, Municipality, PlatformEvent
from tests.conftest import TenantClient
from tests.continuity.test_backup_restore import snapshot


@pytest.fixture
def operator():
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(get_user_model().objects.get(username=OPERATOR[0]))
    return client


def test_delete_suspends_keeps_and_brings_back_in_one_step(kofu, operator):
    before = snapshot("m_kofu")
    wrong = operator.post(f"/municipalities/{kofu.pk}/delete/", {"confirm_schema": "kofu"})
    assert "正確に入力" in wrong.content.decode()
    operator.post(f"/municipalities/{kofu.pk}/delete/", {"confirm_schema": "m_kofu"})

    kofu.refresh_from_db()
    assert kofu.deleted_at and not kofu.is_active
    assert kofu.purge_after - kofu.deleted_at == timedelta(days=settings.AI_DELETE_GRACE_DAYS)
    assert schema_exists("m_kofu")
    final = Backup.objects.get(schema_name="m_kofu", kind=Backup.Kind.FINAL)
    assert final.status == Backup.Status.OK
    assert TenantClient(kofu).get("/login/").status_code == 503
    listing = operator.get("/").content.decode()
    assert "削除済み" in listing and "元に戻す" in listing

    operator.post(f"/municipalities/{kofu.pk}/undelete/")
    kofu.refresh_from_db()
    assert kofu.is_active and kofu.deleted_at is None and kofu.purge_after is None
    assert TenantClient(kofu).get("/login/").status_code == 200
    assert snapshot("m_kofu") == before
    actions = set(
        PlatformEvent.objects.filter(schema_name="m_kofu").values_list("action", flat=True)
    )
    assert {"backup", "delete", "undelete"} <= actions


def test_purge_waits_for_the_grace_period_or_a_second_confirmation(kofu, operator):
    before = snapshot("m_kofu")
    service.retire(kofu, confirm_schema="m_kofu", actor="ops")
    with pytest.raises(ValidationError, match="猶予期間中"):
        service.purge(kofu, actor="ops")
    assert service.purge_due(actor="ops") == []
    page = operator.post(f"/municipalities/{kofu.pk}/purge/", {"confirm_schema": "kofu"})
    assert "正確に入力" in page.content.decode()
    assert schema_exists("m_kofu")

    # after the grace period the daily purge drops it; the final backup brings it back
    assert service.purge_due(actor="ops", now=kofu.purge_after + timedelta(seconds=1)) == ["m_kofu"]
    assert not schema_exists("m_kofu")
    assert not Municipality.objects.filter(schema_name="m_kofu").exists()
    final = Backup.objects.get(schema_name="m_kofu", kind=Backup.Kind.FINAL)
    assert "完全削除済み" in operator.get("/backups/").content.decode()
    restored = service.restore_in_place(final, confirm_schema="m_kofu", actor="ops")
    assert restored.municipality.code == "192015"
    assert Domain.objects.get(tenant=restored.municipality).domain == "kofu.localhost"
    assert snapshot("m_kofu") == before
    assert TenantClient(restored.municipality).get("/login/").status_code == 200


def test_purge_now_with_the_name_typed_again(kofu, operator):
    call_command("delete_municipality", "192015", confirm_schema="m_kofu")
    kofu.refresh_from_db()
    response = operator.post(f"/municipalities/{kofu.pk}/purge/", {"confirm_schema": "m_kofu"})
    assert response.status_code == 302
    assert not schema_exists("m_kofu")
    assert PlatformEvent.objects.filter(action="purge", schema_name="m_kofu").exists()
    final = Backup.objects.get(schema_name="m_kofu", kind=Backup.Kind.FINAL)
    call_command("restore_municipality", str(final.pk), confirm_schema="m_kofu")
    assert schema_exists("m_kofu")
