"""A school of 多摩市 (committed rows: the worker sees them) for the import-job tests, and
roster files of any size for it; everything is removed afterwards."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from schools.models import PendingUpload, Role, RoleAssignment, School, SchoolYear, Student
from tests import factories

MEXT = "B113210009955"
PREFIX = "IMPJ"
LOGINS = ("impjobs-principal", "impjobs-other")
KANA = "あいうえおかきくけこ"
STAFF_LOGIN = "impjobs-t"
STAFF_HEADER = ["氏名", "ふりがな", "ログインID", "職員番号", "役割", "初期パスワード"]


def staff_rows(count: int) -> list[list]:
    """``count`` new teachers of the board's office, each with an initial password."""
    return [
        [
            f"取込 先生{i}",
            _kana(i),
            f"{STAFF_LOGIN}{i}",
            f"{PREFIX}T{i}",
            "",
            f"Impjobs-pass-{i:04d}x",
        ]
        for i in range(count)
    ]


def _kana(i: int) -> str:
    return "とりこみ " + "".join(KANA[int(d)] for d in f"{i:04d}")


def roster_rows(count: int, *, classes: int = 4) -> list[list]:
    """``count`` pupils over grades 1-2, classes 1組..``classes``組 (roll numbers in order)."""
    rows = []
    for i in range(count):
        grade, klass = 1 + i % 2, 1 + (i // 2) % classes
        roll = i // (2 * classes) + 1
        born = "2019/5/1" if grade == 1 else "2018/5/1"
        sex = "男" if i % 3 else "女"
        rows.append(
            [grade, f"{klass}組", roll, f"取込 児童{i}", _kana(i), sex, born, f"{PREFIX}{i:05d}"]
        )
    return rows


def _cleanup() -> None:
    School.objects.filter(mext_code=MEXT).delete()
    Student.objects.filter(student_number__startswith=PREFIX).delete()
    get_user_model().objects.filter(username__startswith=STAFF_LOGIN).delete()
    users = get_user_model().objects.filter(username__in=LOGINS)
    PendingUpload.objects.filter(owner_id__in=users.values("pk")).delete()
    users.delete()


@pytest.fixture
def roster_school(tama):
    _cleanup()
    year = factories.school_year(2026, SchoolYear.State.CURRENT)
    school = factories.school("取り込み試験小学校", mext_code=MEXT)
    for grade in (1, 2):
        for klass in range(1, 5):
            factories.classroom(school, year, grade=grade, name=f"{klass}組")
    people = {}
    for login, name in zip(LOGINS, ("取込 校長", "取込 教頭"), strict=True):
        staff = factories.staff(name, username=login)
        factories.give_role(
            staff, Role.SCHOOL_ADMIN, school=school, year=year, title=RoleAssignment.Title.PRINCIPAL
        )
        people[login] = staff.user
    yield {"school": school, "year": year, **people}
    _cleanup()
