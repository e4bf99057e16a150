from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

from tenants.cloning import clone_schema
from tenants.codes import PREFECTURES, code_error


def validate_code(value: str) -> None:
    if message := code_error(value):
        raise ValidationError(message)


class Municipality(TenantMixin):
    """A municipality's board of education (教育委員会): one tenant, one schema.

    The public schema's own row (``schema_name='public'``) is the operators' site
    and has no code.
    """

    name = models.CharField("名称", max_length=100)
    kana = models.CharField("ふりがな", max_length=200, blank=True)
    code = models.CharField(
        "団体コード", max_length=6, unique=True, null=True, blank=True, validators=[validate_code]
    )
    prefecture = models.CharField(
        "都道府県", max_length=4, blank=True, choices=[(p, p) for p in PREFECTURES]
    )
    is_active = models.BooleanField("利用中", default=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    suspended_at = models.DateTimeField("停止日時", null=True, blank=True)
    # Sign-in policy (accounts.policy): the board edits the first two; the operators' site
    # reads its own row (schema "public").
    mfa_required = models.BooleanField("全教職員に二要素認証を求める", default=True)
    mfa_exempt_networks = models.TextField(
        "二要素認証を免除する学校ネットワーク",
        blank=True,
        help_text="CIDR 表記で 1 行に 1 つ (例: 10.20.0.0/16)。管理者は免除されません。",
    )
    # The demo only (seed_demo, tests): everyone, administrators included, on loopback.
    mfa_exempt_loopback = models.BooleanField("ループバックを免除 (デモ用)", default=False)
    # 閲覧範囲 (schools.permissions reads it once per request with the tenant): whether a
    # teacher reads every class of their school or only their own. The board edits it.
    read_scope = models.CharField(
        "教職員の閲覧範囲",
        max_length=20,
        default="school",
        choices=[
            ("school", "学校全体 (所属校のすべての学級)"),
            ("own_classes", "担当学級のみ (学級担任・教科担任の学級)"),
        ],
    )
    # --- backup (issue 13): a deleted municipality is suspended and kept until purge_after ---
    deleted_at = models.DateTimeField("削除日時", null=True, blank=True)
    purge_after = models.DateTimeField("完全削除の予定日時", null=True, blank=True)
    # --- end backup ---

    # --- read-only mode (tenants.readonly) ---------------------------------------------
    # An operator's switch during an incident or a migration: pages show, writes are refused.
    read_only = models.BooleanField("読み取り専用", default=False)
    read_only_reason = models.CharField("読み取り専用の理由", max_length=200, blank=True)
    read_only_since = models.DateTimeField("読み取り専用の開始", null=True, blank=True)
    # --- end read-only mode ---------------------------------------------------------------

    auto_create_schema = True
    auto_drop_schema = False  # dropping is explicit, in tenants.provisioning

    class Meta:
        verbose_name = "自治体"
        verbose_name_plural = "自治体"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the migrated template schema, rows of ``django_migrations`` included.

        django-tenants would clone with its generic PL/pgSQL function and then replay
        every migration as a fake one; ``tenants.cloning`` copies the template from the
        catalog in one round trip, and the cloned ``django_migrations`` rows already say
        which migrations are applied.
        """
        template = settings.TENANT_BASE_SCHEMA
        if not sync_schema or not schema_exists(template):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        connection.set_schema_to_public()
        with transaction.atomic(), connection.cursor() as cursor:
            clone_schema(cursor, template, self.schema_name)
        return True


class Domain(DomainMixin):
    class Meta:
        verbose_name = "ドメイン"
        verbose_name_plural = "ドメイン"


class PlatformEvent(models.Model):
    """Audit trail of the operators' actions on municipalities (public schema)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=50)
    schema_name = models.CharField(max_length=63)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.schema_name}"


# --- backup (issue 13) ---------------------------------------------------------------


class Backup(models.Model):
    """One backup file of one municipality (tenants.backups): where it is and whether it worked.

    No foreign key to the municipality: a purged municipality's final backup stays listed
    and restorable; ``schema_name``/``code``/``name`` say whose it is.
    """

    class Kind(models.TextChoices):
        MANUAL = "manual", "手動"
        SCHEDULED = "scheduled", "定期"
        FINAL = "final", "削除前"

    class Status(models.TextChoices):
        RUNNING = "running", "実行中"
        OK = "ok", "成功"
        FAILED = "failed", "失敗"

    schema_name = models.CharField("スキーマ", max_length=63, db_index=True)
    code = models.CharField("団体コード", max_length=6, blank=True)
    name = models.CharField("名称", max_length=100, blank=True)
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.RUNNING)
    file = models.CharField("ファイル", max_length=255, blank=True)
    size = models.BigIntegerField("サイズ (バイト)", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.TextField("エラー", blank=True)
    started_at = models.DateTimeField("開始", auto_now_add=True)
    finished_at = models.DateTimeField("終了", null=True, blank=True)
    actor = models.CharField("実行者", max_length=150, blank=True)

    class Meta:
        verbose_name = "バックアップ"
        verbose_name_plural = "バックアップ"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.schema_name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


# --- end backup ---
