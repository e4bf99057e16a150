from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import loader
from django.template.response import TemplateResponse
from django_tenants.middleware.main import TenantMainMiddleware


class SuspendedMunicipalityMiddleware:
    """A suspended municipality answers 503 on pages and 403 on the API, and keeps its data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != "public" and not tenant.is_active:
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "municipality_suspended",
                            "message": f"{tenant.name}の利用は停止されています。",
                        }
                    },
                    status=403,
                )
            response = TemplateResponse(
                request, "suspended.html", {"municipality": tenant}, status=503
            )
            response["Retry-After"] = "3600"
            return response.render()
        return self.get_response(request)


# --- read-only mode (tenants.readonly) ------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Writes that touch only the visitor's session (and, with the switch, the sign-in records):
# let through so that people can still sign in and out and pick a language. On a replica the
# second factor's check is not (django-otp writes the device's counter).
SESSION_ONLY = frozenset({"login", "logout", "set_language", "accounts:mfa-verify"})
SESSION_ONLY_ON_REPLICA = frozenset({"login", "logout", "set_language"})


class ReadOnlyMiddleware:
    """Refuses every write while read-only: a 503 page, or the API's JSON error shape.

    ``request.read_only`` is the mode (``tenants.readonly.ReadOnly``) or None; the base
    layout shows its banner. GET, HEAD and OPTIONS pass: they never write.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from tenants import readonly

        tenant = getattr(request, "tenant", None)
        mode = readonly.state(tenant)
        request.read_only = mode
        if mode is None or request.method in SAFE_METHODS or self._let_through(request, mode):
            return self.get_response(request)
        return read_only_refusal(request, mode)

    @staticmethod
    def _let_through(request: HttpRequest, mode) -> bool:
        from django.urls import Resolver404, resolve

        try:
            name = resolve(request.path_info, getattr(request, "urlconf", None)).view_name
        except Resolver404:
            return False
        return name in (SESSION_ONLY_ON_REPLICA if mode.replica else SESSION_ONLY)


def read_only_refusal(request: HttpRequest, mode) -> HttpResponse:
    """The answer to a refused write: nothing was written."""
    if request.path.startswith("/api/"):
        # The API's error shape (api.errors.error_body; tenants imports nothing of the API).
        body = {"error": {"code": "read_only", "message": mode.refusal}}
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        response = TemplateResponse(
            request, "read_only.html", {"mode": mode, "back": _back(request)}, status=503
        ).render()
    response["Retry-After"] = "600"
    return response


def _back(request: HttpRequest) -> str:
    """Where the refused form came from (same host only), for the 戻る link."""
    from django.utils.http import url_has_allowed_host_and_scheme

    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}):
        return referer
    return "/"


# --- end read-only mode ---------------------------------------------------------------------


# --- hosts: which municipality an address is, in Japanese when it is none --------------------

LOOPBACK = {"127.0.0.1", "[::1]", "::1"}
UNKNOWN_HOST = "このアドレスの自治体は Ai にありません。"


class MunicipalityHostMiddleware(TenantMainMiddleware):
    """django-tenants' host → municipality, with answers for the addresses that are none.

    - an unknown municipality (``nosuch.localhost``) or a host outside ``ALLOWED_HOSTS``: a
      Japanese 404 page (JSON under ``/api/``), not django-tenants' English or empty one;
    - ``127.0.0.1`` / ``[::1]`` (what ``runserver`` prints): in development a page naming
      the operators' site and every municipality's address on the same port; otherwise a
      redirect to the operators' site. Municipalities are told apart by host name only.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        name, port = _split_host(host)
        if name in LOOPBACK:
            return loopback_answer(request, port)
        try:
            request.get_host()
        except DisallowedHost:
            return unknown_host(request, name)
        return super().process_request(request)

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return unknown_host(request, hostname)


def _split_host(host: str) -> tuple[str, str]:
    if host.startswith("["):  # [::1]:8000
        name, _, rest = host.partition("]")
        return name + "]", rest.lstrip(":")
    name, _, port = host.partition(":")
    return name.lower(), port


def _base_url(port: str) -> str:
    return f"http://{settings.BASE_DOMAIN}" + (f":{port}" if port else "")


def unknown_host(request: HttpRequest, hostname: str) -> HttpResponse:
    """404: no municipality has this address (no schema is touched, no session read)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "not_found", "message": UNKNOWN_HOST}}, status=404)
    page = loader.render_to_string(
        "tenants/unknown_host.html", {"hostname": hostname[:100], "message": UNKNOWN_HOST}
    )
    return HttpResponse(page, status=404)


def loopback_answer(request: HttpRequest, port: str) -> HttpResponse:
    """``http://127.0.0.1:8000/``: where to go instead (Ai tells municipalities by host name)."""
    if not settings.DEBUG:
        return HttpResponseRedirect(_base_url(port) + "/")
    from tenants.models import Domain  # the public schema's table: one query

    suffix = f":{port}" if port else ""
    addresses = [
        {"name": d.tenant.name, "url": f"http://{d.domain}{suffix}/", "active": d.tenant.is_active}
        for d in Domain.objects.filter(is_primary=True)
        .exclude(tenant__schema_name="public")
        .select_related("tenant")
        .order_by("tenant__name")
    ]
    page = loader.render_to_string(
        "tenants/addresses.html",
        {"operators": _base_url(port) + "/", "addresses": addresses, "host": settings.BASE_DOMAIN},
    )
    return HttpResponse(page)
