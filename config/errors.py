"""Error pages and the last line of defence: never a bare 500 for what a request can cause.

Django calls these handlers (``handler400/403/404/500`` in both URLConfs) for every error,
including an exception raised in a middleware (the tenant lookup, the session) where no
view's ``process_exception`` would see it. Under ``/api/`` they answer the API's own JSON
error shape (``api.errors``); elsewhere a Japanese page. A database that cannot be reached
(``OperationalError``/``InterfaceError``) is a 503 "try again shortly", not a 500, and the
503 page is rendered without touching the database (no context processors). A value that
PostgreSQL refuses as data (``DataError``: a number out of range, a NUL byte) is the
request's fault: a 400. A 400 that Django raises because of a lost database (the session
could not be saved: ``SessionInterrupted``) is the outage's 503 too.
"""

from __future__ import annotations

import logging
import sys

from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger("ai.errors")

DATABASE_DOWN = "データベースに接続できません。しばらくしてからもう一度お試しください。"
SERVER_ERROR = "サーバーでエラーが発生しました。時間をおいて再度お試しください。"
BAD_DATA = "入力された値を扱えません（範囲外の数値や使えない文字が含まれています）。"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_error(code: str, message: str, status: int) -> JsonResponse:
    from api.errors import error_body

    return JsonResponse(error_body(code, message), status=status)


def caused_by_database_outage(exception: BaseException | None) -> bool:
    """Whether a database that went away is behind ``exception`` (its chain of causes)."""
    for _ in range(10):
        if exception is None:
            return False
        if isinstance(exception, OperationalError | InterfaceError):
            return True
        exception = exception.__cause__ or exception.__context__
    return False


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The session's save at the end of a request fails as "session interrupted" (a 400 by
    # Django) when the database went away during the request, e.g. in a failover: a 503.
    if caused_by_database_outage(exception):
        return database_unavailable(request)
    if is_api(request):
        return api_error("bad_request", "リクエストを読み取れませんでした。", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error("permission_denied", "この操作を行う権限がありません。", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error("not_found", "見つかりません。", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Called inside Django's ``except`` block: ``sys.exc_info()`` is the uncaught exception."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable(request)
    if isinstance(exc, DataError):
        if is_api(request):
            return api_error("invalid", BAD_DATA, 400)
        return HttpResponse(loader.render_to_string("400.html", {"message": BAD_DATA}), status=400)
    if is_api(request):
        return api_error("server_error", SERVER_ERROR, 500)
    return defaults.server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        response: HttpResponse = api_error("service_unavailable", DATABASE_DOWN, 503)
    else:
        # No request context: the context processors would ask the database again.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response
