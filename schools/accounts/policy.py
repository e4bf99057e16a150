"""Who must give a second factor, from where (教育情報セキュリティポリシー: 多要素認証).

The municipality's own row (``tenants.Municipality``) holds the policy: a second factor for
all staff by default, school network ranges the board exempts, and — in the demo and tests
only — loopback exempt for everyone. Board administrators, school administrators and the
platform operators always need it outside the demo.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str:
    """The address the request came from: REMOTE_ADDR, or behind ``AI_TRUSTED_PROXIES``
    reverse proxies the address the outermost of them saw (X-Forwarded-For, counted from
    the right: what a client writes into the header itself is never believed).

    django-axes asks the same function (``AXES_CLIENT_IP_CALLABLE``), so a lockout, the
    address limit, the audit trail and the exempt school networks agree.
    """
    proxies = getattr(settings, "AI_TRUSTED_PROXIES", 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return (request.META.get("REMOTE_ADDR", "") or "")[:64]


def parse_networks(text: str) -> list[Network]:
    """CIDR ranges, one a line (blank lines and ``#`` comments allowed); ValidationError if bad."""
    networks: list[Network] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            networks.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            errors.append(f"{number}行目「{line[:40]}」は CIDR 表記のネットワークではありません。")
    if errors:
        raise ValidationError(errors)
    return networks


def in_networks(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def mfa_required(request: HttpRequest) -> bool:
    """Must the logged-in user of ``request`` give a second factor on this site, from here?"""
    tenant = getattr(request, "tenant", None)
    address = client_ip(request)
    if tenant is None:
        return True
    if tenant.mfa_exempt_loopback and is_loopback(address):
        return False
    if tenant.schema_name == "public":
        return True  # platform operators, always
    from schools.permissions import get_actor

    actor = get_actor(request)
    if actor.is_boe_admin or actor.admin_school_ids:
        return True  # administrators, always
    if not tenant.mfa_required:
        return False
    try:
        exempt = parse_networks(tenant.mfa_exempt_networks)
    except ValidationError:
        exempt = []  # saved through the form, so never; refuse to exempt rather than fail
    return not in_networks(address, exempt)
