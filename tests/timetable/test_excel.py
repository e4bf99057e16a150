"""Excel in and out: the exports' shape, their audit, and the whole-school grid's import
(preview, errors with their cell, all or nothing, idempotent, an export re-imports unchanged),
also after a round trip through LibreOffice (PDF page count, re-saved .xlsx)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from schools.models import AuditEvent
from tests import factories as f
from tests.timetable.test_services import MONDAY, build
from timetable import excel, imports, queries
from timetable.models import Lesson

pytestmark = pytest.mark.django_db


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _grid_bytes(b) -> bytes:
    view = queries.grid(b.school, b.year, timetable=b.timetable, date=MONDAY)
    return excel.grid_workbook(view).to_bytes()


def _header_row(ws) -> int:
    for row in ws.iter_rows(min_row=1, max_row=10):
        if row[0].value == "学級":
            return row[0].row
    raise AssertionError("no header row")


def _week_of(b, classroom) -> list[tuple]:
    return sorted(
        (x.weekday, x.period, x.subject.name, tuple(sorted(t.pk for t in x.teachers.all())))
        for x in Lesson.objects.filter(timetable=b.timetable, classroom=classroom)
    )


def test_exports_in_the_shape_schools_print_and_audited(muni, client_for):
    b = build(6)
    admin = client_for(muni, b.admin.user)
    s, c = b.school.pk, b.classes[0].pk
    exports = {
        f"/timetable/schools/{s}/export/?year=2026&date=2026-06-01": "timetable.grid.export",
        f"/timetable/schools/{s}/teachers/export/?year=2026": "timetable.teachers.export",
        f"/timetable/classes/{c}/export/?date=2026-06-01": "timetable.class_week.export",
        f"/timetable/teachers/{b.music.pk}/export/?year=2026": "timetable.teacher_week.export",
        f"/timetable/schools/{s}/hours/export/?year=2026&as_of=2026-07-01": (
            "timetable.hours.export"
        ),
    }
    books = {}
    for url, action in exports.items():
        response = admin.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert AuditEvent.objects.filter(action=action).count() == 1, action
        books[action] = _book(response.content).active
    for ws in books.values():
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    grid = books["timetable.grid.export"]
    top = _header_row(grid)
    headers = [cell.value for cell in grid[top]]
    assert headers[:3] == ["学級", "月1", "月2"] and headers[-1] == "金6" and len(headers) == 31
    labels = [grid.cell(row=top + i, column=1).value for i in range(1, 7)]
    assert labels[0] == "1年1組" and len(set(labels)) == 6
    first = grid.cell(row=top + 1, column=2).value  # 1年1組, 月1: the music specialist
    assert first == "音/音楽"  # short name / family name (音楽 専科)
    assert grid.row_dimensions[top + 1].height >= 30  # two lines fit
    teachers = books["timetable.teacher_week.export"]
    assert any("音楽" in str(cell.value) for row in teachers.iter_rows() for cell in row)
    tally = books["timetable.hours.export"]
    top = next(r[0].row for r in tally.iter_rows(max_row=10) if r[0].value == "学級")
    assert [x.value for x in tally[top]][:5] == [
        "学級",
        "教科等",
        "標準時数",
        "計画時数",
        "実施時数",
    ]
    planned = tally.cell(row=top + 1, column=4)
    assert isinstance(planned.value, int | float) and "?/?" in planned.number_format
    page = admin.get(f"/timetable/schools/{s}/?year=2026").content.decode()
    assert f"/timetable/schools/{s}/export/" in page and f"/timetable/schools/{s}/import/" in page
    assert (
        f"/timetable/classes/{c}/export/" in admin.get(f"/timetable/classes/{c}/").content.decode()
    )
    hours_page = admin.get(f"/timetable/schools/{s}/hours/?as_of=2026-07-01").content.decode()
    assert f"/timetable/schools/{s}/hours/export/" in hours_page
    teacher = client_for(muni, b.homerooms[0].user)
    assert teacher.get(f"/timetable/schools/{s}/import/").status_code == 403


def test_formula_like_names_are_written_as_text(muni):
    b = build(1)
    b.gym.name = "=HYPERLINK(1)"
    b.gym.save()
    ws = _book(_grid_bytes(b)).active
    cells = [c for row in ws.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


def test_an_export_reimports_unchanged_and_an_edit_imports_once(muni, client_for):
    b = build(6)
    data = _grid_bytes(b)
    plan = imports.plan_grid_import(b.school, b.year, data, filename="grid.xlsx")
    assert plan.ok and plan.changed == [] and len(plan.unchanged) == 6
    # Edit two cells of the second class: a full subject name, and one with teacher and room.
    wb = _book(data)
    ws = wb.active
    top = _header_row(ws)
    row = next(
        r for r in range(top + 1, top + 8) if ws.cell(row=r, column=1).value == b.classes[1].label
    )
    ws.cell(row=row, column=2).value = "算数"  # 月1
    ws.cell(row=row, column=3).value = f"体育/{b.homerooms[1].name}/体育館"  # 月2
    ws.cell(row=row, column=4).value = f"国語/{b.admin.name}"  # 月3: staff who taught nothing
    buffer = io.BytesIO()
    wb.save(buffer)
    edited = buffer.getvalue()
    admin = client_for(muni, b.admin.user)
    url = f"/timetable/schools/{b.school.pk}/import/?year=2026"
    upload = io.BytesIO(edited)
    upload.name = "grid.xlsx"
    preview = admin.post(url, {"file": upload, "year": "2026"})
    html = preview.content.decode()
    assert preview.status_code == 200 and b.classes[1].label in html and "月1:" in html
    second = b.classes[1]
    before = _week_of(b, second)
    token = html.split('name="token" value="')[1].split('"')[0]
    fingerprint = html.split('name="fingerprint" value="')[1].split('"')[0]
    done = admin.post(
        f"/timetable/schools/{b.school.pk}/import/confirm/",
        {"token": token, "fingerprint": fingerprint, "filename": "grid.xlsx", "year": "2026"},
    )
    assert done.status_code == 302
    after = _week_of(b, second)
    assert after != before
    assert (0, 1, "算数", ()) in after
    assert (0, 2, "体育", (b.homerooms[1].pk,)) in after
    assert (0, 3, "国語", (b.admin.pk,)) in after
    assert Lesson.objects.get(
        timetable=b.timetable, classroom=second, weekday=0, period=2
    ).room_id == (b.gym.pk)
    assert AuditEvent.objects.filter(action="timetable.grid.import").count() == 1
    # The same file again: nothing changes.
    again = imports.plan_grid_import(b.school, b.year, edited, filename="grid.xlsx")
    assert again.ok and again.changed == [] and len(again.unchanged) == 6
    # A token is used once.
    reused = admin.post(
        f"/timetable/schools/{b.school.pk}/import/confirm/",
        {"token": token, "fingerprint": fingerprint},
    )
    assert reused.status_code == 302
    assert AuditEvent.objects.filter(action="timetable.grid.import").count() == 1


def test_errors_name_their_cell_and_nothing_is_written(muni):
    b = build(2)
    wb = _book(_grid_bytes(b))
    ws = wb.active
    top = _header_row(ws)
    ws.cell(row=top + 1, column=2).value = "魔法"  # B: unknown subject
    ws.cell(row=top + 1, column=3).value = "国/だれか"  # C: unknown teacher
    ws.cell(row=top + 2, column=1).value = "9年9組"  # unknown class
    ws.cell(row=top, column=32).value = "金7"  # AF: a period beyond the day
    ws.cell(row=top + 1, column=32).value = "国"
    buffer = io.BytesIO()
    wb.save(buffer)
    before = Lesson.objects.count()
    plan = imports.plan_grid_import(b.school, b.year, buffer.getvalue(), filename="g.xlsx")
    found = {(e.row, e.column): e.message for e in plan.errors}
    assert "教科「魔法」" in found[(top + 1, "B")]
    assert "教員「だれか」" in found[(top + 1, "C")]
    assert "9年9組" in found[(top + 2, "A")]
    assert "7校時はありません" in found[(top + 1, "AF")]
    assert all(e.sheet == "全校時間割" for e in plan.errors)
    with pytest.raises(imports.ImportRefused):
        imports.commit_grid_import(b.school, b.year, buffer.getvalue(), by=b.by)
    assert Lesson.objects.count() == before


def test_a_timetable_is_needed_and_bad_files_are_refused(muni, client_for):
    b = build(1)
    admin = client_for(muni, b.admin.user)
    url = f"/timetable/schools/{b.school.pk}/import/"
    assert admin.get(url).status_code == 200
    upload = io.BytesIO(b"%PDF-1.4 not a sheet")
    upload.name = "x.xlsx"
    response = admin.post(url, {"file": upload})
    assert response.status_code == 200 and "エラー" in response.content.decode()
    assert admin.post(url, {}).status_code == 400  # no file: the form again, saying so
    other = f.school(name="第二小学校")
    f.school_admin(other, b.year)
    plan = imports.plan_grid_import(other, b.year, _grid_bytes(b))
    assert not plan.ok and "時間割を作成" in plan.errors[0].message


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _pages(pdf: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        line = next(x for x in info.stdout.splitlines() if x.startswith("Pages:"))
        return int(line.split()[1])
    return len(PdfReader(str(pdf)).pages)


def _convert(source: Path, to: str, out: Path) -> Path:
    profile = out / "profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out / to),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out / to / (source.stem + "." + to)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed here")
def test_libreoffice_prints_one_a4_landscape_page_and_resaves_unchanged(muni, tmp_path):
    b = build(6)
    source = tmp_path / "grid.xlsx"
    source.write_bytes(_grid_bytes(b))
    pdf = _convert(source, "pdf", tmp_path)
    assert _pages(pdf) == 1
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        size = next(x for x in info.splitlines() if x.startswith("Page size:")).split()
        assert float(size[2]) > float(size[4])  # landscape: wider than high
        assert round(float(size[2])) in (841, 842)  # A4: 297 mm = 842 pt
    resaved = _convert(source, "xlsx", tmp_path)
    plan = imports.plan_grid_import(b.school, b.year, resaved.read_bytes(), filename="r.xlsx")
    assert plan.ok and plan.changed == [] and len(plan.unchanged) == 6, plan.errors
