"""Request-wide middleware: Japanese first, and hostile input refused before it costs a 500."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template import loader


class JapaneseFirstMiddleware:
    """Hides the browser's Accept-Language from LocaleMiddleware.

    A staff-room PC set up in English would otherwise switch a Japanese teacher to a
    half-translated screen; the language changes only through the switch in the header
    (the language cookie) and defaults to LANGUAGE_CODE ("ja").
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


MAX_JSON_DEPTH = 32
NUL_REFUSED = (
    "送信された内容に使えない文字（NUL文字）が含まれています。取り除いてから送信してください。"
)
TOO_DEEP = f"送信されたJSONの入れ子が深すぎます（{MAX_JSON_DEPTH}段まで）。"
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(body: bytes, limit: int) -> int:
    """How deeply ``body``'s arrays and objects nest, counting at most to ``limit + 1``.

    Brackets inside strings do not count. Linear in the body's brackets, never recursive:
    a body nested 10,000 deep costs microseconds here instead of a RecursionError there.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return 0
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b'""', body):
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif byte in b"]}":
            depth -= 1
    return deepest


class HostileInputMiddleware:
    """Refuses with a 400 what would otherwise reach PostgreSQL or a parser and fail there.

    - a NUL character in any query-string or form field (name or value) or JSON body:
      PostgreSQL cannot store it and the save would end in a 500;
    - a JSON body nested deeper than ``MAX_JSON_DEPTH``: Python's parser recurses.
    The answer is JSON in the API's error shape under ``/api/``, a Japanese page elsewhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.problem(request)
        if problem is not None:
            from config.errors import api_error, is_api

            if is_api(request):
                return api_error("invalid", problem, 400)
            return HttpResponse(
                loader.render_to_string("400.html", {"message": problem}), status=400
            )
        return self.get_response(request)

    def problem(self, request: HttpRequest) -> str | None:
        if "\x00" in request.path or _has_nul(request.GET):
            return NUL_REFUSED
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if "json" in content_type:
            body = request.body
            if b"\x00" in body or b"\\u0000" in body:
                return NUL_REFUSED
            if json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
                return TOO_DEEP
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data") and (
            _has_nul(request.POST)
        ):
            return NUL_REFUSED
        return None


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)
