"""自動作成 inside Ai: a junior high school's week generated from its assignments as a job,
compared, applied in one audited change; pins, a repair that moves few lessons, reasons
when it is impossible, and the refusals (a changed timetable, another school, a teacher)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest

from schools import calendar, teaching
from schools.models import AuditEvent, School, SchoolType, SchoolYear, Staff, TeachingGroup
from schools.permissions import Actor, actor_for_user
from tenants import jobs
from tests import factories as f
from timetable import generating, queries, rulebook, services
from timetable.generation import fet, referee
from timetable.models import Lesson, Timetable, Unavailability

JH = SchoolType.JUNIOR_HIGH
# 週29コマ (水曜5校時): 1年 of a 中学校, 数学 taught in two 習熟度別 groups for 1組+2組.
WEEK = {
    "国語": 4, "社会": 3, "数学": 4, "理科": 3, "音楽": 1, "美術": 1, "保健体育": 3,
    "技術・家庭": 2, "外国語": 4, "特別の教科 道徳": 1, "総合的な学習の時間": 2,
}  # fmt: skip
PERIODS = [6, 6, 5, 6, 6]


@dataclass
class School1:
    school: School
    year: SchoolYear
    timetable: Timetable
    classes: list
    teachers: dict[str, Staff]
    math_groups: list[TeachingGroup]
    by: Actor


def build() -> School1:
    year = f.school_year(2026)
    school = f.school(school_type=JH, name=f"テスト中学校{next(f._seq)}")
    calendar.rebuild_calendar(school, year)
    admin = f.school_admin(school, year)
    by = actor_for_user(admin.user)
    services.save_room(by=by, school=school, name="理科室", kind="science", capacity=1)
    services.save_room(by=by, school=school, name="体育館", kind="gym", capacity=2)
    timetable = services.create_timetable(by=by, school=school, school_year=year)
    classes = [f.classroom(school, year, grade=1, name=f"{i}組") for i in (1, 2, 3)]
    teachers = {name: f.staff(name=f"{name}先生役") for name in WEEK}
    teachers["数学B"] = f.staff(name="数学B先生役")
    groups = [
        teaching.save_group(
            by=by, school=school, school_year=year, kind="split", name=f"1年数学{x}",
            classes=classes[:2],
        )
        for x in "AB"
    ]  # fmt: skip
    for name, n in WEEK.items():
        subject = f.subject(JH, name)
        for c in classes:
            if name == "数学" and c in classes[:2]:
                continue
            f.teach(teachers[name], c, subject, weekly_periods=n)
        if name == "数学":
            for g, t in zip(groups, [teachers["数学"], teachers["数学B"]], strict=True):
                teaching.save_assignment(
                    by=by, school=school, school_year=year, subject=subject, group=g,
                    teachers=[t], weekly_periods=n,
                )  # fmt: skip
    # 学活 on Monday 6 for every class, typed in by hand and pinned
    for c in classes:
        services.replace_class_week(
            by=by,
            timetable=timetable,
            classroom=c,
            lessons=[{"weekday": 0, "period": 6, "subject": f.subject(JH, "特別活動").pk}],
        )
    Lesson.objects.filter(timetable=timetable).update(pinned=True)
    return School1(school, year, timetable, classes, teachers, groups, by)


def run(s: School1, mode: str = "new", seconds: int = 30):
    job = generating.start(s.timetable, by=s.by, mode=mode, periods=PERIODS, time_limit=seconds)
    job = jobs.run_now(job)
    assert job.state == "succeeded", job.error
    return job


def week_of(timetable: Timetable) -> list[Lesson]:
    return list(timetable.lessons.prefetch_related("teachers").select_related("subject", "room"))


def test_a_generated_week_keeps_every_rule_and_is_applied_in_one_audited_change(muni):
    s = build()
    job = run(s)
    result = job.result_data
    assert result["status"] == "solved", result["reasons"]
    assert result["activities"] == 3 * 29
    assert generating.apply(s.timetable, job, by=s.by) == 3 * 29
    lessons = week_of(s.timetable)
    assert queries.timetable_clashes(s.timetable) == []
    groups = {g.pk: [c.pk for c in g.classes.all()] for g in s.math_groups}
    per_class = Counter()
    slots = defaultdict(set)
    for x in lessons:
        assert x.period <= PERIODS[x.weekday]  # 水曜 has five periods
        for c in [x.classroom_id] if x.classroom_id else groups[x.group_id]:
            per_class[c] += 1
            assert (x.weekday, x.period) not in slots[c] or x.group_id, "a class in two lessons"
            slots[c].add((x.weekday, x.period))
    # 29 a week for every class; 数学A and 数学B of 1組+2組 count once, they meet together
    assert per_class == {c.pk: 29 + (4 if c in s.classes[:2] else 0) for c in s.classes}
    a, b = ({(x.weekday, x.period) for x in lessons if x.group_id == g.pk} for g in s.math_groups)
    assert a == b and len(a) == 4
    # a subject of five or fewer a week: at most once a day in a class
    for c in s.classes:
        days = Counter((x.subject.name, x.weekday) for x in lessons if x.classroom_id == c.pk)
        assert max(days.values()) == 1
    # 理科 in the 理科室, 体育 in the gym (two classes at most at once)
    assert {x.room.name for x in lessons if x.subject.name == "理科"} == {"理科室"}
    gym = Counter((x.weekday, x.period) for x in lessons if x.subject.name == "保健体育")
    assert max(gym.values()) <= 2 and all(x.room for x in lessons if x.subject.name == "保健体育")
    # the pinned 学活 stayed on Monday 6 and is still pinned
    kept = [x for x in lessons if x.subject.name == "特別活動"]
    assert {(x.weekday, x.period, x.pinned) for x in kept} == {(0, 6, True)} and len(kept) == 3
    event = AuditEvent.objects.get(action="timetable.timetable.generate")
    assert event.changes["lessons"] == 87 and event.changes["job"] == job.pk
    # the same proposal cannot be applied twice (the timetable changed: it was applied)
    with pytest.raises(Exception, match="変更されました"):
        generating.apply(s.timetable, job, by=s.by)


def test_a_repair_after_a_new_unavailability_moves_few_lessons(muni):
    s = build()
    generating.apply(s.timetable, run(s), by=s.by)
    before = {
        (x.classroom_id, x.group_id, x.subject_id, x.weekday, x.period)
        for x in week_of(s.timetable)
    }
    english = s.teachers["外国語"]
    taught = [x for x in week_of(s.timetable) if english in x.teachers.all()]
    lost = (taught[0].weekday, taught[0].period)
    services.set_unavailability(
        by=s.by, school=s.school, school_year=s.year, staff=english, slots=[lost], reason="出張"
    )
    job = run(s, mode="repair")
    result = job.result_data
    assert result["status"] == "solved"
    assert 1 <= len(result["moved"]) <= 6, result["moved"]
    generating.apply(s.timetable, job, by=s.by)
    after = week_of(s.timetable)
    assert not any(english in x.teachers.all() and (x.weekday, x.period) == lost for x in after)
    changed = before - {
        (x.classroom_id, x.group_id, x.subject_id, x.weekday, x.period) for x in after
    }
    assert len(changed) == len(result["moved"])
    assert queries.timetable_clashes(s.timetable) == []


def test_impossible_rules_are_explained_and_nothing_changes(muni):
    s = build()
    english = s.teachers["外国語"]
    services.set_unavailability(
        by=s.by,
        school=s.school,
        school_year=s.year,
        staff=english,
        slots=[(d, p) for d in range(5) for p in range(1, 7) if d != 1],
        reason="兼務",
    )
    job = run(s)
    assert job.result_data["status"] == "infeasible"
    reasons = " ".join(job.result_data["reasons"])
    assert "外国語先生役" in reasons and "12" in reasons and "6" in reasons, reasons
    with pytest.raises(Exception, match="時間割がありません"):
        generating.apply(s.timetable, job, by=s.by)
    assert s.timetable.lessons.count() == 3  # the three pinned 学活


def test_a_proposal_is_not_applied_over_a_changed_timetable(muni):
    s = build()
    job = run(s, seconds=10)
    Lesson.objects.filter(timetable=s.timetable).first().delete()
    with pytest.raises(Exception, match="変更されました"):
        generating.apply(s.timetable, job, by=s.by)
    assert s.timetable.lessons.count() == 2


@pytest.mark.parametrize("change", ["wish", "unavailable"])
def test_a_proposal_is_not_applied_over_rules_stated_since(muni, change):
    """A wish added, or a teacher's period made unavailable, after the proposal was made:
    the proposal may break it, so it is refused like one over a changed timetable."""
    s = build()
    job = run(s, seconds=10)
    if change == "wish":
        rulebook.add_preference(
            s.school, by=s.by, kind="avoid", subjects=[f.subject(JH, "保健体育").pk],
            periods=[5], weight=80,
        )  # fmt: skip
    else:
        services.set_unavailability(
            by=s.by, school=s.school, school_year=s.year, staff=s.teachers["国語"],
            slots=[(1, 1)],
        )  # fmt: skip
    with pytest.raises(Exception, match="変更されました"):
        generating.apply(s.timetable, job, by=s.by)
    assert s.timetable.lessons.count() == 3  # only the pinned 学活, as before


def test_pages_generate_compare_and_apply(muni, client_for):
    s = build()
    admin = Staff.objects.get(user_id=s.by.user_id)
    client = client_for(muni, admin.user)
    page = client.get(f"/timetable/schools/{s.school.pk}/generate/?year=2026")
    assert page.status_code == 200 and "自動作成を始める" in page.content.decode()
    # pins: exactly the boxes ticked
    pinned = list(s.timetable.lessons.values_list("pk", flat=True))
    response = client.post(
        f"/timetable/schools/{s.school.pk}/generate/pins/?year=2026", {"pinned": pinned[:2]}
    )
    assert response.status_code == 302
    assert set(s.timetable.lessons.filter(pinned=True).values_list("pk", flat=True)) == set(
        pinned[:2]
    )
    bad = client.post(
        f"/timetable/schools/{s.school.pk}/generate/start/?year=2026",
        {"mode": "new", "time_limit": "30", **{f"periods_{d}": "9" for d in range(5)}},
        follow=True,
    )
    assert "0〜6" in bad.content.decode() and not jobs.recent(kind=generating.GENERATE)
    response = client.post(
        f"/timetable/schools/{s.school.pk}/generate/start/?year=2026",
        {"mode": "new", "time_limit": "30", **{f"periods_{d}": n for d, n in enumerate(PERIODS)}},
    )
    assert response.status_code == 302 and "/generate/" in response.url
    job = jobs.run_now(jobs.recent(kind=generating.GENERATE)[0])
    page = client.get(response.url).content.decode()
    assert "この案を時間割に反映する" in page and "87コマをすべて置きました" in page
    response = client.post(f"/timetable/schools/{s.school.pk}/generate/{job.pk}/apply/")
    assert response.status_code == 302
    assert s.timetable.lessons.count() == 87


def test_only_the_schools_timetable_editors_generate(muni, client_for):
    s, other = build(), build()
    job = run(s, seconds=10)
    teacher = f.staff()
    f.give_role(teacher, "homeroom", classroom=s.classes[0])
    client = client_for(muni, teacher.user)
    assert client.get(f"/timetable/schools/{s.school.pk}/generate/").status_code == 403
    assert (
        client.post(f"/timetable/schools/{s.school.pk}/generate/{job.pk}/apply/").status_code == 403
    )
    # another school's administrator: the proposal is not theirs to see or apply
    admin = Staff.objects.get(user_id=other.by.user_id)
    client = client_for(muni, admin.user)
    assert client.get(f"/timetable/schools/{other.school.pk}/generate/{job.pk}/").status_code == 404
    assert (
        client.post(f"/timetable/schools/{other.school.pk}/generate/{job.pk}/apply/").status_code
        == 404
    )
    assert s.timetable.lessons.count() == 3
    assert not Unavailability.objects.exists()


def test_the_api_starts_follows_and_applies_a_generation(muni, client_for):
    s, other = build(), build()
    client = client_for(muni, Staff.objects.get(user_id=s.by.user_id).user)
    api = "/api/v1/timetable/generations/"
    bad = client.post(
        api,
        {"school": s.school.pk, "periods": [6, 6], "time_limit": 30},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "periods" in bad.json()["error"]["fields"]
    started = client.post(
        api,
        {"school": s.school.pk, "year": 2026, "periods": PERIODS, "time_limit": 30},
        content_type="application/json",
    )
    assert started.status_code == 202 and started.json()["state"] == "queued"
    job = jobs.run_now(jobs.find(started.json()["id"]))
    body = client.get(f"{api}{job.pk}/").json()
    assert body["state"] == "succeeded" and body["result"]["status"] == "solved"
    assert len(body["result"]["lessons"]) == 87
    # another school's administrator sees nothing of it and cannot apply it
    stranger = client_for(muni, Staff.objects.get(user_id=other.by.user_id).user)
    assert stranger.get(f"{api}{job.pk}/").status_code in (403, 404)
    assert stranger.post(f"{api}{job.pk}/apply/").status_code in (403, 404)
    assert s.timetable.lessons.count() == 3
    applied = client.post(f"{api}{job.pk}/apply/")
    assert applied.status_code == 200 and applied.json() == {"lessons": 87}
    again = client.post(f"{api}{job.pk}/apply/")
    assert again.status_code == 400 and "変更されました" in again.content.decode()


@pytest.mark.skipif(not referee.fet_cl_path(), reason="fet-cl (Debian package fet) not installed")
def test_a_school_exported_as_fet_is_solved_by_fet_and_reads_back(muni, client_for, tmp_path):
    """FET is the referee: the school's rules as a .fet file are solvable by fet-cl, and the
    rules plus the applied week, locked, are accepted by fet-cl as they are."""
    s = build()
    generating.apply(s.timetable, run(s), by=s.by)
    client = client_for(muni, Staff.objects.get(user_id=s.by.user_id).user)
    url = f"/timetable/schools/{s.school.pk}/generate/school.fet?year=2026"
    rules_only = client.get(url)
    assert rules_only.status_code == 200 and ".fet" in rules_only["Content-Disposition"]
    problem = fet.read_fet_bytes(rules_only.content)
    assert len(problem.activities) == 87 and not problem.unsupported
    assert len(problem.days) == 5 and problem.hours[-1] == "6校時"
    path = tmp_path / "rules.fet"
    path.write_bytes(rules_only.content)
    assert referee.run_fet_cl(path, time_limit=60).success
    locked = tmp_path / "week.fet"
    locked.write_bytes(client.get(url + "&timetable=1").content)
    run_ = referee.run_fet_cl(locked, time_limit=20)
    assert run_.success, run_.message
    assert AuditEvent.objects.filter(action="timetable.fet.export").count() == 2
