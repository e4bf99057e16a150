"""自動作成の決まり in Excel (issue 12): the whole rulebook out as one workbook and back in
through the house pipeline (preview → confirm), over real HTTP with real .xlsx (and .ods)
files: the exported file imports back with nothing to change, changes are previewed and
written at once with one audit record, bad cells are named by sheet, row and column with
nothing written, and only the school's editors get in."""

from __future__ import annotations

import io
import re
import shutil

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.models import AuditEvent, Role, Staff, Subject, TeachingAssignment
from tests import factories as f
from tests.timetable.test_generating import JH, build
from tests.timetable.test_generation_rules import _rules
from timetable import rulebook, rules_excel, rulesets, services
from timetable.models import (
    DoublePeriod,
    GenerationRules,
    SlotPreference,
    TeacherLimit,
    Unavailability,
)


@pytest.fixture(autouse=True)
def pending_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _setup():
    """build()'s 中学校 with every kind of rule stated, and one teacher's 授業不可."""
    s = build()
    _rules(s, doubles={"理科": 1, "技術・家庭": 1})
    part_timer = s.teachers["音楽"]
    part_timer.staff_number = f"T{part_timer.pk:04d}"
    part_timer.save()
    services.set_unavailability(
        by=s.by,
        school=s.school,
        school_year=s.year,
        staff=part_timer,
        slots=[(0, 1), (0, 2), (4, 6)],
        reason="兼務先",
    )
    return s


def _client(muni, client_for, s):
    return client_for(muni, Staff.objects.get(user_id=s.by.user_id).user)


def _base(s) -> str:
    return f"/timetable/schools/{s.school.pk}/generate/rules/"


def _export(client, s) -> bytes:
    response = client.get(_base(s) + "export/?year=2026")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def _upload(client, s, data: bytes, name: str = "rules.xlsx"):
    return client.post(
        _base(s) + "import/?year=2026",
        {"file": SimpleUploadedFile(name, data), "year": "2026"},
    )


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def _edit(data: bytes, change) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row_of(ws, column: int, value: str) -> int:
    for row in ws.iter_rows(min_row=1):
        if row[column - 1].value == value:
            return row[0].row
    raise AssertionError(value)


def _snapshot(school) -> tuple:
    return (
        list(GenerationRules.objects.filter(school=school).values()),
        list(TeacherLimit.objects.filter(school=school).values()),
        list(DoublePeriod.objects.order_by("pk").values()),
        list(SlotPreference.objects.filter(school=school).values()),
        list(Unavailability.objects.filter(school=school).order_by("pk").values()),
    )


def test_the_export_has_a_sheet_per_rule_and_imports_back_with_nothing_to_change(muni, client_for):
    s = _setup()
    client = _client(muni, client_for, s)
    page = client.get(_base(s) + "?year=2026").content.decode()
    assert "Excelに書き出す" in page and "Excelから読み込む" in page
    data = _export(client, s)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == list(rules_excel.SHEETS)
    settings = {r[0]: r[1] for r in book["学校の決まり"].iter_rows(values_only=True) if r[0]}
    assert settings["2時間続きを1校時から始めない"] == "する"
    assert settings["先生の1日の上限"] == 4 and settings["先生の連続の上限"] == 3
    assert settings["週5コマ以下の教科は1日1コマまで"] == "いつも"
    limits = [r for r in book["先生の上限"].iter_rows(values_only=True)]
    assert any(r[:6] == (None, "外国語先生役", 3, None, None, None) and r[6] for r in limits)
    doubles = [r for r in book["2時間続き"].iter_rows(values_only=True)]
    assert ("1年1組", "理科", "理科先生役", 3, 1) in doubles
    assert ("1年1組", "国語", "国語先生役", 4, 0) in doubles
    wishes = [r for r in book["希望"].iter_rows(values_only=True)]
    assert ("避ける", "保健体育", None, "5", 80, None) in wishes
    assert ("この時間に置く", "国語、数学、外国語", None, "1〜4", 50, None) in wishes
    grid = list(book["先生の勤務できないコマ"].iter_rows(values_only=True))
    header = next(r for r in grid if r[0] == "職員番号")
    music = next(r for r in grid if r[1] == "音楽先生役")
    marked = {header[i] for i, v in enumerate(music) if v == "×"}
    assert marked == {"月1", "月2", "金6"} and music[0].startswith("T") and music[2] == "兼務先"
    assert AuditEvent.objects.filter(action="timetable.rules.export").count() == 1

    before = _snapshot(s.school)
    preview = _upload(client, s, data)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "変更はありません" in html, html[html.find("<main") :][:3000]
    plan = rules_excel.plan_rules_import(s.school, s.year, data)
    assert plan.ok and not plan.has_changes and plan.sheets == list(rules_excel.SHEETS)
    assert _snapshot(s.school) == before
    assert not AuditEvent.objects.filter(action="timetable.rules.import").exists()


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_the_export_saved_by_libreoffice_as_ods_reads_the_same(muni, client_for):
    from tests.test_libreoffice_paper import soffice

    s = _setup()
    client = _client(muni, client_for, s)
    ods = soffice(_export(client, s), "ods", "rules")
    plan = rules_excel.plan_rules_import(s.school, s.year, ods, filename="rules.ods")
    assert plan.ok and not plan.has_changes, [str(e) for e in plan.errors]
    assert "変更はありません" in _upload(client, s, ods, "rules.ods").content.decode()


def test_changes_are_previewed_then_written_at_once_with_one_audit_record(muni, client_for):
    s = _setup()
    client = _client(muni, client_for, s)
    data = _export(client, s)
    pe = Subject.objects.get(school_type=JH, name="保健体育")
    art = Subject.objects.get(school_type=JH, name="美術")

    def change(book):
        ws = book["学校の決まり"]
        ws.cell(_row_of(ws, 1, "昼休みの前の校時"), 2).value = 3
        ws.cell(_row_of(ws, 1, "週2コマの教科は続けた日に置かない"), 2).value = "しない"
        ws = book["先生の上限"]
        ws.cell(_row_of(ws, 2, "国語先生役"), 3).value = "２"  # full-width digits
        ws.cell(_row_of(ws, 2, "外国語先生役"), 3).value = None  # back to the school's
        ws = book["2時間続き"]
        science = [r[0].row for r in ws.iter_rows() if r[1].value == "理科"]
        ws.cell(science[0], 5).value = 0
        ws = book["希望"]
        ws.delete_rows(_row_of(ws, 2, "国語、数学、外国語"))
        ws.append(["避ける", "美術・保健体育", "月水", "1・2", 30, "朝は避ける"])
        ws = book["先生の勤務できないコマ"]
        header = next(r for r in ws.iter_rows() if r[0].value == "職員番号")
        tue3 = next(c.column for c in header if c.value == "火3")
        music = _row_of(ws, 2, "音楽先生役")
        ws.cell(music, tue3).value = "×"
        english = _row_of(ws, 2, "外国語先生役")
        ws.cell(english, tue3).value = "x"
        ws.cell(english, 3).value = "会議"

    edited = _edit(data, change)
    preview = _upload(client, s, edited)
    html = preview.content.decode()
    for text in (
        "昼休みの前の校時: （空欄） → 3",
        "週2コマの教科は続けた日に置かない: する → しない",
        "国語先生役: 学校の既定 → 1日の上限 2",
        "外国語先生役: 1日の上限 3 → 学校の既定",
        "1年1組 理科: 週1回 → 週0回",
        "削除: 国語・数学・外国語は1〜4校時に置く 50%",
        "追加: 美術・保健体育は月水曜1・2校時を避ける 30% (朝は避ける)",
        "音楽先生役: 月1・月2・金6 → 月1・月2・火3・金6",
        "外国語先生役: なし → 火3 (理由: 会議)",
    ):
        assert text in html, text
    assert GenerationRules.objects.get(school=s.school).lunch_after is None  # nothing yet
    token, fingerprint = _hidden(html, "token"), _hidden(html, "fingerprint")
    done = client.post(
        _base(s) + "import/confirm/?year=2026",
        {"token": token, "fingerprint": fingerprint, "filename": "rules.xlsx", "year": "2026"},
    )
    assert done.status_code == 302 and done.url.endswith("rules/?year=2026")
    row = GenerationRules.objects.get(school=s.school)
    assert (row.lunch_after, row.spread_two_period) == (3, False)
    assert TeacherLimit.objects.get(school=s.school, staff=s.teachers["国語"]).max_daily == 2
    assert not TeacherLimit.objects.filter(staff=s.teachers["外国語"]).exists()
    first_science = TeachingAssignment.objects.get(
        school=s.school, classroom=s.classes[0], subject__name="理科"
    )
    assert not DoublePeriod.objects.filter(assignment=first_science).exists()
    assert DoublePeriod.objects.count() == 5  # 理科 ×2 classes + 技術・家庭 ×3
    prefs = list(SlotPreference.objects.filter(school=s.school).prefetch_related("subjects"))
    assert len(prefs) == 2
    added = next(p for p in prefs if p.weight == 30)
    assert {x.pk for x in added.subjects.all()} == {pe.pk, art.pk}
    assert (added.periods, added.weekdays, added.note) == ([1, 2], [0, 2], "朝は避ける")
    english = Unavailability.objects.get(staff=s.teachers["外国語"])
    assert (english.weekday, english.period, english.reason) == (1, 3, "会議")
    assert Unavailability.objects.filter(staff=s.teachers["音楽"]).count() == 4
    events = AuditEvent.objects.filter(action="timetable.rules.import")
    assert events.count() == 1
    assert events.get().changes["file"] == "rules.xlsx"
    # the new export reads back unchanged; the same upload again is refused (token used)
    again = rules_excel.plan_rules_import(s.school, s.year, _export(client, s))
    assert again.ok and not again.has_changes
    reused = client.post(
        _base(s) + "import/confirm/?year=2026",
        {"token": token, "fingerprint": fingerprint, "year": "2026"},
        follow=True,
    )
    assert "見つかりません" in reused.content.decode()


def test_bad_cells_are_named_by_sheet_row_and_column_and_nothing_is_written(muni, client_for):
    s = _setup()
    client = _client(muni, client_for, s)
    data = _export(client, s)

    def change(book):
        ws = book["学校の決まり"]
        ws.cell(_row_of(ws, 1, "先生の1日の上限"), 2).value = "たくさん"
        ws.cell(_row_of(ws, 1, "2時間続きを1校時から始めない"), 2).value = "たぶん"
        ws = book["先生の上限"]
        ws.cell(_row_of(ws, 2, "国語先生役"), 4).value = 40
        ws.append(["", "知らない先生", 3])
        ws = book["2時間続き"]
        ws.cell([r[0].row for r in ws.iter_rows() if r[1].value == "理科"][0], 5).value = 2
        ws.append(["9年9組", "理科", "", "", 1])
        ws = book["希望"]
        ws.append(["避ける", "体操", "", "5", 80, ""])
        ws.append(["置かない", "国語", "", "5", 80, ""])
        ws.append(["避ける", "国語", "日", "9", 0, ""])
        ws = book["先生の勤務できないコマ"]
        header = next(r for r in ws.iter_rows() if r[0].value == "職員番号")
        mon1 = next(c.column for c in header if c.value == "月1")
        ws.cell(_row_of(ws, 2, "国語先生役"), mon1).value = "休み"

    before = _snapshot(s.school)
    edited = _edit(data, change)
    plan = rules_excel.plan_rules_import(s.school, s.year, edited)
    found = {(e.sheet, e.column, e.message) for e in plan.errors}
    text = "\n".join(str(e) for e in plan.errors)
    assert all(e.sheet and e.row and e.column for e in plan.errors), text
    expected = [
        ("学校の決まり", "B", "先生の1日の上限は数で入力してください。"),
        ("学校の決まり", "B", "「する」か「しない」を入力してください。"),
        ("先生の上限", "D", "連続の上限は 1〜12 で入力してください。"),
        ("先生の上限", "B", "先生「知らない先生」はこの学校にいません。"),
        ("2時間続き", "E", "1年1組 理科は週3コマなので、2時間続きは週1回までです。"),
        ("2時間続き", "B", "9年9組の理科の担当がこの年度にありません。"),
        ("希望", "B", "教科「体操」が見つかりません。"),
        ("希望", "A", "種類は「避ける」か「この時間に置く」です。"),
        ("希望", "C", "曜日は「月火」のように書いてください (空欄は毎日)。"),
        ("希望", "D", "校時を 1〜6 から選んでください。"),
        ("希望", "E", "重みを 1〜100 (%) で選んでください。"),
    ]
    for item in expected:
        assert item in found, (item, text)
    grid = [e for e in plan.errors if e.sheet == "先生の勤務できないコマ"]
    assert len(grid) == 1 and "「休み」は使えません" in grid[0].message
    response = _upload(client, s, edited)
    html = response.content.decode()
    assert response.status_code == 200 and "エラーがあります" in html
    assert 'name="token"' not in html
    assert "先生の1日の上限は数で入力してください。" in html
    assert _snapshot(s.school) == before
    # a commit of the same file is refused as a whole
    with pytest.raises(rules_excel.ImportRefused):
        rules_excel.commit_rules_import(s.school, s.year, edited, by=s.by)
    assert _snapshot(s.school) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("rules.pdf", b"%PDF-1.4 nothing", "PDFファイルは取り込めません"),
        ("rules.csv", "項目,値\n昼休みの前の校時,3\n".encode(), "複数のシートがあるブック"),
        ("rules.xlsx", b"PK\x03\x04broken", "Excelブック（.xlsx）として読めない"),
    ],
)
def test_files_that_are_not_a_rulebook_are_refused_on_the_page(
    muni, client_for, name, data, message
):
    s = _setup()
    client = _client(muni, client_for, s)
    before = _snapshot(s.school)
    response = _upload(client, s, data, name)
    assert response.status_code == 200 and message in response.content.decode()
    assert _snapshot(s.school) == before


def test_a_workbook_without_rule_sheets_is_refused(muni, client_for):
    s = _setup()
    client = _client(muni, client_for, s)
    book = openpyxl.Workbook()
    book.active.title = "名簿"
    book.active.append(["氏名"])
    out = io.BytesIO()
    book.save(out)
    html = _upload(client, s, out.getvalue()).content.decode()
    assert "決まりのシートがありません" in html


def test_only_the_schools_editors_export_and_import_the_rules(muni, client_for):
    s, other = _setup(), build()
    data = _export(_client(muni, client_for, s), s)
    before = _snapshot(s.school)
    teacher = client_for(muni, s.teachers["国語"].user)  # teaches there, no role to edit
    homeroom = f.staff(name="担任 先生")
    f.give_role(homeroom, Role.HOMEROOM, school=s.school, year=s.year, classroom=s.classes[0])
    outsider = client_for(muni, Staff.objects.get(user_id=other.by.user_id).user)  # 教務 elsewhere
    for client in (teacher, client_for(muni, homeroom.user), outsider):
        assert client.get(_base(s) + "export/?year=2026").status_code in (403, 404)
        assert client.get(_base(s) + "import/?year=2026").status_code in (403, 404)
        assert _upload(client, s, data).status_code in (403, 404)
        confirm = client.post(
            _base(s) + "import/confirm/?year=2026", {"token": "0" * 32, "fingerprint": "x"}
        )
        assert confirm.status_code in (403, 404)
    # the outsider's own school: the file names this school's teachers and classes
    plan = rules_excel.plan_rules_import(other.school, other.year, data)
    assert not plan.ok
    assert _snapshot(s.school) == before
    assert (
        not AuditEvent.objects.filter(action__startswith="timetable.rules.")
        .exclude(action="timetable.rules.export")
        .exists()
    )
    assert AuditEvent.objects.filter(action="timetable.rules.export").count() == 1
    assert rulesets.current(s.school, s.year).doubles


def test_a_school_without_rules_exports_empty_sheets_that_read_back_unchanged(muni, client_for):
    s = build()
    client = _client(muni, client_for, s)
    data = _export(client, s)
    plan = rules_excel.plan_rules_import(s.school, s.year, data)
    assert plan.ok and not plan.has_changes, [str(e) for e in plan.errors]
    assert "変更はありません" in _upload(client, s, data).content.decode()
    assert not GenerationRules.objects.filter(school=s.school).exists()  # nothing written

    # a wish typed into the empty sheet is all the import adds
    def change(book):
        book["希望"].append(["避ける", "保健体育", "", "5校時", "80%", ""])

    plan = rules_excel.plan_rules_import(s.school, s.year, _edit(data, change))
    assert plan.ok and plan.diff.lines["wishes"] == ["追加: 保健体育は5校時を避ける 80%"]
    assert [k for k, v in plan.diff.lines.items() if v] == ["wishes"]


def test_two_teachers_of_one_name_without_a_staff_number_read_back_by_login_id(muni, client_for):
    """Same-name teachers are common (the demo has two 「橋本 真理」); without 職員番号 the
    exported ログインID tells them apart, so the school's own file imports back unchanged."""
    s = _setup()
    twins = [f.staff(name="橋本 真理"), f.staff(name="橋本　真理")]
    rulebook.save_teacher_limits(
        s.school,
        {twins[0].pk: rulebook.Limits(daily=3), twins[1].pk: rulebook.Limits(daily=5)},
        by=s.by,
    )
    client = _client(muni, client_for, s)
    data = _export(client, s)
    plan = rules_excel.plan_rules_import(s.school, s.year, data)
    assert plan.ok, [e.message for e in plan.errors]
    assert not plan.has_changes

    def swap(book):  # the two rows' limits exchanged: each teacher keeps their own row
        ws = book["先生の上限"]
        rows = [r for r in ws.iter_rows() if r[1].value and "橋本" in str(r[1].value)]
        rows[0][2].value, rows[1][2].value = rows[1][2].value, rows[0][2].value

    plan = rules_excel.plan_rules_import(s.school, s.year, _edit(data, swap))
    assert plan.ok and plan.has_changes
    text = "\n".join(line for _, lines in plan.sections() for line in lines)
    assert "1日の上限 3 → 1日の上限 5" in text and "1日の上限 5 → 1日の上限 3" in text, text
