from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from config import extensions


def ai(request: HttpRequest) -> dict:
    """The municipality of the current host, the user's name and the menu, for the header.

    The name and the menu cost queries: they are computed only when a template shows
    them, so that htmx fragments (a save's answer) pay nothing for the header they lack.
    """
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated

    def display_name() -> str:
        if not signed_in:
            return ""
        if is_public:  # the public schema has no staff table
            return user.get_username()
        from schools.audit import staff_name

        return staff_name(user) or user.get_username()

    def nav_items() -> list[dict[str, str]]:
        if is_public or not signed_in:
            return []
        from schools.permissions import get_actor

        request.actor = get_actor(request)
        return [{"label": label, "url": url} for label, url in extensions.nav_items(request)]

    return {
        "municipality": None if is_public else tenant,
        "is_operator_site": is_public,
        "base_domain": settings.BASE_DOMAIN,
        "display_name": SimpleLazyObject(display_name),
        "nav_items": SimpleLazyObject(nav_items),
        # tenants.ReadOnlyMiddleware's mode (banner in base.html), None when writable.
        "read_only": getattr(request, "read_only", None),
    }
