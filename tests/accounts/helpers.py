from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD


def login(client, username: str, password: str = PASSWORD, next_url: str = "/"):
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def code(device: TOTPDevice, drift: int = 0) -> str:
    """The authenticator's code now (``drift`` steps of 30 s later), as a phone would show it."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """An enrolled authenticator and recovery codes, as the enrolment page makes them."""
    from schools.accounts import services

    device = services.pending_totp(user)
    codes = services.confirm_totp(user, device, code(device))
    return device, codes
