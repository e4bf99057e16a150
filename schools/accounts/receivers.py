"""Sign-in events into the audit trail and the session's clocks (connected in apps.py)."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from schools.accounts import services
from schools.accounts.policy import client_ip
from schools.permissions import VERIFIED_AT_SESSION_KEY as VERIFIED_AT

LAST_SEEN = "ai_last_seen"  # the session's last request (idle timeout), epoch seconds
# Known at login, read by accounts.middleware at every request.
HAS_SECOND_FACTOR = "ai_has_mfa"
PASSWORD_OK = "ai_password_ok"


def on_login(sender: Any, request: Any, user: Any, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[VERIFIED_AT] = now
    request.session[LAST_SEEN] = now
    request.session[HAS_SECOND_FACTOR] = services.has_second_factor(user)
    # The operators' site (public schema) has no accounts table: nothing to change there.
    request.session[PASSWORD_OK] = (
        services.on_operators_site() or not services.must_change_password(user)
    )
    services.login_succeeded(user, client_ip(request))


def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs) -> None:
    if request is None:
        return
    services.login_failed(str(credentials.get("username", "")), client_ip(request))


def on_logout(sender: Any, request: Any, user: Any, **kwargs) -> None:
    if user is None or request is None or getattr(request, "_ai_idle_logout", False):
        return  # the idle timeout writes its own record
    services.logged_out(user, client_ip(request))


def on_locked_out(sender: Any, request: Any, username: str, ip_address: str, **kwargs) -> None:
    services.locked_out(username or "", ip_address or "")


def on_staff_accounts_created(sender: Any, users: list, by: Any, **kwargs) -> None:
    if getattr(by, "is_system", False):
        return  # provisioning's first administrator: the operator hands it over
    for user in users:
        services.require_password_change(user)


def update_last_login(sender: Any, user: Any, **kwargs) -> None:
    """Django's ``last_login``, except on a read-only replica (nothing can be written there)."""
    from django.contrib.auth.models import update_last_login as django_update_last_login

    from tenants.readonly import on_replica

    if not on_replica():
        django_update_last_login(sender, user, **kwargs)


def connect() -> None:
    from schools.signals import staff_accounts_created

    # Replaces django.contrib.auth's own receiver (same dispatch_uid).
    user_logged_in.disconnect(dispatch_uid="update_last_login")
    user_logged_in.connect(update_last_login, dispatch_uid="update_last_login")

    user_logged_in.connect(on_login, dispatch_uid="accounts.login")
    user_login_failed.connect(on_login_failed, dispatch_uid="accounts.login_failed")
    user_logged_out.connect(on_logout, dispatch_uid="accounts.logout")
    user_locked_out.connect(on_locked_out, dispatch_uid="accounts.locked_out")
    staff_accounts_created.connect(on_staff_accounts_created, dispatch_uid="accounts.new_staff")
