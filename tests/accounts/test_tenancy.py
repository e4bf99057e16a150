"""Devices, failed logins, account states and tokens live in each municipality's schema."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from schools.accounts.models import AccountState, ApiToken
from tests.accounts.helpers import enrol, login

TABLES = {
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "axes_accessattempt",
    "accounts_accountstate",
    "accounts_apitoken",
}


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_schema_has_its_own_tables(muni, other_muni):
    assert _tables(muni.schema_name) >= TABLES
    assert _tables(other_muni.schema_name) >= TABLES
    assert _tables("tenant_template") >= TABLES  # what new municipalities are cloned from
    public = _tables("public")
    assert {"otp_totp_totpdevice", "axes_accessattempt"} <= public  # the operators
    assert "accounts_apitoken" not in public


def test_a_device_and_a_failed_login_stay_in_their_municipality(
    muni, other_muni, client_for, boe_admin
):
    enrol(boe_admin)
    login(client_for(muni), "boe-admin", "wrong-password")
    assert AccessAttempt.objects.filter(username="boe-admin").exists()
    with schema_context(other_muni.schema_name):
        other_admin = get_user_model().objects.get(username="boe-admin")
        assert not TOTPDevice.objects.filter(user=other_admin).exists()
        assert not AccessAttempt.objects.filter(username="boe-admin").exists()
        assert not AccountState.objects.exists() and not ApiToken.objects.exists()
