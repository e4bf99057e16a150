"""FET's building rules and its rules on the rooms of several activities, in the CP-SAT model.

Kept apart from ``solver.py`` (which registers these functions in ``_Builder._dispatch``):
each function gets the builder and one rule, and adds variables only where the rule applies.

FET's definitions (its ``spaceconstraint.cpp``), which fet-cl referees:

- a lesson's *building* is its room's building; a lesson without a room, or in a room
  without a building, has none and is ignored (it is neither a change nor a stop);
- *building changes* of a teacher or a subgroup on a day: walking the day's periods, every
  period in a building other than the last building seen; max per day costs
  ``changes - max`` per subgroup and day, max per week ``changes - max`` per subgroup;
- *min gaps between building changes*: a change after fewer than ``min`` periods since the
  last period in a building (free periods, breaks and lessons without a building count as
  gaps) costs 1 per change;
- *same room if consecutive*: each pair of the activities that follow each other (same
  day, one starts the period the other ends; breaks are not skipped) in two different rooms
  costs 1;
- *occupy max different rooms*: more rooms used than allowed costs 1 (once).

A student-set rule counts each subgroup: Ai solves one copy of identical subgroups, so a
soft rule's cost is multiplied by how many subgroups that copy stands for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .model import (
    MaxBuildingChanges,
    MaxDifferentRooms,
    MinGapsBetweenBuildingChanges,
    ResourceConstraint,
    SameRoomIfConsecutive,
    Slot,
)

if TYPE_CHECKING:
    from .solver import Prepared, _Builder


# --- before the model: a room shared by all (max 1 different room) -----------------------


def narrow_rooms(prep: Prepared) -> None:
    """A hard "occupy at most 1 room" leaves each of its activities (those that must have a
    room) only the rooms they all may use: fewer room variables, and an empty set is said
    before solving (as a missing room)."""
    for c in prep.p.constraints:
        if not (isinstance(c, MaxDifferentRooms) and c.hard and c.max_rooms == 1):
            continue
        aids = [
            a for a in c.activity_ids if prep.room_cands.get(a) and None not in prep.room_cands[a]
        ]
        if len(aids) < 2:
            continue
        common = set.intersection(*(set(prep.room_cands[a]) for a in aids))
        for a in aids:
            if not common and a not in prep.room_missing:
                prep.room_missing[a] = (
                    "、".join(sorted(str(r) for r in prep.room_cands[a]))
                    + "（同じ教室で行う授業と共通の教室がありません）"
                )
            prep.room_cands[a] = [r for r in prep.room_cands[a] if r in common]


# --- helpers ----------------------------------------------------------------------------


class _Cache:
    def __init__(self) -> None:
        self.inb: dict[int, dict[str, list | None]] = {}
        self.z: dict[tuple, list] = {}
        self.slot: dict[tuple, object] = {}


def _cache(b: _Builder) -> _Cache:
    c = b.__dict__.get("_buildings_cache")
    if c is None:
        c = b.__dict__["_buildings_cache"] = _Cache()
    return c


def _building(b: _Builder, room: str | None) -> str:
    r = b.p.rooms.get(room) if room is not None else None
    return r.building if r is not None else ""


def _in_building(b: _Builder, aid: int) -> dict[str, list | None]:
    """Building -> the room literals that put the activity there (None: always there)."""
    cache = _cache(b)
    if aid not in cache.inb:
        out: dict[str, list | None] = {}
        cands = b.prep.room_cands.get(aid) or []
        if aid in b.y:
            for r, lit in b.y[aid].items():
                bl = _building(b, r)
                if bl:
                    out.setdefault(bl, []).append(lit)  # type: ignore[union-attr]
            if len(out) == 1 and None not in b.y[aid] and all(_building(b, r) for r in b.y[aid]):
                out = {next(iter(out)): None}  # every room it may get is in that building
        elif cands and cands[0] is not None and _building(b, cands[0]):
            out[_building(b, cands[0])] = None
        cache.inb[aid] = out
    return cache.inb[aid]


def _there(b: _Builder, aid: int, slot: Slot, bl: str) -> list:
    """Literals (at most one true) of "the activity is in building ``bl`` at ``slot``"."""
    cache = _cache(b)
    k = (aid, slot, bl)
    if k not in cache.z:
        cov = b.cover[aid].get(slot, [])
        inb = _in_building(b, aid).get(bl, [])
        if not cov or inb == []:
            cache.z[k] = []
        elif inb is None:
            cache.z[k] = list(cov)
        else:
            z = b.m.NewBoolVar("")
            b.m.Add(z <= sum(cov))
            b.m.Add(z <= sum(inb))
            b.m.Add(z >= sum(cov) + sum(inb) - 1)
            cache.z[k] = [z]
    return cache.z[k]


def _lits(b: _Builder, acts: Sequence[int], slot: Slot, bl: str) -> list:
    """Literals (at most one true: the entity is never in two lessons at once) of "the
    entity is in building ``bl`` at ``slot``"."""
    return [z for a in acts for z in _there(b, a, slot, bl)]


def _at(b: _Builder, key: tuple, acts: Sequence[int], slot: Slot, bl: str) -> object:
    """0/1: the entity is in building ``bl`` at ``slot`` (one variable, made once)."""
    cache = _cache(b)
    k = (key, slot, bl)
    if k not in cache.slot:
        cache.slot[k] = b.indicator(_lits(b, acts, slot, bl))
    return cache.slot[k]


def _entities(b: _Builder, c: ResourceConstraint) -> list[tuple[tuple, list[int], int]]:
    """(key, activities, how many of FET's teachers/subgroups the key stands for)."""
    if c.who == "students":
        if c.names:
            sgs = {sg for n in c.names for sg in b.p.subgroups_of.get(n, frozenset({n}))}
        else:
            sgs = set(b.subgroup_key)
        mult = Counter(b.subgroup_key[sg] for sg in sgs if sg in b.subgroup_key)
    else:
        mult = Counter()
    return [(key, acts, mult.get(key[:-1], 1)) for key, acts, _ in b.entities(c)]


def _grid(
    b: _Builder, key: tuple, acts: Sequence[int], d: int, blds: list[str]
) -> list[tuple[int, dict[str, object]]]:
    """The day's periods where the entity may be in a building: (hour, building -> 0/1)."""
    out = []
    for h in range(b.H):
        row = {bl: _at(b, key, acts, (d, h), bl) for bl in blds}
        row = {bl: v for bl, v in row.items() if not isinstance(v, int)}
        if row:
            out.append((h, row))
    return out


def _buildings_of(b: _Builder, acts: Sequence[int]) -> list[str]:
    return sorted({bl for a in acts for bl in _in_building(b, a)})


def _limit(b: _Builder, expr: object, bound: int, c: ResourceConstraint, mult: int) -> None:
    """``expr <= bound``; a preference costs its weight per unit over, per subgroup."""
    if c.hard:
        b.m.Add(expr <= bound)
    else:
        slack = b.m.NewIntVar(0, 1000, "")
        b.m.Add(expr <= bound + slack)
        b.penal(slack, c.weight * mult)


# --- building changes -------------------------------------------------------------------


def _one_building_a_day(
    b: _Builder, acts: Sequence[int], blds: list[str], d: int, most: int
) -> None:
    """At most ``most`` buildings used on day ``d`` (per lesson and day, no per-period
    variables): exact for "no change", a relaxation that helps the search otherwise."""
    used = {bl: b.m.NewBoolVar("") for bl in blds}
    for a in acts:
        lits = b.on_day(a, d)
        if not lits:
            continue
        for bl, inb in _in_building(b, a).items():
            if inb is None:
                for lit in lits:
                    b.m.AddImplication(lit, used[bl])
            else:
                b.m.Add(used[bl] >= sum(lits) + sum(inb) - 1)
    b.m.Add(sum(used.values()) <= most)


def _changes_on(b: _Builder, grid: list[tuple[int, dict[str, object]]]) -> list:
    """One boolean per period where the entity may change building. ``last[bl]``: the last
    period in a building so far was in ``bl`` (carried over periods without one), so the
    model grows with periods × buildings, not with pairs of periods."""
    m = b.m
    blds = sorted({bl for _, row in grid for bl in row})
    out = []
    last: dict[str, object] = {}
    for j, (_, row) in enumerate(grid):
        ch = None
        for bl, v in row.items():
            other = [last[x] for x in blds if x != bl and x in last]
            if other:
                if ch is None:
                    ch = m.NewBoolVar("")
                    out.append(ch)
                m.Add(ch >= v + sum(other) - 1)
        if j == len(grid) - 1:
            break
        occupied = sum(row.values())
        new: dict[str, object] = {}
        for bl in blds:
            v, prev = row.get(bl, 0), last.get(bl)
            if prev is None:  # never in ``bl`` before: the last building is ``bl`` iff now
                if not isinstance(v, int):
                    new[bl] = v
                continue
            lst = m.NewBoolVar("")
            if not isinstance(v, int):
                m.Add(lst >= v)
            m.Add(lst >= prev - occupied)  # nothing now: as before
            m.Add(lst <= v + prev)
            m.Add(lst <= v + 1 - occupied)  # in a building now: that one
            new[bl] = lst
        last = new
    return out


def c_building_changes(b: _Builder, c: MaxBuildingChanges) -> None:
    for key, acts, mult in _entities(b, c):
        blds = _buildings_of(b, acts)
        if len(blds) < 2:
            continue  # one building: no change possible
        if c.hard and c.max_changes == 0:
            # no change in a day (per week too: a week's changes are its days' changes)
            for d in range(b.D):
                _one_building_a_day(b, acts, blds, d, 1)
            continue
        week = []
        for d in range(b.D):
            if c.hard and c.per == "day" and c.max_changes + 1 < len(blds):
                _one_building_a_day(b, acts, blds, d, c.max_changes + 1)
            changes = _changes_on(b, _grid(b, key, acts, d, blds))
            if c.per == "day":
                if len(changes) > c.max_changes:
                    _limit(b, sum(changes), c.max_changes, c, mult)
            else:
                week.extend(changes)
        if len(week) > c.max_changes:
            _limit(b, sum(week), c.max_changes, c, mult)


def c_min_gaps_buildings(b: _Builder, c: MinGapsBetweenBuildingChanges) -> None:
    g = c.min_gaps
    if g <= 0:
        return
    for key, acts, mult in _entities(b, c):
        blds = _buildings_of(b, acts)
        if len(blds) < 2:
            continue
        for d in range(b.D):
            # the periods where the entity may be in a building: hour -> building -> literals
            rows = {h: {bl: _lits(b, acts, (d, h), bl) for bl in blds} for h in range(b.H)}
            rows = {h: {bl: v for bl, v in r.items() if v} for h, r in rows.items()}
            hours = [h for h in range(b.H) if rows[h]]
            for j, h2 in enumerate(hours):
                broken = None
                for i in range(j - 1, -1, -1):
                    h1 = hours[i]
                    if h2 - h1 > g:  # g periods or more without a building: no rule
                        break
                    between = hours[i + 1 : j]
                    for bl, lits1 in rows[h1].items():
                        other = [z for bl2, zs in rows[h2].items() if bl2 != bl for z in zs]
                        if not other:
                            continue
                        if c.hard and not between:
                            b.m.AddAtMostOne(lits1 + other)  # the next period: a clique
                            continue
                        gap = [_at(b, key, acts, (d, h), x) for h in between for x in rows[h]]
                        expr = sum(lits1) + sum(other) - sum(gap)
                        if c.hard:
                            b.m.Add(expr <= 1)
                            continue
                        if broken is None:
                            broken = b.m.NewBoolVar("")
                            b.penal(broken, c.weight * mult)
                        b.m.Add(broken >= expr - 1)


# --- rooms of several activities --------------------------------------------------------


def _room_lit(b: _Builder, aid: int, room: str) -> object:
    if aid in b.y:
        return b.y[aid].get(room, 0)
    return 1 if b.prep.fixed_room(aid) == room else 0


def _rooms_of(b: _Builder, aid: int) -> list[str]:
    return [r for r in b.prep.room_cands.get(aid) or [] if r is not None]


def c_same_room_if_consecutive(b: _Builder, c: SameRoomIfConsecutive) -> None:
    ids = [a for a in c.activity_ids if _rooms_of(b, a)]
    for i, a1 in enumerate(ids):
        for a2 in ids[i + 1 :]:
            r1, r2 = _rooms_of(b, a1), _rooms_of(b, a2)
            if len(r1) == 1 and r1 == r2:
                continue  # the same room anyway
            pairs = []
            for first, second in ((a1, a2), (a2, a1)):
                dur = b.prep.acts[first].duration
                nxt = b.x[second]
                for (d, h), lit in b.x[first].items():
                    if (d, h + dur) in nxt:
                        pairs.append((lit, nxt[(d, h + dur)]))
            if not pairs:
                continue  # never next to each other
            adj = b.m.NewBoolVar("")
            for l1, l2 in pairs:
                b.m.AddBoolOr([l1.Not(), l2.Not(), adj])
            enf = [adj]
            if not c.hard:
                broken = b.m.NewBoolVar("")
                b.penal(broken, c.weight)
                enf.append(broken.Not())
            for r in r1:
                expr = [_room_lit(b, a1, r)] + [_room_lit(b, a2, o) for o in r2 if o != r]
                if all(isinstance(v, int) for v in expr):
                    if sum(expr) > 1:  # two fixed rooms: never next to each other
                        b.m.AddBoolOr([lit.Not() for lit in enf])
                    continue
                b.m.Add(sum(expr) <= 1).OnlyEnforceIf(enf)


def c_max_different_rooms(b: _Builder, c: MaxDifferentRooms) -> None:
    fixed: set[str] = set()
    free: dict[str, list] = defaultdict(list)
    for aid in c.activity_ids:
        if aid in b.y:
            for r, lit in b.y[aid].items():
                if r is not None:
                    free[r].append(lit)
        elif b.prep.fixed_room(aid) is not None:
            fixed.add(b.prep.fixed_room(aid))  # type: ignore[arg-type]
    used = []
    for r, lits in free.items():
        if r in fixed:
            continue
        u = b.m.NewBoolVar("")
        for lit in lits:
            b.m.AddImplication(lit, u)
        used.append(u)
    if len(fixed) + len(used) <= c.max_rooms:
        return
    if not used:  # fixed rooms only, already too many
        if c.hard:
            b.m.AddBoolOr([])
        else:
            b.penal(1, c.weight)
        return
    b.m.Add(sum(used) <= c.max_rooms - len(fixed)).OnlyEnforceIf(b.enforce(c))
