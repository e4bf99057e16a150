"""出席簿 Excel: export, fill in offline, import back (preview, errors, one transaction)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from attendance.models import Mark
from schools.models import AuditEvent
from tenants import jobs
from tests import factories
from tests.attendance.helpers import D, save, setup_class


@pytest.fixture
def klass(muni):
    year, school, classroom, ens = setup_class(4)
    teacher = factories.homeroom_teacher(classroom)
    return classroom, ens, teacher.user


def exported(client, classroom, year=2026, month=6) -> openpyxl.Workbook:
    url = f"/attendance/class/{classroom.pk}/register/{year}/{month}/export.xlsx"
    return openpyxl.load_workbook(io.BytesIO(client.get(url).content))


def upload(client, classroom, book: openpyxl.Workbook, **extra):
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "出席簿.xlsx"
    return client.post(
        f"/attendance/class/{classroom.pk}/import/",
        {"file": buffer, "y": "2026", "m": "6", **extra},
    )


def cell(ws, roll: int, day: int):
    """The cell of student ``roll`` on ``day`` in an exported month sheet."""
    header = next(r for r in ws.iter_rows() if r[0].value == "番号")
    column = next(c.column for c in header if c.value and re.match(rf"^{day}\(", str(c.value)))
    row = next(r for r in ws.iter_rows(min_row=header[0].row + 1) if r[0].value == roll)
    return ws.cell(row=row[0].row, column=column)


def test_round_trip_preview_then_commit(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    save(boe_admin, classroom, D(2026, 6, 1), {ens[0].pk: "sick", ens[1].pk: "late"})
    client = client_for(muni, user)
    book = exported(client, classroom)
    ws = book["2026年6月"]
    cell(ws, 1, 2).value = "事"  # a new absence (symbol)
    cell(ws, 2, 1).value = None  # back to present
    cell(ws, 3, 3).value = "忌"
    preview = upload(client, classroom, book)
    html = preview.content.decode()
    assert preview.status_code == 200 and "この内容で登録する" in html
    assert Mark.objects.count() == 2  # the preview wrote nothing
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)
    done = client.post(
        f"/attendance/class/{classroom.pk}/import/confirm/",
        {"token": token, "fingerprint": fingerprint, "y": "2026", "m": "6"},
    )
    assert done.status_code == 302
    assert set(Mark.objects.values_list("enrolment_id", "date", "code")) == {
        (ens[0].pk, D(2026, 6, 1), "sick"),
        (ens[0].pk, D(2026, 6, 2), "absent"),
        (ens[2].pk, D(2026, 6, 3), "mourning"),
    }
    event = AuditEvent.objects.get(action="attendance.register.import")
    assert event.changes["marks"][f"{ens[1].pk}:2026-06-01"] == ["late", ""]  # old, new
    assert event.changes["marks"][f"{ens[0].pk}:2026-06-02"] == ["", "absent"]
    assert set(event.changes["student_ids"]) == {
        ens[0].student_id,
        ens[1].student_id,
        ens[2].student_id,
    }
    # The same file again: nothing to change.
    again = upload(client, classroom, exported(client, classroom))
    assert "変更はありません" in again.content.decode()


def test_errors_name_sheet_row_and_column_and_write_nothing(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    book = exported(client, classroom)
    ws = book["2026年6月"]
    cell(ws, 1, 2).value = "X"  # unknown symbol
    cell(ws, 2, 6).value = "病"  # Saturday
    bad_name = cell(ws, 3, 1)
    ws.cell(row=bad_name.row, column=2).value = "別人 太郎"
    response = upload(client, classroom, book)
    html = response.content.decode()
    assert "記号「X」は使えません" in html
    assert "6月6日は授業日ではないため入力できません" in html
    assert "氏名が違います" in html
    assert "2026年6月" in html and "列" in html
    assert "この内容で登録する" not in html
    assert not Mark.objects.exists()


def test_refuses_a_file_that_is_not_a_workbook(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    buffer = io.BytesIO(b"%PDF-1.4 not a sheet")
    buffer.name = "x.pdf"
    response = client.post(
        f"/attendance/class/{classroom.pk}/import/", {"file": buffer, "y": "2026", "m": "6"}
    )
    assert response.status_code == 200 and "PDF" in response.content.decode()


def test_other_teacher_cannot_import(muni, client_for, klass):
    classroom, ens, user = klass
    other = factories.homeroom_teacher(
        factories.classroom(classroom.school, classroom.school_year, grade=3)
    )
    book = exported(client_for(muni, user), classroom)
    assert upload(client_for(muni, other.user), classroom, book).status_code == 403


def test_formula_like_names_are_exported_as_text(muni, client_for, klass):
    classroom, ens, user = klass
    student = ens[0].student
    student.name = "=HYPERLINK(1)"
    student.save()
    ws = exported(client_for(muni, user), classroom)["2026年6月"]
    name_cell = next(r for r in ws.iter_rows() if r[0].value == 1)[1]
    assert name_cell.value == "=HYPERLINK(1)" and name_cell.data_type == "s"


def test_municipality_export_for_the_board_only(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    save(boe_admin, classroom, D(2026, 6, 1), {ens[0].pk: "sick"})
    # A long export runs as a job: the POST queues it, its page hands out the file.
    client = client_for(muni, boe_admin)
    response = client.post("/attendance/overview/figures.xlsx", {"year": "2026"})
    assert response.status_code == 302
    job = jobs.run_now(jobs.find(int(response.url.strip("/").rsplit("/", 1)[-1])))
    response = client.get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "学校コード")
    mine = [r for r in rows[header + 1 :] if r[5] == ens[0].student.name]
    assert mine and mine[0][rows[header].index("欠席日数")] == 1
    assert client_for(muni, user).get("/attendance/overview/figures.xlsx").status_code == 403


def test_a_june_file_on_the_october_page_is_refused(muni, client_for, klass):
    """A CSV carries no sheet name: its days and weekdays must match the month applied to."""
    classroom, ens, user = klass
    client = client_for(muni, user)
    june = "番号,氏名," + ",".join(
        f"{d}({'月火水木金土日'[D(2026, 6, d).weekday()]})" for d in range(1, 31)
    )
    rows = [june, "1,,病", "2,,"]
    data = io.BytesIO("\n".join(rows).encode("utf-8-sig"))
    data.name = "出席簿6月.csv"
    response = client.post(
        f"/attendance/class/{classroom.pk}/import/", {"file": data, "y": "2026", "m": "10"}
    )
    html = response.content.decode()
    assert "2026年10月の出席簿ではありません" in html
    assert re.search(r"2026年6月[^<]*の出席簿のようです", html)
    assert "この内容で登録する" not in html
    assert not Mark.objects.exists()


def test_a_shift_jis_question_mark_in_a_name_is_explained(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    june = "番号,氏名," + ",".join(
        f"{d}({'月火水木金土日'[D(2026, 6, d).weekday()]})" for d in range(1, 31)
    )
    data = io.BytesIO("\n".join([june, "1,?田 花子,病"]).encode("cp932"))
    data.name = "出席簿.csv"
    response = client.post(
        f"/attendance/class/{classroom.pk}/import/", {"file": data, "y": "2026", "m": "6"}
    )
    html = response.content.decode()
    assert "Shift_JISのCSVでは" in html and "この内容で登録する" not in html
    assert not Mark.objects.exists()
