from django.conf import settings
from django.db import connection
from django.http import HttpRequest


def ai(request: HttpRequest) -> dict:
    """The municipality of the current host, for every template's header."""
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    return {
        "municipality": None if is_public else tenant,
        "is_operator_site": is_public,
        "base_domain": settings.BASE_DOMAIN,
    }
