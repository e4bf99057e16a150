from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from config import extensions


def ai(request: HttpRequest) -> dict:
    """The municipality of the current host and the menu, for every template's header."""
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    nav = []
    user = getattr(request, "user", None)
    display_name = user.get_username() if user is not None and user.is_authenticated else ""
    if not is_public and display_name:
        from schools.models import Staff
        from schools.permissions import get_actor

        request.actor = get_actor(request)
        nav = extensions.nav_items(request)
        # The public schema has no staff table: ask only on a municipality's host.
        display_name = (
            Staff.objects.filter(user=user).values_list("name", flat=True).first() or display_name
        )
    return {
        "municipality": None if is_public else tenant,
        "is_operator_site": is_public,
        "base_domain": settings.BASE_DOMAIN,
        "display_name": display_name,
        "nav_items": [{"label": label, "url": url} for label, url in nav],
    }
