from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from config import extensions


def ai(request: HttpRequest) -> dict:
    """The municipality of the current host and the menu, for every template's header."""
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    nav = []
    if not is_public and getattr(request, "user", None) and request.user.is_authenticated:
        from schools.permissions import get_actor

        request.actor = get_actor(request)
        nav = extensions.nav_items(request)
    return {
        "municipality": None if is_public else tenant,
        "is_operator_site": is_public,
        "base_domain": settings.BASE_DOMAIN,
        "nav_items": [{"label": label, "url": url} for label, url in nav],
    }
