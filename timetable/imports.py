"""Import of the whole-school grid from Excel: how schools that plan in Excel start.

The layout is the export's (``timetable.excel.grid_workbook``): one row per class (「学級」
column: 1年1組), one column per weekday and period (月1 … 金6), each cell the lessons of the
slot, one per line: 「数」, 「数学」, 「数/山田」, 「理/佐藤・鈴木/理科室」 (subject by short or
full name, optionally teachers by family or full name, and a room). Read through the shared
pipeline; the preview lists what changes per class; every error names its cell; the commit
replaces the changed classes' weeks (``services.replace_class_week``) in one transaction, or
nothing. Cells are compared by meaning (「数学」 = 「数」), so importing the same file again,
or a file just exported, changes nothing. Lessons of groups (合同, 少人数) that a cell still
shows are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from schools import calendar
from schools.imports.base import ImportPlan, ImportRefused, digest, record_import
from schools.models import Classroom, School, SchoolYear, Staff, Subject
from schools.permissions import Actor
from schools.spreadsheets import (
    CellError,
    Column,
    ColumnRef,
    Limits,
    Row,
    SpreadsheetError,
    read_table,
)
from timetable import excel, queries, services
from timetable.models import Lesson, Room, Timetable

KIND = "timetable.grid"
LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_rows=500, max_columns=120)
COLUMNS = [Column("classroom", "学級", aliases=("クラス", "class"), required=True)]
_SLOT = re.compile(r"^([月火水木金土])(?:曜日?)?(\d{1,2})(?:校時|限)?$")
_TEACHER_SPLIT = re.compile(r"[・,、]")
CHANGED = "ファイルを読み込んだ後に時間割が変わりました。もう一度ファイルを選んでください。"

# One lesson as compared: (subject id, teacher ids, room id).
Key = tuple[int, tuple[int, ...], int | None]


def _norm(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def slot_of(header: str) -> tuple[int, int] | None:
    """「月1」「月曜1校時」「金 6」 → (weekday, period); None for other headers."""
    found = _SLOT.match(_norm(header))
    if found is None:
        return None
    return excel.WEEKDAY_LABELS.index(found.group(1)), int(found.group(2))


@dataclass
class ClassChange:
    classroom: Classroom
    row: int
    lines: list[str]  # 「月2: 国/山田 → 算/山田」
    lessons: list[dict]  # what replace_class_week receives


@dataclass(kw_only=True)
class GridImportPlan(ImportPlan):
    school: School
    timetable: Timetable | None = None
    changed: list[ClassChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    clashes: int = 0  # after the commit: clashes left (warnings, saved all the same)

    def counts(self) -> dict[str, int]:
        return {
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "rejected": self.rejected_count,
        }

    def fingerprint_parts(self) -> Iterable[object]:
        for change in self.changed:
            yield change.classroom.pk, sorted(repr(x) for x in change.lessons)


class _Names:
    """Subjects, teachers, rooms and classes of the school by the names a cell may use."""

    def __init__(self, view: queries.Grid, others: Iterable[Staff] = ()):
        self.subjects: dict[str, int] = {}
        for s in view.subjects:  # a full name wins over another subject's short name
            if s.short_name:
                self.subjects.setdefault(_norm(s.short_name), s.pk)
        for s in view.subjects:
            self.subjects[_norm(s.name)] = s.pk
        self.teachers: dict[str, int | None] = {}
        for s in view.staff:
            self.teachers[_norm(s.name)] = s.pk
        for s in view.staff:
            family = _norm(excel.family_name(s.name))
            if family not in self.teachers:
                self.teachers[family] = s.pk
            elif self.teachers[family] != s.pk and family != _norm(s.name):
                self.teachers[family] = None  # two 山田: the full name is needed
        # Staff of the school who teach nothing yet: by full name, or a family name that no
        # teacher of the grid has (the export's names keep their meaning).
        taken = set(self.teachers)
        for s in others:
            self.teachers.setdefault(_norm(s.name), s.pk)
            family = _norm(excel.family_name(s.name))
            if family in taken:
                continue
            if self.teachers.setdefault(family, s.pk) != s.pk:
                self.teachers[family] = None
        self.rooms = {_norm(r.name): r.pk for r in view.rooms}
        self.classes = {_norm(r.classroom.label): r.classroom for r in view.rows}

    def lesson(self, text: str) -> tuple[Key | None, str]:
        """One line of a cell → (key, "") or (None, the Japanese reason)."""
        parts = [p.strip() for p in unicodedata.normalize("NFKC", text).split(excel.SEPARATOR)]
        if len(parts) > 3:
            return None, f"「{text}」は「教科/教員/教室」の形で書いてください。"
        subject = self.subjects.get(_norm(parts[0]))
        if subject is None:
            return None, f"教科「{parts[0]}」が見つかりません（略称か教科名で書いてください）。"
        teachers: list[int] = []
        room = None
        who = parts[1] if len(parts) > 1 else ""
        if len(parts) == 2 and _norm(who) in self.rooms and _norm(who) not in self.teachers:
            who, room = "", self.rooms[_norm(who)]
        for name in _TEACHER_SPLIT.split(who):
            if not _norm(name):
                continue
            if _norm(name) not in self.teachers:
                return None, f"教員「{name}」が見つかりません。"
            pk = self.teachers[_norm(name)]
            if pk is None:
                return None, f"教員「{name}」は同じ姓の教員が複数います。氏名で書いてください。"
            teachers.append(pk)
        if len(parts) == 3 and _norm(parts[2]):
            room = self.rooms.get(_norm(parts[2]))
            if room is None:
                return None, f"教室「{parts[2]}」が見つかりません。"
        return (subject, tuple(sorted(set(teachers))), room), ""


def _school_staff(school: School, view: queries.Grid) -> list[Staff]:
    """Staff with a role or a teaching assignment at the school, not already in the grid."""
    known = {s.pk for s in view.staff}
    return [
        s
        for s in Staff.objects.filter(
            Q(roles__school=school) | Q(teaching_assignments__school=school)
        )
        .distinct()
        .order_by("pk")
        if s.pk not in known
    ]


def _key(lesson: Lesson) -> Key:
    return lesson.subject_id, tuple(sorted(set(getattr(lesson, "teacher_ids", [])))), lesson.room_id


def plan_grid_import(
    school: School, school_year: SchoolYear, data: bytes, *, filename: str = ""
) -> GridImportPlan:
    """The preview: what would change per class, and every error with its cell."""
    plan = GridImportPlan(year=school_year, filename=filename, sha256=digest(data), school=school)
    timetable = queries.current_timetable(school, school_year, timezone.localdate())
    if timetable is None:
        plan.file_errors.append(CellError("先に時間割を作成してください。"))
        return plan
    plan.timetable = timetable
    if school_year.is_read_only:
        plan.file_errors.append(
            CellError(f"{school_year}は過年度のため変更できません（閲覧のみ）。")
        )
        return plan
    try:
        result = read_table(
            data, COLUMNS, limits=LIMITS, filename=filename, keep_other_columns=True
        )
    except SpreadsheetError as exc:
        plan.file_errors.extend(exc.errors)
        return plan
    plan.result = result
    view = queries.grid(school, school_year, timetable=timetable)
    names = _Names(view, _school_staff(school, view))
    texts = excel.grid_texts(view)
    rows_by_class = {r.classroom.pk: r for r in view.rows}
    periods_a_day = calendar.periods_per_day(school)
    slots: list[tuple[ColumnRef, tuple[int, int]]] = []
    for ref in result.other_columns:
        slot = slot_of(ref.header)
        if slot is not None:
            slots.append((ref, slot))
    seen: dict[int, Row] = {}
    for row in result.rows:
        label = row.get("classroom")
        classroom = names.classes.get(_norm(label)) if label else None
        # A refused class still lets every lesson cell be checked: one preview says everything.
        ok = True
        if result.cell_failed(row, "classroom"):
            ok = False
        elif classroom is None:
            result.reject(row, "classroom", f"学級「{label}」はこの学校・年度にありません。")
            ok = False
        elif classroom.pk in seen:
            result.reject(
                row, "classroom", f"学級「{label}」が{seen[classroom.pk].number}行目にもあります。"
            )
            ok = False
        else:
            seen[classroom.pk] = row
        wanted: dict[tuple[int, int], list[Key]] = {}
        for ref, (weekday, period) in slots:
            raw = row.extra.get(ref.header)
            lines = [x for x in str(raw if raw is not None else "").splitlines() if x.strip()]
            if lines and period > periods_a_day:
                result.reject_at(
                    row,
                    ref,
                    f"{period}校時はありません（この学校は1日{periods_a_day}校時までです）。",
                )
                ok = False
                continue
            keys = []
            for line in lines:
                key, reason = names.lesson(line)
                if key is None:
                    result.reject_at(row, ref, reason)
                    ok = False
                else:
                    keys.append(key)
            wanted[(weekday, period)] = keys
        if ok and classroom is not None and row.number not in result.rejected:
            _compare(plan, row, rows_by_class[classroom.pk], wanted, texts[classroom.pk])
    return plan


def _compare(
    plan: GridImportPlan,
    row: Row,
    class_row: queries.ClassRow,
    wanted: dict[tuple[int, int], list[Key]],
    old_texts: dict[tuple[int, int], str],
) -> None:
    classroom = class_row.classroom
    existing = {slot: {x.pk: x for x in class_row.cells.get(slot, [])}.values() for slot in wanted}
    changed = {
        slot
        for slot, keys in wanted.items()
        if sorted(keys) != sorted(_key(x) for x in existing[slot])
    }
    if not changed:
        plan.unchanged.append(classroom.label)
        return
    # A class's own lesson over several periods is rebuilt whole when one of them changes.
    own = {
        x.pk: x for lessons in class_row.cells.values() for x in lessons if not x.group_id
    }.values()
    rebuilt = set(changed)
    for x in own:
        covered = {(x.weekday, p) for p in range(x.period, x.period + x.length)}
        if covered & changed:
            rebuilt |= covered & set(wanted)
    lessons: list[dict] = []
    for x in own:
        if (x.weekday, x.period) not in rebuilt and (x.weekday, x.period) in wanted:
            lessons.append(
                {
                    "weekday": x.weekday,
                    "period": x.period,
                    "length": x.length,
                    "subject": x.subject_id,
                    "teachers": list(getattr(x, "teacher_ids", [])),
                    "room": x.room_id,
                    "division": x.division,
                    "section": x.section,
                }
            )
    for weekday, period in sorted(rebuilt):
        group_keys = [_key(x) for x in existing[(weekday, period)] if x.group_id]
        for subject, teachers, room in wanted[(weekday, period)]:
            if (subject, teachers, room) in group_keys:
                group_keys.remove((subject, teachers, room))  # the group's lesson stays
                continue
            lessons.append(
                {
                    "weekday": weekday,
                    "period": period,
                    "subject": subject,
                    "teachers": list(teachers),
                    "room": room,
                }
            )
    lines = []
    for slot in sorted(changed):
        old = old_texts.get(slot, "").replace("\n", "・") or "（空欄）"
        new = _text(plan, wanted[slot]) or "（空欄）"
        lines.append(f"{excel.slot_header(*slot)}: {old} → {new}")
    lessons.sort(key=lambda x: (x["weekday"], x["period"], x["subject"]))
    plan.changed.append(ClassChange(classroom, row.number, lines, lessons))


def _text(plan: GridImportPlan, keys: list[Key]) -> str:
    subjects = {s.pk: s for s in Subject.objects.filter(pk__in={k[0] for k in keys})}
    staff = dict(
        Staff.objects.filter(pk__in={t for k in keys for t in k[1]}).values_list("pk", "name")
    )
    rooms = dict(Room.objects.filter(pk__in={k[2] for k in keys}).values_list("pk", "name"))
    out = []
    for subject, teachers, room in keys:
        parts = [excel.subject_label(subjects[subject])]
        if teachers or room:
            parts.append(excel.TEACHER_JOIN.join(excel.family_name(staff[t]) for t in teachers))
        if room:
            parts.append(rooms[room])
        out.append(excel.SEPARATOR.join(parts))
    return "・".join(out)


@transaction.atomic
def commit_grid_import(
    school: School,
    school_year: SchoolYear,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    expected_fingerprint: str | None = None,
) -> GridImportPlan:
    """Replace every changed class's week from the file in one transaction, or nothing."""
    by.require(by.can_edit_timetable(school.pk), "時間割を編集する権限がありません。")
    plan = plan_grid_import(school, school_year, data, filename=filename)
    plan.require_committable(expected_fingerprint, CHANGED)
    clashes = 0
    try:
        for change in plan.changed:
            result = services.replace_class_week(
                by=by, timetable=plan.timetable, classroom=change.classroom, lessons=change.lessons
            )
            clashes += len(result.clashes)
    except ValidationError as exc:
        raise ImportRefused(exc.messages) from exc
    record_import(
        by,
        "timetable.grid.import",
        plan,
        school=school,
        target_type="timetable.timetable",
        target_id=str(plan.timetable.pk),
        changes={
            "classes": [c.classroom.label for c in plan.changed],
            "unchanged": len(plan.unchanged),
            "clashes": clashes,
        },
    )
    plan.clashes = clashes
    return plan
