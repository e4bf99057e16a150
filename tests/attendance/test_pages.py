"""Attendance pages through real HTTP requests on the municipality's host."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance.models import Mark, TakenDay
from schools import calendar
from schools.models import Enrolment, Role
from tests import factories
from tests.attendance.helpers import D, save, setup_class

MONDAY = D(2026, 6, 1)


def day_url(classroom, day=MONDAY):
    return f"/attendance/class/{classroom.pk}/day/{day.isoformat()}/"


def post_marks(client, classroom, marks, base=None, day=MONDAY, htmx=False):
    data = {f"m{k}": v for k, v in marks.items()}
    for k, v in (base or {}).items():
        data[f"b{k}"] = v
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(day_url(classroom, day), data, **headers)


@pytest.fixture
def klass(muni):
    year, school, classroom, ens = setup_class(5)
    teacher = factories.homeroom_teacher(classroom)
    return classroom, ens, teacher.user


def test_homeroom_teacher_sees_the_entry_page_with_keys(muni, client_for, klass):
    classroom, ens, user = klass
    response = client_for(muni, user).get(day_url(classroom))
    html = response.content.decode()
    assert response.status_code == 200
    assert ens[0].student.name in html and ens[0].student.kana in html
    assert "<kbd>1</kbd>" in html and 'data-key="8"' in html
    assert 'data-count="enrolled">5<' in html
    assert "attendance/entry.js" in html
    assert "前の授業日" in html  # May 29 (Friday)
    assert day_url(classroom, D(2026, 5, 29)) in html


def test_save_stores_marks_and_shows_counts(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    response = post_marks(
        client,
        classroom,
        {ens[0].pk: "sick", ens[1].pk: "late"},
        base={e.pk: "" for e in ens},
        htmx=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "出欠を保存しました" in html and "2人を変更" in html
    assert 'data-count="absent">1<' in html and 'data-count="present">4<' in html
    assert dict(Mark.objects.values_list("enrolment_id", "code")) == {
        ens[0].pk: "sick",
        ens[1].pk: "late",
    }
    assert TakenDay.objects.filter(classroom=classroom, date=MONDAY).exists()
    # Without htmx: redirect after POST, the message shown on the next page.
    response = post_marks(client, classroom, {ens[0].pk: "sick"}, base={ens[1].pk: "late"})
    assert response.status_code == 302
    assert "1人を変更" in client.get(response.url).content.decode()


def test_refusals_have_clear_messages_and_write_nothing(muni, client_for, klass):
    classroom, ens, user = klass
    client = client_for(muni, user)
    saturday = post_marks(client, classroom, {ens[0].pk: "sick"}, day=D(2026, 6, 6))
    assert saturday.status_code == 400
    assert "授業日ではありません" in saturday.content.decode()
    Enrolment.objects.filter(pk=ens[4].pk).update(left_on=D(2026, 5, 31))
    outside = post_marks(client, classroom, {ens[4].pk: "sick"})
    assert outside.status_code == 400
    assert "在籍していない" in outside.content.decode()
    bad = post_marks(client, classroom, {ens[0].pk: "=cmd"})
    assert bad.status_code == 400 and "使えません" in bad.content.decode()
    assert not Mark.objects.exists()
    # A date outside the school year is not a page.
    assert client.get(day_url(classroom, D(2027, 4, 1))).status_code == 404
    assert client.get(f"/attendance/class/{classroom.pk}/day/2026-13-01/").status_code == 404


def test_permissions(muni, other_muni, client_for, klass):
    classroom, ens, user = klass
    year = classroom.school_year
    other_class = factories.classroom(classroom.school, year, grade=2, name="1組")
    other_teacher = factories.homeroom_teacher(other_class)
    other_school = factories.school()
    far_class = factories.classroom(other_school, year)
    far_teacher = factories.homeroom_teacher(far_class)
    # Same school, not their class: may see the register, may not take attendance.
    client = client_for(muni, other_teacher.user)
    assert client.get(day_url(classroom)).status_code == 403
    assert post_marks(client, classroom, {ens[0].pk: "sick"}).status_code == 403
    assert client.get(f"/attendance/class/{classroom.pk}/register/2026/6/").status_code == 200
    # Another school: the class does not exist for them.
    client = client_for(muni, far_teacher.user)
    assert client.get(day_url(classroom)).status_code == 404
    assert client.get(f"/attendance/class/{classroom.pk}/register/2026/6/").status_code == 404
    assert client.get("/attendance/overview/").status_code == 403
    # Anonymous: log in first.
    anonymous = client_for(muni).get(day_url(classroom))
    assert anonymous.status_code == 302 and "login" in anonymous.url
    # Another municipality's host: same id, other schema.
    assert client_for(other_muni).get(day_url(classroom)).status_code in (302, 404)
    assert not Mark.objects.exists()


def test_archived_year_is_read_only(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})
    classroom.school_year.state = "archived"
    classroom.school_year.save()
    # The school's administrator of the new year (the board reads records, does not write).
    principal = factories.school_admin(classroom.school, factories.school_year(2027))
    admin = client_for(muni, principal.user)
    page = admin.get(day_url(classroom)).content.decode()
    assert "閲覧のみ" in page and "<fieldset disabled>" in page
    assert post_marks(admin, classroom, {ens[0].pk: ""}).status_code == 403
    assert Mark.objects.count() == 1


def _query_count(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_page_and_save_cost_constant_queries(muni, client_for):
    counts = []
    for size in (5, 40):
        _, _, classroom, ens = setup_class(size, name=f"{size}組")
        teacher = factories.homeroom_teacher(classroom)
        client = client_for(muni, teacher.user)
        client.get(day_url(classroom))  # session warm-up
        page = _query_count(client, "get", day_url(classroom))
        data = {f"m{e.pk}": "sick" for e in ens[::3]} | {f"b{e.pk}": "" for e in ens}
        saving = _query_count(client, "post", day_url(classroom), data)
        counts.append((page, saving))
    assert counts[0] == counts[1], counts


def test_register_page_and_export(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick", ens[1].pk: "mourning"})
    Enrolment.objects.filter(pk=ens[4].pk).update(left_on=D(2026, 6, 10), exit="transfer_out")
    client = client_for(muni, user)
    html = client.get(f"/attendance/class/{classroom.pk}/register/2026/6/").content.decode()
    assert "出席簿" in html and "6/10 転出" in html
    assert ">病<" in html and ">忌<" in html
    response = client.get(f"/attendance/class/{classroom.pk}/register/2026/6/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = book["2026年6月"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    rows = list(ws.iter_rows(values_only=True))
    header_index = next(i for i, r in enumerate(rows) if r[0] == "番号")
    header = rows[header_index]
    # the month's figures start at 授業日数 (the 累計 columns follow them: issue 9)
    school_days = header.index("授業日数")
    assert header[2] == "1(月)" and header[school_days + 8] == "累計 授業日数"
    first = rows[header_index + 1]
    assert first[1] == ens[0].student.name and first[2] == "病" and first[7] == "／"
    figures = dict(
        zip(
            header[school_days : school_days + 8], first[school_days : school_days + 8], strict=True
        )
    )
    assert figures["授業日数"] == 22 and figures["欠席日数"] == 1 and figures["出席日数"] == 21
    left = rows[header_index + 5]
    assert left[school_days] == 8  # 1st to 10th, the leaving day counts
    total = rows[header_index + 6]
    assert total[1] == "合計" and total[school_days] == 22 * 4 + 8
    year = client.get(f"/attendance/class/{classroom.pk}/year/export.xlsx")
    assert len(openpyxl.load_workbook(io.BytesIO(year.content)).sheetnames) == 12


def test_year_figures_page(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "sick"})
    html = client_for(muni, user).get(f"/attendance/class/{classroom.pk}/year/").content.decode()
    assert "出席しなければならない日数" in html and ens[0].student.name in html


def test_calendar_admin(muni, client_for, klass):
    classroom, ens, user = klass
    school, year = classroom.school, classroom.school_year
    admin = factories.school_admin(school, year)
    client = client_for(muni, admin.user)
    url = f"/attendance/school/{school.pk}/calendar/"
    assert client.get(url).status_code == 200
    r = client.post(
        url + "overrides/set/",
        {"o-date": "2026-06-13", "o-is_school_day": "1", "o-note": "授業参観"},
    )
    assert r.status_code == 302
    r = client.post(
        url + "closures/add/",
        {
            "c-kind": "class",
            "c-classroom": classroom.pk,
            "c-start": "2026-06-15",
            "c-end": "2026-06-16",
            "c-reason": "インフルエンザ",
        },
    )
    assert r.status_code == 302
    bad = client.post(
        url + "vacations/add/", {"v-name": "夏", "v-start": "2026-08-31", "v-end": "2026-07-21"}
    )
    assert bad.status_code == 200 and "終了日は開始日以降" in bad.content.decode()
    teacher = client_for(muni, user)
    assert teacher.get(url).status_code == 403
    page = teacher.get(day_url(classroom, D(2026, 6, 15))).content.decode()
    assert "学級閉鎖" in page
    assert teacher.get(day_url(classroom, D(2026, 6, 13))).status_code == 200
    html = teacher.get(f"/attendance/class/{classroom.pk}/register/2026/6/").content.decode()
    assert ">閉<" in html
    # Undo the Saturday: it is no longer a school day.
    from schools.models import CalendarOverride, SchoolDate

    override = CalendarOverride.objects.get(school=school, date=D(2026, 6, 13))
    r = client.post(url + f"overrides/{override.pk}/delete/", {"year": "2026"})
    assert r.status_code == 302
    assert not SchoolDate.objects.get(school=school, date=D(2026, 6, 13)).is_school_day
    r = client.post(
        url + "vacations/add/",
        {"v-name": "夏季休業", "v-start": "2026-07-21", "v-end": "2026-08-31"},
    )
    assert r.status_code == 302
    assert not SchoolDate.objects.get(school=school, date=D(2026, 7, 22)).is_school_day


def test_overview_for_boe_and_school_admin(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    from schools.models import SchoolDate

    days = list(
        SchoolDate.objects.filter(
            school=classroom.school, is_school_day=True, date__lte=D(2026, 11, 26)
        ).values_list("date", flat=True)
    )
    Mark.objects.bulk_create([Mark(enrolment=ens[0], date=d, code="sick") for d in days[:32]])
    html = client_for(muni, boe_admin).get("/attendance/overview/").content.decode()
    assert "<svg" in html and ens[0].student.name in html and "30日以上" in html
    admin = factories.school_admin(classroom.school, classroom.school_year)
    response = client_for(muni, admin.user).get("/attendance/overview/")
    assert response.status_code == 200 and ens[0].student.name in response.content.decode()
    other_admin = factories.school_admin(factories.school(), classroom.school_year)
    html = client_for(muni, other_admin.user).get("/attendance/overview/").content.decode()
    assert ens[0].student.name not in html
    assert (
        client_for(muni, other_admin.user)
        .get(f"/attendance/overview/?school={classroom.school.pk}")
        .status_code
        == 404
    )


def test_home_card_and_menu(muni, client_for, klass):
    classroom, ens, user = klass
    html = client_for(muni, user).get("/").content.decode()
    assert "/attendance/" in html and f"/attendance/class/{classroom.pk}/" in html
    assert factories.give_role  # roles module imported for other tests
    assert Role.HOMEROOM


def test_codes_setting_changes_symbols_and_figures(muni, client_for, klass, boe_admin):
    classroom, ens, user = klass
    from attendance.models import AttendanceCode

    client = client_for(muni, boe_admin)
    assert client.get("/attendance/codes/").status_code == 200
    data = {}
    for c in AttendanceCode.objects.all():
        data |= {
            f"symbol-{c.code}": c.symbol,
            f"label-{c.code}": c.label,
            f"figure-{c.code}": c.figure,
            f"key-{c.code}": c.key,
            f"active-{c.code}": "1",
        }
    data["symbol-late"] = "チ"
    assert client.post("/attendance/codes/", data).status_code == 302
    save(boe_admin, classroom, MONDAY, {ens[0].pk: "late"})
    html = client_for(muni, user).get(f"/attendance/class/{classroom.pk}/register/2026/6/")
    assert ">チ<" in html.content.decode()
    bad = dict(data, **{"symbol-early": "チ"})
    response = client.post("/attendance/codes/", bad)
    assert response.status_code == 400 and "記号が重複" in response.content.decode()
    assert client_for(muni, user).get("/attendance/codes/").status_code == 403


def test_per_period_marks_at_a_junior_high(muni, client_for):
    year = factories.school_year(2026)
    school = factories.school(school_type="junior_high", per_period_attendance=True)
    classroom = factories.classroom(school, year, grade=2)
    calendar.rebuild_calendar(school, year)  # as create_school's receiver does
    ens = factories.students(classroom, 3)
    teacher = factories.homeroom_teacher(classroom)
    client = client_for(muni, teacher.user)
    page = client.get(day_url(classroom) + "?period=2").content.decode()
    assert "2校時" in page and 'name="period" value="2"' in page
    response = client.post(day_url(classroom) + "?period=2", {f"m{ens[0].pk}": "late"})
    assert response.status_code == 302
    assert list(Mark.objects.values_list("period", "code")) == [(2, "late")]
    from attendance import queries

    reg = queries.register(classroom, D(2026, 6, 1), D(2026, 6, 30))
    assert reg.rows[0].figures.late == 0  # the day's figures count the day's mark only
    # An elementary school without per-period marks ignores the period.
    _, _, other, other_ens = setup_class(2, name="9組")
    other_teacher = factories.homeroom_teacher(other)
    client_for(muni, other_teacher.user).post(
        day_url(other) + "?period=3", {f"m{other_ens[0].pk}": "sick"}
    )
    assert Mark.objects.get(enrolment=other_ens[0]).period == 0


def test_year_figures_and_register_count_only_days_up_to_today(muni, client_for, klass):
    """The page says as of when; the year's figures stop at today (no future 出席)."""
    import datetime as dt

    from attendance import queries
    from attendance.rules import Figures

    classroom, ens, user = klass
    save(user, classroom, MONDAY, {ens[0].pk: "sick"})
    june = (D(2026, 6, 1), D(2026, 6, 30))
    # Before the year: nothing; mid-June: 8 school days of June (1-10); after: the month.
    for today, june_days, may_days in (
        (D(2026, 3, 31), 0, 0),
        (D(2026, 6, 10), 8, 18),
        (D(2027, 5, 1), 22, 18),
    ):
        months, rows = queries.class_year_figures(classroom, today)
        june_index = months.index((2026, 6))
        assert rows[0].months[june_index].school_days == june_days
        assert rows[0].months[june_index - 1].school_days == may_days
        later = [f for (y, m), f in zip(months, rows[0].months, strict=True) if (y, m) > (2026, 6)]
        if today < D(2027, 3, 31):
            assert all(f == Figures() for f in later)
        assert rows[0].year.present_days == rows[0].year.required_days - rows[0].year.absent_days
        reg = queries.register(classroom, *june, today)
        assert reg.rows[0].figures.school_days == june_days
        assert reg.counted_until == (None if today < june[0] else min(today, june[1]))
    # Without a date (exports): the whole period, as before.
    assert queries.register(classroom, *june).rows[0].figures.school_days == 22
    html = client_for(muni, user).get(f"/attendance/class/{classroom.pk}/year/").content.decode()
    assert 'id="as-of"' in html and "現在" in html
    assert dt.date.today().year  # the page's date is the server's today
