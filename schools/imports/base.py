"""What every import plan shares: preview (a dry run) → commit of the same plan.

An import reads its file with the shared spreadsheet pipeline into an ``ImportPlan``: the
file's errors and every row's, with sheet, row and column; counts of what the commit would
create, change, leave alone or reject; and a fingerprint of all that. Nothing is written.
The commit plans again inside one transaction, and writes only when no row is rejected and
the fingerprint is the one the user previewed (``require_committable``), then writes one
audit record of the whole import (``record_import``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schools import audit
from schools.imports import background
from schools.imports.background import Progress
from schools.models import AuditEvent, Classroom, School, SchoolYear
from schools.permissions import Actor
from schools.spreadsheets import (
    CellError,
    Column,
    Limits,
    ParseResult,
    SpreadsheetError,
    read_table,
)

BATCH = 2000  # rows per bulk statement
FIELD_LABELS = {
    "name": "氏名",
    "kana": "ふりがな",
    "sex": "性別",
    "birth_date": "生年月日",
    "student_number": "学籍番号",
    "classroom": "学級",
    "roll_number": "出席番号",
    "grade": "学年",
    "enrolled_on": "転入日",
    "left_on": "転出日",
    "staff_number": "職員番号",
}
SEX_TEXT = {"M": "男", "F": "女", "X": "その他"}


class ImportRefused(Exception):
    """The import cannot be committed; ``errors`` say why (nothing was written)."""

    def __init__(self, errors: Iterable[CellError | str]):
        self.errors = [e if isinstance(e, CellError) else CellError(e) for e in errors]
        super().__init__("\n".join(str(e) for e in self.errors))


def shown(value: Any) -> str:
    """A stored or new value as the preview shows it (「（空欄）」, 2026/4/1, 1年1組)."""
    if value is None or value == "":
        return "（空欄）"
    if isinstance(value, Classroom):
        return value.label
    if hasattr(value, "isoformat"):
        return value.strftime("%Y/%-m/%-d")
    return str(value)


def change_lines(changes: dict[str, tuple[Any, Any]]) -> list[str]:
    """「ふりがな: やまだ → やまた」 lines for the preview."""
    lines = []
    for key, (old, new) in changes.items():
        if key == "sex":
            old, new = SEX_TEXT.get(old, old), SEX_TEXT.get(new, new)
        lines.append(f"{FIELD_LABELS.get(key, key)}: {shown(old)} → {shown(new)}")
    return lines


def sorted_errors(result: ParseResult) -> list[CellError]:
    return sorted(result.errors, key=lambda e: (e.row or 0, e.column))


@dataclass(kw_only=True)
class ImportPlan:
    """The preview of one import: errors, counts and a fingerprint (subclasses add rows)."""

    year: SchoolYear
    filename: str
    sha256: str
    result: ParseResult | None = None
    file_errors: list[CellError] = field(default_factory=list)

    @property
    def errors(self) -> list[CellError]:
        return self.file_errors + (sorted_errors(self.result) if self.result else [])

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_count(self) -> int:
        return len(self.result.rejected) if self.result else 0

    def counts(self) -> dict[str, int]:
        raise NotImplementedError

    def fingerprint_parts(self) -> Iterable[object]:
        """What the commit would do, row by row (the fingerprint is made of it)."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Identifies what the commit would do: the preview's plan must still hold at confirm."""
        digest = hashlib.sha256(self.sha256.encode())
        for part in self.fingerprint_parts():
            digest.update(repr(part).encode())
        return digest.hexdigest()[:32]

    def snapshot_base(self) -> dict[str, Any]:
        """The part of a preview every import shares, as JSON (see ``error_from``)."""
        result = self.result
        return {
            "year_id": self.year.pk,
            "filename": self.filename,
            "ok": self.ok,
            "fingerprint": self.fingerprint() if self.ok else "",
            "read": result is not None,
            "sheet": result.sheet if result else "",
            "header_row": result.header_row if result else None,
            "other_sheets": list(result.other_sheets) if result else [],
            "ignored_headers": list(result.ignored_headers) if result else [],
            "errors": [error_data(e) for e in self.errors],
        }

    def require_committable(self, expected_fingerprint: str | None, changed: str) -> None:
        """Refuse (nothing written) a plan with errors, or one that differs from the preview."""
        if not self.ok:
            raise ImportRefused(self.errors)
        if expected_fingerprint is not None and self.fingerprint() != expected_fingerprint:
            raise ImportRefused([changed])


def error_data(error: CellError) -> dict[str, Any]:
    return {
        "message": error.message,
        "sheet": error.sheet,
        "row": error.row,
        "column": error.column,
        "header": error.header,
    }


def error_from(data: dict[str, Any]) -> CellError:
    """A ``CellError`` back from ``error_data`` (a job's result)."""
    return CellError(
        data["message"],
        sheet=data["sheet"],
        row=data["row"],
        column=data["column"],
        header=data["header"],
    )


def read_into(
    plan: ImportPlan,
    data: bytes,
    columns: Sequence[Column],
    *,
    limits: Limits,
    archived_header: str = "",
    progress: Progress | None = None,
) -> ParseResult | None:
    """Parse ``data`` for ``plan``; None (with the plan's file errors) when it is refused.

    ``progress`` (a job's ``ctx.progress``) hears of the rows read."""
    if plan.year.is_read_only:
        plan.file_errors.append(
            CellError(
                f"{plan.year}は過年度のため変更できません（閲覧のみ）。", header=archived_header
            )
        )
        return None
    try:
        return read_table(
            data,
            columns,
            limits=limits,
            filename=plan.filename,
            progress=background.reading(progress, data),
        )
    except SpreadsheetError as exc:
        plan.file_errors.extend(exc.errors)
        return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_import(
    by: Actor,
    action: str,
    plan: ImportPlan,
    *,
    school: School | None = None,
    target_type: str,
    target_id: str = "",
    changes: dict[str, Any],
) -> AuditEvent:
    """The import's one audit record: which file (name and hash), which year, what changed."""
    return audit.record(
        by,
        action,
        target_type=target_type,
        target_id=target_id,
        school=school,
        changes={
            "file": plan.filename,
            "sha256": plan.sha256,
            "school_year": plan.year.year,
            **changes,
        },
    )
