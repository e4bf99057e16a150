"""Who may use the operators' pages: the platform's own question, not a municipality's.

Municipality staff are answered by ``schools.permissions`` (the Actor); operators are staff
users of the public schema, which has no roster, so ``tenants`` asks it here and stays
ignorant of the domain apps.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def is_platform_operator(request: HttpRequest) -> bool:
    """Operators are staff users of the public schema, on the operators' host only."""
    tenant = getattr(request, "tenant", None)
    return (
        tenant is not None
        and tenant.schema_name == "public"
        and request.user.is_authenticated
        and request.user.is_staff
    )


def operator_required(view):
    """Operators' pages: log in first; a logged-in non-operator gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_platform_operator(request):
            raise PermissionDenied("運用管理者のみが利用できます。")
        return view(request, *args, **kwargs)

    return wrapped
