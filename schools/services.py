"""Writes of the roster: one function per user action, one transaction, one audit record."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from schools import audit
from schools.models import Role, RoleAssignment, Staff


@transaction.atomic
def create_staff_account(
    actor,
    *,
    username: str,
    password: str,
    name: str,
    kana: str = "",
    email: str = "",
    staff_number: str | None = None,
    boe_role: str | None = None,
) -> Staff:
    """Create a login and its 教職員 record in the current municipality.

    ``boe_role`` gives a board-of-education role (administrator or viewer) at once.
    """
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": "ログインIDを入力してください。"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"ログインID「{username}」は既に使われています。"})
    if not name.strip():
        raise ValidationError({"name": "氏名を入力してください。"})
    user = User(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    staff = Staff.objects.create(
        user=user, name=name.strip(), kana=kana.strip(), staff_number=staff_number or None
    )
    if boe_role:
        if boe_role not in (Role.BOE_ADMIN, Role.BOE_VIEWER):
            raise ValidationError({"boe_role": "教育委員会の役割を選んでください。"})
        RoleAssignment.objects.create(staff=staff, role=boe_role)
    audit.record(
        actor,
        "staff.create",
        staff,
        changes={"username": username, "name": staff.name, "boe_role": boe_role or ""},
    )
    return staff
