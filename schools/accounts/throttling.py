"""API throttling per token (or session user) and per address, in every municipality.

DRF's own ``UserRateThrottle`` keys on the user id, which repeats across municipalities'
schemas; these key on the schema too. Rates come from ``settings.AI_API_THROTTLE_RATES``
(read at each request, so a test can change them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from rest_framework.throttling import SimpleRateThrottle

from schools.accounts.models import hash_key


class _SettingsRate(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return settings.AI_API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        # The rate is read per request (the parent reads it once, when constructed).
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TokenRateThrottle(_SettingsRate):
    """Each token, or each logged-in session user, of each municipality."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if request.auth is not None:
            key = getattr(request.auth, "key_hash", None) or hash_key(str(request.auth.pk))
            ident = f"t:{key}"
        elif request.user and request.user.is_authenticated:
            ident = f"u:{request.user.pk}"
        else:
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{connection.schema_name}:{ident}",
        }


class AddressRateThrottle(_SettingsRate):
    """Each client address, whoever it is."""

    scope = "address"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
