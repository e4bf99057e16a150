"""municipality_provisioned: sent once, inside the new schema and the provisioning transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from tenants import provisioning
from tenants.models import Municipality
from tenants.signals import municipality_provisioned

KOFU = provisioning.NewMunicipality(
    name="甲府市",
    code="192015",
    subdomain="kofu",
    admin_username="kofu-admin",
    admin_password="Kofu-pass-2026",
    admin_name="甲斐 太郎",
)


@pytest.fixture
def public(db):
    connection.set_schema_to_public()


def test_sent_once_inside_the_new_schema_and_transaction(public, received):
    calls = received(municipality_provisioned)
    municipality = provisioning.provision(KOFU, actor="ops")
    assert len(calls) == 1
    call = calls[0]
    assert call["sender"] is Municipality and call["municipality"] == municipality
    assert call["admin"] == provisioning.Administrator("kofu-admin", "Kofu-pass-2026", "甲斐 太郎")
    assert call["by"] == "ops"
    assert call["schema"] == "m_kofu" and call["atomic"]
    # schools' receiver created the first board administrator
    with schema_context("m_kofu"):
        assert get_user_model().objects.filter(username="kofu-admin").exists()


def test_a_receiver_refusing_undoes_the_provisioning(public):
    def refuse(sender, **kwargs):
        raise ValidationError({"name": "この自治体は受け付けません。"})

    municipality_provisioned.connect(refuse, weak=False)
    try:
        with pytest.raises(ValidationError, match="受け付けません"):
            provisioning.provision(KOFU, actor="ops")
    finally:
        municipality_provisioned.disconnect(refuse)
    assert not Municipality.objects.filter(code="192015").exists()
    assert not schema_exists("m_kofu")
