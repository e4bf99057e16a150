"""The tenant URLConf plus a page and an API path that fail (for the error-shape tests)."""

from django.urls import path

from config.urls_tenant import urlpatterns as tenant_urlpatterns


def boom(request):
    raise RuntimeError("an uncaught bug")


urlpatterns = [
    path("api/v1/boom/", boom),
    path("boom/", boom),
    *tenant_urlpatterns,
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
