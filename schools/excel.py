"""The roster's spreadsheet formats: the import columns and the printed exports.

Built on the shared pipeline (``schools.spreadsheets``). The export of a class
or a school uses the very columns the import reads, so an exported roster,
edited in Excel and imported again, round-trips (students are matched by
学籍番号, else by 氏名 + 生年月日).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolYear,
    Staff,
    Student,
)
from schools.spreadsheets import Column, ExportColumn, ExportWorkbook, parsers
from schools.spreadsheets.normalize import ascii_digits, header_key
from schools.wareki import school_year_label, wareki_date

SEX_CHOICES = {
    "男": Student.Sex.MALE, "男子": Student.Sex.MALE, "M": Student.Sex.MALE,
    "male": Student.Sex.MALE, "1": Student.Sex.MALE,
    "女": Student.Sex.FEMALE, "女子": Student.Sex.FEMALE, "F": Student.Sex.FEMALE,
    "female": Student.Sex.FEMALE, "2": Student.Sex.FEMALE,
    "その他": Student.Sex.OTHER, "X": Student.Sex.OTHER, "other": Student.Sex.OTHER,
}  # fmt: skip
SEX_LABELS = {Student.Sex.MALE: "男", Student.Sex.FEMALE: "女", Student.Sex.OTHER: "その他"}
MAX_ROLL_NUMBER = 999


def class_name(value: object) -> str:
    """組: 「1」「１」「1組」 all mean 1組; other names (A組, ひまわり学級) are kept as written."""
    text = ascii_digits(parsers.text(value))
    return f"{text}組" if text.isdigit() else text


def class_key(name: str) -> str:
    """How a class name in a file is matched with a Classroom's name (width and case free)."""
    return header_key(class_name(name))


ROSTER_COLUMNS: list[Column] = [
    Column("grade", "学年", aliases=("年", "grade", "学年数字"),
           parser=parsers.integer(1, 9), required=True),
    Column("class_name", "組", aliases=("クラス", "学級", "学級名", "組名", "class"),
           parser=class_name, required=True),
    Column("roll_number", "出席番号", aliases=("番号", "出席No", "出席no.", "no", "no.", "number"),
           parser=parsers.integer(1, MAX_ROLL_NUMBER), required=True),
    Column("name", "氏名", aliases=("名前", "児童氏名", "生徒氏名", "児童生徒氏名", "name"),
           parser=parsers.max_length(100, parsers.name), required=True),
    Column("kana", "ふりがな", aliases=("フリガナ", "よみ", "よみがな", "ふりがな氏名", "kana",
                                     "reading"),
           parser=parsers.max_length(200, parsers.kana), required=True),
    Column("sex", "性別", aliases=("男女", "sex", "gender"),
           parser=parsers.choice(SEX_CHOICES, label="男・女・その他")),
    Column("birth_date", "生年月日", aliases=("誕生日", "birthday", "birthdate", "dateofbirth"),
           parser=parsers.date),
    Column("student_number", "学籍番号", aliases=("児童生徒番号", "生徒番号", "児童番号",
                                              "studentnumber", "studentid", "id"),
           parser=parsers.max_length(20, parsers.code)),
    Column("transfer_in_on", "転入日", aliases=("転入年月日", "編入日", "transferin"),
           parser=parsers.date),
    Column("left_on", "転出日", aliases=("転出年月日", "transferout"), parser=parsers.date),
]  # fmt: skip

ROSTER_EXPORT_COLUMNS: list[ExportColumn] = [
    ExportColumn("学年", 6, "int"),
    ExportColumn("組", 10, "center"),
    ExportColumn("出席番号", 8, "int"),
    ExportColumn("氏名", 22),
    ExportColumn("ふりがな", 26),
    ExportColumn("性別", 6, "center"),
    ExportColumn("生年月日", 12, "date"),
    ExportColumn("学籍番号", 14),
    ExportColumn("転入日", 12, "date"),
    ExportColumn("転出日", 12, "date"),
]


# --- exports ----------------------------------------------------------------------------


def _printed_on() -> str:
    return f"出力日: {wareki_date(timezone.localdate())}"


def _roster_rows(enrolments: Iterable[Enrolment]) -> Iterable[list]:
    for e in enrolments:
        s = e.student
        yield [
            e.grade,
            e.classroom.name,
            e.roll_number,
            s.name,
            s.kana,
            SEX_LABELS.get(s.sex, ""),
            s.birth_date,
            s.student_number or "",
            e.enrolled_on if e.entry == Enrolment.Entry.TRANSFER_IN else None,
            e.left_on if e.exit == Enrolment.Exit.TRANSFER_OUT else None,
        ]


def _enrolments(**filters) -> QuerySet[Enrolment]:
    # Roll number, then kana (五十音順), never by the kanji's code point.
    return (
        Enrolment.objects.filter(**filters)
        .select_related("student", "classroom")
        .order_by(
            "classroom__is_special_needs",
            "classroom__grade",
            "classroom__sort_order",
            "classroom__name",
            "roll_number",
            "student__kana",
        )
    )


def _homeroom_names(classrooms: Sequence[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for classroom_id, name in (
        RoleAssignment.objects.filter(
            role=Role.HOMEROOM, classroom_id__in=classrooms, is_draft=False
        )
        .order_by("staff__kana")
        .values_list("classroom_id", "staff__name")
    ):
        names.setdefault(classroom_id, []).append(name)
    return names


def class_roster_workbook(classroom: Classroom) -> tuple[ExportWorkbook, str]:
    """学級名簿 of one class: A4 portrait, header row repeated on each page (3 queries)."""
    school, year = classroom.school, classroom.school_year
    teachers = "、".join(_homeroom_names([classroom.pk]).get(classroom.pk, []))
    book = ExportWorkbook()
    sheet = book.add_sheet(
        classroom.label,
        ROSTER_EXPORT_COLUMNS,
        heading=f"{school_year_label(year.year)} {classroom.label} 学級名簿",
        subheadings=[f"{school.name}　担任: {teachers or '（未登録）'}　{_printed_on()}"],
    )
    sheet.extend(_roster_rows(_enrolments(classroom=classroom)))
    return book, f"学級名簿_{school.name}_{year.year}_{classroom.label}.xlsx"


def school_roster_workbook(school: School, year: SchoolYear) -> tuple[ExportWorkbook, str]:
    """全校名簿: every class of the school and year on one sheet, in class and roll order."""
    book = ExportWorkbook()
    sheet = book.add_sheet(
        "全校名簿",
        ROSTER_EXPORT_COLUMNS,
        heading=f"{school_year_label(year.year)} {school.name} 全校名簿",
        subheadings=[_printed_on()],
    )
    sheet.extend(_roster_rows(_enrolments(school=school, school_year=year).iterator(2000)))
    return book, f"全校名簿_{school.name}_{year.year}.xlsx"


STAFF_EXPORT_COLUMNS: list[ExportColumn] = [
    ExportColumn("氏名", 20),
    ExportColumn("ふりがな", 24),
    ExportColumn("ログインID", 16),
    ExportColumn("職員番号", 12),
    ExportColumn("役割", 56),
]


def _role_text(role: RoleAssignment, with_school: bool) -> str:
    label = role.get_role_display()
    if role.title:
        label += f"（{role.get_title_display()}）"
    where = []
    if with_school and role.school is not None:
        where.append(role.school.name)
    if role.classroom is not None:
        where.append(role.classroom.label)
    if role.subject is not None:
        where.append(role.subject.name)
    return (
        label + (f" {' '.join(where)}" if where else "") + ("［下書き］" if role.is_draft else "")
    )


def staff_workbook(year: SchoolYear | None, school: School | None) -> tuple[ExportWorkbook, str]:
    """教職員一覧 of the municipality (or of one school): names, login IDs and roles."""
    roles = RoleAssignment.objects.select_related("school", "classroom", "subject").order_by(
        "role", "school__mext_code", "classroom__grade", "classroom__name"
    )
    if year is not None:
        roles = roles.filter(Q(school_year__isnull=True) | Q(school_year=year))
    staff = Staff.objects.select_related("user").order_by("kana", "id")
    if school is not None:
        roles = roles.filter(school=school)
        staff = staff.filter(roles__in=roles).distinct()
    staff = staff.prefetch_related(Prefetch("roles", queryset=roles, to_attr="listed_roles"))
    place = school.name if school else "教育委員会"
    book = ExportWorkbook()
    sheet = book.add_sheet(
        "教職員一覧",
        STAFF_EXPORT_COLUMNS,
        heading=f"{school_year_label(year.year) if year else ''} {place} 教職員一覧".strip(),
        subheadings=[_printed_on()],
        landscape=True,
    )
    for person in staff:
        sheet.append(
            [
                person.name,
                person.kana,
                person.user.get_username(),
                person.staff_number or "",
                "、".join(_role_text(r, school is None) for r in person.listed_roles),
            ]
        )
    suffix = f"_{year.year}" if year else ""
    return book, f"教職員一覧_{place}{suffix}.xlsx"
