"""Checks before solving that explain an impossible timetable in words a 教務主任 can act on.

Each check is a counting argument (load vs. available periods), so a message is a proof:
if it fires, no timetable exists. The solver only runs when every check passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import (
    MaxDaysPerWeek,
    MaxHoursDaily,
    MaxSpanPerDay,
    MinDaysBetween,
    MinGapsBetweenTags,
    MinRestingHours,
    Slot,
)

if TYPE_CHECKING:
    from .solver import Prepared


def explain(prep: Prepared) -> list[str]:
    reasons: list[str] = []
    reasons += _activities(prep)
    reasons += _teachers(prep)
    reasons += _students(prep)
    reasons += _rooms(prep)
    reasons += _min_days(prep)
    reasons += _two_a_day(prep)
    reasons += _hard_only(prep)
    reasons += _doubles(prep)
    return reasons


def _activities(prep: Prepared) -> list[str]:
    out = []
    p = prep.p
    for a in p.activities:
        if a.id in prep.room_missing:
            need = f"（{a.n_students}人）" if a.n_students else ""
            out.append(
                f"{p.describe(a)}に使える教室がありません{need}: 指定は {prep.room_missing[a.id]}。"
            )
        elif not prep.starts[a.id]:
            why = "、2時間続きが入る連続した空きコマ" if a.duration > 1 else ""
            out.append(
                f"{p.describe(a)}を置けるコマがありません（先生・生徒・教室がそろって空いていて"
                f"指定の時間帯に入るコマ{why}がありません）。"
            )
    return out


def _hard_limits(prep: Prepared, who: str, names: set[str]) -> tuple[int | None, int | None]:
    """The tightest hard (max days per week, max hours per day) stated for one entity."""
    max_days = max_hours = None
    for c in prep.p.constraints:
        if not c.hard or getattr(c, "who", None) != who or getattr(c, "tag", None):
            continue
        if c.names and not (set(c.names) & names):
            continue
        if isinstance(c, MaxDaysPerWeek) and c.interval is None:
            max_days = c.max_days if max_days is None else min(max_days, c.max_days)
        elif isinstance(c, MaxHoursDaily):
            max_hours = c.max_hours if max_hours is None else min(max_hours, c.max_hours)
    return max_days, max_hours


def _capacity(
    prep: Prepared, unavail: set[Slot], max_days: int | None, max_hours: int | None
) -> int:
    per_day = []
    for d in range(prep.D):
        n = sum(1 for h in range(prep.H) if (d, h) not in prep.breaks and (d, h) not in unavail)
        per_day.append(min(n, max_hours) if max_hours is not None else n)
    per_day.sort(reverse=True)
    return sum(per_day[: max_days if max_days is not None else len(per_day)])


def _limits_note(max_days: int | None, max_hours: int | None, plain: int, cap: int) -> str:
    if cap == plain:
        return ""
    parts = []
    if max_days is not None:
        parts.append(f"週{max_days}日まで")
    if max_hours is not None:
        parts.append(f"1日{max_hours}コマまで")
    return f"（{'・'.join(parts)}）"


def _teachers(prep: Prepared) -> list[str]:
    out = []
    for t, aids in prep.teacher_acts.items():
        load = sum(prep.acts[a].duration for a in aids)
        unavail = prep.t_unavail.get(t, set())
        max_days, max_hours = _hard_limits(prep, "teacher", {t})
        plain = prep.available(unavail)
        cap = _capacity(prep, unavail, max_days, max_hours)
        if load > cap:
            note = _limits_note(max_days, max_hours, plain, cap)
            out.append(f"{t}先生は{load}コマの担当に対し、勤務できるのは{cap}コマです{note}。")
    return out


def _students(prep: Prepared) -> list[str]:
    out = []
    p = prep.p
    seen: set[tuple] = set()
    for sg, aids in sorted(prep.subgroup_acts.items()):
        sig = (frozenset(aids), frozenset(prep.s_unavail.get(sg, set())))
        if sig in seen:
            continue
        seen.add(sig)
        load = sum(prep.acts[a].duration for a in aids)
        unavail = prep.s_unavail.get(sg, set())
        names = {n for n, sgs in p.subgroups_of.items() if sg in sgs} | {sg}
        max_days, max_hours = _hard_limits(prep, "students", names)
        plain = prep.available(unavail)
        cap = _capacity(prep, unavail, max_days, max_hours)
        if load > cap:
            note = _limits_note(max_days, max_hours, plain, cap)
            out.append(f"{sg}は{load}コマの授業に対し、授業できるのは{cap}コマです{note}。")
            continue
        # one day: lessons that can only go on that day must fit in it
        for d in range(prep.D):
            day_slots = sum(
                1 for h in range(prep.H) if (d, h) not in prep.breaks and (d, h) not in unavail
            )
            fixed = [a for a in aids if prep.starts[a] and all(s[0] == d for s in prep.starts[a])]
            need = sum(prep.acts[a].duration for a in fixed)
            if need > day_slots:
                out.append(
                    f"{sg}の{p.days[d]}は{day_slots}コマですが、その日に決まっている授業"
                    f"（固定コマ・2時間続きを含む）で{need}コマ必要です。"
                )
    return out


def _rooms(prep: Prepared) -> list[str]:
    out = []
    for rooms in sorted(prep.room_sets(), key=sorted):
        need = sum(
            prep.acts[aid].duration
            for aid, cands in prep.room_cands.items()
            if cands and None not in cands and set(cands) <= rooms
        )
        cap = sum(prep.available(prep.r_unavail.get(r, set())) for r in rooms)
        if need > cap:
            label = "・".join(sorted(rooms))  # type: ignore[arg-type]
            who = label if len(rooms) == 1 else f"{label}（合わせて）"
            out.append(f"{who}は週{need}コマ必要ですが、使えるのは{cap}コマです。")
    return out


def _min_days(prep: Prepared) -> list[str]:
    out = []
    for c in prep.p.constraints:
        if isinstance(c, MinDaysBetween) and c.hard and c.min_days > 0:
            n = len(c.activity_ids)
            need = (n - 1) * c.min_days + 1
            if need > prep.D:
                a = prep.acts[c.activity_ids[0]]
                out.append(
                    f"{prep.p.describe(a)}ほか{n}コマは{c.min_days}日以上あけて置く必要があり、"
                    f"{need}日かかりますが、週は{prep.D}日です。"
                )
    return out


def _doubles(prep: Prepared) -> list[str]:
    """2時間続き of one class: each needs two free periods in a row where the school lets a
    double start (not period 1, not across lunch); the fixed lessons take their periods
    first. More doubles than such places on the week's days cannot be placed."""
    out: list[str] = []
    said: set[tuple] = set()
    fixed_slots: dict[int, set[Slot]] = {}
    for aid, starts in prep.starts.items():
        if len(starts) == 1:
            d, h = starts[0]
            fixed_slots[aid] = {(d, h + k) for k in range(prep.acts[aid].duration)}
    for sg, aids in sorted(prep.subgroup_acts.items()):
        doubles = [a for a in aids if prep.acts[a].duration == 2 and a not in fixed_slots]
        if not doubles:
            continue
        taken = {s for a in aids if a in fixed_slots for s in fixed_slots[a]}
        cap = 0
        for d in range(prep.D):
            starts = sorted(
                {h for a in doubles for (dd, h) in prep.starts[a] if dd == d}
                - {h for h in range(prep.H) if (d, h) in taken or (d, h + 1) in taken}
            )
            end = -1
            for h in starts:  # greedy: the most non-overlapping pairs on the day
                if h > end:
                    cap += 1
                    end = h + 1
        if len(doubles) > cap:
            who = sg.split(":", 1)[0]
            key = (who, len(doubles), cap)
            if key in said:
                continue
            said.add(key)
            out.append(
                f"{who}は2時間続きが週{len(doubles)}回ありますが、固定コマを除いて1校時・昼休みを"
                f"またがずに置ける場所は{cap}回分です。"
            )
    return out


def _two_a_day(prep: Prepared) -> list[str]:
    """FET never puts more than two lessons of one min-days rule on a day (whatever its
    weight): lessons that can only go on fewer than half as many days cannot be placed.
    fet-cl refuses such a file outright ("Cannot precompute - data is wrong")."""
    out = []
    for c in prep.p.constraints:
        if not isinstance(c, MinDaysBetween) or len(c.activity_ids) <= 2:
            continue
        # all of them, and those of each teacher and each subgroup (as fet-cl checks)
        subsets: dict[tuple, list[int]] = {("all",): list(c.activity_ids)}
        for aid in c.activity_ids:
            for t in prep.acts[aid].teachers:
                subsets.setdefault(("t", t), []).append(aid)
            for sg in prep.subgroups[aid]:
                subsets.setdefault(("s", sg), []).append(aid)
        for ids in subsets.values():
            days = {d for aid in ids for d, _ in prep.starts.get(aid, ())}
            n = len(ids)
            if n > 2 * len(days):
                a = prep.acts[ids[0]]
                out.append(
                    f"{prep.p.describe(a)}ほか{n}コマは1日に2コマまでしか置けませんが、"
                    f"置ける日は{len(days)}日です（{n}コマには{(n + 1) // 2}日必要です）。"
                )
                break
    return out


def _hard_only(prep: Prepared) -> list[str]:
    """FET takes a max span, min resting hours or a min gap between two kinds of lesson
    at 100 % only and refuses the file otherwise ("Cannot precompute - data is wrong"):
    so does Ai."""
    out = []
    for c in prep.p.constraints:
        if isinstance(c, MaxSpanPerDay | MinGapsBetweenTags | MinRestingHours) and not c.hard:
            if isinstance(c, MaxSpanPerDay):
                what = "1日の拘束時間の上限"
            elif isinstance(c, MinRestingHours):
                what = "前日の最後のコマから翌日の最初のコマまでの空き"
            else:
                what = f"「{c.first_tag}」のあと「{c.second_tag}」までの空き"
            who = "・".join(c.names) or ("全員の先生" if c.who == "teacher" else "全生徒")
            out.append(
                f"{who}の{what}は必ず守る条件（重み100%）でしか使えません（{c.weight:g}%）。"
            )
    return out
