"""Japanese first: the UI language is Japanese unless the user chose another one."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
