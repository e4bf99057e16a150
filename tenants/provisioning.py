"""Creating, suspending and deleting municipalities (the operators' actions).

A new municipality's schema is cloned from ``settings.TENANT_BASE_SCHEMA``, a
template schema that ``migrate_all`` keeps migrated, so provisioning costs the
same however many migrations the project accumulates.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from tenants.codes import code_error, prefecture_of, schema_name_for, subdomain_error
from tenants.models import Domain, Municipality, PlatformEvent
from tenants.signals import municipality_provisioned

TEMPLATE_SCHEMA: str = settings.TENANT_BASE_SCHEMA


@dataclass(frozen=True)
class NewMunicipality:
    name: str
    code: str
    subdomain: str
    admin_username: str
    admin_password: str
    admin_name: str
    kana: str = ""

    @property
    def admin(self) -> Administrator:
        return Administrator(self.admin_username, self.admin_password, self.admin_name)


@dataclass(frozen=True)
class Administrator:
    """The first board administrator (教育委員会の管理者) of a new municipality."""

    username: str
    password: str
    name: str


def host_for(subdomain: str) -> str:
    return f"{subdomain}.{settings.BASE_DOMAIN}"


def validate_new(data: NewMunicipality) -> dict[str, list[str]]:
    """Every reason ``data`` cannot be provisioned, by field (empty when it can)."""
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors.setdefault("name", []).append("名称を入力してください。")
    if message := code_error(data.code):
        errors.setdefault("code", []).append(message)
    elif Municipality.objects.filter(code=data.code).exists():
        errors.setdefault("code", []).append(f"団体コード {data.code} は既に登録されています。")
    if message := subdomain_error(data.subdomain):
        errors.setdefault("subdomain", []).append(message)
    elif (
        Domain.objects.filter(domain=host_for(data.subdomain)).exists()
        or Municipality.objects.filter(schema_name=schema_name_for(data.subdomain)).exists()
        or schema_exists(schema_name_for(data.subdomain))
    ):
        errors.setdefault("subdomain", []).append(
            f"サブドメイン「{data.subdomain}」は既に使われています。"
        )
    if not data.admin_username.strip():
        errors.setdefault("admin_username", []).append("管理者のログインIDを入力してください。")
    if not data.admin_name.strip():
        errors.setdefault("admin_name", []).append("管理者の氏名を入力してください。")
    if len(data.admin_password) < 8:
        errors.setdefault("admin_password", []).append("パスワードは8文字以上にしてください。")
    return errors


def template_is_current() -> bool:
    """True when the template schema exists and has every migration applied."""
    if not schema_exists(TEMPLATE_SCHEMA):
        return False
    with schema_context(TEMPLATE_SCHEMA):
        loader = MigrationLoader(connection)
        return set(loader.graph.nodes) <= set(loader.applied_migrations)


def ensure_template(verbosity: int = 0) -> None:
    """Create or migrate the template schema that new municipalities are cloned from."""
    if not schema_exists(TEMPLATE_SCHEMA):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')
    call_command(
        "migrate_schemas", schema_name=TEMPLATE_SCHEMA, interactive=False, verbosity=verbosity
    )
    connection.set_schema_to_public()


def provision(data: NewMunicipality, *, actor: str) -> Municipality:
    """Create a municipality: schema, domain and what its apps start with, or nothing.

    The apps add their part (the first BoE administrator: ``schools``) by receiving
    ``municipality_provisioned`` inside the new schema and this transaction.
    """
    if errors := validate_new(data):
        raise ValidationError(errors)
    if not template_is_current():
        ensure_template()
    with transaction.atomic():
        municipality = Municipality(
            schema_name=schema_name_for(data.subdomain),
            name=data.name.strip(),
            kana=data.kana.strip(),
            code=data.code,
            prefecture=prefecture_of(data.code),
        )
        municipality.full_clean()
        municipality.save()  # clones the template schema (TENANT_BASE_SCHEMA)
        Domain.objects.create(domain=host_for(data.subdomain), tenant=municipality, is_primary=True)
        with schema_context(municipality.schema_name):
            # A receiver's ValidationError undoes the schema too: PostgreSQL's DDL is
            # transactional.
            municipality_provisioned.send(
                sender=Municipality, municipality=municipality, admin=data.admin, by=actor
            )
        PlatformEvent.objects.create(
            actor=actor,
            action="provision",
            schema_name=municipality.schema_name,
            detail={
                "name": municipality.name,
                "code": municipality.code,
                "host": host_for(data.subdomain),
            },
        )
    return municipality


@transaction.atomic
def set_active(municipality: Municipality, active: bool, *, actor: str) -> Municipality:
    """Suspend (利用停止) or resume a municipality; its data stays untouched."""
    municipality.is_active = active
    municipality.suspended_at = None if active else timezone.now()
    municipality.save(update_fields=["is_active", "suspended_at"])
    PlatformEvent.objects.create(
        actor=actor, action="resume" if active else "suspend", schema_name=municipality.schema_name
    )
    return municipality


@transaction.atomic
def delete(
    municipality: Municipality, *, confirm_schema: str, actor: str, action: str = "delete"
) -> None:
    """Drop a municipality's schema and rows. ``confirm_schema`` must repeat the schema name.

    The operators' pages delete recoverably (``tenants.backups.service.retire``); this is the
    purge at the end (``action="purge"``).
    """
    if municipality.schema_name == "public":
        raise ValidationError("公開スキーマは削除できません。")
    if confirm_schema != municipality.schema_name:
        raise ValidationError(
            f"確認のため、削除するスキーマ名「{municipality.schema_name}」を正確に入力してください。"
        )
    PlatformEvent.objects.create(
        actor=actor,
        action=action,
        schema_name=municipality.schema_name,
        detail={"name": municipality.name, "code": municipality.code},
    )
    with connection.cursor() as cursor:
        # Deferred foreign-key checks queued earlier in this transaction would block DROP.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    municipality.delete(force_drop=True)
