"""Writes of logins and accounts: one function per user action, each with its audit record.

In a municipality the record goes to its audit trail (``schools.audit``); on the operators'
site (the public schema, which has no audit table) to ``tenants.PlatformEvent``.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from schools import audit
from schools.accounts.models import AccountState, ApiToken, hash_key
from schools.accounts.policy import parse_networks
from schools.permissions import READ_SCOPE_OWN_CLASSES, READ_SCOPE_SCHOOL, Actor
from tenants.models import PlatformEvent

RECOVERY_CODES = 10


def actor_of(user: Any) -> Actor:
    """The acting person without their roles (what a login needs to name someone)."""
    return Actor(user_id=user.pk, username=user.get_username())


def on_operators_site() -> bool:
    return connection.schema_name == "public"


def record(
    by: Actor | None,
    action: str,
    target: Any = None,
    *,
    changes: dict[str, Any] | None = None,
    target_type: str = "",
    target_id: str = "",
) -> None:
    """An audit record in the municipality, or a platform event on the operators' site."""
    if on_operators_site():
        PlatformEvent.objects.create(
            actor=(by.username if by and by.user_id else "anonymous")[:150],
            action=action.split(".", 1)[1][:50],
            schema_name="public",
            detail=changes or {},
        )
        return
    audit.record(
        by,
        action,
        target,
        changes=changes,
        target_type=target_type,
        target_id=target_id,
    )


# --- sign-in events -------------------------------------------------------------------------


def login_succeeded(user: Any, address: str) -> None:
    record(actor_of(user), "accounts.login.succeed", user, changes={"address": address})


def login_failed(username: str, address: str) -> None:
    """A wrong password (or a locked account's try): who was tried, from where."""
    record(
        None,
        "accounts.login.fail",
        changes={"username": username[:150], "address": address},
        target_type="auth.user",
        target_id=username[:150],
    )


def logged_out(user: Any, address: str, *, idle: bool = False) -> None:
    action = "accounts.session.expire" if idle else "accounts.logout.succeed"
    record(actor_of(user), action, user, changes={"address": address})


def locked_out(username: str, address: str) -> None:
    record(
        None,
        "accounts.lockout.lock",
        changes={"username": username[:150], "address": address},
        target_type="auth.user",
        target_id=username[:150],
    )


# --- second factor --------------------------------------------------------------------------


def pending_totp(user: Any) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (one; kept across page loads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def confirm_totp(user: Any, device: TOTPDevice, token: str) -> list[str]:
    """Confirm an authenticator with a code it shows; returns 10 new recovery codes (once).

    An earlier authenticator and earlier recovery codes are replaced.
    """
    token = (token or "").strip().replace(" ", "")
    if not (token.isascii() and token.isdigit()) or not device.verify_token(token):
        raise ValidationError(
            "確認コードが正しくありません。アプリに表示された6桁を入力してください。"
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_recovery_codes(user)
    record(actor_of(user), "accounts.mfa.enrol", user, changes={"device": device.name})
    return codes


def new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="リカバリーコード", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def has_second_factor(user: Any) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def check_code(user: Any, token: str):
    """The device that accepts ``token`` (an authenticator code or a recovery code), or None.

    A recovery code works once: django-otp deletes it as it matches.
    """
    token = (token or "").strip().replace(" ", "").replace("-", "").lower()
    if not token or len(token) > 16 or not token.isascii() or not token.isalnum():
        return None
    # Six digits are an authenticator's code, anything else a recovery code: each is tried on
    # its own kind of device only, so a typo does not throttle the other (django-otp waits
    # 1, 2, 4 … seconds after each failure).
    authenticator = len(token) == 6 and token.isdigit()
    model = TOTPDevice if authenticator else StaticDevice
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(token):
                return device
    return None


def code_verified(user: Any, device: Any, address: str, *, step_up: bool = False) -> None:
    by = actor_of(user)
    if isinstance(device, StaticDevice):
        left = StaticToken.objects.filter(device=device).count()
        record(by, "accounts.recovery_code.use", user, changes={"left": left, "address": address})
    action = "accounts.step_up.verify" if step_up else "accounts.mfa.verify"
    record(by, action, user, changes={"address": address, "device": device.name})


def code_failed(user: Any, address: str) -> None:
    record(actor_of(user), "accounts.mfa.fail", user, changes={"address": address})


@transaction.atomic
def reset_mfa(target: Any, *, by: Actor) -> None:
    """The board removes a staff member's authenticator and codes (a lost phone)."""
    by.require(by.can_manage_municipality, "二要素認証の解除は教育委員会の管理者が行います。")
    TOTPDevice.objects.filter(user=target).delete()
    StaticDevice.objects.filter(user=target).delete()
    record(by, "accounts.mfa.reset", target, changes={"username": target.get_username()})


# --- passwords ------------------------------------------------------------------------------


def must_change_password(user: Any) -> bool:
    return AccountState.objects.filter(user=user, must_change_password=True).exists()


@transaction.atomic
def password_changed(user: Any) -> None:
    """The owner changed their own password (after Django's form saved it)."""
    AccountState.objects.update_or_create(
        user=user,
        defaults={"must_change_password": False, "password_changed_at": timezone.now()},
    )
    record(actor_of(user), "accounts.password.change", user)


def require_password_change(user: Any) -> None:
    """A password someone else set (the board): to be changed at the first login."""
    AccountState.objects.update_or_create(user=user, defaults={"must_change_password": True})


@transaction.atomic
def reset_password(target: Any, *, by: Actor, password: str) -> None:
    """The board sets a staff member's password; they change it at their next login."""
    by.require(by.can_manage_municipality, "パスワードの再設定は教育委員会の管理者が行います。")
    if target.pk == by.user_id:
        raise ValidationError("自分のパスワードは「パスワードの変更」で変更してください。")
    try:
        validate_password(password, target)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    target.set_password(password)
    target.save(update_fields=["password"])
    require_password_change(target)
    record(by, "accounts.password.reset", target, changes={"username": target.get_username()})


# --- lockout --------------------------------------------------------------------------------


def locked_accounts() -> list[dict[str, Any]]:
    """Accounts locked now (failures at the limit within the cool-off time), newest first."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    rows = (
        AccessAttempt.objects.filter(
            attempt_time__gte=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        )
        .order_by("-attempt_time")
        .values("username", "ip_address", "attempt_time", "failures_since_start")
    )
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["username"], row)
    return list(seen.values())


@transaction.atomic
def unlock(username: str, *, by: Actor) -> int:
    by.require(by.can_manage_municipality, "ロックの解除は教育委員会の管理者が行います。")
    removed = axes_reset(username=username)
    record(
        by,
        "accounts.lockout.unlock",
        changes={"username": username},
        target_type="auth.user",
        target_id=username,
    )
    return removed


def address_failures(address: str) -> int:
    """Failed logins from ``address`` over every account within the cool-off time."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    total = 0
    for n in AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).values_list(
        "failures_since_start", flat=True
    ):
        total += n
    return total


# --- policy ---------------------------------------------------------------------------------


@transaction.atomic
def update_policy(municipality: Any, *, by: Actor, mfa_required: bool, exempt_networks: str):
    by.require(by.can_manage_municipality, "ログイン設定は教育委員会の管理者が変更します。")
    networks = parse_networks(exempt_networks)
    text = "\n".join(str(n) for n in networks)
    before = {
        "mfa_required": municipality.mfa_required,
        "networks": municipality.mfa_exempt_networks,
    }
    municipality.mfa_required = mfa_required
    municipality.mfa_exempt_networks = text
    type(municipality).objects.filter(pk=municipality.pk).update(
        mfa_required=mfa_required, mfa_exempt_networks=text
    )
    record(
        by,
        "accounts.policy.update",
        changes={"before": before, "after": {"mfa_required": mfa_required, "networks": text}},
        target_type="tenants.municipality",
        target_id=str(municipality.pk),
    )


@transaction.atomic
def update_read_scope(municipality: Any, *, by: Actor, read_scope: str) -> None:
    """閲覧範囲: every class of one's school, or one's own classes only (the board's choice)."""
    by.require(by.can_manage_municipality, "閲覧範囲は教育委員会の管理者が変更します。")
    if read_scope not in (READ_SCOPE_SCHOOL, READ_SCOPE_OWN_CLASSES):
        raise ValidationError({"read_scope": "閲覧範囲を選んでください。"})
    before = municipality.read_scope
    if before == read_scope:
        return
    municipality.read_scope = read_scope
    type(municipality).objects.filter(pk=municipality.pk).update(read_scope=read_scope)
    record(
        by,
        "accounts.read_scope.update",
        changes={"before": {"read_scope": before}, "after": {"read_scope": read_scope}},
        target_type="tenants.municipality",
        target_id=str(municipality.pk),
    )


# --- API tokens -----------------------------------------------------------------------------


@transaction.atomic
def create_token(user: Any, *, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token of ``user`` and its key (shown once: only a hash is kept)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "用途を入力してください。"})
    if not 1 <= days <= 365:
        raise ValidationError({"days": "有効期間は1日から365日の間で指定してください。"})
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        key_hash=hash_key(key),
        prefix=key[:8],
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    record(
        actor_of(user),
        "accounts.token.create",
        token,
        changes={
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, key


@transaction.atomic
def revoke_token(token: ApiToken, *, by: Actor) -> None:
    if token.user_id != by.user_id:
        raise ValidationError("自分のトークンだけを無効にできます。")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            by, "accounts.token.revoke", token, changes={"name": token.name, "prefix": token.prefix}
        )


def user_by_pk(pk: int) -> Any:
    return get_user_model().objects.get(pk=pk)
