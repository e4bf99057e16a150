"""Roster import (名簿の取り込み): plan (the preview, a dry run), then commit the same plan.

``plan_roster_import`` reads the file with the shared pipeline, matches every
row with the municipality's students and the school's classes of the year, and
sorts the rows into *create*, *update*, *unchanged* and *rejected*. Nothing is
written. ``commit_roster_import`` plans again inside one transaction (with the
school row locked, so two imports of one school queue up) and, only when no
row is rejected and the plan is the one the user previewed, writes everything
with bulk operations and one audit record. Importing the same file twice
changes nothing the second time.

Matching: a row's 学籍番号 finds the student; without one (or an unknown
one), 氏名 + 生年月日 (spaces ignored in the name) finds a student who has no
学籍番号 yet. Each row needs at least one of the two, so a re-import can never
create the same child twice.

Choices a school administrator would expect:

- a class that does not exist in the year is an error (typing 1年9組 for
  1年2組 must not create a class), unless ``create_classes`` is ticked;
- students of the school who are not in the file are left alone (the
  preview counts them);
- a student moved to another class in the file has their enrolment corrected
  (an import fixes a list; a transfer during the year is recorded on the
  roster pages, with its date);
- an optional column missing from the file, or a blank optional cell, keeps
  the stored value.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from schools.excel import ROSTER_COLUMNS, class_key
from schools.imports import background
from schools.imports.background import Progress
from schools.imports.base import (
    BATCH,
    ImportPlan,
    ImportRefused,
    change_lines,
    digest,
    read_into,
    record_import,
    shown,
)
from schools.models import Classroom, Enrolment, School, SchoolYear, Student
from schools.permissions import Actor
from schools.spreadsheets import CellError, Limits, ParseResult, Row
from schools.spreadsheets.normalize import without_spaces
from schools.wareki import wareki_date

UPLOAD_KIND = "schools.roster"  # the pending upload's kind (schools.imports.store)
PREVIEW_ROWS = 200  # rows listed per section of the preview page (all are counted)
ROSTER_LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_rows=20_000)
STUDENT_FIELDS = ("name", "kana", "sex", "birth_date", "student_number")


@dataclass
class PlannedRow:
    """One row of the file and what the commit will do with it."""

    row: Row
    class_label: str
    classroom: Classroom | None  # None: a class created by this import
    class_key: tuple[int | None, str]
    student: Student | None = None  # None: a new student
    enrolment: Enrolment | None = None  # None: a new enrolment
    student_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    enrolment_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kind: str = "create"  # create / update / unchanged: decided once, when planned

    @property
    def values(self) -> dict[str, Any]:
        return self.row.values

    def decide(self) -> None:
        if self.student is None:
            self.kind = "create"
        elif self.student_changes or self.enrolment_changes or self.enrolment is None:
            self.kind = "update"
        else:
            self.kind = "unchanged"

    def changes_text(self) -> list[str]:
        """「ふりがな: やまだ → やまた」 lines for the preview."""
        lines = change_lines(self.student_changes | self.enrolment_changes)
        if self.student is not None and self.enrolment is None:
            lines.append(f"在籍: {self.class_label} {self.values['roll_number']}番 に登録")
        return lines


@dataclass(kw_only=True)
class RosterPlan(ImportPlan):
    school: School
    rows: list[PlannedRow] = field(default_factory=list)
    new_classes: list[tuple[int, str]] = field(default_factory=list)
    not_in_file: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def _kind(self, kind: str) -> list[PlannedRow]:
        rejected = self.result.rejected if self.result else set()
        return [p for p in self.rows if p.row.number not in rejected and p.kind == kind]

    @property
    def to_create(self) -> list[PlannedRow]:
        return self._kind("create")

    @property
    def to_update(self) -> list[PlannedRow]:
        return self._kind("update")

    @property
    def unchanged(self) -> list[PlannedRow]:
        return self._kind("unchanged")

    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.to_create),
            "update": len(self.to_update),
            "unchanged": len(self.unchanged),
            "rejected": self.rejected_count,
            "new_classes": len(self.new_classes),
        }

    def snapshot(self, limit: int) -> dict[str, Any]:
        """What the preview page shows, as JSON (a job's result): the counts, every error and
        the first ``limit`` rows of each section; the page renders it as it renders a plan."""

        def rows(planned: list[PlannedRow]) -> list[dict[str, Any]]:
            return [
                {
                    "number": p.row.number,
                    "class_label": p.class_label,
                    "values": {
                        k: p.values.get(k).isoformat()
                        if k == "birth_date" and p.values.get(k)
                        else p.values.get(k)
                        for k in (
                            "roll_number",
                            "kana",
                            "name",
                            "sex",
                            "birth_date",
                            "student_number",
                        )
                    },
                    "changes": p.changes_text(),
                }
                for p in planned[:limit]
            ]

        return {
            **self.snapshot_base(),
            "school_id": self.school.pk,
            "counts": self.counts(),
            "new_classes": [list(c) for c in self.new_classes],
            "not_in_file": self.not_in_file,
            "to_create": rows(self.to_create),
            "to_update": rows(self.to_update),
            "unchanged": rows(self.unchanged),
        }

    def fingerprint_parts(self):
        for p in self.rows:
            yield (
                p.row.number,
                p.kind,
                p.student.pk if p.student else None,
                sorted((k, str(v)) for k, v in p.student_changes.items()),
                sorted((k, str(v)) for k, v in p.enrolment_changes.items()),
            )
        yield self.new_classes


# --- planning --------------------------------------------------------------------------


def plan_roster_import(
    school: School,
    year: SchoolYear,
    data: bytes,
    *,
    filename: str = "",
    create_classes: bool = False,
    limits: Limits = ROSTER_LIMITS,
    progress: Progress | None = None,
) -> RosterPlan:
    """The preview: what importing ``data`` into ``school`` and ``year`` would do. Writes nothing.

    ``progress`` (a job's ``ctx.progress``) hears of the rows read, then planned."""
    started = time.perf_counter()
    plan = RosterPlan(school=school, year=year, filename=filename, sha256=digest(data))
    result = read_into(
        plan, data, ROSTER_COLUMNS, limits=limits, archived_header="年度", progress=progress
    )
    if result is None:
        return plan
    if not result.has("student_number") and not result.has("birth_date"):
        plan.file_errors.append(
            CellError(
                "「学籍番号」か「生年月日」の列が必要です（同じ児童生徒を見分けるため）。",
                sheet=result.sheet,
                row=result.header_row,
            )
        )
        return plan
    plan.result = result
    plan.timings["parse"] = time.perf_counter() - started
    _Planner(plan, result, create_classes, progress).run()
    plan.timings["plan"] = time.perf_counter() - started - plan.timings["parse"]
    return plan


class _Planner:
    def __init__(
        self,
        plan: RosterPlan,
        result: ParseResult,
        create_classes: bool,
        progress: Progress | None = None,
    ):
        self.progress = progress
        self.plan = plan
        self.result = result
        self.school = plan.school
        self.year = plan.year
        self.create_classes = create_classes

    def run(self) -> None:
        result = self.result
        # Every rule runs on every row whose cells allow it, so one upload reports all errors.
        for row in result.rows:
            self._check_row(row)
        self._check_file_duplicates()
        classes = self._classes()
        for row in result.rows:
            self._find_class(row, classes)
        candidates = [r for r in result.rows if r.number not in result.rejected]
        by_number, by_name_birth = self._students(candidates)
        enrolments, occupied = self._enrolments()
        matched: dict[int, Row] = {}
        for done, row in enumerate(candidates):
            if self.progress is not None:
                self.progress(done, len(candidates), background.PLANNING)
            planned = self._plan_row(row, classes, by_number, by_name_birth, enrolments)
            if planned is None:
                continue
            if planned.student is not None:
                other = matched.get(planned.student.pk)
                if other is not None:
                    result.reject(
                        row,
                        "name",
                        f"{other.number}行目と同じ児童生徒（{planned.student.name}）です。"
                        "1人を2行に書かないでください。",
                    )
                    continue
                matched[planned.student.pk] = row
            self.plan.rows.append(planned)
        self._check_other_schools(matched)
        self._check_occupied(occupied)
        in_file = set(matched)
        self.plan.not_in_file = sum(1 for student_id in enrolments if student_id not in in_file)

    # row-level rules that need no database
    def _check_row(self, row: Row) -> None:
        v, result = row.values, self.result
        if v["grade"] is not None and v["grade"] not in self.school.grades:
            g = self.school.grades
            result.reject(
                row,
                "grade",
                f"学年は{g.start}〜{g.stop - 1}で入力してください"
                f"（{self.school.get_school_type_display()}）。",
            )
        if (
            not v.get("student_number")
            and not v.get("birth_date")
            and not result.cell_failed(row, "birth_date")
        ):
            result.reject(
                row,
                "birth_date",
                "学籍番号か生年月日のどちらかを入力してください（同じ児童生徒を見分けるため）。",
            )
        birth = v.get("birth_date")
        if birth is not None and birth >= self.year.start:
            result.reject(row, "birth_date", f"生年月日が{self.year}の始まりより後です。")
        for key, label in (("transfer_in_on", "転入日"), ("left_on", "転出日")):
            day = v.get(key)
            if day is not None and not (self.year.start <= day <= self.year.end):
                result.reject(
                    row,
                    key,
                    f"{label}は{self.year}の期間（{wareki_date(self.year.start)}〜"
                    f"{wareki_date(self.year.end)}）の日付にしてください。",
                )
        start = v.get("transfer_in_on")
        if start is not None and v.get("left_on") is not None and v["left_on"] < start:
            result.reject(row, "left_on", "転出日が転入日より前です。")

    def _check_file_duplicates(self) -> None:
        result = self.result
        result.find_duplicates(
            lambda r: (
                None
                if None in (r["grade"], r["class_name"], r["roll_number"])
                else (r["grade"], class_key(r["class_name"]), r["roll_number"])
            ),
            "roll_number",
            lambda r, other: (
                f"{r['grade']}年{r['class_name']}の出席番号{r['roll_number']}が"
                f"{other.number}行目と重複しています。"
            ),
        )
        result.find_duplicates(
            lambda r: r.get("student_number") or None,
            "student_number",
            lambda r, other: f"学籍番号{r['student_number']}が{other.number}行目と重複しています。",
        )
        result.find_duplicates(
            lambda r: (
                None
                if r.get("student_number") or r.get("birth_date") is None or not r["name"]
                else (without_spaces(r["name"]), r["birth_date"])
            ),
            "name",
            lambda r, other: f"同じ氏名・生年月日の行が{other.number}行目にもあります。",
        )

    def _classes(self) -> dict[tuple[int | None, str], Classroom]:
        classes: dict[tuple[int | None, str], Classroom] = {}
        for c in Classroom.objects.filter(school=self.school, school_year=self.year).select_related(
            "school_year"
        ):
            # Special-needs classes mix grades: found by their name whatever the row's 学年.
            key = (None, class_key(c.name)) if c.is_special_needs else (c.grade, class_key(c.name))
            classes[key] = c
        return classes

    def _students(
        self, rows: list[Row]
    ) -> tuple[dict[str, Student], dict[tuple[str, Any], list[Student]]]:
        fields = ("id", *STUDENT_FIELDS)
        numbers = {r["student_number"] for r in rows if r.get("student_number")}
        births = {r["birth_date"] for r in rows if r.get("birth_date")}
        by_number: dict[str, Student] = {}
        for start in range(0, len(numbers), 5000):
            chunk = list(numbers)[start : start + 5000]
            for s in Student.objects.filter(student_number__in=chunk).only(*fields):
                by_number[s.student_number] = s
        by_name_birth: dict[tuple[str, Any], list[Student]] = {}
        if births:
            for s in Student.objects.filter(birth_date__in=births).only(*fields):
                by_name_birth.setdefault((without_spaces(s.name), s.birth_date), []).append(s)
        return by_number, by_name_birth

    def _enrolments(
        self,
    ) -> tuple[dict[int, Enrolment], dict[tuple[int, int], Enrolment]]:
        """The school's enrolments of the year: the current one per student, and who sits where."""
        current: dict[int, Enrolment] = {}
        occupied: dict[tuple[int, int], Enrolment] = {}
        qs = Enrolment.objects.filter(school=self.school, school_year=self.year).select_related(
            "student"
        )
        for e in qs.order_by("enrolled_on", "id"):
            occupied[(e.classroom_id, e.roll_number)] = e
            previous = current.get(e.student_id)
            # A class change leaves a closed enrolment behind: the open (or latest) one counts.
            if previous is None or previous.left_on is not None or e.left_on is None:
                current[e.student_id] = e
        self.occupied = occupied
        return current, occupied

    def _plan_row(
        self,
        row: Row,
        classes: dict[tuple[int | None, str], Classroom],
        by_number: dict[str, Student],
        by_name_birth: dict[tuple[str, Any], list[Student]],
        enrolments: dict[int, Enrolment],
    ) -> PlannedRow | None:
        v = row.values
        key = class_key(v["class_name"])
        classroom = classes.get((v["grade"], key)) or classes.get((None, key))
        label = classroom.label if classroom else f"{v['grade']}年{v['class_name']}"
        if classroom is None:  # only when classes may be created (else already rejected)
            new_key = (v["grade"], v["class_name"])
            if new_key not in self.plan.new_classes:
                self.plan.new_classes.append(new_key)
        student = self._match(row, by_number, by_name_birth)
        if student is False:
            return None
        planned = PlannedRow(
            row=row,
            class_label=label,
            classroom=classroom,
            class_key=(v["grade"], key) if classroom is None else (classroom.grade, key),
            student=student or None,
        )
        if planned.student is not None:
            planned.student_changes = self._student_changes(planned.student, v)
            planned.enrolment = enrolments.get(planned.student.pk)
            if planned.enrolment is not None:
                planned.enrolment_changes = self._enrolment_changes(planned)
                start = v.get("transfer_in_on") or planned.enrolment.enrolled_on
                if v.get("left_on") and v["left_on"] < start:
                    self.result.reject(
                        row, "left_on", f"転出日が在籍開始日（{shown(start)}）より前です。"
                    )
        planned.decide()
        return planned

    def _find_class(
        self, row: Row, classes: dict[tuple[int | None, str], Classroom]
    ) -> Classroom | None:
        """The row's class; an unknown one rejects the row unless classes may be created."""
        v = row.values
        if v["grade"] is None or v["class_name"] is None:
            return None
        key = class_key(v["class_name"])
        classroom = classes.get((v["grade"], key)) or classes.get((None, key))
        if classroom is None and not self.create_classes:
            known = "、".join(c.label for c in classes.values()) or "（まだありません）"
            self.result.reject(
                row,
                "class_name",
                f"学級「{v['grade']}年{v['class_name']}」は{self.year}の{self.school.name}に"
                f"ありません。登録済みの学級: {known}",
            )
        return classroom

    def _match(
        self,
        row: Row,
        by_number: dict[str, Student],
        by_name_birth: dict[tuple[str, Any], list[Student]],
    ) -> Student | None | bool:
        """The student a row means, None for a new one, False when the row is rejected."""
        v, result = row.values, self.result
        number = v.get("student_number")
        if number and number in by_number:
            return by_number[number]
        birth = v.get("birth_date")
        if birth is None:
            return None
        same = by_name_birth.get((without_spaces(v["name"]), birth), [])
        if not same:
            return None
        if len(same) > 1 and not number:
            result.reject(
                row,
                "name",
                f"同じ氏名・生年月日の児童生徒が{len(same)}人登録されています。"
                "学籍番号を入れて区別してください。",
            )
            return False
        free = [s for s in same if not s.student_number]
        if number and not free:
            other = same[0]
            result.reject(
                row,
                "student_number",
                f"同じ氏名・生年月日の児童生徒が別の学籍番号（{other.student_number}）で"
                "登録されています。学籍番号を確かめてください。",
            )
            return False
        return (free or same)[0]

    def _student_changes(self, student: Student, v: dict[str, Any]) -> dict[str, tuple]:
        changes = {}
        for name in STUDENT_FIELDS:
            new = v.get(name)
            if new is None or new == "":
                continue  # a blank or missing optional cell keeps what is stored
            old = getattr(student, name)
            if old != new:
                changes[name] = (old, new)
        return changes

    def _enrolment_changes(self, planned: PlannedRow) -> dict[str, tuple]:
        e, v = planned.enrolment, planned.values
        changes: dict[str, tuple] = {}
        if planned.classroom is None or e.classroom_id != planned.classroom.pk:
            changes["classroom"] = (e.classroom, planned.classroom or planned.class_label)
        if e.roll_number != v["roll_number"]:
            changes["roll_number"] = (e.roll_number, v["roll_number"])
        if e.grade != v["grade"]:
            changes["grade"] = (e.grade, v["grade"])
        if v.get("transfer_in_on") and (
            e.enrolled_on != v["transfer_in_on"] or e.entry != Enrolment.Entry.TRANSFER_IN
        ):
            changes["enrolled_on"] = (e.enrolled_on, v["transfer_in_on"])
        if v.get("left_on") and e.left_on != v["left_on"]:
            changes["left_on"] = (e.left_on, v["left_on"])
        return changes

    def _check_other_schools(self, matched: dict[int, Row]) -> None:
        """A student still enrolled at another school this year must be transferred out first."""
        if not matched:
            return
        ids = list(matched)
        elsewhere = (
            Enrolment.objects.filter(
                school_year=self.year, left_on__isnull=True, student_id__in=ids
            )
            .exclude(school=self.school)
            .values_list("student_id", "school__name", "classroom__grade", "classroom__name")
        )
        for student_id, school_name, grade, name in elsewhere:
            self.result.reject(
                matched[student_id],
                "name",
                f"{school_name}（{grade or ''}{'年' if grade else ''}{name}）に在籍中です。"
                "先にその学校で転出の記録をしてください。",
            )

    def _check_occupied(self, occupied: dict[tuple[int, int], Enrolment]) -> None:
        """A roll number is taken unless its enrolment is the row's own or moves away too.

        Closed enrolments (a class change or a transfer out earlier in the year) keep
        their number: the unique constraint counts them, and so does this check.
        """
        moving_away = {
            p.enrolment.pk
            for p in self.plan.rows
            if p.enrolment is not None
            and p.row.number not in self.result.rejected
            and {"classroom", "roll_number"} & set(p.enrolment_changes)
        }
        for p in self.plan.rows:
            if p.classroom is None or p.row.number in self.result.rejected:
                continue
            holder = occupied.get((p.classroom.pk, p.values["roll_number"]))
            if holder is None or holder.pk in moving_away:
                continue
            if p.enrolment is not None and holder.pk == p.enrolment.pk:
                continue  # the row's own place
            whose = (
                "以前の在籍記録（学級変更・転出）"
                if p.student is not None and holder.student_id == p.student.pk
                else f"ファイルにない{holder.student.name}さん"
            )
            self.result.reject(
                p.row,
                "roll_number",
                f"{p.class_label}の出席番号{p.values['roll_number']}は、{whose}が使っています。",
            )


# --- commit -------------------------------------------------------------------------------


@transaction.atomic
def commit_roster_import(
    school: School,
    year: SchoolYear,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    create_classes: bool = False,
    expected_fingerprint: str | None = None,
    limits: Limits = ROSTER_LIMITS,
    progress: Progress | None = None,
) -> RosterPlan:
    """Write the plan of ``data`` in one transaction, or raise ``ImportRefused`` (nothing written).

    ``progress`` (a job's ``ctx.progress``) hears of the rows read, planned and written; when
    it raises (a cancelled job) the transaction is rolled back like any other failure."""
    by.require_roster_import(school.pk)
    # Two imports of one school run one after the other, each on fresh data.
    School.objects.select_for_update().filter(pk=school.pk).first()
    plan = plan_roster_import(
        school,
        year,
        data,
        filename=filename,
        create_classes=create_classes,
        limits=limits,
        progress=progress,
    )
    plan.require_committable(
        expected_fingerprint,
        "確認画面を表示した後に名簿が変更されました。もう一度ファイルを読み込んでください。",
    )
    started = time.perf_counter()
    try:
        with transaction.atomic():
            _write(plan, by, progress)
    except IntegrityError as exc:
        # Someone changed the same classes between the plan and the write (a page, not an
        # import: imports of one school queue on the lock above). Nothing is kept.
        raise ImportRefused(
            [
                "同じ時間に名簿が変更されたため登録できませんでした。もう一度ファイルを読み込んでください。"
            ]
        ) from exc
    plan.timings["commit"] = time.perf_counter() - started
    return plan


def _write(plan: RosterPlan, by: Actor, progress: Progress | None = None) -> None:
    school, year = plan.school, plan.year
    total = len(plan.to_create) + len(plan.to_update)

    def written(done: int) -> None:
        if progress is not None:
            progress(done, total, background.WRITING)

    written(0)
    classes = {
        (grade, class_key(name)): Classroom(
            school=school, school_year=year, grade=grade, name=name, sort_order=_sort(name)
        )
        for grade, name in plan.new_classes
    }
    Classroom.objects.bulk_create(classes.values())

    def classroom_of(p: PlannedRow) -> Classroom:
        return p.classroom if p.classroom is not None else classes[p.class_key]

    # Students: new ones, then changed ones.
    creates = plan.to_create
    new_students = [
        Student(
            name=p.values["name"],
            kana=p.values["kana"],
            sex=p.values.get("sex") or "",
            birth_date=p.values.get("birth_date"),
            student_number=p.values.get("student_number") or None,
        )
        for p in creates
    ]
    for start in range(0, len(new_students), BATCH):  # batch by batch, to show how far it got
        Student.objects.bulk_create(new_students[start : start + BATCH])
        written(min(len(new_students), start + BATCH) // 2)
    for p, student in zip(creates, new_students, strict=True):
        p.student = student
    updates = plan.to_update
    changed_fields: set[str] = set()
    changed_students = []
    for p in updates:
        if p.student_changes:
            for name, (_, new) in p.student_changes.items():
                setattr(p.student, name, new)
            changed_fields.update(p.student_changes)
            changed_students.append(p.student)
    if changed_students:
        Student.objects.bulk_update(changed_students, sorted(changed_fields), batch_size=BATCH)

    # Enrolments that move (class or roll number) first step aside to free roll numbers,
    # so that two students swapping numbers never meet the unique constraint.
    moving = [p for p in updates if p.enrolment is not None and p.enrolment_changes]
    stepping_aside = []
    for p in moving:
        e = p.enrolment
        if {"classroom", "roll_number"} & set(p.enrolment_changes):
            e.classroom = classroom_of(p)
            e.roll_number = 30000 + p.values["roll_number"]  # far above any real roll number
            stepping_aside.append(e)
    if stepping_aside:
        Enrolment.objects.bulk_update(
            stepping_aside, ["classroom", "roll_number"], batch_size=BATCH
        )
    for p in moving:
        e, v = p.enrolment, p.values
        e.classroom = classroom_of(p)
        e.roll_number = v["roll_number"]
        e.grade = v["grade"]
        if "enrolled_on" in p.enrolment_changes:
            e.enrolled_on = v["transfer_in_on"]
            e.entry = Enrolment.Entry.TRANSFER_IN
        if "left_on" in p.enrolment_changes:
            e.left_on = v["left_on"]
            e.exit = Enrolment.Exit.TRANSFER_OUT
    if moving:
        Enrolment.objects.bulk_update(
            [p.enrolment for p in moving],
            ["classroom", "roll_number", "grade", "enrolled_on", "entry", "left_on", "exit"],
            batch_size=BATCH,
        )
    new_enrolments = []
    for p in creates + [p for p in updates if p.enrolment is None]:
        v = p.values
        transfer_in = v.get("transfer_in_on")
        left_on = v.get("left_on")
        new_enrolments.append(
            Enrolment(
                student=p.student,
                classroom=classroom_of(p),
                school=school,
                school_year=year,
                grade=v["grade"],
                roll_number=v["roll_number"],
                enrolled_on=transfer_in or year.start,
                entry=Enrolment.Entry.TRANSFER_IN if transfer_in else Enrolment.Entry.ADMISSION,
                left_on=left_on,
                exit=Enrolment.Exit.TRANSFER_OUT if left_on else "",
            )
        )
    for start in range(0, len(new_enrolments), BATCH):
        Enrolment.objects.bulk_create(new_enrolments[start : start + BATCH])
        written(min(total, len(creates) // 2 + len(updates) + start + BATCH))

    if progress is not None:  # a last chance to cancel (a new message is always reported)
        progress(total, total, background.RECORDING)
    record_import(
        by,
        "schools.roster.import",
        plan,
        target_type="schools.school",
        target_id=str(school.pk),
        school=school,
        changes={
            "created": len(creates),
            "updated": len(updates),
            "unchanged": len(plan.unchanged),
            "classes_created": [f"{g}年{n}" for g, n in plan.new_classes],
            "created_student_ids": [s.pk for s in new_students],
            "updated_students": {
                str(p.student.pk): sorted({**p.student_changes, **p.enrolment_changes})
                for p in updates
            },
        },
    )


def _sort(name: str) -> int:
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits) if digits and int(digits) < 30000 else 0
