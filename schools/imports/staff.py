"""Staff import (教職員の取り込み): accounts, 教職員 records and their roles of a year.

One row per role; rows with the same ログインID are one person, so 兼務 takes two rows.
Accounts are matched by ログインID (case-insensitive). A new account gets the row's
初期パスワード (checked by the password rules) or none at all, so it cannot log in until
an administrator sets one; the import never changes an existing account's password.
Roles are added; roles that are not in the file are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from schools import signals
from schools.excel import STAFF_COLUMNS
from schools.imports import background
from schools.imports.background import Progress
from schools.imports.base import BATCH, ImportPlan, change_lines, digest, read_into, record_import
from schools.models import (
    Classroom,
    Role,
    RoleAssignment,
    School,
    SchoolYear,
    Staff,
    Subject,
    TeachingAssignment,
)
from schools.permissions import Actor
from schools.spreadsheets import Limits, ParseResult, Row
from schools.spreadsheets.normalize import header_key

UPLOAD_KIND = "schools.staff"  # the pending upload's kind (schools.imports.store)
HASHING = "アカウントのパスワードを設定しています…"
STAFF_LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_rows=5_000)


@dataclass
class StaffPerson:
    username: str
    rows: list[Row]
    name: str
    kana: str
    staff_number: str | None
    password: str | None
    staff: Staff | None = None  # when the account exists (or once the commit created it)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # Decided when planned: after the commit a created person has ``staff`` too, and the
    # counts (the confirmation message) must still say 新規.
    new_account: bool = True

    @property
    def kind(self) -> str:
        if self.new_account:
            return "create"
        return "update" if self.changes else "unchanged"

    def changes_text(self) -> list[str]:
        return change_lines(self.changes)


@dataclass
class StaffRole:
    row: Row
    username: str
    role: str
    title: str
    school: School | None
    classroom: Classroom | None
    subject: Subject | None
    exists: bool = False

    def text(self) -> str:
        parts = [Role(self.role).label]
        if self.title:
            parts.append(RoleAssignment.Title(self.title).label)
        if self.school is not None:
            parts.append(self.school.name)
        if self.classroom is not None:
            parts.append(self.classroom.label)
        if self.subject is not None:
            parts.append(self.subject.name)
        return " ".join(parts)


@dataclass(kw_only=True)
class StaffPlan(ImportPlan):
    people: list[StaffPerson] = field(default_factory=list)
    roles: list[StaffRole] = field(default_factory=list)
    ignored_passwords: int = 0

    def people_of(self, kind: str) -> list[StaffPerson]:
        return [p for p in self.people if p.kind == kind]

    @property
    def roles_to_add(self) -> list[StaffRole]:
        return [r for r in self.roles if not r.exists]

    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.people_of("create")),
            "update": len(self.people_of("update")),
            "unchanged": len(self.people_of("unchanged")),
            "roles_add": len(self.roles_to_add),
            "roles_existing": len(self.roles) - len(self.roles_to_add),
            "rejected": self.rejected_count,
        }

    @property
    def passwords_to_set(self) -> int:
        """New accounts with an initial password: each costs a password hash (~1 s) at commit."""
        return sum(1 for p in self.people_of("create") if p.password)

    def snapshot(self) -> dict[str, Any]:
        """What the preview page shows, as JSON (a job's result): every person and role
        (a password only as whether there is one)."""
        return {
            **self.snapshot_base(),
            "counts": self.counts(),
            "ignored_passwords": self.ignored_passwords,
            "people": [
                {
                    "number": p.rows[0].number,
                    "rows": [r.number for r in p.rows],  # the API lists every row of a person
                    "name": p.name,
                    "kana": p.kana,
                    "username": p.username,
                    "staff_number": p.staff_number,
                    "kind": p.kind,
                    "password": bool(p.password),
                    "changes": p.changes_text(),
                }
                for p in self.people
            ],
            "roles": [
                {
                    "number": r.row.number,
                    "username": r.username,
                    "text": r.text(),
                    "exists": r.exists,
                }
                for r in self.roles
            ],
        }

    def fingerprint_parts(self):
        for p in self.people:
            yield (p.username, p.kind, sorted(p.changes))
        for r in self.roles:
            yield (r.row.number, r.exists)


def plan_staff_import(
    year: SchoolYear,
    data: bytes,
    *,
    filename: str = "",
    limits: Limits = STAFF_LIMITS,
    progress: Progress | None = None,
) -> StaffPlan:
    """The preview of a staff import into ``year`` (roles of schools belong to a year).

    ``progress`` (a job's ``ctx.progress``) hears of the rows read."""
    plan = StaffPlan(year=year, filename=filename, sha256=digest(data))
    result = read_into(plan, data, STAFF_COLUMNS, limits=limits, progress=progress)
    if result is None:
        return plan
    plan.result = result
    _StaffPlanner(plan, result).run()
    return plan


class _StaffPlanner:
    def __init__(self, plan: StaffPlan, result: ParseResult):
        self.plan, self.result, self.year = plan, result, plan.year

    def run(self) -> None:
        result = self.result
        groups: dict[str, list[Row]] = {}
        for row in result.rows:
            if row["username"]:
                groups.setdefault(row["username"].lower(), []).append(row)
        users = {
            u.username.lower(): u
            for u in get_user_model().objects.filter(
                username__in=[r["username"] for r in result.rows if r["username"]]
            )
        }
        # Case-insensitive: ask again for names that differ only by case.
        missing = [k for k in groups if k not in users]
        if missing:
            for u in get_user_model().objects.filter(
                username__iregex=r"^(" + "|".join(map(re.escape, missing)) + r")$"
            ):
                users[u.username.lower()] = u
        staff_by_user = {
            s.user_id: s for s in Staff.objects.filter(user__in=[u.pk for u in users.values()])
        }
        numbers = {r["staff_number"] for r in result.rows if r.get("staff_number")}
        number_owner = dict(
            Staff.objects.filter(staff_number__in=numbers).values_list("staff_number", "user_id")
        )
        for key, rows in groups.items():
            self._person(key, rows, users.get(key), staff_by_user, number_owner)
        self._staff_number_clashes()
        schools = list(School.objects.all())
        classes = list(
            Classroom.objects.filter(school_year=self.year).select_related("school", "school_year")
        )
        subjects = {(s.school_type, s.name): s for s in Subject.objects.all()}
        existing = set(
            RoleAssignment.objects.filter(staff__in=list(staff_by_user.values())).values_list(
                "staff__user__username",
                "role",
                "school_id",
                "school_year_id",
                "classroom_id",
                "subject_id",
            )
        )
        existing = {(u.lower(), *rest) for u, *rest in existing}
        # 教科担任 rows are teaching assignments (担当): the person is one of its teachers.
        existing |= {
            (u.lower(), Role.SUBJECT, school_id, year_id, classroom_id, subject_id)
            for u, school_id, year_id, classroom_id, subject_id in TeachingAssignment.objects.filter(
                teachers__in=list(staff_by_user.values()), classroom__isnull=False
            ).values_list(
                "teachers__user__username",
                "school_id",
                "school_year_id",
                "classroom_id",
                "subject_id",
            )
        }
        seen: dict[tuple, Row] = {}
        role_cells = ("role", "school", "classroom", "subject", "title")
        for row in result.rows:
            if not row["username"] or any(result.cell_failed(row, f) for f in role_cells):
                continue
            # A row refused for its name or kana still has its role checked: one preview
            # says everything; only a row without errors is planned.
            refused = row.number in result.rejected
            role = self._role(row, schools, classes, subjects)
            if role is None or refused:
                continue
            key = (
                role.username.lower(),
                role.role,
                role.school.pk if role.school else None,
                self.year.pk if role.school else None,
                role.classroom.pk if role.classroom else None,
                role.subject.pk if role.subject else None,
            )
            if key in seen:
                result.reject(row, "role", f"{seen[key].number}行目と同じ役割です。")
                continue
            seen[key] = row
            role.exists = key in existing
            self.plan.roles.append(role)

    def _person(self, key, rows, user, staff_by_user, number_owner) -> None:
        first = rows[0]
        for row in rows[1:]:
            for field_name, label in (
                ("name", "氏名"),
                ("kana", "ふりがな"),
                ("staff_number", "職員番号"),
            ):
                if (
                    row.get(field_name)
                    and first.get(field_name)
                    and row[field_name] != first[field_name]
                ):
                    self.result.reject(
                        row, field_name, f"同じログインIDの{first.number}行目と{label}が違います。"
                    )
        pick = lambda name: next((r[name] for r in rows if r.get(name)), None)  # noqa: E731
        person = StaffPerson(
            username=first["username"],
            rows=rows,
            name=first["name"] or "",
            kana=pick("kana") or "",
            staff_number=pick("staff_number"),
            password=pick("password"),
        )
        if user is not None:
            staff = staff_by_user.get(user.pk)
            if staff is None:
                self.result.reject(
                    first,
                    "username",
                    f"ログインID「{user.username}」は教職員ではない利用者のものです。",
                )
                return
            person.staff = staff
            person.new_account = False
            for name in ("name", "kana", "staff_number"):
                new = getattr(person, name)
                if new and getattr(staff, name) != new:
                    person.changes[name] = (getattr(staff, name), new)
            if person.password:
                self.plan.ignored_passwords += 1
        elif person.password:
            try:
                validate_password(person.password, get_user_model()(username=person.username))
            except ValidationError as exc:
                row = next(r for r in rows if r.get("password"))
                self.result.reject(row, "password", " ".join(exc.messages))
        owner = number_owner.get(person.staff_number) if person.staff_number else None
        if owner is not None and (user is None or owner != user.pk):
            self.result.reject(
                first, "staff_number", f"職員番号{person.staff_number}は別の教職員が使っています。"
            )
        self.plan.people.append(person)

    def _staff_number_clashes(self) -> None:
        by_number: dict[str, StaffPerson] = {}
        for person in self.plan.people:
            if not person.staff_number:
                continue
            other = by_number.get(person.staff_number)
            if other is not None:
                self.result.reject(
                    person.rows[0],
                    "staff_number",
                    f"職員番号{person.staff_number}が{other.rows[0].number}行目の"
                    f"{other.name}さんと重複しています。",
                )
            else:
                by_number[person.staff_number] = person

    def _role(self, row: Row, schools, classes, subjects) -> StaffRole | None:
        v, result = row.values, self.result
        role = v.get("role")
        if role is None:
            if v.get("school") or v.get("classroom") or v.get("subject") or v.get("title"):
                result.reject(
                    row, "role", "役割を入力してください（学校や学級だけでは決まりません）。"
                )
            return None
        school = None
        if v.get("school"):
            wanted = v["school"]
            school = next(
                (s for s in schools if s.name == wanted or s.mext_code == wanted.upper()), None
            )
            if school is None:
                result.reject(row, "school", f"学校「{wanted}」は登録されていません。")
                return None
        classroom = subject = None
        if role in (Role.BOE_ADMIN, Role.BOE_VIEWER):
            return StaffRole(row, v["username"], role, "", None, None, None)
        if role == Role.SCHOOL_ADMIN:
            if school is None:
                result.reject(row, "school", "学校管理者には学校を入力してください。")
                return None
            if not v.get("title"):
                result.reject(
                    row, "title", "職名を入力してください（校長・副校長・教頭・教務主任）。"
                )
                return None
            return StaffRole(row, v["username"], role, v["title"], school, None, None)
        if not v.get("classroom"):
            result.reject(row, "classroom", "学級を入力してください（例: 1年1組）。")
            return None
        wanted = header_key(v["classroom"])
        matches = [
            c
            for c in classes
            if header_key(c.label) == wanted and (school is None or c.school_id == school.pk)
        ]
        if not matches:
            where = school.name if school else "どの学校"
            result.reject(
                row, "classroom", f"学級「{v['classroom']}」は{self.year}の{where}にありません。"
            )
            return None
        if len(matches) > 1:
            result.reject(
                row,
                "school",
                f"学級「{v['classroom']}」が複数の学校にあります。学校を入力してください。",
            )
            return None
        classroom = matches[0]
        if role == Role.SUBJECT:
            subject = subjects.get((classroom.school.school_type, v.get("subject") or ""))
            if subject is None:
                result.reject(
                    row,
                    "subject",
                    f"教科「{v.get('subject') or ''}」は{classroom.school.get_school_type_display()}"
                    "の教科にありません。",
                )
                return None
        return StaffRole(row, v["username"], role, "", classroom.school, classroom, subject)


@transaction.atomic
def commit_staff_import(
    year: SchoolYear,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
) -> StaffPlan:
    """Create the accounts, update names and numbers, add the roles: all or nothing.

    ``progress`` (a job's ``ctx.progress``) hears of the rows read and the passwords set
    (the slow part: one hash each); when it raises (cancelled), nothing is written."""
    by.require_staff_import()
    plan = plan_staff_import(year, data, filename=filename, progress=progress)
    plan.require_committable(
        expected_fingerprint,
        "確認画面を表示した後に教職員が変更されました。もう一度ファイルを読み込んでください。",
    )
    User = get_user_model()
    new_people = plan.people_of("create")
    users = []
    hashed, to_hash = 0, plan.passwords_to_set
    for person in new_people:
        if progress is not None and person.password:
            progress(hashed, to_hash, HASHING)
            hashed += 1
        account = User(username=person.username)
        if person.password:
            account.set_password(person.password)
        else:
            account.set_unusable_password()  # cannot log in until an administrator sets one
        users.append(account)
    User.objects.bulk_create(users)
    with_password = [u for u, p in zip(users, new_people, strict=True) if p.password]
    if with_password:
        signals.staff_accounts_created.send(sender=Staff, users=with_password, by=by)
    staff_rows = [
        Staff(user=u, name=p.name, kana=p.kana, staff_number=p.staff_number or None)
        for u, p in zip(users, new_people, strict=True)
    ]
    Staff.objects.bulk_create(staff_rows)
    for person, staff in zip(new_people, staff_rows, strict=True):
        person.staff = staff
    changed = plan.people_of("update")
    for person in changed:
        for name, (_, new) in person.changes.items():
            setattr(person.staff, name, new)
    if changed:
        Staff.objects.bulk_update(
            [p.staff for p in changed], ["name", "kana", "staff_number"], batch_size=BATCH
        )
    by_username = {p.username.lower(): p.staff for p in plan.people}
    RoleAssignment.objects.bulk_create(
        RoleAssignment(
            staff=by_username[r.username.lower()],
            role=r.role,
            title=r.title,
            school=r.school,
            school_year=year if r.school is not None else None,
            classroom=r.classroom,
            subject=r.subject,
        )
        for r in plan.roles_to_add
        if r.role != Role.SUBJECT
    )
    for r in plan.roles_to_add:
        if r.role == Role.SUBJECT:
            assignment, _ = TeachingAssignment.objects.get_or_create(
                classroom=r.classroom,
                subject=r.subject,
                defaults={"school": r.school, "school_year": year},
            )
            assignment.teachers.add(by_username[r.username.lower()])
    if progress is not None:  # a last chance to cancel (a new message is always reported)
        progress(to_hash, to_hash, background.RECORDING)
    record_import(
        by,
        "schools.staff.import",
        plan,
        target_type="schools.staff",
        changes={
            "created": [p.username for p in new_people],
            "updated": {p.username: sorted(p.changes) for p in changed},
            "roles_added": [f"{r.username}: {r.text()}" for r in plan.roles_to_add],
        },
    )
    return plan
