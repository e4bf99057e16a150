"""Every request of a logged-in user passes here: idle timeout, second factor, first password.

Order in ``MIDDLEWARE``: after authentication and django-otp's ``OTPMiddleware`` (which tells
whether this session gave a code). What is known at login (an enrolled device, a password
to change) is kept in the session, so every request costs the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from schools.accounts import policy, services
from schools.accounts.receivers import HAS_SECOND_FACTOR, LAST_SEEN, PASSWORD_OK

# Pages a user who still owes a code may reach (by URL name; the enrolment page itself
# refuses one who has a device), and those open to one who owes a new password.
MFA_OPEN = {"logout", "set_language", "accounts:mfa-verify", "accounts:mfa-setup"}
PASSWORD_OPEN = MFA_OPEN | {"accounts:password-change"}


class AccountGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or _is_static(request):
            return self.get_response(request)
        if (answer := self._idle(request)) is not None:
            return answer
        name = _url_name(request)
        if name not in MFA_OPEN and (answer := self._second_factor(request)) is not None:
            return answer
        if name not in PASSWORD_OPEN and (answer := self._first_password(request)) is not None:
            return answer
        return self.get_response(request)

    def _idle(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        last = request.session.get(LAST_SEEN)
        limit = settings.AI_SESSION_IDLE_MINUTES * 60
        if isinstance(last, (int, float)) and now - last > limit:
            user = request.user
            request._ai_idle_logout = True
            logout(request)
            services.logged_out(user, policy.client_ip(request), idle=True)
            messages.info(
                request,
                f"{settings.AI_SESSION_IDLE_MINUTES}分間操作がなかったため、ログアウトしました。"
                "もう一度ログインしてください。",
            )
            return _send_to(request, reverse("login"), next_url=request.get_full_path())
        # Written at most once a minute: a page view does not save the session every time.
        if not isinstance(last, (int, float)) or now - last > 60:
            request.session[LAST_SEEN] = now
        return None

    def _second_factor(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if user.is_verified():
            return None
        has_device = request.session.get(HAS_SECOND_FACTOR)
        if has_device is None:  # a session older than this check
            has_device = request.session[HAS_SECOND_FACTOR] = services.has_second_factor(user)
        if has_device:
            return _send_to(request, reverse("accounts:mfa-verify"), request.get_full_path())
        # Asked at every request (the address may change), at no query where the demo's
        # loopback exemption answers, else with the actor the view asks for anyway.
        if policy.mfa_required(request):
            messages.warning(
                request,
                "このアカウントでは二要素認証が必要です。認証アプリを登録してください。",
            )
            return _send_to(request, reverse("accounts:mfa-setup"), request.get_full_path())
        return None

    def _first_password(self, request: HttpRequest) -> HttpResponse | None:
        if request.tenant.schema_name == "public":
            return None
        ok = request.session.get(PASSWORD_OK)
        if ok is None:  # a session older than this check
            ok = request.session[PASSWORD_OK] = not services.must_change_password(request.user)
        if ok:
            return None
        messages.warning(
            request,
            "教育委員会が設定した初期パスワードです。新しいパスワードに変更してください。",
        )
        return _send_to(request, reverse("accounts:password-change"), request.get_full_path())


def _is_static(request: HttpRequest) -> bool:
    return request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))


def _url_name(request: HttpRequest) -> str:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return ""
    return match.view_name


def _send_to(request: HttpRequest, url: str, next_url: str = "") -> HttpResponse:
    """A redirect for a page, HX-Redirect for htmx, a JSON 401/403 for the API."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "ブラウザでログインを完了してください (二要素認証・パスワード変更)。"},
            status=403,
        )
    if next_url and request.method == "GET":
        url = f"{url}?{urlencode({'next': next_url})}"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
