"""自動作成の決まり in Excel: one workbook, one sheet per kind of rule, out and back in.

Sheets (the export writes them; the import reads those it finds, by name):

- 「学校の決まり」: 項目 | 値 | 説明 (2時間続きを1校時から始めない する/しない, 昼休みの前の校時,
  the teachers' default limits …; 「週5コマ以下の教科は1日1コマまで」 is stated, always on);
- 「先生の上限」: 職員番号 | 先生 | 1日の上限 | 連続の上限 | 空きコマ 1日 | 空きコマ 週 | ログインID
  (blank = the school's);
- 「2時間続き」: 学級・グループ | 教科 | 先生 | 週時数 | 2時間続き（週の回数）
  (先生 and 週時数 are there to read);
- 「希望」: 種類 (避ける / この時間に置く) | 教科 (「国語、数学」) | 曜日 (「月火」, blank = 毎日)
  | 校時 (「5」, 「1〜4」, 「1・3」) | 重み（%） | 理由: the whole list;
- 「先生の勤務できないコマ」: 職員番号 | 先生 | 理由 | 月1 … 金6 | ログインID (「×」 =
  cannot teach; the ログインID tells apart two teachers of one name without 職員番号).

A sheet that is missing changes nothing; a teacher's or an assignment's row that is missing
leaves theirs as it is; the 希望 sheet is the whole list. The import follows the house
pipeline (``schools.imports.base``): a preview of every change, every error with sheet, row
and column, and a commit that plans again and writes all (one audit record) or nothing.
The exported file imports back with nothing to change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from schools import calendar
from schools.imports.base import ImportPlan, ImportRefused, digest, record_import
from schools.models import School, SchoolYear, Staff, Subject, TeachingAssignment
from schools.permissions import Actor
from schools.spreadsheets import (
    CellError,
    Column,
    ColumnRef,
    ExportColumn,
    ExportWorkbook,
    Limits,
    ParseResult,
    Row,
    SpreadsheetError,
    read_table,
    sheet_names,
)
from schools.spreadsheets.normalize import header_key
from timetable import excel, imports, rulebook, rulesets, services
from timetable.models import WEEKDAYS, SlotPreference
from timetable.rulesets import Absence, RuleBook, Settings, Wish

KIND = "timetable.rules"
LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_rows=2_000, max_columns=120)
CHANGED = "ファイルを読み込んだ後に決まりが変わりました。もう一度ファイルを選んでください。"

SETTINGS = "学校の決まり"
TEACHERS = "先生の上限"
DOUBLES = "2時間続き"
WISHES = "希望"
UNAVAILABLE = "先生の勤務できないコマ"
SHEETS = (SETTINGS, TEACHERS, DOUBLES, WISHES, UNAVAILABLE)
SECTION_OF = {
    SETTINGS: "settings",
    TEACHERS: "limits",
    DOUBLES: "doubles",
    WISHES: "wishes",
    UNAVAILABLE: "unavailable",
}

ALWAYS = "週5コマ以下の教科は1日1コマまで"
ALWAYS_VALUE = "いつも"
YES, NO = "する", "しない"
MARK = "×"
MARKS = {"×", "x", "✕", "✖", "不可", "●", "1"}
LIMIT_COLUMNS = (
    ("daily", "1日の上限", 1),
    ("row", "連続の上限", 1),
    ("gaps_day", "空きコマ 1日", 0),
    ("gaps_week", "空きコマ 週", 0),
)
SETTING_LOW = {
    "lunch_after": 1,
    "teacher_max_daily": 1,
    "teacher_max_row": 1,
    "teacher_max_gaps_day": 0,
    "teacher_max_gaps_week": 0,
}
SETTING_HELP = {
    "double_not_first": "「する」か「しない」",
    "lunch_after": "2時間続きがまたがない休み。空欄 = 校時表のとおり",
    "spread_two_period": "「する」か「しない」(月と火など続けた日に置かない)",
    "teacher_max_daily": "全員の既定。空欄 = 上限なし",
    "teacher_max_row": "全員の既定。空欄 = 上限なし",
    "teacher_max_gaps_day": "全員の既定。空欄 = 上限なし",
    "teacher_max_gaps_week": "全員の既定。空欄 = 上限なし",
}

STAFF_NUMBER = Column("staff_number", "職員番号", aliases=("staff number",))
# two teachers may share a name and have no 職員番号: the account's ログインID tells them apart
LOGIN_ID = Column("username", "ログインID", aliases=("ユーザーID", "login id"))
TEACHER = Column("teacher", "先生", aliases=("氏名", "教員", "教員名", "先生の名前"), required=True)
SETTING_COLUMNS = [
    Column("item", "項目", aliases=("決まり",), required=True),
    Column("value", "値", aliases=("設定",)),
    Column("help", "説明"),
]
TEACHER_COLUMNS = [STAFF_NUMBER, TEACHER, LOGIN_ID] + [
    Column(name, label, aliases=(label.replace(" ", ""),)) for name, label, _ in LIMIT_COLUMNS
]
DOUBLE_COLUMNS = [
    Column("target", "学級・グループ", aliases=("学級", "グループ", "クラス"), required=True),
    Column("subject", "教科", required=True),
    Column("teachers", "先生"),
    Column("weekly", "週時数"),
    Column("per_week", "2時間続き（週の回数）", aliases=("2時間続き", "週の回数", "回数")),
]
WISH_COLUMNS = [
    Column("kind", "種類", required=True),
    Column("subjects", "教科", required=True),
    Column("weekdays", "曜日"),
    Column("periods", "校時", required=True),
    Column("weight", "重み（%）", aliases=("重み",), required=True),
    Column("note", "理由", aliases=("メモ",)),
]
UNAVAILABLE_COLUMNS = [STAFF_NUMBER, TEACHER, Column("reason", "理由"), LOGIN_ID]
KINDS = {
    "避ける": SlotPreference.Kind.AVOID,
    "avoid": SlotPreference.Kind.AVOID,
    "この時間に置く": SlotPreference.Kind.PREFER,
    "置く": SlotPreference.Kind.PREFER,
    "prefer": SlotPreference.Kind.PREFER,
}
_LIST = re.compile(r"[、,，]")
_PART = re.compile(r"[・･]")


def _norm(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text if text is not None else "")))


def _cell(value: Any) -> str:
    """A cell as text; a whole number saved as 4.0 (some spreadsheets) reads as 「4」."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


# --- export --------------------------------------------------------------------------------


def _periods(school: School, year: SchoolYear, book: RuleBook) -> list[int]:
    """The periods of the grid: the school's day, and any period already marked."""
    most = calendar.periods_per_day(school)
    marked = {p for a in (book.unavailable or {}).values() for _, p in a.slots}
    return list(range(1, max([most, *marked]) + 1))


def _weekdays(book: RuleBook) -> list[int]:
    """Monday to Friday, and Saturday when a teacher is marked on one."""
    saturday = any(w == 5 for a in (book.unavailable or {}).values() for w, _ in a.slots)
    return list(range(6 if saturday else 5))


def _target(a: TeachingAssignment) -> str:
    return a.classroom.label if a.classroom_id else a.group.name


def workbook(school: School, year: SchoolYear) -> ExportWorkbook:
    """The school's rules as one workbook (what the import reads back unchanged)."""
    book = rulesets.current(school, year)
    staff = rulesets.staff_of(school, year)
    heading = f"{school.name} 自動作成の決まり（{year}）"
    wb = ExportWorkbook()

    sheet = wb.add_sheet(
        SETTINGS,
        [ExportColumn("項目", 34), ExportColumn("値", 10, "center"), ExportColumn("説明", 48)],
        heading=heading,
    )
    settings = book.settings or Settings()
    bell = rulebook.bell_lunch(school, year) or rulebook.LUNCH_DEFAULT
    for name in rulesets.SETTING_FIELDS:
        value = getattr(settings, name)
        if isinstance(value, bool):
            value = YES if value else NO
        note = SETTING_HELP[name]
        if name == "lunch_after":
            note += f" ({bell}校時の後)"
        sheet.append([rulesets.SETTING_LABELS[name], value, note])
    sheet.append([ALWAYS, ALWAYS_VALUE, "変えられません (2時間続きは1回と数えます)"])

    sheet = wb.add_sheet(
        TEACHERS,
        [ExportColumn("職員番号", 10), ExportColumn("先生", 18)]
        + [ExportColumn(label, 11, "int") for _, label, _ in LIMIT_COLUMNS]
        + [ExportColumn("ログインID", 16)],
        heading=heading,
        subheadings=["空欄は学校の既定 (「学校の決まり」の先生の上限) です。"],
    )
    limits = book.teacher_limits or {}
    for s in staff:
        sheet.append(
            [s.staff_number or "", s.name, *limits.get(s.pk, rulebook.Limits()), s.user.username]
        )

    sheet = wb.add_sheet(
        DOUBLES,
        [
            ExportColumn("学級・グループ", 16),
            ExportColumn("教科", 16),
            ExportColumn("先生", 20),
            ExportColumn("週時数", 8, "int"),
            ExportColumn("2時間続き（週の回数）", 14, "int"),
        ],
        heading=heading,
        subheadings=["「先生」と「週時数」は読むための列です (取り込みでは変わりません)。"],
    )
    doubles = book.doubles or {}
    for a in rulesets.double_candidates(school, year):
        sheet.append(
            [
                _target(a),
                a.subject.name,
                excel.TEACHER_JOIN.join(t.name for t in a.teachers.all()),
                int(a.weekly_periods),
                doubles.get(a.pk, 0),
            ]
        )

    sheet = wb.add_sheet(
        WISHES,
        [
            ExportColumn("種類", 14),
            ExportColumn("教科", 28),
            ExportColumn("曜日", 10),
            ExportColumn("校時", 10),
            ExportColumn("重み（%）", 10, "int"),
            ExportColumn("理由", 24),
        ],
        heading=heading,
        subheadings=[
            "種類は「避ける」か「この時間に置く」。教科は「、」で区切ります。"
            "曜日は「月火」(空欄 = 毎日)、校時は「5」「1〜4」「1・3」。このシートが希望のすべてです。"
        ],
    )
    names = dict(
        Subject.objects.filter(
            pk__in={s for w in book.wishes or [] for s in w.subjects}
        ).values_list("pk", "name")
    )
    for w in book.wishes or []:
        sheet.append(
            [
                rulesets.KIND_LABELS[w.kind],
                "、".join(names[s] for s in w.subjects),
                "".join(WEEKDAYS[d][1] for d in w.weekdays),
                rulesets.periods_label(w.periods),
                w.weight,
                w.note,
            ]
        )

    days, periods = _weekdays(book), _periods(school, year, book)
    sheet = wb.add_sheet(
        UNAVAILABLE,
        [ExportColumn("職員番号", 10), ExportColumn("先生", 18), ExportColumn("理由", 18)]
        + [ExportColumn(excel.slot_header(d, p), 4.5, "center") for d in days for p in periods]
        + [ExportColumn("ログインID", 16)],
        heading=heading,
        subheadings=[f"授業ができないコマに「{MARK}」。空欄は授業ができます。"],
        landscape=True,
    )
    absent = book.unavailable or {}
    for s in staff:
        a = absent.get(s.pk, Absence())
        sheet.append(
            [s.staff_number or "", s.name, a.reason if a.slots else ""]
            + [MARK if (d, p) in a.slots else "" for d in days for p in periods]
            + [s.user.username]
        )
    return wb


# --- import --------------------------------------------------------------------------------


@dataclass(kw_only=True)
class RulesImportPlan(ImportPlan):
    school: School
    results: list[ParseResult] = field(default_factory=list)
    book: RuleBook = field(default_factory=RuleBook)
    diff: rulesets.Diff | None = None
    sheets: list[str] = field(default_factory=list)  # the sheets read
    ignored_sheets: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[CellError]:
        order = {name: i for i, name in enumerate(SHEETS)}
        cells = [e for r in self.results for e in r.errors]
        cells.sort(key=lambda e: (order.get(e.sheet, 9), e.row or 0, e.column))
        return self.file_errors + cells

    @property
    def rejected_count(self) -> int:
        return sum(len(r.rejected) for r in self.results)

    @property
    def has_changes(self) -> bool:
        return self.diff is not None and not self.diff.empty

    def counts(self) -> dict[str, int]:
        return {
            "changed": self.diff.count() if self.diff else 0,
            "rejected": self.rejected_count,
        }

    def fingerprint_parts(self) -> Iterable[object]:
        return self.diff.parts() if self.diff else []

    def sections(self) -> list[tuple[str, list[str]]]:
        """(sheet, its change lines) for the preview, in the workbook's order."""
        lines = self.diff.lines if self.diff else {}
        return [(name, lines.get(SECTION_OF[name], [])) for name in self.sheets]


class _Staff:
    """The school's teachers by 職員番号, by ログインID and by name (spaces and width do not
    matter; the first one given decides)."""

    def __init__(self, staff: list[Staff]):
        self.by_number = {_norm(s.staff_number): s for s in staff if s.staff_number}
        self.by_login = {_norm(s.user.username).lower(): s for s in staff}
        self.by_name: dict[str, Staff | None] = {}
        for s in staff:
            key = _norm(s.name)
            self.by_name[key] = None if key in self.by_name else s

    def find(self, result: ParseResult, row: Row) -> Staff | None:
        number, name = row.get("staff_number"), row.get("teacher")
        if number not in (None, ""):
            found = self.by_number.get(_norm(number))
            if found is None:
                result.reject(
                    row, "staff_number", f"職員番号「{number}」の先生はこの学校にいません。"
                )
            return found
        login = row.get("username")
        if login not in (None, ""):
            found = self.by_login.get(_norm(login).lower())
            if found is None:
                result.reject(row, "username", f"ログインID「{login}」の先生はこの学校にいません。")
            return found
        if name in (None, "") or result.cell_failed(row, "teacher"):
            return None
        key = _norm(name)
        if key not in self.by_name:
            result.reject(row, "teacher", f"先生「{name}」はこの学校にいません。")
            return None
        found = self.by_name[key]
        if found is None:
            result.reject(
                row,
                "teacher",
                f"「{name}」という先生が複数います。職員番号かログインIDを書いてください。",
            )
        return found


def _once(result: ParseResult, row: Row, field_name: str, key: object, seen: dict) -> bool:
    """False (and the row rejected) when ``key`` came in an earlier row of the sheet."""
    if key in seen:
        result.reject(row, field_name, f"{seen[key]}行目と同じです。1行にまとめてください。")
        return False
    seen[key] = row.number
    return True


def _number(
    result: ParseResult, row: Row, field_name: str, label: str, low: int
) -> tuple[bool, int | None]:
    try:
        return True, rulebook.limit_value(_cell(row.get(field_name)), label, low=low)
    except ValidationError as exc:
        result.reject(row, field_name, exc.messages[0])
        return False, None


def _settings(result: ParseResult, now: Settings) -> Settings:
    by_label = {header_key(label): name for name, label in rulesets.SETTING_LABELS.items()}
    values = now.as_dict()
    seen: dict = {}
    for row in result.rows:
        item = row.get("item")
        key = header_key(_cell(item))
        if key == header_key(ALWAYS):
            value = _cell(row.get("value"))
            if value not in ("", ALWAYS_VALUE):
                result.reject(row, "value", f"この決まりは変えられません (「{ALWAYS_VALUE}」)。")
            continue
        name = by_label.get(key)
        if name is None:
            known = "、".join(rulesets.SETTING_LABELS.values())
            result.reject(row, "item", f"項目「{item}」はありません。使える項目: {known}")
            continue
        if not _once(result, row, "item", name, seen):
            continue
        raw = row.get("value")
        if name in ("double_not_first", "spread_two_period"):
            text = _cell(raw)
            if text in (YES, "はい", "○", "true", "TRUE", "True"):
                values[name] = True
            elif text in (NO, "いいえ", "false", "FALSE", "False"):
                values[name] = False
            else:
                result.reject(row, "value", f"「{YES}」か「{NO}」を入力してください。")
        else:
            ok, n = _number(result, row, "value", rulesets.SETTING_LABELS[name], SETTING_LOW[name])
            if ok:
                values[name] = n
    return Settings(**values)


def _teacher_limits(result: ParseResult, staff: _Staff) -> dict[int, rulebook.Limits]:
    out: dict[int, rulebook.Limits] = {}
    seen: dict = {}
    for row in result.rows:
        teacher = staff.find(result, row)
        values, ok = [], True
        for name, label, low in LIMIT_COLUMNS:
            good, n = _number(result, row, name, label, low)
            ok = ok and good
            values.append(n)
        if teacher is None or not ok or not _once(result, row, "teacher", teacher.pk, seen):
            continue
        out[teacher.pk] = rulebook.Limits(*values)
    return out


def _doubles(result: ParseResult, school: School, year: SchoolYear) -> dict[int, int]:
    by_key: dict[tuple[str, str], TeachingAssignment] = {}
    for a in rulesets.double_candidates(school, year):
        for subject in {a.subject.name, a.subject.short_name} - {""}:
            by_key.setdefault((_norm(_target(a)), _norm(subject)), a)
    every = {
        (_norm(_target(a)), _norm(a.subject.name))
        for a in TeachingAssignment.objects.filter(
            school=school, school_year=year, is_draft=False
        ).select_related("classroom", "group", "subject")
    }
    out: dict[int, int] = {}
    seen: dict = {}
    for row in result.rows:
        target, subject = row.get("target"), row.get("subject")
        if target in (None, "") or subject in (None, ""):
            continue  # reported by the reader (required)
        good, n = _number(result, row, "per_week", "2時間続きの回数", 0)
        key = (_norm(target), _norm(subject))
        a = by_key.get(key)
        if a is None:
            if key in every:
                result.reject(
                    row, "subject", f"{target} {subject}は週1コマなので2時間続きにできません。"
                )
            else:
                result.reject(row, "subject", f"{target}の{subject}の担当がこの年度にありません。")
            continue
        if not good or not _once(result, row, "subject", a.pk, seen):
            continue
        try:
            rulebook.check_double(a, n or 0)
        except ValidationError as exc:
            result.reject(row, "per_week", exc.messages[0])
            continue
        out[a.pk] = n or 0
    return out


def _subjects(school: School) -> dict[str, int]:
    found: dict[str, int] = {}
    subjects = list(Subject.objects.filter(school_type=school.school_type))
    for s in subjects:  # a full name wins over another subject's short name
        if s.short_name:
            found.setdefault(_norm(s.short_name), s.pk)
    for s in subjects:
        found[_norm(s.name)] = s.pk
    return found


def _subject_ids(text: str, subjects: dict[str, int]) -> tuple[list[int], str]:
    """「国語、数学」 (or 「国語・数学」 where no subject's name has a ・) → pks, or a reason."""
    out: list[int] = []
    for part in _LIST.split(text):
        if not _norm(part):
            continue
        if _norm(part) in subjects:
            out.append(subjects[_norm(part)])
            continue
        pieces = [p for p in _PART.split(part) if _norm(p)]
        missing = [p for p in pieces if _norm(p) not in subjects]
        if missing or not pieces:
            return [], f"教科「{(missing or [part])[0].strip()}」が見つかりません。"
        out += [subjects[_norm(p)] for p in pieces]
    if not out:
        return [], "教科を入力してください。"
    return sorted(set(out)), ""


_RANGE = re.compile(r"^(\d{1,2})[〜~\-ー－](\d{1,2})$")


def _period_list(value: object) -> list[int] | None:
    """「5」, 「1〜4」, 「1・3」, 「1,3」, 「5校時」 → periods; None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [int(value)] if float(value).is_integer() else None
    text = _norm(value).removesuffix("校時").removesuffix("限")
    found = _RANGE.match(text)
    if found:
        a, b = int(found.group(1)), int(found.group(2))
        return list(range(a, b + 1)) if a <= b else None
    parts = [p for p in re.split(r"[・,、]", text) if p]
    if not parts or not all(p.isdigit() for p in parts):
        return None
    return sorted({int(p) for p in parts})


def _weekday_list(value: object) -> list[int] | None:
    """「月火」, 「月・水」, 「毎日」 or blank (every day) → weekdays; None when unreadable."""
    text = re.sub(r"[・,、]|曜日|曜", "", _norm(value))
    if text in ("", "毎日"):
        return []
    labels = [label for _, label in WEEKDAYS]
    if not all(c in labels for c in text):
        return None
    return sorted({labels.index(c) for c in text})


def _wishes(result: ParseResult, school: School) -> list[Wish]:
    subjects = _subjects(school)
    most = calendar.periods_per_day(school)
    columns = {"kind", "subjects", "periods", "weekdays", "weight"}
    out: list[Wish] = []
    for row in result.rows:
        ok = not any(result.cell_failed(row, c) for c in columns)
        kind = KINDS.get(_norm(row.get("kind")).lower()) if row.get("kind") else None
        if kind is None and not result.cell_failed(row, "kind"):
            result.reject(row, "kind", "種類は「避ける」か「この時間に置く」です。")
            ok = False
        ids, why = _subject_ids(_cell(row.get("subjects")), subjects)
        if why:
            result.reject(row, "subjects", why)
            ok = False
        periods = _period_list(row.get("periods"))
        if periods is None:
            result.reject(row, "periods", "校時は「5」「1〜4」「1・3」のように書いてください。")
            ok = False
        weekdays = _weekday_list(row.get("weekdays"))
        if weekdays is None:
            result.reject(row, "weekdays", "曜日は「月火」のように書いてください (空欄は毎日)。")
            ok = False
        if periods is not None and not all(1 <= p <= most for p in periods):
            result.reject(row, "periods", f"校時を 1〜{most} から選んでください。")
            ok = False
        weight = _cell(row.get("weight")).removesuffix("%").removesuffix("％")
        if not (weight.isdigit() and 1 <= int(weight) <= 100):
            result.reject(row, "weight", "重みを 1〜100 (%) で選んでください。")
            ok = False
        note = _cell(row.get("note"))
        if len(note) > 40:
            result.reject(row, "note", "理由は40文字以内で入力してください。")
            ok = False
        if not ok:
            continue
        try:
            kind, chosen, ps, days, w = rulebook.check_wish(
                school,
                kind=kind or "",
                subjects=ids,
                periods=periods or [],
                weekdays=weekdays or [],
                weight=weight,
                most=most,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.reject(row, name if name in columns else None, messages[0])
            continue
        out.append(Wish(kind, tuple(sorted(s.pk for s in chosen)), tuple(ps), tuple(days), w, note))
    return out


def _unavailable(result: ParseResult, staff: _Staff) -> dict[int, Absence]:
    slots: list[tuple[ColumnRef, tuple[int, int]]] = []
    for ref in result.other_columns:
        slot = imports.slot_of(ref.header)
        if slot is not None:
            slots.append((ref, slot))
    if not slots:
        raise SpreadsheetError(
            CellError(
                "曜日と校時の列 (「月1」…「金6」) がありません。",
                sheet=result.sheet,
                row=result.header_row,
            )
        )
    out: dict[int, Absence] = {}
    seen: dict = {}
    for row in result.rows:
        teacher = staff.find(result, row)
        marked, ok = set(), True
        for ref, (weekday, period) in slots:
            text = _cell(row.extra.get(ref.header))
            if not text:
                continue
            if text.lower() not in MARKS:
                result.reject_at(
                    row, ref, f"「{text}」は使えません。授業ができないコマに「{MARK}」を書きます。"
                )
                ok = False
            elif period > services.MAX_PERIOD:
                result.reject_at(row, ref, f"{period}校時はありません。")
                ok = False
            else:
                marked.add((weekday, period))
        reason = _cell(row.get("reason"))
        try:
            reason = services.check_reason(reason)
        except ValidationError as exc:
            result.reject(row, "reason", exc.messages[0])
            ok = False
        if teacher is None or not ok or not _once(result, row, "teacher", teacher.pk, seen):
            continue
        out[teacher.pk] = Absence(frozenset(marked), reason if marked else "")
    return out


def plan_rules_import(
    school: School, school_year: SchoolYear, data: bytes, *, filename: str = ""
) -> RulesImportPlan:
    """The preview: every change per sheet and every error with its cell (nothing written)."""
    plan = RulesImportPlan(year=school_year, filename=filename, sha256=digest(data), school=school)
    try:
        names = sheet_names(data, limits=LIMITS, filename=filename)
    except SpreadsheetError as exc:
        plan.file_errors.extend(exc.errors)
        return plan
    if names == [""]:
        plan.file_errors.append(
            CellError("決まりは複数のシートがあるブック (.xlsx か .ods) で取り込みます。")
        )
        return plan
    plan.sheets = [n for n in SHEETS if n in names]
    plan.ignored_sheets = [n for n in names if n not in SHEETS]
    if not plan.sheets:
        plan.file_errors.append(
            CellError(
                f"決まりのシートがありません。シート名は {'、'.join(SHEETS)} です"
                "（「Excelに書き出す」で作ったファイルを使ってください）。"
            )
        )
        return plan
    if school_year.is_read_only and ({DOUBLES, UNAVAILABLE} & set(plan.sheets)):
        plan.file_errors.append(
            CellError(f"{school_year}は過年度のため変更できません（閲覧のみ）。")
        )
        return plan
    staff = _Staff(rulesets.staff_of(school, school_year))
    now = rulesets.current(school, school_year)
    readers: dict[str, tuple[list[Column], Callable[[ParseResult], None], bool]] = {
        SETTINGS: (
            SETTING_COLUMNS,
            lambda r: setattr(plan.book, "settings", _settings(r, now.settings or Settings())),
            False,
        ),
        TEACHERS: (
            TEACHER_COLUMNS,
            lambda r: setattr(plan.book, "teacher_limits", _teacher_limits(r, staff)),
            False,
        ),
        DOUBLES: (
            DOUBLE_COLUMNS,
            lambda r: setattr(plan.book, "doubles", _doubles(r, school, school_year)),
            False,
        ),
        WISHES: (WISH_COLUMNS, lambda r: setattr(plan.book, "wishes", _wishes(r, school)), False),
        UNAVAILABLE: (
            UNAVAILABLE_COLUMNS,
            lambda r: setattr(plan.book, "unavailable", _unavailable(r, staff)),
            True,
        ),
    }
    for name in plan.sheets:
        columns, read, wide = readers[name]
        try:
            result = read_table(
                data,
                columns,
                sheet=name,
                limits=LIMITS,
                filename=filename,
                keep_other_columns=wide,
                allow_empty=True,  # no wishes, no teachers: an empty list, not an error
            )
            read(result)
        except SpreadsheetError as exc:
            plan.file_errors.extend(exc.errors)
            continue
        plan.results.append(result)
    if plan.errors:
        return plan
    try:
        rulesets.check(school, school_year, plan.book)  # what the page would refuse
    except ValidationError as exc:
        plan.file_errors.extend(CellError(m) for m in exc.messages)
        return plan
    plan.diff = rulesets.differences(school, school_year, plan.book)
    return plan


@transaction.atomic
def commit_rules_import(
    school: School,
    school_year: SchoolYear,
    data: bytes,
    *,
    by: Actor,
    filename: str = "",
    expected_fingerprint: str | None = None,
) -> RulesImportPlan:
    """Write every change of the file in one transaction with one audit record, or nothing."""
    services.require_editor(by, school.pk)
    plan = plan_rules_import(school, school_year, data, filename=filename)
    plan.require_committable(expected_fingerprint, CHANGED)
    if plan.diff is None or plan.diff.empty:
        return plan
    rulesets.apply(school, school_year, plan.diff)
    record_import(
        by,
        "timetable.rules.import",
        plan,
        school=school,
        target_type="schools.school",
        target_id=str(school.pk),
        changes={"sheets": plan.sheets, **plan.diff.audit()},
    )
    return plan


__all__ = ["ImportRefused", "commit_rules_import", "plan_rules_import", "workbook"]
