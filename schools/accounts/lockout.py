"""What a locked-out login sees (django-axes' AXES_LOCKOUT_CALLABLE), and the address limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import render

LOCKED_MESSAGE = (
    "ログインの失敗が続いたため、このアカウントは{minutes}分間ロックされています。"
    "時間をおいてからログインするか、教育委員会の管理者にロックの解除を依頼してください。"
)
ADDRESS_MESSAGE = (
    "この端末のネットワークからのログイン失敗が多いため、しばらくログインできません。"
    "{minutes}分ほど待ってからもう一度お試しください。"
)


def lock_minutes() -> int:
    return round(settings.AXES_COOLOFF_TIME * 60)


def lockout_response(request: Any, original_response: Any = None, credentials: Any = None):
    """The login page again, with the lockout explained in Japanese (HTTP 429)."""
    from django.contrib.auth.forms import AuthenticationForm

    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "lockout_message": LOCKED_MESSAGE.format(minutes=lock_minutes()),
            "next": request.POST.get("next", "") if request.method == "POST" else "",
        },
        status=429,
    )
