"""Yearly figures in Excel count the school days up to today and say 「…現在」 (issue 9).

A fixed "today" inside the year: a mark after it is not counted, days after it are not
出席, the sheet's header says the date; a past month or year is complete.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from attendance import excel, queries
from schools.calendar import year_bounds
from schools.permissions import actor_for_user
from tests import factories
from tests.attendance.helpers import D, actor_of, save, setup_class

MID_JUNE = D(2026, 6, 10)  # 8 school days of June so far (1-5, 8-10)


@pytest.fixture
def klass(muni):
    year, school, classroom, ens = setup_class(3)
    teacher = factories.homeroom_teacher(classroom)
    save(teacher.user, classroom, D(2026, 6, 1), {ens[0].pk: "sick"})
    save(teacher.user, classroom, D(2026, 6, 15), {ens[0].pk: "sick"})  # after MID_JUNE
    return classroom, ens, teacher.user


def _book(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _table(ws) -> tuple[list[str], dict[str, tuple], str]:
    """The header labels, the pupils' rows by name, and the text above the header."""
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] in ("番号", "学校コード"))
    header = [str(v or "") for v in rows[at]]
    name_col = header.index("氏名")
    body = {r[name_col]: r for r in rows[at + 1 :] if r[name_col]}
    above = " ".join(str(v) for r in rows[:at] for v in r if v)
    return header, body, above


def test_month_register_counts_up_to_today_and_says_so(klass):
    classroom, ens, user = klass
    name = ens[0].student.name
    by = actor_of(user, classroom)
    book = _book(excel.register_export(classroom, by=by, month=(2026, 6), today=MID_JUNE))
    header, body, above = _table(book["2026年6月"])
    row = body[name]
    assert row[header.index("授業日数")] == 8  # not the month's 22
    assert row[header.index("欠席日数")] == 1  # the 15th has not happened yet
    assert row[header.index("出席日数")] == 7
    assert "2026年6月10日現在" in above
    # 累計 (April to date) stops at today too: the class's own figures as of today.
    _, year_rows = queries.class_year_figures(classroom, MID_JUNE)
    assert row[header.index("累計 授業日数")] == year_rows[0].year.school_days
    assert row[header.index("累計 出席日数")] == year_rows[0].year.present_days
    # The 合計 row is the sum of the counted days only.
    assert body["合計"][header.index("授業日数")] == 8 * 3

    # A past month is complete, and says it is.
    book = _book(excel.register_export(classroom, by=by, month=(2026, 6), today=D(2026, 7, 20)))
    header, body, above = _table(book["2026年6月"])
    assert body[name][header.index("授業日数")] == 22
    assert body[name][header.index("欠席日数")] == 2
    assert "2026年6月30日現在（月末まで）" in above


def test_year_register_leaves_months_to_come_uncounted(klass):
    classroom, ens, user = klass
    name = ens[0].student.name
    book = _book(excel.register_export(classroom, by=actor_of(user, classroom), today=MID_JUNE))
    header, body, above = _table(book["2026年7月"])
    assert body[name][header.index("授業日数")] == 0
    assert body[name][header.index("出席日数")] == 0
    assert "まだ始まっていません" in above
    header, body, above = _table(book["2026年5月"])
    assert body[name][header.index("授業日数")] == 18 and "2026年5月31日現在（月末まで）" in above


def test_the_download_counts_up_to_the_servers_today(muni, client_for, klass):
    """The page's download passes today: the header names a date and says 現在."""
    classroom, _, user = klass
    url = f"/attendance/class/{classroom.pk}/register/2026/6/export.xlsx"
    _, _, above = _table(_book(client_for(muni, user).get(url))["2026年6月"])
    assert "現在" in above


def test_municipality_export_counts_to_today_and_a_past_year_whole(klass, boe_admin):
    classroom, ens, _ = klass
    name = ens[0].student.name
    by = actor_for_user(boe_admin)
    year = classroom.school_year
    buffer = io.BytesIO()
    excel.export_municipality_figures(year, buffer, by=by, today=MID_JUNE)
    header, body, above = _table(openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active)
    _, year_rows = queries.class_year_figures(classroom, MID_JUNE)
    assert body[name][header.index("授業日数")] == year_rows[0].year.school_days
    assert body[name][header.index("欠席日数")] == 1
    assert "2026年6月10日現在（今日までの授業日で集計）" in above
    # The whole year (a past year, or leaving with the data afterwards): complete.
    start, end = year_bounds(year)
    buffer = io.BytesIO()
    excel.write_municipality_figures(year, start, end, buffer)
    header, body, above = _table(openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active)
    assert body[name][header.index("欠席日数")] == 2
    assert "2027年3月31日現在（年度末まで）" in above


def test_api_figures_count_up_to_as_of(muni, client_for, klass):
    """The API's figures count as the pages do: up to ``as_of`` (default today)."""
    classroom, ens, user = klass
    client = client_for(muni, user)
    base = f"/api/v1/attendance/figures/?scope=classroom&id={classroom.pk}&year=2026"
    body = client.get(base + "&month=6&as_of=2026-06-10").json()
    assert body["counted_until"] == "2026-06-10" and body["to"] == "2026-06-30"
    row = next(r for r in body["results"] if r["enrolment"] == ens[0].pk)
    assert row["school_days"] == 8 and row["absent_days"] == 1
    whole = client.get(base + "&as_of=2026-06-10").json()
    row = next(r for r in whole["results"] if r["enrolment"] == ens[0].pk)
    _, year_rows = queries.class_year_figures(classroom, MID_JUNE)
    assert row["school_days"] == year_rows[0].year.school_days
    later = client.get(base + "&month=7&as_of=2026-06-10").json()
    assert later["counted_until"] is None and later["results"] == []
    past = client.get(base + "&month=6&as_of=2026-07-20").json()
    row = next(r for r in past["results"] if r["enrolment"] == ens[0].pk)
    assert row["school_days"] == 22 and row["absent_days"] == 2
    bad = client.get(base + "&as_of=6月10日")
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("as_of: ")
