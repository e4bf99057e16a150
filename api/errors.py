"""One error body for every API failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    """The one error shape; ``config.errors`` answers it for errors outside DRF (500, 503...)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body nested too deep instead of recursing into a 500.

    ``config.middleware.HostileInputMiddleware`` refuses such bodies first; this guards
    the parser wherever it is used without the middleware.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSONの入れ子が深すぎます。") from None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(
        exc, DataError
    ):  # PostgreSQL refused a value (out of range...): the input's fault
        exc = exceptions.ValidationError({"non_field_errors": [BAD_DATA]})
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
        body = {"code": "invalid", "message": first_message(fields), "fields": fields}
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
    elif isinstance(exc, exceptions.ParseError):
        body = {"code": "parse_error", "message": _text(exc, "リクエストを読み取れませんでした。")}
    else:
        body = {
            "code": getattr(exc, "default_code", "error"),
            "message": _text(exc, "エラーが発生しました。"),
        }
    response.data = {"error": body}
    return response


INVALID = "入力内容に誤りがあります。"


def first_message(fields: Any, path: str = "") -> str:
    """The first useful message of a validation error, with the field it is about
    (「date: この項目は必須です。」, 「marks[2].code: …」): the message a client shows first."""
    if isinstance(fields, dict):
        for key, value in fields.items():
            if isinstance(key, int) or str(key).isdigit():  # an item of a list: marks[2]
                where = f"{path}[{key}]"
            else:
                name = "" if key in ("non_field_errors", "detail") else str(key)
                where = f"{path}.{name}" if path and name else name or path
            found = first_message(value, where)
            if found != INVALID:
                return found
    elif isinstance(fields, list | tuple):
        for index, value in enumerate(fields):
            nested = isinstance(value, dict | list)
            found = first_message(value, f"{path}[{index}]" if nested and path else path)
            if found != INVALID:
                return found
    elif fields not in (None, ""):
        text = str(fields)
        return f"{path}: {text}" if path else text
    return INVALID


BAD_DATA = "入力された値を扱えません（範囲外の数値や使えない文字が含まれています）。"


def _text(exc: Exception, default: str) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, str) and detail:
        return str(detail)
    if exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return default


# --- the error body in the OpenAPI schema -------------------------------------------------

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every API failure (400, 401, 403, 404, 409, 410, 429, 500, 503).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "invalid / parse_error / not_authenticated / "
                    "permission_denied / not_found / conflict / read_only …",
                },
                "message": {
                    "type": "string",
                    "description": "A Japanese message to show as it is. For a validation "
                    "error (400 invalid) it is the first problem with the field it is "
                    "about: 「date: 日付は YYYY-MM-DD で指定してください。」, "
                    "「marks[0].enrolment: …」.",
                },
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "400 invalid: every message, by field (nested as the "
                    "request is); non_field_errors for the request as a whole.",
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
_ERROR_DESCRIPTIONS = {
    "400": "入力の誤り（error.message がどの項目のどんな誤りかを言う）",
    "401": "ログイン・トークンがない、または無効",
    "403": "権限がない",
    "404": "見つからない（他の学校・自治体のものも）",
}


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the error body as the ``Error`` component, and
    the usual error answers on every operation that does not describe them itself."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["401", "403"]
            if operation.get("parameters") or operation.get("requestBody"):
                codes.insert(0, "400")
            if "{" in path:
                codes.append("404")
            responses = operation["responses"]
            for code in codes:
                answer = responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code]})
                answer.setdefault("content", content)
    return result
