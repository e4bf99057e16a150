from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse


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
