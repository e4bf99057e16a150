"""出欠記号 come from one registry (``attendance.queries.codes``): the API's list, the entry
page's buttons and keys, the 出席簿's legend and the import's parser agree, also after a
municipality changes its codes."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from attendance import excel, queries
from attendance.models import AttendanceCode, Mark
from attendance.rules import DEFAULT_CODES
from tests import factories
from tests.attendance.helpers import D, setup_class

MONDAY = D(2026, 6, 1)


@pytest.fixture
def custom_codes(muni):
    """The municipality renames a symbol, retires 災 and adds its own code."""
    if not AttendanceCode.objects.exists():
        for c in DEFAULT_CODES:
            AttendanceCode.objects.create(
                code=c.code,
                symbol=c.symbol,
                label=c.label,
                figure=c.figure.value,
                key=c.key,
                sort_order=c.sort_order,
            )
    AttendanceCode.objects.filter(code="sick").update(symbol="病欠")
    AttendanceCode.objects.filter(code="disaster").update(is_active=False)
    AttendanceCode.objects.filter(key="9").update(key="")
    AttendanceCode.objects.create(
        code="online",
        symbol="オ",
        label="オンライン学習",
        figure="deemed_present",
        key="9",
        sort_order=9,
    )


@pytest.fixture
def klass(muni, custom_codes):
    _, _, classroom, ens = setup_class(3)
    return classroom, ens, factories.homeroom_teacher(classroom).user


def _endpoint(client) -> dict[str, dict]:
    body = client.get("/api/v1/attendance/codes/").json()
    return {c["code"]: c for c in body["results"]}


def test_entry_page_buttons_are_the_endpoints_codes(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    listed = _endpoint(client)
    assert "online" in listed and "disaster" not in listed and listed["sick"]["symbol"] == "病欠"
    html = client.get(f"/attendance/class/{classroom.pk}/day/{MONDAY:%Y-%m-%d}/").content.decode()
    row = re.findall(rf'name="m{ens[0].pk}" value="([^"]+)"', html)
    assert set(row) == set(listed), "the page's buttons and the endpoint's codes differ"
    keys = dict(re.findall(rf'name="m{ens[0].pk}" value="([^"]+)"[^>]*data-key="([^"]*)"', html))
    assert keys == {code: c["key"] for code, c in listed.items()}
    for code in listed.values():
        assert f'<b aria-hidden="true">{code["symbol"]}</b>' in html


def test_register_legend_lists_the_endpoints_codes(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    listed = _endpoint(client)
    url = f"/attendance/class/{classroom.pk}/register/2026/6/"
    legend = client.get(url).content.decode().split('id="legend"', 1)[1].split("</p>", 1)[0]
    shown = dict(
        re.findall(r'<span class="sym[^"]*">([^<]+)</span>=([^ <]+(?: \([^)]*\))?)', legend)
    )
    assert shown == {c["symbol"]: c["label"] for c in listed.values()}
    # A retired code stays explained where an old mark shows it (and only then).
    Mark.objects.create(enrolment=ens[0], date=MONDAY, period=0, code="disaster")
    legend = client.get(url).content.decode().split('id="legend"', 1)[1].split("</p>", 1)[0]
    assert ">災</span>=非常変災等" in legend
    # The Excel register's legend says the same.
    book = excel.register_workbook(classroom, [queries.month_bounds(2026, 6)])
    ws = openpyxl.load_workbook(io.BytesIO(book.to_bytes()))["2026年6月"]
    text = " ".join(str(v) for r in ws.iter_rows(max_row=6, values_only=True) for v in r if v)
    for c in listed.values():
        assert f"{c['symbol']}={c['label']}" in text


def test_import_accepts_exactly_the_endpoints_codes(muni, client_for, klass):
    classroom, ens, user = klass
    listed = _endpoint(client_for(muni, user))
    book = excel.register_workbook(classroom, [queries.month_bounds(2026, 6)])
    wb = openpyxl.load_workbook(io.BytesIO(book.to_bytes()))
    ws = wb["2026年6月"]
    header = next(r for r in ws.iter_rows() if r[0].value == "番号")
    day_columns = [c.column for c in header if c.value and re.match(r"^\d+\(", str(c.value))]
    rows = {r[0].value: r[0].row for r in ws.iter_rows(min_row=header[0].row + 1) if r[0].value}
    school_days = [
        col for col in day_columns if ws.cell(row=rows[1], column=col).value != excel.NOT_COUNTED
    ]
    # every listed symbol in its own school-day cell of pupil 1; 災 (retired) for pupil 2
    for col, code in zip(school_days, listed.values(), strict=False):
        ws.cell(row=rows[1], column=col, value=code["symbol"])
    ws.cell(row=rows[2], column=school_days[0], value="災")
    buffer = io.BytesIO()
    wb.save(buffer)
    plan = excel.plan_register_import(classroom, buffer.getvalue(), filename="出席簿.xlsx")
    assert {c.new for c in plan.changes} == set(listed)
    assert len(plan.errors) == 1 and "記号「災」は使えません" in plan.errors[0].message
    for c in listed.values():
        assert c["symbol"] in plan.errors[0].message  # the message lists the codes in use
