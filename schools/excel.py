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
    Column("roll_number", "出席番号", aliases=("番号", "出席No", "出席No.", "No", "No.", "number"),
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

ROLE_CHOICES = {
    "学校管理者": Role.SCHOOL_ADMIN, "管理職": Role.SCHOOL_ADMIN, "school_admin": Role.SCHOOL_ADMIN,
    "学級担任": Role.HOMEROOM, "担任": Role.HOMEROOM, "homeroom": Role.HOMEROOM,
    "教科担任": Role.SUBJECT, "subject": Role.SUBJECT,
    "教育委員会管理者": Role.BOE_ADMIN, "教育委員会 管理者": Role.BOE_ADMIN, "boe_admin": Role.BOE_ADMIN,
    "教育委員会閲覧者": Role.BOE_VIEWER, "教育委員会 閲覧者": Role.BOE_VIEWER,
    "boe_viewer": Role.BOE_VIEWER,
}  # fmt: skip
TITLE_CHOICES = {
    "校長": RoleAssignment.Title.PRINCIPAL,
    "副校長": RoleAssignment.Title.VICE_PRINCIPAL,
    "教頭": RoleAssignment.Title.VICE_PRINCIPAL,
    "副校長・教頭": RoleAssignment.Title.VICE_PRINCIPAL,
    "教務主任": RoleAssignment.Title.HEAD_OF_ACADEMICS,
    "その他": RoleAssignment.Title.OTHER,
}

# 教職員の取り込み: one row per role; rows with the same ログインID are one person (兼務).
STAFF_COLUMNS: list[Column] = [
    Column("name", "氏名", aliases=("名前", "職員氏名", "教職員氏名", "name"),
           parser=parsers.max_length(100, parsers.name), required=True),
    Column("kana", "ふりがな", aliases=("フリガナ", "よみ", "kana"),
           parser=parsers.max_length(200, parsers.kana)),
    Column("username", "ログインID", aliases=("ユーザーID", "ユーザー名", "ログイン名", "login",
                                           "loginid", "username"),
           parser=parsers.max_length(150, parsers.code), required=True),
    Column("staff_number", "職員番号", aliases=("教職員番号", "staffnumber"),
           parser=parsers.max_length(20, parsers.code)),
    Column("school", "学校", aliases=("学校名", "勤務校", "所属", "学校コード", "school"),
           parser=parsers.text),
    Column("role", "役割", aliases=("役職", "role"),
           parser=parsers.choice(ROLE_CHOICES, label="学校管理者・学級担任・教科担任・"
                                 "教育委員会管理者・教育委員会閲覧者")),
    Column("title", "職名", aliases=("職", "title"),
           parser=parsers.choice(TITLE_CHOICES, label="校長・副校長・教頭・教務主任・その他")),
    Column("classroom", "学級", aliases=("担当学級", "クラス", "class"), parser=parsers.text),
    Column("subject", "教科", aliases=("担当教科", "subject"), parser=parsers.text),
    Column("password", "初期パスワード", aliases=("パスワード", "password"), parser=parsers.text),
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
    ExportColumn("氏名", 18),
    ExportColumn("ふりがな", 22),
    ExportColumn("ログインID", 16),
    ExportColumn("職員番号", 11),
    ExportColumn("学校", 22),
    ExportColumn("役割", 16),
    ExportColumn("職名", 13),
    ExportColumn("学級", 12),
    ExportColumn("教科", 12),
]


def staff_workbook(year: SchoolYear | None, school: School | None) -> tuple[ExportWorkbook, str]:
    """教職員一覧: one row per role (a person with two roles has two rows), in kana order.

    The columns are those of the staff import, so the list round-trips. Draft roles of a
    year roll-over are not listed (they are not roles yet). 3 queries whatever the size.
    """
    roles = RoleAssignment.objects.filter(is_draft=False).select_related(
        "school", "classroom", "subject"
    )
    if year is not None:
        roles = roles.filter(Q(school_year__isnull=True) | Q(school_year=year))
    staff = Staff.objects.select_related("user").order_by("kana", "id")
    if school is not None:
        roles = roles.filter(school=school)
        staff = staff.filter(roles__in=roles).distinct()
    roles = roles.order_by("role", "school__mext_code", "classroom__grade", "classroom__name")
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
        person_cells = [
            person.name,
            person.kana,
            person.user.get_username(),
            person.staff_number or "",
        ]
        if not person.listed_roles:
            sheet.append([*person_cells, "", "", "", "", ""])
        for role in person.listed_roles:
            sheet.append(
                [
                    *person_cells,
                    role.school.name if role.school else "",
                    role.get_role_display(),
                    role.get_title_display() if role.title else "",
                    role.classroom.label if role.classroom else "",
                    role.subject.name if role.subject else "",
                ]
            )
    suffix = f"_{year.year}" if year else ""
    return book, f"教職員一覧_{place}{suffix}.xlsx"
