"""Read-only mode: pages show, writes are refused (issue 13).

Two ways in:

- **the operators' switch** (``Municipality.read_only``, the operators' site and
  ``manage.py read_only``): one municipality or all of them, during an incident or a
  migration. The database still accepts writes: sign-in, sign-out and the session work as
  usual; every other write a request asks for is refused by ``ReadOnlyMiddleware``.
- **a replica** (``AI_READ_ONLY=1``): Ai pointed at a hot standby, where PostgreSQL refuses
  every write, even the switch. Sessions live in a signed cookie (``config.sessions``),
  failed logins in the cache (``config.axes``), ``last_login`` is not updated, and the audit
  trail's records go to the log (``schools.audit``).

In both, the access log of a read (``audit.record_read``/``record_export``) is a log line
``ai.access`` instead of a row: a GET writes nothing to the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

DEFAULT_REASON = "システムの保守作業のため"
REPLICA_REASON = "予備系（読み取り専用の複製）で運転しているため"


class ReadOnlyRefused(Exception):
    """A write asked for while read-only; ``str()`` is the Japanese message."""


@dataclass(frozen=True)
class ReadOnly:
    reason: str
    replica: bool  # the database itself refuses writes (AI_READ_ONLY)
    since: dt.datetime | None = None
    scope: str = ""  # the municipality's name ("" on a replica: the whole installation)

    @property
    def banner(self) -> str:
        where = self.scope or "このシステム"
        return (
            f"現在、{where}は読み取り専用です（理由: {self.reason}）。"
            "閲覧・印刷・ダウンロードはできますが、保存・取り込み・削除・出力の予約はできません。"
        )

    @property
    def refusal(self) -> str:
        where = self.scope or "このシステム"
        return (
            f"現在、{where}は読み取り専用のため、この操作は保存されませんでした（理由: "
            f"{self.reason}）。閲覧・印刷・ダウンロードはできます。"
            "読み取り専用が解除されてから、もう一度操作してください。"
        )


def on_replica() -> bool:
    """Is Ai pointed at a database that refuses every write (``AI_READ_ONLY=1``)?"""
    return bool(getattr(settings, "AI_READ_ONLY", False))


def state(tenant: Any) -> ReadOnly | None:
    """The read-only mode of ``tenant`` (the request's municipality), or None when writable."""
    if on_replica():
        return ReadOnly(getattr(settings, "AI_READ_ONLY_REASON", "") or REPLICA_REASON, True)
    if tenant is not None and getattr(tenant, "read_only", False):
        return ReadOnly(
            tenant.read_only_reason or DEFAULT_REASON,
            False,
            tenant.read_only_since,
            getattr(tenant, "name", ""),
        )
    return None


def current() -> ReadOnly | None:
    """The mode of the connection's municipality (the request's, or a job's)."""
    return state(getattr(connection, "tenant", None))


def refuse_if_read_only() -> None:
    """For writes reached without a request (a job queued by a service, a command)."""
    if (mode := current()) is not None:
        raise ReadOnlyRefused(mode.refusal)


def set_read_only(
    municipalities: Iterable[Any], on: bool, *, reason: str = "", actor: str
) -> list[Any]:
    """Switch read-only mode on or off for ``municipalities``, one PlatformEvent each."""
    from tenants.models import PlatformEvent

    if on_replica():
        raise ReadOnlyRefused(
            "この環境は読み取り専用の複製に接続しているため、切り替えられません。"
            "本番系（プライマリ）で操作してください。"
        )
    reason = reason.strip()[:200]
    changed = []
    with transaction.atomic():
        for municipality in municipalities:
            if municipality.schema_name == "public":
                continue  # the operators' own site stays writable: they switch it back
            municipality.read_only = on
            municipality.read_only_reason = reason if on else ""
            municipality.read_only_since = timezone.now() if on else None
            # An UPDATE of the row (TenantMixin.save refuses outside the public schema).
            type(municipality).objects.filter(pk=municipality.pk).update(
                read_only=on,
                read_only_reason=municipality.read_only_reason,
                read_only_since=municipality.read_only_since,
            )
            PlatformEvent.objects.create(
                actor=actor,
                action="read_only_on" if on else "read_only_off",
                schema_name=municipality.schema_name,
                detail={"reason": reason} if on else {},
            )
            changed.append(municipality)
    return changed
