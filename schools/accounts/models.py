"""What a municipality keeps about its logins besides Django's user: the password state and
the API tokens. Second factors are django-otp's devices; failed logins are django-axes' rows."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccountState(models.Model):
    """A login's password state: a password someone else set must be changed at first login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_state"
    )
    must_change_password = models.BooleanField("パスワードの変更が必要", default=False)
    password_changed_at = models.DateTimeField("パスワード変更日時", null=True, blank=True)

    class Meta:
        verbose_name = "アカウントの状態"
        verbose_name_plural = "アカウントの状態"

    def __str__(self) -> str:
        return f"{self.user_id}: {'要変更' if self.must_change_password else '—'}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token: shown once, stored as a hash, expiring, revocable by its owner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("先頭", max_length=8)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    expires_at = models.DateTimeField("有効期限")
    revoked_at = models.DateTimeField("無効化日時", null=True, blank=True)

    class Meta:
        verbose_name = "APIトークン"
        verbose_name_plural = "APIトークン"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(20)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "無効化済み"
        return "期限切れ" if self.is_expired else "有効"
