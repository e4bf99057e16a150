"""Issue 9, LibreOffice users: an .ods file is read exactly as the same sheet saved as .xlsx.

Each workbook the tests already build (a roster with a merged title row, the 出席簿 export,
the score grid export) is converted by headless LibreOffice Calc to .ods, both files go
through the real import pages over HTTP, the previews must be the same page (row numbers,
columns, errors, counts), and committing the .ods writes what the .xlsx would (the .xlsx
previewed afterwards has nothing left to change).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import shutil

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance.models import Mark
from gradebook.models import Score
from schools.models import Enrolment
from tests import factories
from tests.attendance.helpers import D, save, setup_class
from tests.attendance.test_excel import cell
from tests.schools.roster_files import xlsx
from tests.test_libreoffice_paper import soffice

pytestmark = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")


@pytest.fixture(autouse=True)
def pending_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def page(html: str) -> str:
    """The page without what differs between two uploads of the same table: the tokens, the
    fingerprint (it includes the file's own digest) and the file name."""
    main = html[html.find("<main") : html.rfind("</main>")]
    main = re.sub(
        r'(name="(?:csrfmiddlewaretoken|token|fingerprint|payload)" value=")[^"]*"', r'\1"', main
    )
    return re.sub(r"\.(?:xlsx|ods)\b", ".file", main)


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the roster -----------------------------------------------------------------------------

ROSTER_URL = "/roster/io/import/"
ROWS = [
    [1, "1組", 1, "𠮷田　太郎", "ﾖｼﾀﾞ ﾀﾛｳ", "男", "2019/5/3", "S0001"],
    [1, "1組", 2, "髙橋 花子", "たかはし はなこ", "女", dt.date(2019, 6, 1), "S0002"],
    [None] * 8,  # a blank line in the middle
    [1, "1組", 3, "  渡邉 一郎 ", "わたなべ いちろう", "男", "R1.7.15", "S0003"],
]
BAD_ROWS = [
    *ROWS,
    [9, "1組", 4, "", "ひらがな", "男", "2019/2/30", "S0004"],  # grade, name, date: 3 errors
    [1, "9組", 1, "佐藤 次郎", "さとう じろう", "?", "令和元年8月1日", "S0001"],
]


def roster_preview(client, school, year, data: bytes, name: str) -> str:
    response = client.post(
        ROSTER_URL,
        {"school": school.pk, "year": year.pk, "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_roster_as_ods_previews_and_commits_as_the_xlsx(muni, client_for):
    year = factories.school_year(2026)
    school = factories.school("富士見小学校", mext_code="B119210000010")
    classroom = factories.classroom(school, year, grade=1, name="1組")
    client = client_for(muni, factories.school_admin(school, year).user)

    bad = xlsx(BAD_ROWS, title_rows=[["令和8年度 1年 名簿"]])
    bad_ods = soffice(bad, "ods", "roster_bad")
    assert bad_ods.startswith(b"PK") and b"opendocument.spreadsheet" in bad_ods[:100]
    html_xlsx = roster_preview(client, school, year, bad, "名簿.xlsx")
    html_ods = roster_preview(client, school, year, bad_ods, "名簿.ods")
    assert "6行目" in html_ods and "2月30日" in html_ods or "存在しない" in html_ods
    assert page(html_ods) == page(html_xlsx)

    good = xlsx(ROWS, title_rows=[["令和8年度 1年 名簿"]])
    good_ods = soffice(good, "ods", "roster")
    html_xlsx = roster_preview(client, school, year, good, "名簿.xlsx")
    html_ods = roster_preview(client, school, year, good_ods, "名簿.ods")
    assert "渡邉 一郎" in html_ods and "よしだ たろう" in html_ods
    assert page(html_ods) == page(html_xlsx)

    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html_ods))
    assert client.post("/roster/io/import/confirm/", fields).status_code == 302
    assert Enrolment.objects.filter(classroom=classroom).count() == 3
    # What the .ods wrote is what the .xlsx holds: previewing the .xlsx finds nothing to do.
    again = roster_preview(client, school, year, good, "名簿.xlsx")
    assert re.search(r"変更なし</span> 3", again), again[again.find("<main") :][:3000]


# --- the 出席簿 ---------------------------------------------------------------------------------


def register_preview(client, classroom, data: bytes, name: str):
    file = SimpleUploadedFile(name, data)
    response = client.post(
        f"/attendance/class/{classroom.pk}/import/", {"file": file, "y": "2026", "m": "6"}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_register_export_as_ods_previews_and_commits_as_the_xlsx(muni, client_for, boe_admin):
    year, school, classroom, ens = setup_class(4)
    teacher = factories.homeroom_teacher(classroom)
    save(boe_admin, classroom, D(2026, 6, 1), {ens[0].pk: "sick", ens[1].pk: "late"})
    client = client_for(muni, teacher.user)
    url = f"/attendance/class/{classroom.pk}/register/2026/6/export.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(client.get(url).content))
    ws = book["2026年6月"]
    cell(ws, 1, 2).value = "事"
    cell(ws, 2, 1).value = None
    cell(ws, 3, 3).value = "忌"
    data = workbook_bytes(book)
    ods = soffice(data, "ods", "register")
    html_xlsx = register_preview(client, classroom, data, "出席簿.xlsx")
    html_ods = register_preview(client, classroom, ods, "出席簿.ods")
    assert page(html_ods) == page(html_xlsx)
    assert "この内容で登録する" in html_ods

    cell(ws, 4, 4).value = "？？"  # an unknown mark: the same error at the same cell
    broken = workbook_bytes(book)
    html_xlsx = register_preview(client, classroom, broken, "出席簿.xlsx")
    html_ods = register_preview(
        client, classroom, soffice(broken, "ods", "register_bad"), "出席簿.ods"
    )
    assert "この内容で登録する" not in html_ods
    assert page(html_ods) == page(html_xlsx)

    token = re.search(r'name="token" value="([0-9a-f]+)"', html_ods)
    assert token is None  # refused: nothing to commit
    html_ods = register_preview(client, classroom, ods, "出席簿.ods")
    fields = dict(re.findall(r'name="(token|fingerprint)" value="([0-9a-f]+)"', html_ods))
    done = client.post(
        f"/attendance/class/{classroom.pk}/import/confirm/", {**fields, "y": "2026", "m": "6"}
    )
    assert done.status_code == 302
    assert set(Mark.objects.values_list("enrolment_id", "date", "code")) == {
        (ens[0].pk, D(2026, 6, 1), "sick"),
        (ens[0].pk, D(2026, 6, 2), "absent"),
        (ens[2].pk, D(2026, 6, 3), "mourning"),
    }
    again = register_preview(client, classroom, data, "出席簿.xlsx")
    assert 'badge-warn">変更</span> 0件' in again  # the .xlsx has nothing left to change


# --- the score grid ----------------------------------------------------------------------------


def grid_url(s, name):
    return reverse(name, args=[s.classroom.pk, s.subject.pk, s.term.pk])


def test_score_grid_export_as_ods_previews_and_commits_as_the_xlsx(muni, client_for):
    s = factories.gradebook_class()
    client = client_for(muni, s.teacher.user)
    exported = client.get(grid_url(s, "gradebook:grid-xlsx"))
    data = b"".join(exported.streaming_content) if exported.streaming else exported.content
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "出席番号")
    ws.cell(header + 1, 3).value = 95
    ws.cell(header + 2, 3).value = "欠"
    ws.cell(header + 3, 4).value = 12.5
    filled = workbook_bytes(book)
    ods = soffice(filled, "ods", "grid")
    url = grid_url(s, "gradebook:grid-import")
    html_xlsx = client.post(url, {"file": SimpleUploadedFile("grid.xlsx", filled)})
    html_ods = client.post(url, {"file": SimpleUploadedFile("grid.ods", ods)})
    assert "変更 3 件" in html_ods.content.decode()
    assert page(html_ods.content.decode()) == page(html_xlsx.content.decode())

    ws.cell(header + 4, 4).value = "百"  # not a number: the same error at the same cell
    bad = workbook_bytes(book)
    bad_xlsx = client.post(url, {"file": SimpleUploadedFile("grid.xlsx", bad)})
    bad_ods = client.post(url, {"file": SimpleUploadedFile("grid.ods", soffice(bad, "ods", "g2"))})
    assert page(bad_ods.content.decode()) == page(bad_xlsx.content.decode())

    payload = base64.b64encode(ods).decode()
    response = client.post(grid_url(s, "gradebook:grid-import-confirm"), {"payload": payload})
    assert response.status_code == 302
    scores = {(sc.student_id, sc.assessment_id): sc for sc in Score.objects.all()}
    st, a = s.students, s.assessments
    assert scores[(st[0].pk, a[0].pk)].points == 95
    assert scores[(st[1].pk, a[0].pk)].is_absent
    assert scores[(st[2].pk, a[1].pk)].points == 12.5
    again = client.post(url, {"file": SimpleUploadedFile("grid.xlsx", filled)})
    assert "変更 0 件" in again.content.decode()  # the .xlsx has nothing left to change


# --- the timetable grid -------------------------------------------------------------------------


def test_timetable_grid_as_ods_previews_and_commits_as_the_xlsx(muni, client_for):
    from tests.timetable.test_excel import _book, _grid_bytes, _header_row, _week_of
    from tests.timetable.test_services import build
    from timetable import imports

    b = build(3)
    wb = _book(_grid_bytes(b))
    ws = wb.active
    top = _header_row(ws)
    row = next(
        r for r in range(top + 1, top + 8) if ws.cell(row=r, column=1).value == b.classes[1].label
    )
    ws.cell(row=row, column=2).value = "算数"
    ws.cell(row=row, column=3).value = f"体育/{b.homerooms[1].name}/体育館"
    edited = workbook_bytes(wb)
    ods = soffice(edited, "ods", "timetable")
    admin = client_for(muni, b.admin.user)
    url = f"/timetable/schools/{b.school.pk}/import/?year=2026"
    html_xlsx = admin.post(url, {"file": SimpleUploadedFile("grid.xlsx", edited), "year": "2026"})
    html_ods = admin.post(url, {"file": SimpleUploadedFile("grid.ods", ods), "year": "2026"})
    assert html_ods.status_code == 200 and "月1:" in html_ods.content.decode()
    assert page(html_ods.content.decode()) == page(html_xlsx.content.decode())
    fields = dict(
        re.findall(r'name="(token|fingerprint)" value="([^"]+)"', html_ods.content.decode())
    )
    done = admin.post(
        f"/timetable/schools/{b.school.pk}/import/confirm/",
        {**fields, "filename": "grid.ods", "year": "2026"},
    )
    assert done.status_code == 302
    assert (0, 1, "算数", ()) in _week_of(b, b.classes[1])
    again = imports.plan_grid_import(b.school, b.year, edited, filename="grid.xlsx")
    assert again.ok and again.changed == []  # the .ods wrote what the .xlsx holds
