"""One error body for every API failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        body = {"code": "invalid", "message": "入力内容に誤りがあります。", "fields": fields}
    elif isinstance(exc, (Http404, exceptions.NotFound)):
        body = {"code": "not_found", "message": "見つかりません。"}
    elif isinstance(exc, (DjangoPermissionDenied, exceptions.PermissionDenied)):
        body = {
            "code": "permission_denied",
            "message": _text(exc, "この操作を行う権限がありません。"),
        }
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # A refused token says why (expired, revoked: accounts.authentication).
        message = "ログインしてください。"
        if isinstance(exc, exceptions.AuthenticationFailed):
            message = _text(exc, message)
        body = {"code": "not_authenticated", "message": message}
        response.status_code = (
            status.HTTP_401_UNAUTHORIZED if "WWW-Authenticate" in response else response.status_code
        )
    else:
        body = {
            "code": getattr(exc, "default_code", "error"),
            "message": _text(exc, "エラーが発生しました。"),
        }
    response.data = {"error": body}
    return response


def _text(exc: Exception, default: str) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, str) and detail:
        return str(detail)
    if exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return default
