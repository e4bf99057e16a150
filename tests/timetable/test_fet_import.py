"""FET in: a .fet file into a school's year (upload → preview → one audited commit).

Round trips through Ai's own export (rules only, and rules with the week locked) into an
empty copy of the school's year give the same assignments, unavailable periods and lessons;
a hand-written file with unmatched names, unsupported constraints and too many hours says
everything at once; a small file of FET's examples is refused with its reasons; bad files
and other people are refused with nothing written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from schools import calendar, teaching
from schools.models import (
    AuditEvent,
    PendingUpload,
    Role,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    TeachingAssignment,
    TeachingGroup,
)
from schools.permissions import actor_for_user
from tenants import jobs
from tests import factories as f
from tests.timetable.generation.fet_samples import tiny_school_fet
from timetable import fet_import, generating, planning, rulebook, services
from timetable.generation import fet
from timetable.models import (
    DoublePeriod,
    GenerationRules,
    Lesson,
    Room,
    SlotPreference,
    TeacherLimit,
    Timetable,
    Unavailability,
)

pytestmark = pytest.mark.django_db
JH = SchoolType.JUNIOR_HIGH
WEEK = {
    "国語": 4, "社会": 3, "数学": 4, "理科": 3, "音楽": 1, "美術": 1, "保健体育": 3,
    "技術・家庭": 2, "外国語": 4, "特別の教科 道徳": 1, "総合的な学習の時間": 2, "特別活動": 1,
}  # fmt: skip
PERIODS = [6, 6, 5, 6, 6]
EXAMPLE = Path("/usr/share/doc/fet-data/examples/FET-5-official/Denmark/small-school.fet")


def _school(year: SchoolYear, name: str) -> tuple[School, Staff, list]:
    school = f.school(school_type=JH, name=name)
    calendar.rebuild_calendar(school, year)
    admin = f.school_admin(school, year)
    classes = [f.classroom(school, year, grade=1, name=f"{i}組") for i in (1, 2, 3)]
    return school, admin, classes


def build_source(*, generate: bool = True):
    """中学1年 ×3: 数学 in two 習熟度別 groups of 1組+2組, 合同 体育 of 1組+2組, a gym for
    two, a 兼務 teacher away on Thursday, a generated week with two pinned lessons."""
    year = f.school_year(2026)
    school, admin, classes = _school(year, "元の中学校")
    by = actor_for_user(admin.user)
    services.save_room(by=by, school=school, name="理科室", kind="science", capacity=1)
    services.save_room(by=by, school=school, name="体育館", kind="gym", capacity=2)
    timetable = services.create_timetable(by=by, school=school, school_year=year)
    teachers = {name: f.staff(name=f"{name}　先生") for name in WEEK}  # full-width space
    teachers["数学B"] = f.staff(name="数学B 先生")
    split = [
        teaching.save_group(by=by, school=school, school_year=year, kind="split",
                            name=f"1年数学{x}", classes=classes[:2])
        for x in "AB"
    ]  # fmt: skip
    pe = teaching.save_group(
        by=by, school=school, school_year=year, kind="combined", name="1年合同体育",
        classes=classes[:2],
    )  # fmt: skip
    for name, n in WEEK.items():
        subject = f.subject(JH, name)
        for c in classes:
            if name in ("数学", "保健体育") and c in classes[:2]:
                continue
            f.teach(teachers[name], c, subject, weekly_periods=n)
        if name == "数学":
            for g, t in zip(split, [teachers["数学"], teachers["数学B"]], strict=True):
                teaching.save_assignment(
                    by=by, school=school, school_year=year, subject=subject, group=g,
                    teachers=[t], weekly_periods=n,
                )  # fmt: skip
        if name == "保健体育":
            teaching.save_assignment(
                by=by, school=school, school_year=year, subject=subject, group=pe,
                teachers=[teachers[name]], weekly_periods=n,
            )  # fmt: skip
    services.set_unavailability(
        by=by, school=school, school_year=year, staff=teachers["音楽"],
        slots=[(3, p) for p in range(1, 7)], reason="兼務",
    )  # fmt: skip
    if not generate:
        return school, year, admin, timetable
    _generate(timetable, by)
    return school, year, admin, timetable


def _generate(timetable: Timetable, by) -> None:
    """A week by Ai's generator, applied, with two 特別活動 pinned."""
    job = generating.start(timetable, by=by, mode="new", periods=PERIODS, time_limit=30)
    job = jobs.run_now(job)
    assert job.state == "succeeded" and job.result_data["status"] == "solved", job.error
    generating.apply(timetable, job, by=by)
    pins = set(
        Lesson.objects.filter(timetable=timetable, subject__name="特別活動").values_list(
            "pk", flat=True
        )[:2]
    )
    generating.set_pins(timetable, pins, by=by)


def _target(classroom, group) -> tuple:
    if classroom is not None:
        return (classroom.label,)
    labels = tuple(sorted(c.label for c in group.classes.all()))
    # a split group keeps its name; a 合同 group is known by its classes
    return (group.kind, labels, group.name if group.kind == "split" else "")


def assignments(school, year) -> set:
    return {
        (_target(a.classroom, a.group), a.subject.name, a.weekly_periods,
         tuple(sorted(t.name for t in a.teachers.all())))
        for a in TeachingAssignment.objects.filter(school=school, school_year=year)
    }  # fmt: skip


def unavailable(school, year) -> set:
    return set(
        Unavailability.objects.filter(school=school, school_year=year).values_list(
            "staff__name", "weekday", "period"
        )
    )


def lessons(school, year, *, pinned_only: bool = False) -> set:
    qs = Lesson.objects.filter(timetable__school=school, timetable__school_year=year)
    if pinned_only:
        qs = qs.filter(pinned=True)
    return {
        (_target(x.classroom, x.group), x.subject.name, x.weekday, x.period, x.length,
         tuple(sorted(t.name for t in x.teachers.all())), x.pinned, x.division, x.section)
        for x in qs.select_related("classroom", "group", "subject")
    }  # fmt: skip


def doubles(school, year) -> dict:
    return {
        (
            d.assignment.classroom.label if d.assignment.classroom_id else d.assignment.group.name,
            d.assignment.subject.name,
        ): d.per_week
        for d in DoublePeriod.objects.filter(
            assignment__school=school, assignment__school_year=year
        ).select_related("assignment__classroom", "assignment__group", "assignment__subject")
    }


def rules(school, year) -> tuple:
    """The school's 自動作成の決まり as plain values (teachers and subjects by name)."""
    row = rulebook.settings_of(school)
    settings = (
        row.double_not_first,
        row.lunch_after,
        row.spread_two_period,
        row.teacher_max_daily,
        row.teacher_max_row,
        row.teacher_max_gaps_day,
        row.teacher_max_gaps_week,
    )
    limits = {
        t.staff.name: (t.max_daily, t.max_row, t.max_gaps_day, t.max_gaps_week)
        for t in TeacherLimit.objects.filter(school=school).select_related("staff")
    }
    wishes = {
        (
            p.kind,
            tuple(sorted(x.name for x in p.subjects.all())),
            tuple(p.periods),
            tuple(p.weekdays),
            p.weight,
        )
        for p in SlotPreference.objects.filter(school=school)
    }
    return settings, limits, doubles(school, year), wishes


def _upload(client, school, data: bytes, name: str = "school.fet"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        f"/timetable/schools/{school.pk}/generate/fet-import/?year=2026",
        {"file": upload, "year": "2026"},
    )


def _confirm(client, school, response):
    ctx = response.context
    assert ctx["token"], [str(e) for e in ctx["plan"].errors]
    return client.post(
        f"/timetable/schools/{school.pk}/generate/fet-import/confirm/",
        {
            "token": ctx["token"],
            "fingerprint": ctx["fingerprint"],
            "filename": ctx["filename"],
            "year": "2026",
        },
    )


@pytest.mark.parametrize("with_week", [True, False], ids=["week", "rules"])
def test_round_trip_through_ais_own_export_gives_the_same_school(muni, client_for, with_week):
    school, year, admin, timetable = build_source()
    source = client_for(muni, admin.user)
    url = f"/timetable/schools/{school.pk}/generate/school.fet?year=2026"
    data = source.get(url + ("&timetable=1" if with_week else "")).content
    copy, copy_admin, _ = _school(year, "写しの中学校")
    client = client_for(muni, copy_admin.user)
    preview = _upload(client, copy, data)
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.with_week is with_week
    # what Ai's own file holds that Ai keeps elsewhere: 水曜5校時 (chosen on the 自動作成
    # page) and the gym's second place of a 合同 lesson (the room's capacity)
    assert {tag.split("（")[0] for tag, _ in plan.not_kept} <= {
        "ConstraintBreakTimes",
        "生徒の指定が無い活動",
    }
    assert AuditEvent.objects.filter(action="timetable.fet.import").count() == 0
    assert not TeachingAssignment.objects.filter(school=copy).exists()  # a preview writes nothing
    done = _confirm(client, copy, preview)
    assert done.status_code == 302
    assert assignments(copy, year) == assignments(school, year)
    assert unavailable(copy, year) == unavailable(school, year)
    if with_week:
        assert lessons(copy, year) == lessons(school, year)
    else:
        assert lessons(copy, year) == lessons(school, year, pinned_only=True)
    gym = Room.objects.get(school=copy, name="体育館")
    assert (gym.kind, gym.capacity) == ("gym", 2)
    assert Room.objects.get(school=copy, name="理科室").kind == "science"
    event = AuditEvent.objects.get(action="timetable.fet.import")
    assert event.changes["school_year"] == 2026 and event.changes["with_week"] is with_week
    # the same file again changes nothing
    again = _upload(client, copy, data)
    assert again.context["plan"].ok and not again.context["token"]


@pytest.mark.parametrize(
    "spread,with_week",
    [(True, False), (False, False), (True, True)],
    ids=["spread", "no-spread", "spread-week"],
)
def test_round_trip_keeps_the_schools_rules(muni, client_for, spread, with_week):
    """自動作成の決まり exported by Ai and imported into an empty copy come back the same:
    doubles, where they start, the spread of two-period subjects, the teachers' default and
    own limits, weighted wishes (one on a weekday); with the week, its doubles come back as
    lessons of two periods."""
    school, year, admin, timetable = build_source(generate=False)
    by = actor_for_user(admin.user)
    rulebook.save_settings(
        school,
        by=by,
        double_not_first=spread,
        lunch_after="" if spread else 3,
        spread_two_period=spread,
        limits=rulebook.Limits(5, 3, None, None),
    )
    one = TeachingAssignment.objects.filter(school=school, subject__name="理科")
    two = TeachingAssignment.objects.filter(school=school, subject__name="技術・家庭")
    rulebook.save_doubles(school, year, {one.first().pk: 1, two.last().pk: 1}, by=by)
    math = Staff.objects.get(name="数学　先生")
    rulebook.save_teacher_limits(school, {math.pk: rulebook.Limits(4, None, None, 2)}, by=by)
    pe = f.subject(JH, "保健体育")
    rulebook.add_preference(school, by=by, kind="avoid", subjects=[pe.pk], periods=[5], weight=80)
    rulebook.add_preference(
        school,
        by=by,
        kind="avoid",
        subjects=[f.subject(JH, "数学").pk],
        periods=[1],
        weekdays=[0],
        weight=30,
    )
    japanese = f.subject(JH, "国語").pk
    if not spread:  # 「1〜4校時に置く」 is written as the slots it allows: 「5・6校時を避ける」
        rulebook.add_preference(
            school, by=by, kind="prefer", subjects=[japanese], periods=[1, 2, 3, 4], weight=50
        )
    if with_week:
        _generate(timetable, by)
    data = (
        client_for(muni, admin.user)
        .get(
            f"/timetable/schools/{school.pk}/generate/school.fet?year=2026"
            + ("&timetable=1" if with_week else "")
        )
        .content
    )
    copy, copy_admin, _ = _school(year, "写しの中学校")
    client = client_for(muni, copy_admin.user)
    preview = _upload(client, copy, data)
    plan = preview.context["plan"]
    assert plan.ok, [str(e) for e in plan.errors]
    assert {tag.split("（")[0] for tag, _ in plan.not_kept} <= {
        "ConstraintBreakTimes",
        "生徒の指定が無い活動",
    }, plan.not_kept
    page = preview.content.decode()
    assert "自動作成の決まり" in page and "保健体育は5校時を避ける（80%）" in page
    assert not GenerationRules.objects.filter(school=copy).exists()  # a preview writes nothing
    assert _confirm(client, copy, preview).status_code == 302
    settings, limits, pairs, wishes = rules(school, year)
    if not spread:
        wishes = wishes - {("prefer", ("国語",), (1, 2, 3, 4), (), 50)}
        wishes |= {("avoid", ("国語",), (5, 6), (), 50)}
    assert rules(copy, year) == (settings, limits, pairs, wishes)
    assert rules(copy, year)[2] == {("1年1組", "理科"): 1, ("1年3組", "技術・家庭"): 1}
    if with_week:
        assert plan.with_week and lessons(copy, year) == lessons(school, year)
        assert {x[4] for x in lessons(copy, year)} == {1, 2}  # the doubles, as Ai stores them
    event = AuditEvent.objects.get(action="timetable.fet.import", school=copy)
    assert any(r[0] == "時間帯の希望" for r in event.changes["rules"])
    assert AuditEvent.objects.filter(action="timetable.teacher_limit.set", school=copy).exists()
    # the same file again changes nothing
    again = _upload(client, copy, data).context["plan"]
    assert again.rule_changes == [] and not again.has_changes
    # and into the school it came from: its own wishes, however stated, are the same
    home = _upload(client_for(muni, admin.user), school, data).context["plan"]
    assert home.rule_changes == []


HAND_RULES = """
<ConstraintTeachersMaxHoursDaily><Weight_Percentage>100</Weight_Percentage><Maximum_Hours_Daily>5</Maximum_Hours_Daily><Active>true</Active></ConstraintTeachersMaxHoursDaily>
<ConstraintTeacherMaxHoursContinuously><Weight_Percentage>100</Weight_Percentage><Teacher_Name>田中</Teacher_Name><Maximum_Hours_Continuously>3</Maximum_Hours_Continuously><Active>true</Active></ConstraintTeacherMaxHoursContinuously>
<ConstraintTeachersMaxGapsPerWeek><Weight_Percentage>95</Weight_Percentage><Max_Gaps>3</Max_Gaps><Active>true</Active></ConstraintTeachersMaxGapsPerWeek>
<ConstraintTeacherMaxHoursDaily><Weight_Percentage>nan</Weight_Percentage><Teacher_Name>鈴木</Teacher_Name><Maximum_Hours_Daily>inf</Maximum_Hours_Daily><Active>true</Active></ConstraintTeacherMaxHoursDaily>
<ConstraintTeacherMaxGapsPerDay><Weight_Percentage>100</Weight_Percentage><Teacher_Name>山本</Teacher_Name><Max_Gaps>1</Max_Gaps><Active>true</Active></ConstraintTeacherMaxGapsPerDay>
<ConstraintActivitiesPreferredTimeSlots><Weight_Percentage>82</Weight_Percentage><Teacher_Name></Teacher_Name><Students_Name></Students_Name><Subject_Name>英語</Subject_Name><Activity_Tag_Name></Activity_Tag_Name>{english}<Active>true</Active></ConstraintActivitiesPreferredTimeSlots>
<ConstraintSubjectPreferredTimeSlots><Weight_Percentage>50</Weight_Percentage><Subject>数学</Subject>{math}<Active>true</Active></ConstraintSubjectPreferredTimeSlots>
<ConstraintActivityPreferredTimeSlots><Weight_Percentage>60</Weight_Percentage><Activity_Id>1</Activity_Id>{math}<Active>true</Active></ConstraintActivityPreferredTimeSlots>
"""


def test_a_hand_written_file_sets_teacher_limits_and_wishes(muni, client_for):
    """FET's teachers' limits (all teachers → the school's default, one teacher → their own)
    and a subject's time-slot preference become 自動作成の決まり; what does not fit is listed."""
    year = f.school_year(2026)
    school, admin, classes = _school(year, "FET中学校")
    _homeroom(classes[0], "田中 一郎")
    _homeroom(classes[1], "佐藤　花子")
    for name in ("鈴木", "高橋", "伊藤"):
        f.staff(name=name)

    def slots(pairs) -> str:
        return "".join(
            f"<Preferred_Time_Slot><Preferred_Day>{d}</Preferred_Day>"
            f"<Preferred_Hour>{h}</Preferred_Hour></Preferred_Time_Slot>"
            for d, h in pairs
        )

    days, hours = ["月", "火", "水", "木", "金"], ["1", "2", "3", "4", "5"]
    english = slots((d, h) for d in days for h in hours if h != "5")  # not period 5
    math = slots((d, h) for d in days for h in hours if not (d == "金" and h in "12"))
    text = tiny_school_fet().replace(
        "</Time_Constraints_List>",
        HAND_RULES.format(english=english, math=math) + "</Time_Constraints_List>",
    )
    client = client_for(muni, admin.user)
    preview = _upload(client, school, text.encode())
    plan = preview.context["plan"]
    assert plan.ok, [str(e) for e in plan.errors]
    not_kept = dict(plan.not_kept)
    assert not_kept["ConstraintTeachersMaxGapsPerWeek（100%でない上限）"] == 1
    assert not_kept["ConstraintTeacherMaxGapsPerDay（Aiにいない教員）"] == 1
    assert not_kept["ConstraintTeacherMaxHoursDaily（1〜12の範囲外）"] == 1  # "inf"
    assert not_kept["ConstraintActivityPreferredTimeSlots（教科の一部の学級・活動だけの希望）"] == 1
    assert "ConstraintTeachersMaxHoursDaily" not in str(not_kept)
    assert _confirm(client, school, preview).status_code == 302
    row = GenerationRules.objects.get(school=school)
    assert (row.teacher_max_daily, row.teacher_max_row, row.teacher_max_gaps_week) == (
        5,
        None,
        None,
    )
    own = {
        t.staff.name: (t.max_daily, t.max_row)
        for t in TeacherLimit.objects.filter(school=school).select_related("staff")
    }
    # 佐藤's own 2 a day is lower than everyone's 5 (FET keeps both); 田中's 3 in a row
    assert own == {"佐藤　花子": (2, None), "田中 一郎": (None, 3)}
    assert rules(school, year)[3] == {
        ("avoid", ("外国語",), (5,), (), 80),
        ("avoid", ("数学",), (1, 2), (4,), 50),
    }


def _homeroom(classroom, name: str) -> Staff:
    s = f.staff(name=name)
    f.give_role(s, Role.HOMEROOM, classroom=classroom)
    return s


def test_a_fet_style_file_is_matched_to_the_schools_names(muni, client_for):
    """FET's own small 中学校 sample: year 「1年」, groups 「1組」「2組」, teachers by family
    name, 体育/英語 spellings, a lunch hour, home rooms and limits Ai does not keep."""
    year = f.school_year(2026)
    school, admin, classes = _school(year, "FET中学校")
    _homeroom(classes[0], "田中 一郎")  # the school's own: a family name is enough
    _homeroom(classes[1], "佐藤　花子")
    for name in ("鈴木", "高橋", "伊藤"):  # of the municipality, by full name
        f.staff(name=name)
    client = client_for(muni, admin.user)
    preview = _upload(client, school, tiny_school_fet().encode())
    plan = preview.context["plan"]
    assert plan.ok, [str(e) for e in plan.errors]
    page = preview.content.decode()
    assert "「昼」は全曜日が休み時間" in page
    assert "取り込まない条件: ConstraintStudentsMaxGapsPerWeek 1件" in page
    # 佐藤's own limit is one of Ai's 自動作成の決まり: shown before → after, then kept
    assert "ConstraintTeacherMaxHoursDaily" not in dict(plan.not_kept)
    assert ("先生の上限: 佐藤　花子", "学校の既定", "1日2・連続—・空き1日—・空き週—") in {
        (r.what, r.before, r.after) for r in plan.rule_changes
    }
    assert "取り込まない条件: ConstraintStudentsSetHomeRoom 2件" in page
    assert "ConstraintActivitiesPreferredStartingTimes 1件" in page
    assert _confirm(client, school, preview).status_code == 302
    got = assignments(school, year)
    assert (("1年1組",), "外国語", 3, ("高橋",)) in got
    assert (("1年2組",), "理科", 4, ("鈴木",)) in got  # two double periods
    assert doubles(school, year)[("1年2組", "理科")] == 2
    assert TeacherLimit.objects.get(school=school, staff__name="佐藤　花子").max_daily == 2
    pe = TeachingGroup.objects.get(school=school, kind="combined")
    assert sorted(c.label for c in pe.classes.all()) == ["1年1組", "1年2組"]
    assert TeachingAssignment.objects.get(group=pe).subject.name == "保健体育"
    # 田中 away on Monday: periods 1-5 (「昼」 is not a period)
    assert {(w, p) for _, w, p in unavailable(school, year)} == {(0, p) for p in range(1, 6)}
    assert Room.objects.get(school=school, name="理科室").kind == "science"
    assert Room.objects.get(school=school, name="体育館").kind == "gym"
    assert not Lesson.objects.filter(timetable__school=school).exists()  # nothing locked


HAND = """<?xml version="1.0" encoding="UTF-8"?>
<fet version="6.8.5">
<Days_List><Number_of_Days>5</Number_of_Days>{days}</Days_List>
<Hours_List><Number_of_Hours>{n}</Number_of_Hours>{hours}</Hours_List>
<Teachers_List><Teacher><Name>山田　太郎</Name></Teacher><Teacher><Name>鈴木</Name></Teacher></Teachers_List>
<Students_List>
<Year><Name>１年</Name><Group><Name>1組</Name></Group><Group><Name>１－２</Name></Group></Year>
<Year><Name>2年</Name><Group><Name>2-1</Name><Subgroup><Name>2-1 A</Name></Subgroup></Group><Group><Name>2-9</Name></Group></Year>
</Students_List>
<Activities_List>
<Activity><Teacher>山田　太郎</Teacher><Subject>Math</Subject><Students>1組</Students><Duration>2</Duration><Id>1</Id><Active>true</Active></Activity>
<Activity><Teacher>山田　太郎</Teacher><Subject>英語</Subject><Students>１－２</Students><Duration>1</Duration><Id>2</Id><Active>true</Active></Activity>
<Activity><Teacher>鈴木</Teacher><Subject>書写</Subject><Students>2-9</Students><Duration>1</Duration><Id>3</Id><Active>true</Active></Activity>
<Activity><Teacher>山田　太郎</Teacher><Subject>数学</Subject><Students>2-1 A</Students><Duration>1</Duration><Id>4</Id><Active>true</Active></Activity>
</Activities_List>
<Rooms_List><Room><Name>音楽室</Name><Capacity>40</Capacity><Virtual>false</Virtual></Room></Rooms_List>
<Time_Constraints_List>
<ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active></ConstraintBasicCompulsoryTime>
{gaps}
<ConstraintActivityPreferredStartingTime><Weight_Percentage>100</Weight_Percentage><Activity_Id>2</Activity_Id><Preferred_Day>月曜日</Preferred_Day><Preferred_Hour>6</Preferred_Hour><Permanently_Locked>true</Permanently_Locked><Active>true</Active></ConstraintActivityPreferredStartingTime>
</Time_Constraints_List>
<Space_Constraints_List/>
</fet>
"""
GAPS = (
    "<ConstraintStudentsSetMaxGapsPerWeek><Weight_Percentage>100</Weight_Percentage>"
    "<Max_Gaps>0</Max_Gaps><Students>1組</Students><Active>true</Active>"
    "</ConstraintStudentsSetMaxGapsPerWeek>"
)


def hand(n_hours: int = 6, *, gaps: int = 12) -> bytes:
    return HAND.format(
        days="".join(f"<Day><Name>{d}曜日</Name></Day>" for d in "月火水木金"),
        n=n_hours,
        hours="".join(f"<Hour><Name>{h}</Name></Hour>" for h in range(1, n_hours + 1)),
        gaps=GAPS * gaps,
    ).encode()


def _hand_school(year, name: str = "手書き中学校", teacher: str = "山田 太郎"):
    school = f.school(school_type=JH, name=name)
    calendar.rebuild_calendar(school, year)
    admin = f.school_admin(school, year)
    classes = [
        f.classroom(school, year, grade=grade, name=name)
        for grade, name in ((1, "1組"), (1, "2組"), (2, "1組"))
    ]
    if teacher:
        _homeroom(classes[0], teacher)
    return school, admin


def test_a_hand_written_file_says_everything_at_once(muni, client_for):
    year = f.school_year(2026)
    school, admin = _hand_school(year)
    client = client_for(muni, admin.user)
    preview = _upload(client, school, hand(7))
    plan = preview.context["plan"]
    messages = [e.message for e in plan.errors]
    text = "\n".join(messages)
    assert "FETファイルの時限は1日7時間ですが、この学校は1日6校時です" in text
    assert "「2-9」に当たる学級" in text  # unmatched group, named
    assert "教員「鈴木」が Ai の教職員にいません" in text  # unknown teacher, named
    assert "教科「書写」がこの学校の教科にありません" in text
    assert not preview.context["token"]
    assert "まだ何も登録されていません" in preview.content.decode()
    assert not TeachingAssignment.objects.filter(school=school).exists()
    assert not PendingUpload.objects.exists()

    # fixed by the 教務主任: 6 hours, the unknown activity removed → it commits
    fixed = hand(6).replace(
        "<Activity><Teacher>鈴木</Teacher>".encode(),
        b"<Activity><Active>false</Active><Teacher>x</Teacher>",
    )
    preview = _upload(client, school, fixed)
    plan = preview.context["plan"]
    assert plan.ok, [str(e) for e in plan.errors]
    page = preview.content.decode()
    assert "取り込まない条件: ConstraintStudentsSetMaxGapsPerWeek 12件" in page
    assert "2時限続きの活動" in page
    assert _confirm(client, school, preview).status_code == 302
    got = assignments(school, year)
    assert (("1年1組",), "数学", 2, ("山田 太郎",)) in got  # Math, duration 2
    assert (("1年2組",), "外国語", 1, ("山田 太郎",)) in got  # 英語, 「１－２」
    split = TeachingGroup.objects.get(school=school, kind="split")
    assert [c.label for c in split.classes.all()] == ["2年1組"]
    pinned = Lesson.objects.get(timetable__school=school)
    assert (pinned.weekday, pinned.period, pinned.pinned) == (0, 6, True)
    assert pinned.subject.name == "外国語" and pinned.classroom.label == "1年2組"
    assert Room.objects.get(school=school, name="音楽室").kind == "music"
    event = AuditEvent.objects.get(action="timetable.fet.import")
    assert event.changes["not_kept"]["ConstraintStudentsSetMaxGapsPerWeek"] == 12


@pytest.mark.skipif(not EXAMPLE.exists(), reason="fet-data examples not installed")
def test_an_example_of_fet_that_is_not_a_japanese_school_is_refused_with_reasons(muni):
    year = f.school_year(2026)
    school, _ = _hand_school(year)
    plan = fet_import.plan_fet_import(school, year, EXAMPLE.read_bytes(), filename=EXAMPLE.name)
    text = "\n".join(e.message for e in plan.errors)
    assert "FETファイルの曜日は1日（Daily）ですが、この学校の時間割は月〜金の5日です" in text
    assert "に当たる学級がこの学校の" in text and "が Ai の教職員にいません" in text
    assert not plan.ok


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE fet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<fet><Institution_Name>&b;</Institution_Name></fet>"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("school.fet", b"<fet>" + b" " * 5_000_000 + b"</fet>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not xml", "XMLではありません"),
        (b"<fet><Days_List>", "FETファイルとして読めません"),
        (BOMB, "DTD・実体宣言を含むXMLは読み込めません"),
        (b"<html><body>hi</body></html>", "最初の要素が &lt;html&gt;"),
        (_zip(), "圧縮ファイルやExcelファイルは読めません"),
        (b"<fet><Days_List/></fet>", "曜日（Days_List）または時限（Hours_List）がありません"),
        (b"<fet>" + b"<a/>" * 300_001 + b"</fet>", "要素が多すぎます"),
        (b"<fet>" + b" " * (5 * 1024 * 1024) + b"</fet>", "ファイルが大きすぎます"),
    ],
    ids=["text", "broken", "entities", "html", "zip", "no-days", "elements", "huge"],
)
def test_bad_files_are_refused_in_japanese_and_nothing_is_written(muni, client_for, data, message):
    year = f.school_year(2026)
    school, admin = _hand_school(year)
    client = client_for(muni, admin.user)
    response = _upload(client, school, data)
    page = response.content.decode()
    assert response.status_code in (200, 400)
    assert message in page
    assert response.status_code != 500
    assert not PendingUpload.objects.exists()
    assert not TeachingAssignment.objects.filter(school=school).exists()
    assert not AuditEvent.objects.filter(action="timetable.fet.import").exists()


def test_others_cannot_import_or_confirm(muni, client_for):
    year = f.school_year(2026)
    school, admin = _hand_school(year)
    teacher = Staff.objects.get(name="山田 太郎")
    other_school, other_admin = _hand_school(year, "隣の中学校", teacher="")
    url = f"/timetable/schools/{school.pk}/generate/fet-import/"
    as_teacher = client_for(muni, teacher.user)
    assert as_teacher.get(url).status_code == 403
    assert _upload(as_teacher, school, hand(6)).status_code == 403
    as_other = client_for(muni, other_admin.user)
    assert _upload(as_other, school, hand(6)).status_code in (403, 404)
    # the owner previews; another administrator cannot confirm the owner's upload
    fixed = (
        hand(6)
        .decode()
        .replace("<Subject>書写</Subject>", "<Subject>数学</Subject>")
        .replace("<Teacher>鈴木</Teacher><Subject>", "<Teacher>山田 太郎</Teacher><Subject>")
        .replace("<Students>2-9</Students>", "<Students>2-1</Students>")
        .encode()
    )
    owner = client_for(muni, admin.user)
    preview = _upload(owner, school, fixed)
    assert preview.context["plan"].ok, [str(e) for e in preview.context["plan"].errors]
    second = f.school_admin(school, year)
    stolen = _confirm(client_for(muni, second.user), school, preview)
    assert stolen.status_code == 302  # back to the form with the reason
    assert not TeachingAssignment.objects.filter(school=school).exists()
    # the school changed after the preview: refused (409), nothing written
    f.teach(
        teacher, school.classrooms.get(grade=1, name="1組"), f.subject(JH, "数学"), weekly_periods=3
    )
    refused = _confirm(owner, school, preview)
    assert refused.status_code == 409
    assert "ファイルを読み込んだ後に学校のデータが変わりました" in refused.content.decode()
    assert TeachingAssignment.objects.filter(school=school).count() == 1
    assert not Timetable.objects.filter(school=school).exists()


def test_an_archived_year_is_refused(muni):
    year = f.school_year(2025, state=SchoolYear.State.ARCHIVED)
    school, _ = _hand_school(year)
    plan = fet_import.plan_fet_import(school, year, hand(6))
    assert "過年度のため変更できません" in str(plan.errors[0])


def test_the_api_previews_and_commits_the_same_way(muni, client_for):
    year = f.school_year(2026)
    school, admin = _hand_school(year)
    url = "/api/v1/timetable/fet-imports/"
    teacher = client_for(muni, Staff.objects.get(name="山田 太郎").user)
    owner = client_for(muni, admin.user)

    def upload(data: bytes) -> io.BytesIO:
        buffer = io.BytesIO(data)
        buffer.name = "school.fet"
        return buffer

    assert teacher.post(url, {"school": school.pk, "file": upload(hand(6))}).status_code == 403
    refused = owner.post(url, {"school": school.pk, "year": 2026, "file": upload(hand(7))}).json()
    assert not refused["ok"] and not refused["token"]
    assert any("1日7時間" in e["message"] for e in refused["errors"])
    fixed = hand(6).replace(
        "<Activity><Teacher>鈴木</Teacher>".encode(),
        b"<Activity><Active>false</Active><Teacher>x</Teacher>",
    )
    body = owner.post(url, {"school": school.pk, "year": 2026, "file": upload(fixed)}).json()
    assert body["ok"] and body["counts"]["assignments_new"] == 3, body
    assert {"not_kept": "ConstraintStudentsSetMaxGapsPerWeek", "count": 12} in body["rows"]
    # the 2-period Math activity is a 2時間続き of the assignment (自動作成の決まり)
    assert {"rule": "2時間続き: 1年1組 数学", "before": "週0回", "after": "週1回"} in body["rows"]
    stolen = teacher.post(
        url + "commit/", {"token": body["token"]}, content_type="application/json"
    )
    assert stolen.status_code == 403
    assert not TeachingAssignment.objects.filter(school=school).exists()
    done = owner.post(url + "commit/", {"token": body["token"]}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["counts"]["lessons_pinned"] == 1
    assert TeachingAssignment.objects.filter(school=school).count() == 3
    assert doubles(school, year) == {("1年1組", "数学"): 1}
    again = owner.post(url + "commit/", {"token": body["token"]}, content_type="application/json")
    assert again.status_code == 404


def test_an_elementary_homeroom_teacher_stays_the_default_teacher(muni):
    """Elementary: the homeroom teacher teaches what no 専科 does (no teacher on the
    assignment); the file names the teacher, the import leaves the assignment without one."""
    ES = SchoolType.ELEMENTARY
    year = f.school_year(2026)

    def school_of(name: str, homerooms: list[Staff] | None = None):
        school = f.school(school_type=ES, name=name)
        calendar.rebuild_calendar(school, year)
        admin = f.school_admin(school, year)
        classes = [f.classroom(school, year, grade=3, name=f"{i}組") for i in (1, 2)]
        teachers = homerooms or [f.staff(name=f"担任{i} 先生") for i in (1, 2)]
        for c, t in zip(classes, teachers, strict=True):
            f.give_role(t, Role.HOMEROOM, classroom=c)
        return school, actor_for_user(admin.user), classes, teachers

    school, by, classes, teachers = school_of("元の小学校")
    music = f.staff(name="音楽 専科")
    for c in classes:
        f.teach(None, c, f.subject(ES, "国語"), weekly_periods=5)
        f.teach(music, c, f.subject(ES, "音楽"), weekly_periods=2)
    timetable = services.create_timetable(by=by, school=school, school_year=year)
    data = fet.write_problem(planning.plan_for(timetable, periods=[6] * 5).problem)
    copy, copy_by, _, _ = school_of("写しの小学校", teachers)
    plan = fet_import.commit_fet_import(copy, year, data, by=copy_by)
    assert plan.counts()["assignments_new"] == 4
    assert assignments(copy, year) == assignments(school, year)
    assert {a[3] for a in assignments(copy, year) if a[1] == "国語"} == {()}
