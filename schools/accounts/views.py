"""Pages of one's own login (password, second factor, API tokens, re-verification) and the
board's (sign-in policy, locked accounts, a staff member's password)."""

from __future__ import annotations

import time

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from schools.accounts import lockout, services
from schools.accounts.forms import (
    CodeForm,
    EnrolForm,
    PasswordResetForm,
    PolicyForm,
    ReadScopeForm,
    ReauthForm,
    TokenForm,
)
from schools.accounts.models import ApiToken
from schools.accounts.policy import client_ip
from schools.accounts.receivers import HAS_SECOND_FACTOR, PASSWORD_OK
from schools.permissions import VERIFIED_AT_SESSION_KEY, as_pk, staff_required


def _next(request: HttpRequest, default: str = "") -> str:
    """A safe place to go back to (``next`` of the query or the form), else ``default`` / home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("home")


def _account_home() -> str:
    """アカウント page of a municipality; the operators' site has none."""
    try:
        return reverse("accounts:index")
    except NoReverseMatch:
        return reverse("home")


def _verified_now(request: HttpRequest) -> None:
    request.session[VERIFIED_AT_SESSION_KEY] = time.time()


# --- logging in -----------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login, refusing an address with too many failures before any password check."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if services.address_failures(client_ip(request)) >= _address_limit():
            form = self.get_form()
            return render(
                request,
                self.template_name,
                {
                    "form": form,
                    "lockout_message": lockout.ADDRESS_MESSAGE.format(
                        minutes=lockout.lock_minutes()
                    ),
                    "next": request.POST.get("next", ""),
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)


def _address_limit() -> int:
    from django.conf import settings

    return settings.AI_LOGIN_ADDRESS_FAILURE_LIMIT


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code of the authenticator, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next(request))
    if not services.has_second_factor(request.user):
        # Removed by the board since this login (a lost phone): enrol again if required.
        request.session[HAS_SECOND_FACTOR] = False
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.check_code(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            _verified_now(request)
            services.code_verified(request.user, device, client_ip(request))
            return redirect(_next(request))
        services.code_failed(request.user, client_ip(request))
        form.add_error(
            "code",
            "確認コードが正しくありません。続けて間違えると、次に入力できるまで少し待ちます。",
        )
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next(request)})


@login_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: QR code and secret, a code to confirm, 10 recovery codes."""
    if not request.user.is_verified() and services.has_second_factor(request.user):
        # The password alone never replaces an enrolled authenticator: the code first.
        return redirect(f"{reverse('accounts:mfa-verify')}?next={reverse('accounts:mfa-setup')}")
    if getattr(request, "read_only", None) is not None:
        # Enrolment stores a new device (even its page, on GET): not while read-only.
        return render(request, "accounts/mfa_setup_read_only.html")
    device = services.pending_totp(request.user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp(request.user, device, form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.messages[0])
        else:
            otp_login(request, device)
            _verified_now(request)
            request.session[HAS_SECOND_FACTOR] = True
            return render(
                request,
                "accounts/mfa_codes.html",
                {"codes": codes, "next": _next(request, _account_home())},
            )
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            # Drawn here as SVG markup from the otpauth URL: no image service, no script.
            "qr_svg": mark_safe(qr.svg_inline(scale=5, title="二要素認証の登録用QRコード")),  # noqa: S308
            "secret": services.base32_secret(device),
            "enrolled": services.has_second_factor(request.user),
            "next": _next(request, _account_home()),
        },
    )


@login_required
def reauth(request: HttpRequest) -> HttpResponse:
    """Step-up: the password, or a code, again before 確定 or a whole-municipality export."""
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        secret = form.cleaned_data["secret"]
        device = None
        ok = request.user.check_password(secret)
        if not ok:
            device = services.check_code(request.user, secret)
            ok = device is not None
        if ok:
            _verified_now(request)
            services.code_verified(
                request.user,
                device or _PasswordDevice(),
                client_ip(request),
                step_up=True,
            )
            return redirect(_next(request))
        services.code_failed(request.user, client_ip(request))
        form.add_error("secret", "パスワードまたは確認コードが正しくありません。")
    return render(request, "accounts/reauth.html", {"form": form, "next": _next(request)})


class _PasswordDevice:
    name = "パスワード"


# --- one's own account ----------------------------------------------------------------------


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/index.html",
        {
            "has_mfa": services.has_second_factor(user),
            "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(self.request.user)
        self.request.session[PASSWORD_OK] = True
        _verified_now(self.request)
        messages.success(self.request, "パスワードを変更しました。")
        return response


password_change = login_required(PasswordChangeView.as_view())


@staff_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The owner's API tokens: create (the key is shown once), list, revoke."""
    form = TokenForm(request.POST or None)
    created_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            _, created_key = services.create_token(
                request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "created_key": created_key,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
    )


@staff_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_token(token, by=request.actor)
    messages.success(request, f"トークン「{token.name}」を無効にしました。")
    return redirect("accounts:tokens")


# --- the board ------------------------------------------------------------------------------


@staff_required
def security(request: HttpRequest) -> HttpResponse:
    """ログイン設定: the second-factor policy, and the accounts locked now."""
    actor = request.actor
    actor.require(actor.can_manage_municipality)
    municipality = request.tenant
    form = PolicyForm(
        request.POST or None,
        initial={
            "mfa_required": municipality.mfa_required,
            "exempt_networks": municipality.mfa_exempt_networks,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.update_policy(
            municipality,
            by=actor,
            mfa_required=form.cleaned_data["mfa_required"],
            exempt_networks=form.cleaned_data["exempt_networks"],
        )
        messages.success(request, "ログイン設定を保存しました。")
        return redirect("accounts:security")
    return _security_page(request, form=form)


def _security_page(
    request: HttpRequest, *, form: PolicyForm, scope_form: ReadScopeForm | None = None
) -> HttpResponse:
    scope_form = scope_form or ReadScopeForm(initial={"read_scope": request.tenant.read_scope})
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "scope_form": scope_form,
            "locked": services.locked_accounts(),
            "minutes": lockout.lock_minutes(),
        },
    )


@staff_required
@require_POST
def read_scope(request: HttpRequest) -> HttpResponse:
    """閲覧範囲 (on the ログイン設定 page): school-wide, or own classes only."""
    actor = request.actor
    actor.require(actor.can_manage_municipality)
    municipality = request.tenant
    scope_form = ReadScopeForm(request.POST)
    if scope_form.is_valid():
        services.update_read_scope(
            municipality, by=actor, read_scope=scope_form.cleaned_data["read_scope"]
        )
        messages.success(request, "閲覧範囲を保存しました。")
        return redirect("accounts:security")
    form = PolicyForm(
        initial={
            "mfa_required": municipality.mfa_required,
            "exempt_networks": municipality.mfa_exempt_networks,
        }
    )
    return _security_page(request, form=form, scope_form=scope_form)


@staff_required
@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    username = (request.POST.get("username") or "").strip()[:150]
    if username:
        services.unlock(username, by=request.actor)
        messages.success(request, f"「{username}」のロックを解除しました。")
    return redirect("accounts:security")


def _staff_user(request: HttpRequest, pk: object):
    request.actor.require(request.actor.can_manage_municipality)
    key = as_pk(pk)
    return get_object_or_404(get_user_model(), pk=key or 0)


@staff_required
def staff_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """The board sets a staff member's password (to be changed at their next login)."""
    target = _staff_user(request, user_id)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(
                target, by=request.actor, password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            if hasattr(exc, "message_dict"):
                for errors in exc.message_dict.values():
                    form.add_error("password1", errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                f"{target.get_username()} のパスワードを再設定しました。次のログインで変更が求められます。",
            )
            return redirect("accounts:staff-password", target.pk)
    return render(
        request,
        "accounts/staff_password.html",
        {"form": form, "target": target, "has_mfa": services.has_second_factor(target)},
    )


@staff_required
@require_POST
def staff_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _staff_user(request, user_id)
    services.reset_mfa(target, by=request.actor)
    messages.success(request, f"{target.get_username()} の二要素認証を解除しました。")
    return redirect("accounts:staff-password", target.pk)
