"""What the roster does when the installation's lifecycle events happen (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from schools.models import Role
from schools.permissions import Actor


def create_first_administrator(sender: Any, *, municipality: Any, admin: Any, by: str, **kwargs):
    """A new municipality starts with its first board administrator (教育委員会の管理者).

    Runs inside the new schema and the provisioning transaction: a refusal (a password the
    validators reject) undoes the whole provisioning, reported on the form's admin fields.
    """
    from schools.services import create_staff_account

    try:
        create_staff_account(
            by=Actor.system(by),
            username=admin.username,
            password=admin.password,
            name=admin.name,
            boe_role=Role.BOE_ADMIN,
        )
    except ValidationError as exc:
        raise ValidationError(
            {f"admin_{field}": messages for field, messages in exc.message_dict.items()}
        ) from exc
