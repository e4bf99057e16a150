"""自動作成の決まり across the 年度更新 (issue 12): the school's rules, teachers' limits and
wishes belong to the school and stay; each 2時間続き follows its assignment onto the draft
the assignment became (a class's and a group's), goes when the roll-over is cancelled, and
stays when it is confirmed; this year's rules are untouched."""

from __future__ import annotations

from schools import rollover
from schools.models import TeachingAssignment
from schools.permissions import actor_for_user
from tests import factories as f
from tests.timetable.test_generating import build
from tests.timetable.test_generation_rules import _rules
from timetable import rulebook, rules_excel, rulesets
from timetable.models import DoublePeriod


def _doubles(school, year: int) -> list[tuple[str, str, int, bool]]:
    return sorted(
        (
            d.assignment.classroom.label if d.assignment.classroom_id else d.assignment.group.name,
            d.assignment.subject.name,
            d.per_week,
            d.assignment.is_draft,
        )
        for d in DoublePeriod.objects.filter(
            assignment__school=school, assignment__school_year__year=year
        ).select_related("assignment__classroom", "assignment__group", "assignment__subject")
    )


def test_the_rules_carry_over_and_doubles_follow_their_assignments(muni, boe_admin):
    s = build()
    _rules(s, doubles={"理科": 1, "数学": 1})
    this_year = _doubles(s.school, 2026)
    assert ("1年1組", "理科", 1, False) in this_year and ("1年数学A", "数学", 1, False) in this_year
    assert len(this_year) == 6  # 理科 ×3 classes, 数学: 3組 and the two 習熟度 groups
    before = rulesets.current(s.school, s.year)
    by = actor_for_user(boe_admin)

    record = rollover.rollover_school(s.school, by=by)
    target = record.to_year
    assert _doubles(s.school, 2027) == sorted(
        (label.replace("1年", "2年", 1) if "組" in label else label, subject, n, True)
        for label, subject, n, _ in this_year
    )
    assert _doubles(s.school, 2026) == this_year  # this year's stay as they were
    after = rulesets.current(s.school, target)
    assert after.settings == before.settings
    assert after.teacher_limits == before.teacher_limits
    assert after.wishes == before.wishes
    # the planning of next year reads them (its drafts' doubles by their new pks)
    drafts = {
        a.pk
        for a in TeachingAssignment.objects.filter(school=s.school, school_year=target)
        if a.subject.name in ("理科", "数学")
    }
    assert set(rulebook.rules_of(s.school, target).doubles) == drafts

    rollover.cancel_rollover(record, by=by)
    assert _doubles(s.school, 2027) == []
    assert _doubles(s.school, 2026) == this_year

    record = rollover.rollover_school(s.school, by=by)
    rollover.confirm_rollover(record, by=by)
    confirmed = _doubles(s.school, 2027)
    assert len(confirmed) == 6 and not any(draft for *_, draft in confirmed)
    # next year's Excel reads back with nothing to change
    plan = rules_excel.plan_rules_import(
        s.school, target, rules_excel.workbook(s.school, target).to_bytes()
    )
    assert plan.ok and not plan.has_changes, [str(e) for e in plan.errors]
    assert f.school_year(2026).pk == s.year.pk
