"""The audit trail (操作記録): one vocabulary of actions and the one way to write a record.

Every service writes its record in the same transaction as its change, through
:func:`record`. Actions follow one grammar, ``<app>.<entity>.<verb>`` (``gradebook.scores.save``),
and exist only once registered (:func:`register`, called from each app's ``AppConfig.ready``),
so the audit page can name every action in Japanese and a typo fails loudly in tests instead
of writing an action nobody can search for.

Exports of pupils' data go through :func:`record_export` (情報セキュリティポリシー: who took a
copy of what, and when); views of a pupil's page or 通知表 and bulk API reads through
:func:`record_read` (the one way a read writes: its access log). The board reads the trail
through :func:`search` (the 操作記録 page and its export). The table is append-only: a database
trigger refuses UPDATE, DELETE and TRUNCATE (``schools`` migration 0007).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.logging import request_id_var
from schools.models import AuditEvent, Enrolment, School, Staff, Student
from tenants import readonly

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
    event = AuditEvent(
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
    if readonly.on_replica():  # the database refuses every write: sign-ins, sign-outs
        return _log_instead(event, "ai.audit")
    event.save(force_insert=True)
    return event


def _log_instead(event: AuditEvent, logger: str) -> AuditEvent:
    """Read-only: the record as one JSON log line instead of a row (returned unsaved)."""
    logging.getLogger(logger).info(
        json.dumps(
            {
                "action": event.action,
                "actor_id": event.actor_id,
                "actor": event.actor_name,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "school_id": event.school_id,
                "changes": event.changes,
                "request_id": event.request_id,
                "schema": connection.schema_name,
                "at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
            default=str,
        )
    )
    return event


def _access(by: Actor, action: str, target: models.Model | None, **fields: Any) -> AuditEvent:
    """An access-log record (a read or an export): a row, or while read-only a line of
    ``ai.access`` (the GET writes nothing: a replica refuses it, the switch keeps the
    municipality's tables as they are)."""
    if readonly.current() is None:
        return record(by, action, target, **fields)
    if action not in ACTIONS:
        raise UnknownAction(f"audit action {action!r} is not registered")
    user_id, name = _user_of(by)
    event = AuditEvent(
        actor_id=user_id,
        actor_name=name,
        action=action,
        target_type=fields.get("target_type")
        or (target._meta.label_lower if target is not None else ""),
        target_id=fields.get("target_id") or (str(target.pk) if target is not None else ""),
        school=fields.get("school"),
        changes=fields.get("changes") or {},
        request_id=request_id_var.get(),
    )
    return _log_instead(event, "ai.access")


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
    return _access(by, action, target, school=school, changes=params or {}, target_type=target_type)


READ_VERBS = (".view", ".bulk_read")


def record_read(
    by: Actor,
    action: str,
    target: models.Model | None = None,
    *,
    school: School | None = None,
    params: dict[str, Any] | None = None,
    target_type: str = "",
    target_id: str = "",
) -> AuditEvent:
    """The one place a read writes: its access log (閲覧記録).

    A GET never writes anything else. Who opened which pupil's page or 通知表, and who read
    pupils' data in bulk through the API (``page_size`` ≥ ``BULK_PAGE_SIZE``), is asked for by
    the national guideline; ``params`` names the pupil(s) (``student_id``/``student_ids``) so
    that the audit page finds the record by student.
    """
    if not action.endswith(READ_VERBS):
        raise ValueError(f"read action {action!r} must end in .view or .bulk_read")
    return _access(
        by,
        action,
        target,
        school=school,
        changes=params or {},
        target_type=target_type,
        target_id=target_id,
    )


# A list read through the API of at least this many rows per page is a bulk read (logged).
BULK_PAGE_SIZE = 500


# --- reading the trail (the board's 操作記録 page and its export) -------------------------------


@dataclass(frozen=True)
class Search:
    """What the board looks for: a person, a student, an action, a date range (all optional)."""

    person: str = ""
    student: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    student_id: int | None = None  # one pupil exactly (the link from the pupil's page)

    def as_params(self) -> dict[str, str]:
        return {
            k: str(v)
            for k, v in (
                ("person", self.person),
                ("student", self.student),
                ("student_id", self.student_id or ""),
                ("action", self.action),
                ("date_from", self.date_from or ""),
                ("date_to", self.date_to or ""),
            )
            if v
        }


MAX_STUDENTS_SEARCHED = 20


def search(query: Search) -> QuerySet[AuditEvent]:
    """Audit records matching ``query``, newest first (3 queries at most before the page's own:
    the students named, their enrolments; the count and the page are the caller's)."""
    qs = AuditEvent.objects.select_related("school").order_by("-at", "-id")
    if query.person:
        text = query.person.strip()
        qs = qs.filter(
            Q(actor_name__icontains=text)
            | Q(actor__username__iexact=text)
            | Q(actor__staff__name__icontains=text)
        )
    if query.action:
        qs = qs.filter(action=query.action)
    if query.date_from:
        qs = qs.filter(at__date__gte=query.date_from)
    if query.date_to:
        qs = qs.filter(at__date__lte=query.date_to)
    if query.student:
        qs = qs.filter(_student_q(query.student.strip()))
    if query.student_id:
        qs = qs.filter(_student_q("", query.student_id))
    return qs


def _student_q(text: str, student_id: int | None = None) -> Q:
    """Records whose target is the student (or one of their enrolments) or whose changes name
    them: by id (``student_id``, ``student_ids``) or by name."""
    if student_id is not None:
        found = Student.objects.filter(pk=student_id)
    else:
        found = Student.objects.filter(
            Q(name__icontains=text) | Q(kana__icontains=text) | Q(student_number=text)
        )
    students = list(found.values_list("pk", "name")[:MAX_STUDENTS_SEARCHED])
    ids = [pk for pk, _ in students]
    enrolments = [
        str(pk) for pk in Enrolment.objects.filter(student_id__in=ids).values_list("pk", flat=True)
    ]
    q = Q(changes__icontains=text) if text else Q(pk__in=[])
    if ids:
        q |= Q(target_type="schools.student", target_id__in=[str(pk) for pk in ids])
        q |= Q(target_type="schools.enrolment", target_id__in=enrolments)
        q |= Q(changes__student_id__in=ids)
        for pk, name in students:
            q |= Q(changes__student_ids__contains=[pk]) | Q(changes__icontains=name)
    return q


# Japanese names of the keys records use most (others are shown as they are).
FIELD_LABELS = {
    "name": "氏名",
    "kana": "ふりがな",
    "sex": "性別",
    "birth_date": "生年月日",
    "student_number": "学籍番号",
    "student": "児童生徒",
    "student_id": "児童生徒ID",
    "student_ids": "児童生徒ID",
    "staff": "教職員",
    "role": "役割",
    "is_draft": "下書き",
    "roll_number": "出席番号",
    "roll_numbers": "出席番号",
    "class": "学級",
    "classroom": "学級",
    "subject": "教科",
    "term": "学期",
    "count": "件数",
    "rows": "行数",
    "cells": "セル (児童生徒・評価項目・変更前・変更後)",
    "remarks": "所見 (児童生徒・変更前・変更後)",
    "state": "状態",
    "reason": "理由",
    "left_on": "転出日",
    "enrolled_on": "在籍開始日",
    "exit": "異動事由",
    "entry": "在籍事由",
    "year": "年度",
    "format": "形式",
    "thresholds": "しきい値 (A・B)",
    "title": "名称",
    "action": "操作",
    "person": "操作者",
    "date_from": "期間 (から)",
    "date_to": "期間 (まで)",
}

TARGET_LABELS = {
    "schools.student": "児童生徒",
    "schools.enrolment": "在籍",
    "schools.classroom": "学級",
    "schools.school": "学校",
    "schools.schoolyear": "年度",
    "schools.staff": "教職員",
    "schools.roleassignment": "役割",
    "schools.term": "学期",
    "schools.auditevent": "操作記録",
}


def target_label(target_type: str) -> str:
    return TARGET_LABELS.get(target_type, target_type)


def describe_changes(changes: dict[str, Any], limit: int = 300) -> list[str]:
    """Readable lines of a record's changes: 「氏名: 山田 太郎 → 山田 太一」."""
    lines = []
    for key, value in (changes or {}).items():
        name = FIELD_LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], list):
            text = f"{name}: {_show(value[0])} → {_show(value[1])}"
        else:
            text = f"{name}: {_show(value)}"
        lines.append(text if len(text) <= limit else text[: limit - 1] + "…")
    return lines


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(なし)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
