"""Job kinds: a name and the function that does the work. No models here (imported early)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Cancelled(Exception):  # noqa: N818 (what happened, not an error)
    """Raised by ``ctx.progress()`` when someone asked to cancel the job: let it propagate."""


class JobError(Exception):
    """A failure to show as it is: the message is Japanese and meant for the person."""


@dataclass(frozen=True)
class FileResult:
    """A file a job produced, kept in the job's row for download."""

    content: bytes
    filename: str
    content_type: str = "application/octet-stream"
    data: dict[str, Any] | None = None


# (ctx, params) -> FileResult | JSON-able data | None
KindFunction = Callable[[Any, dict[str, Any]], Any]


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    run: KindFunction


KINDS: dict[str, Kind] = {}


def kind(name: str, *, label: str = "") -> Callable[[KindFunction], KindFunction]:
    """Register ``fn(ctx, params)`` as job kind ``name`` (``<app>.<what>``), shown as ``label``."""

    def register(fn: KindFunction) -> KindFunction:
        if name in KINDS and KINDS[name].run is not fn:
            raise ValueError(f"job kind {name!r} is registered twice")
        KINDS[name] = Kind(name, label or name, fn)
        return fn

    return register


def get(name: str) -> Kind | None:
    return KINDS.get(name)


def label_of(name: str) -> str:
    found = KINDS.get(name)
    return found.label if found else name
