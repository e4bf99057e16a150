"""Creating, suspending and deleting municipalities: by command, form and service."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from schools.models import Role, RoleAssignment, Subject
from tenants import provisioning
from tenants.models import Domain, Municipality, PlatformEvent

KOFU = dict(name="甲府市", code="192015", subdomain="kofu")


def new(**overrides) -> provisioning.NewMunicipality:
    values = dict(
        KOFU, admin_username="kofu-admin", admin_password="Kofu-pass-2026", admin_name="甲斐 太郎"
    )
    values.update(overrides)
    return provisioning.NewMunicipality(**values)


def footprint() -> tuple[int, int, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'm\\_%' ORDER BY 1")
        schemas = [r[0] for r in cursor.fetchall()]
    return Municipality.objects.count(), Domain.objects.count(), schemas


@pytest.fixture
def public(db):
    connection.set_schema_to_public()


def test_provision_creates_schema_domain_and_first_boe_admin(public):
    municipality = provisioning.provision(new(), actor="ops")

    assert municipality.schema_name == "m_kofu"
    assert municipality.prefecture == "山梨県"
    assert schema_exists("m_kofu")
    assert municipality.domains.get().domain == "kofu.localhost"
    with schema_context("m_kofu"):
        admin = get_user_model().objects.get(username="kofu-admin")
        assert admin.check_password("Kofu-pass-2026")
        assert RoleAssignment.objects.filter(staff__user=admin, role=Role.BOE_ADMIN).exists()
        # the national subject lists come with the cloned template
        assert Subject.objects.filter(school_type="junior_high", name="保健体育").exists()
    assert PlatformEvent.objects.filter(action="provision", schema_name="m_kofu").exists()


def test_new_municipality_is_isolated_from_existing_ones(public):
    provisioning.provision(new(), actor="ops")
    with schema_context("m_kofu"):
        usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert usernames == {"kofu-admin"}


@pytest.mark.parametrize(
    "overrides,field,words",
    [
        ({"code": "192023"}, "code", "既に登録"),  # 富士吉田市 exists
        ({"code": "192016"}, "code", "検査数字"),
        ({"code": "19201"}, "code", "6桁"),
        ({"subdomain": "fujiyoshida"}, "subdomain", "既に使われて"),
        ({"subdomain": "Kofu City"}, "subdomain", "英小文字"),
        ({"subdomain": "www"}, "subdomain", "予約"),
        ({"name": " "}, "name", "名称"),
        ({"admin_password": "short"}, "admin_password", "8文字"),
    ],
)
def test_refusals_say_why_and_create_nothing(public, overrides, field, words):
    before = footprint()
    with pytest.raises(ValidationError) as exc:
        provisioning.provision(new(**overrides), actor="ops")
    assert any(words in m for m in exc.value.message_dict[field])
    assert footprint() == before


def test_failure_after_the_schema_was_cloned_leaves_nothing_half_created(public):
    before = footprint()
    # passes the early checks, then Django's password validators refuse it inside the new schema
    with pytest.raises(ValidationError) as exc:
        provisioning.provision(new(admin_password="password123"), actor="ops")
    assert "admin_password" in exc.value.message_dict
    assert footprint() == before
    assert not schema_exists("m_kofu")


def test_management_command_creates_and_refuses(public):
    call_command(
        "create_municipality",
        name="甲府市",
        code="192015",
        subdomain="kofu",
        admin_username="a",
        admin_name="甲斐 太郎",
        admin_password="Kofu-pass-2026",
    )
    assert Municipality.objects.filter(code="192015").exists()
    with pytest.raises(CommandError, match="既に登録"):
        call_command(
            "create_municipality",
            name="甲府市",
            code="192015",
            subdomain="kofu2",
            admin_username="a",
            admin_name="甲斐 太郎",
            admin_password="Kofu-pass-2026",
        )


def test_delete_needs_the_schema_name_and_drops_the_schema(public):
    municipality = provisioning.provision(new(), actor="ops")
    with pytest.raises(ValidationError, match="m_kofu"):
        provisioning.delete(municipality, confirm_schema="kofu", actor="ops")
    assert schema_exists("m_kofu")

    provisioning.delete(municipality, confirm_schema="m_kofu", actor="ops")
    assert not schema_exists("m_kofu")
    assert not Municipality.objects.filter(code="192015").exists()
    assert not Domain.objects.filter(domain="kofu.localhost").exists()
    assert PlatformEvent.objects.filter(action="delete", schema_name="m_kofu").exists()


def test_public_schema_cannot_be_deleted(public):
    with pytest.raises(ValidationError):
        provisioning.delete(
            Municipality.objects.get(schema_name="public"), confirm_schema="public", actor="ops"
        )
    assert schema_exists("public")


def test_a_template_missing_a_migration_is_stale(public):
    assert provisioning.template_is_current()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM tenant_template.django_migrations WHERE app='schools' AND name='0001_initial'"
        )
    assert not provisioning.template_is_current()


def test_provisioning_recreates_a_missing_template(public):
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA tenant_template CASCADE")
    provisioning.provision(new(), actor="ops")
    assert provisioning.template_is_current()
    with schema_context("m_kofu"):
        assert get_user_model().objects.filter(username="kofu-admin").exists()
