"""The audit trail (操作記録): one vocabulary of actions and the one way to write a record.

Every service writes its record in the same transaction as its change, through
:func:`record`. Actions follow one grammar, ``<app>.<entity>.<verb>`` (``gradebook.scores.save``),
and exist only once registered (:func:`register`, called from each app's ``AppConfig.ready``),
so the audit page can name every action in Japanese and a typo fails loudly in tests instead
of writing an action nobody can search for.

Exports and other bulk reads of pupils' data go through :func:`record_export` (情報セキュリティ
ポリシー: who took a copy of what, and when).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import models

from config.logging import request_id_var
from schools.models import AuditEvent, School, Staff

if TYPE_CHECKING:
    from schools.permissions import Actor

ACTION_GRAMMAR = re.compile(r"^[a-z]+\.[a-z_]+\.[a-z_]+$")

# code -> Japanese label; filled by the apps' ready() through register()
ACTIONS: dict[str, str] = {}


class UnknownAction(LookupError):
    pass


def register(code: str, label: str) -> str:
    """Declare an audit action (``<app>.<entity>.<verb>``) with its Japanese label."""
    if not ACTION_GRAMMAR.match(code):
        raise ValueError(f"audit action {code!r} does not follow <app>.<entity>.<verb>")
    if ACTIONS.get(code, label) != label:
        raise ValueError(f"audit action {code!r} is registered twice with different labels")
    ACTIONS[code] = label
    return code


def register_all(actions: dict[str, str]) -> None:
    for code, label in actions.items():
        register(code, label)


def label(code: str) -> str:
    """The Japanese name of an action; unknown (e.g. retired) codes are shown as they are."""
    return ACTIONS.get(code, code)


def _user_of(by: Actor | Any | None) -> tuple[int | None, str]:
    """(user id, display name) of whoever acts: an ``Actor``, a user, or None for the system."""
    from schools.permissions import Actor

    if isinstance(by, Actor):
        return by.user_id, display_name(by)
    if by is not None and getattr(by, "is_authenticated", False):
        return by.pk, _name(by.pk, by.get_username())
    return None, "system"


def display_name(by: Actor) -> str:
    """How a person appears in the audit trail and in 変更履歴: 「山田 花子 (yamada)」."""
    if by.user_id is None:
        return by.system_name or "system"
    return _name(by.user_id, by.username)


def user_display_name(user: Any) -> str:
    """display_name() for a user object (or None: "system")."""
    return _user_of(user)[1]


def staff_name(user: Any) -> str:
    """The 教職員 name of a login ("" for an account without a staff record)."""
    pk = getattr(user, "pk", user)
    return Staff.objects.filter(user_id=pk).values_list("name", flat=True).first() or ""


def _name(user_id: int, username: str) -> str:
    name = staff_name(user_id)
    if not username:
        username = (
            get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()
            or ""
        )
    return f"{name} ({username})" if name else username


def record(
    by: Actor | Any | None,
    action: str,
    target: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    school: School | None = None,
    target_type: str = "",
    target_id: str = "",
) -> AuditEvent:
    """Write one audit record of ``action`` by ``by`` (call it inside the change's transaction)."""
    if action not in ACTIONS:
        raise UnknownAction(f"audit action {action!r} is not registered")
    user_id, name = _user_of(by)
    return AuditEvent.objects.create(
        actor_id=user_id,
        actor_name=name,
        action=action,
        target_type=target_type or (target._meta.label_lower if target is not None else ""),
        target_id=target_id or (str(target.pk) if target is not None else ""),
        school=school,
        changes=changes or {},
        reason=reason,
        request_id=request_id_var.get(),
    )


def record_export(
    by: Actor,
    action: str,
    target: models.Model | None = None,
    *,
    school: School | None = None,
    params: dict[str, Any] | None = None,
    target_type: str = "",
) -> AuditEvent:
    """The one place an export or bulk read of pupils' data is recorded.

    ``params`` says what was taken (year, month, term, rows …) so that the board can answer
    「誰がいつ何を持ち出したか」.
    """
    if not action.endswith(".export"):
        raise ValueError(f"export action {action!r} must end in .export")
    return record(by, action, target, school=school, changes=params or {}, target_type=target_type)
