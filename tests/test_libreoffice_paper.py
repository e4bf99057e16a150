"""Issue 9, Excel and paper: exports opened, printed and re-saved in LibreOffice Calc.

Rows with wrapped text (出席簿 and 出欠 headers, 通知表 labels and 所見) carry heights that fit
their lines; the 出席簿 and 通知表 exports print to PDF through LibreOffice (pages kept under
artifacts/ and looked at as PNG); a 出席簿 re-saved by LibreOffice imports back with no
change; the score grid's points are number cells that SUM in LibreOffice.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from schools.spreadsheets.writer import line_count, row_height
from tests import factories
from tests.attendance.helpers import D, save, setup_class
from tests.attendance.test_excel import upload

pytestmark = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
ARTIFACTS = Path("artifacts")


def soffice(data: bytes, to: str, name: str) -> bytes:
    """``data`` (an .xlsx) converted by headless LibreOffice to ``to`` (pdf, xlsx)."""
    with tempfile.TemporaryDirectory(prefix="lo_paper_") as tmp:
        source = Path(tmp) / f"{name}.xlsx"
        source.write_bytes(data)
        out = Path(tmp) / "out"
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                to,
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (out / f"{name}.{to}").read_bytes()


def keep_pdf(pdf: bytes, name: str) -> int:
    """Store the PDF and its pages as PNG (to look at); return the page count."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(ARTIFACTS / name)], check=True)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def assert_rows_fit(ws) -> list[tuple[int, int, float]]:
    """Every wrapped cell's row is at least as tall as its lines need; returns what it checked."""
    widths = {letter: dim.width for letter, dim in ws.column_dimensions.items() if dim.width}
    merged = {r.min_row * 10_000 + r.min_col: r for r in ws.merged_cells.ranges}
    checked = []
    for row in ws.iter_rows():
        for c in row:
            if c.value in (None, "") or not (c.alignment and c.alignment.wrap_text):
                continue
            width = widths.get(c.column_letter, 8.43)
            span = merged.get(c.row * 10_000 + c.column)
            if span is not None:
                width = sum(
                    widths.get(openpyxl.utils.get_column_letter(i), 8.43)
                    for i in range(span.min_col, span.max_col + 1)
                )
            lines = line_count(c.value, width)
            if lines < 2:
                continue
            height = ws.row_dimensions[c.row].height
            assert height is not None and height >= row_height(lines) - 0.1, (
                c.coordinate,
                c.value,
                lines,
                height,
            )
            checked.append((c.row, lines, height))
    return checked


def test_register_prints_unclipped_and_survives_a_libreoffice_resave(muni, client_for):
    year, school, classroom, ens = setup_class(30)
    teacher = factories.homeroom_teacher(classroom)
    save(teacher.user, classroom, D(2026, 6, 1), {ens[0].pk: "sick", ens[1].pk: "late"})
    client = client_for(muni, teacher.user)
    url = f"/attendance/class/{classroom.pk}/register/2026/6/export.xlsx"
    data = client.get(url).content
    ws = openpyxl.load_workbook(io.BytesIO(data))["2026年6月"]
    checked = assert_rows_fit(ws)
    header = next(r for r, lines, h in checked if ws.cell(r, 1).value == "番号")
    assert header  # the figure headers (出席しなければならない日数) wrap: a taller row
    names = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)]
    assert "出席数 (日計)" in names and "欠席数 (日計)" in names and "合計" in names
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "担任印" in values and "校長印" in values and "累計 欠席日数" in values
    pages = keep_pdf(soffice(data, "pdf", "register"), "register_libreoffice")
    assert pages >= 1
    text = subprocess.run(
        ["pdftotext", "-layout", str(ARTIFACTS / "register_libreoffice.pdf"), "-"],
        capture_output=True,
        text=True,
    ).stdout
    assert "担任印" in text and "出席数 (日計)" in text
    # re-saved by LibreOffice Calc: the same register, nothing to change on import
    resaved = openpyxl.load_workbook(io.BytesIO(soffice(data, "xlsx", "register")))
    again = upload(client, classroom, resaved)
    assert again.status_code == 200
    assert "変更はありません" in again.content.decode()


def test_report_cards_rows_fit_and_print(muni, client_for):
    from gradebook.models import Remark

    s = factories.gradebook_class(students=3, assessments=1)
    for e in s.enrolments:
        Remark.objects.create(student=e.student, term=s.term, text="よく頑張りました。" * 40)
    client = client_for(muni, s.admin.user)
    url = reverse("gradebook:report-cards-xlsx", args=[s.classroom.pk, s.term.pk])
    for layout in ("sheet", "row"):
        data = client.get(url, {"layout": layout}).content
        book = openpyxl.load_workbook(io.BytesIO(data))
        checked = [row for ws in book.worksheets for row in assert_rows_fit(ws)]
        assert max(lines for _, lines, _ in checked) >= 5  # the 所見 rows: several lines
        assert keep_pdf(soffice(data, "pdf", f"cards_{layout}"), f"report_cards_{layout}") >= 1


def test_grid_scores_are_numbers_that_sum_in_libreoffice(muni, client_for):
    from tests.gradebook.test_services import save as save_scores

    s = factories.gradebook_class(students=4, assessments=1)
    save_scores(s, {(0, 0): "80", (1, 0): "欠", (2, 0): "7.5"})
    client = client_for(muni, s.teacher.user)
    url = reverse("gradebook:grid-xlsx", args=[s.classroom.pk, s.subject.pk, s.term.pk])
    book = openpyxl.load_workbook(io.BytesIO(client.get(url).content))
    ws = book.worksheets[0]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "出席番号")
    cells = [ws.cell(header + i, 3) for i in range(1, 5)]
    assert [c.data_type for c in cells[:3]] == ["n", "s", "n"]
    assert [c.value for c in cells] == [80, "欠", 7.5, None]
    total = ws.cell(header + 6, 3)
    total.value = f"=SUM(C{header + 1}:C{header + 4})"
    average = ws.cell(header + 7, 3)
    average.value = f"=AVERAGE(C{header + 1}:C{header + 4})"
    buffer = io.BytesIO()
    book.save(buffer)  # formulas without saved values: LibreOffice computes them
    again = openpyxl.load_workbook(
        io.BytesIO(soffice(buffer.getvalue(), "xlsx", "grid")), data_only=True
    ).worksheets[0]
    assert again.cell(total.row, 3).value == 87.5
    assert again.cell(average.row, 3).value == pytest.approx(43.75)


# An .ods is now read as an .xlsx is (issue 9): tests/test_libreoffice_ods.py.
