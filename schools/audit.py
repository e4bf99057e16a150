"""The audit record every service writes in the same transaction as its change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from config.logging import request_id_var
from schools.models import AuditEvent, School, Staff


def record(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    school: School | None = None,
    target_type: str = "",
    target_id: str = "",
) -> AuditEvent:
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=_actor_name(user),
        action=action,
        target_type=target_type or (target._meta.label_lower if target is not None else ""),
        target_id=target_id or (str(target.pk) if target is not None else ""),
        school=school,
        changes=changes or {},
        reason=reason,
        request_id=request_id_var.get(),
    )


def staff_name(user: Any) -> str:
    """The 教職員 name of a login ("" for an account without a staff record)."""
    return Staff.objects.filter(user=user).values_list("name", flat=True).first() or ""


def _actor_name(user: Any) -> str:
    if user is None:
        return "system"
    name = staff_name(user)
    return f"{name} ({user.get_username()})" if name else user.get_username()
