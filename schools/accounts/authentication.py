"""API tokens that expire and can be revoked (DRF authentication).

``Authorization: Token <key>``. A key is looked up by its hash among the tokens made in the
browser (``ApiToken``); the older tokens of ``rest_framework.authtoken`` (made in the shell)
are still read, and expire ``AI_API_TOKEN_DAYS`` after their creation.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from schools.accounts.models import ApiToken, hash_key


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        found = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if found is not None:
            if found.revoked_at is not None:
                raise exceptions.AuthenticationFailed("このトークンは無効化されています。")
            if found.is_expired:
                raise exceptions.AuthenticationFailed("このトークンは有効期限が切れています。")
            if not found.user.is_active:
                raise exceptions.AuthenticationFailed("このアカウントは利用できません。")
            return found.user, found
        legacy = Token.objects.select_related("user").filter(key=key).first()
        if legacy is None:
            raise exceptions.AuthenticationFailed("トークンが正しくありません。")
        if legacy.created + dt.timedelta(days=settings.AI_API_TOKEN_DAYS) <= timezone.now():
            raise exceptions.AuthenticationFailed("このトークンは有効期限が切れています。")
        if not legacy.user.is_active:
            raise exceptions.AuthenticationFailed("このアカウントは利用できません。")
        return legacy.user, legacy
