"""The uploaded file between the preview and the confirmation (preview → confirm).

Kept in the municipality's own schema (``PendingUpload``), never in the session or on a
server's disk: any of several stateless app servers can confirm it, and a token of one
municipality finds nothing in another. Only the person who uploaded a file can confirm it,
for ``MAX_AGE``; expired uploads are refused with a Japanese message, and removed whenever
a new one is stored. A confirmed upload is discarded.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from schools.models import PendingUpload
from schools.permissions import Actor

MAX_AGE = dt.timedelta(hours=24)
NOT_FOUND = "読み込んだファイルが見つかりません（確定済みか期限切れです）。もう一度ファイルを選んでください。"
EXPIRED = "読み込んだファイルの確認期限（24時間）を過ぎました。もう一度ファイルを選んでください。"
NOT_OWNER = "このファイルは別の利用者が読み込んだものです。確定できるのは読み込んだ本人だけです。"


class PendingRefused(Exception):
    """The pending upload cannot be used; ``message`` says why, in Japanese."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _valid_token(token: str) -> bool:
    return (
        isinstance(token, str) and len(token) == 32 and all(c in "0123456789abcdef" for c in token)
    )


@transaction.atomic
def put(data: bytes, *, by: Actor | None, kind: str, filename: str = "") -> str:
    """Keep ``data`` for ``by`` until confirmed (or expired); the token goes in the preview."""
    now = timezone.now()
    PendingUpload.objects.filter(expires_at__lt=now).delete()
    token = secrets.token_hex(16)
    PendingUpload.objects.create(
        owner_id=by.user_id if by is not None else None,
        kind=kind,
        token=token,
        filename=filename[:200],
        data=data,
        expires_at=now + MAX_AGE,
    )
    return token


def get(token: str, *, by: Actor | None, kind: str) -> bytes:
    """The bytes stored under ``token`` for ``by``, or ``PendingRefused`` saying why not."""
    row = (
        PendingUpload.objects.filter(token=token, kind=kind).first()
        if _valid_token(token)
        else None
    )
    if row is None:
        raise PendingRefused(NOT_FOUND)
    if row.owner_id != (by.user_id if by is not None else None):
        raise PendingRefused(NOT_OWNER)
    if row.expires_at <= timezone.now():
        raise PendingRefused(EXPIRED)
    return bytes(row.data)


def filename(token: str, *, by: Actor | None, kind: str) -> str:
    """The name the file was uploaded under ("" when unknown: ``get`` says why)."""
    if not _valid_token(token):
        return ""
    owner = by.user_id if by is not None else None
    row = PendingUpload.objects.filter(token=token, kind=kind, owner_id=owner).only("filename")
    return row.values_list("filename", flat=True).first() or ""


def discard(token: str, *, by: Actor | None, kind: str) -> None:
    """Forget a confirmed (or abandoned) upload of ``by``."""
    if _valid_token(token):
        owner = by.user_id if by is not None else None
        PendingUpload.objects.filter(token=token, kind=kind, owner_id=owner).delete()
