"""CP-SAT model of a weekly timetable: one boolean per (activity, possible start).

Clashes (teacher, subgroup, room) are at-most-one constraints over the starts that
cover a slot. Hard rules (weight 100) are constraints; preferences (weight < 100) are
either enforced under a literal whose falsity costs the weight, or get a slack that
costs the weight per unit, so the objective approximates FET's soft-conflict total
(objective / 10000 = sum of weight% / 100 per broken unit).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

from ortools.sat.python import cp_model

from . import buildings, checks, neighbourhood
from .model import (
    Activity,
    BreakTimes,
    Consecutive,
    Constraint,
    EarlyMaxBeginningsAtSecondHour,
    EndsStudentsDay,
    Grouped,
    MaxBuildingChanges,
    MaxDaysBetween,
    MaxDaysPerWeek,
    MaxDifferentRooms,
    MaxGaps,
    MaxHoursContinuously,
    MaxHoursDaily,
    MaxSimultaneous,
    MaxSlotsFromSelection,
    MaxSpanPerDay,
    MinDaysBetween,
    MinDaysPerWeek,
    MinGapsBetween,
    MinGapsBetweenBuildingChanges,
    MinGapsBetweenTags,
    MinHoursDaily,
    MinRestingHours,
    NotAvailable,
    NotOverlapping,
    Ordered,
    Placement,
    PreferredRooms,
    PreferredSlots,
    PreferredStarts,
    Problem,
    ResourceConstraint,
    Result,
    SameRoomIfConsecutive,
    SameStart,
    Slot,
)

# A repair is awaited at the desk: once a mending is found, its moves are made fewer until
# they are proved fewest or until this many seconds from the start (the circles share it) ...
REPAIR_BUDGET = 1.0
# ... though a widened circle still gets this long to make its first mending better.
REPAIR_FLOOR = 0.3
SCALE = 100  # objective units per weight percent: 95 % -> 9500, 1 FET conflict = 10000

Lit = cp_model.IntVar


class Prepared:
    """Domains derived from the hard rules before any CP variable exists (also used by the
    explanations): allowed starts per activity, candidate rooms, entity loads."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.D, self.H = p.n_days, p.n_hours
        self.acts: dict[int, Activity] = {a.id: a for a in p.activities}
        self.breaks: set[Slot] = set()
        self.t_unavail: dict[str, set[Slot]] = defaultdict(set)
        self.s_unavail: dict[str, set[Slot]] = defaultdict(set)  # by subgroup
        self.r_unavail: dict[str, set[Slot]] = defaultdict(set)
        self.soft_unavail: list[NotAvailable] = []
        for c in p.constraints:
            if isinstance(c, BreakTimes):
                self.breaks |= c.slots
            elif isinstance(c, NotAvailable):
                if not c.hard:
                    self.soft_unavail.append(c)
                elif c.kind == "teacher":
                    self.t_unavail[c.name] |= c.slots
                elif c.kind == "room":
                    self.r_unavail[c.name] |= c.slots
                else:
                    for sg in p.subgroups_of.get(c.name, frozenset({c.name})):
                        self.s_unavail[sg] |= c.slots
        self.subgroups: dict[int, frozenset[str]] = {a.id: p.subgroups(a) for a in p.activities}
        self.teacher_acts: dict[str, list[int]] = defaultdict(list)
        self.subgroup_acts: dict[str, list[int]] = defaultdict(list)
        for a in p.activities:
            for t in a.teachers:
                self.teacher_acts[t].append(a.id)
            for sg in self.subgroups[a.id]:
                self.subgroup_acts[sg].append(a.id)
        self._rooms()
        buildings.narrow_rooms(self)  # a room all of them share, before the starts
        self._starts()

    # rooms: hard candidate set (must pick one), or soft preferences (+ "no room")
    def _rooms(self) -> None:
        p = self.p
        hard: dict[int, list[set[str]]] = defaultdict(list)
        hard_home: dict[int, list[set[str]]] = defaultdict(list)
        soft: dict[int, list[tuple[set[str], float]]] = defaultdict(list)
        soft_home: dict[int, list[tuple[set[str], float]]] = defaultdict(list)
        for c in p.constraints:
            if not isinstance(c, PreferredRooms):
                continue
            rooms = set(c.rooms)
            for aid in c.activity_ids:
                if c.hard:
                    (hard_home if c.home else hard)[aid].append(rooms)
                else:
                    (soft_home if c.home else soft)[aid].append((rooms, c.weight))
        # a placed lesson's virtual room with the real rooms the file names
        self.real_rooms: dict[tuple[int, str], tuple[str, ...]] = {
            (aid, c.rooms[0]): c.real_rooms
            for c in p.constraints
            if isinstance(c, PreferredRooms) and c.hard and c.real_rooms and len(c.rooms) == 1
            for aid in c.activity_ids
        }
        # FET's virtual rooms hold any number of lessons at once: only their real rooms
        # are busy (fet-cl places two lessons in one virtual room at the same time)
        self.virtual_rooms = frozenset(n for n, r in p.rooms.items() if r.virtual)
        self.room_cands: dict[int, list[str | None]] = {}
        self.room_prefs: dict[int, list[tuple[set[str], float]]] = {}
        self.room_missing: dict[int, str] = {}

        def fits(r: str, n: int) -> bool:
            # a room too small is never used, preferred or not (fet-cl refuses the data)
            return r in p.rooms and (p.rooms[r].capacity <= 0 or p.rooms[r].capacity >= n)

        for a in p.activities:
            # FET: home rooms only count for activities without any other room rule
            has_specific = bool(hard[a.id] or soft[a.id])
            sets = hard[a.id] if has_specific else hard_home[a.id]
            prefs = soft[a.id] if has_specific else soft_home[a.id]
            if sets:
                allowed = set.intersection(*sets)
                fitting = sorted(r for r in allowed if fits(r, a.n_students))
                if not fitting:
                    self.room_missing[a.id] = "、".join(sorted(allowed)) or "（共通する教室なし）"
                self.room_cands[a.id] = fitting
            elif prefs:
                union = sorted({r for s, _ in prefs for r in s if fits(r, a.n_students)})
                self.room_cands[a.id] = [*union, None]
            else:
                continue
            self.room_prefs[a.id] = prefs

    def room_sets(self) -> set[frozenset[str]]:
        """The candidate rooms of each lesson that must have a room, as sets, leaving out
        those with a virtual room (it holds several lessons at once, so is never full)."""
        return {
            frozenset(c)
            for c in self.room_cands.values()
            if c and None not in c and not self.virtual_rooms.intersection(c)
        }

    def fixed_room(self, aid: int) -> str | None:
        c = self.room_cands.get(aid)
        return c[0] if c and len(c) == 1 else None

    def _starts(self) -> None:
        p, H = self.p, self.H
        hard_starts: dict[int, set[Slot]] = {}
        hard_slots: dict[int, set[Slot]] = {}
        for c in p.constraints:
            if isinstance(c, PreferredStarts) and c.hard:
                for aid in c.activity_ids:
                    hard_starts[aid] = hard_starts.get(aid, set(c.slots)) & c.slots
            elif isinstance(c, PreferredSlots) and c.hard:
                for aid in c.activity_ids:
                    hard_slots[aid] = hard_slots.get(aid, set(c.slots)) & c.slots
        self.starts: dict[int, list[Slot]] = {}
        for a in p.activities:
            blocked = set(self.breaks)
            for t in a.teachers:
                blocked |= self.t_unavail.get(t, set())
            for sg in self.subgroups[a.id]:
                blocked |= self.s_unavail.get(sg, set())
            room = self.fixed_room(a.id)
            if room is not None:
                blocked |= self.r_unavail.get(room, set())
            out = []
            for d in range(self.D):
                for h in range(H - a.duration + 1):
                    occ = [(d, h + k) for k in range(a.duration)]
                    if any(s in blocked for s in occ):
                        continue
                    if a.id in hard_starts and (d, h) not in hard_starts[a.id]:
                        continue
                    if a.id in hard_slots and any(s not in hard_slots[a.id] for s in occ):
                        continue
                    out.append((d, h))
            self.starts[a.id] = out

    def after(self, d: int, h: int) -> int:
        """The first period at or after ``h`` on day ``d`` that is not a break. FET reads
        "two activities consecutive" and "two/three activities grouped" across breaks: a
        lesson before lunch and one right after it follow each other (fet-cl accepts that;
        min days' "consecutive if same day" does not skip breaks, fet-cl refuses that)."""
        while h < self.H and (d, h) in self.breaks:
            h += 1
        return h

    def rank(self, d: int, h: int) -> int:
        """Slot index with the breaks taken out, so adjacency across a break is +1."""
        return d * self.H + sum(1 for k in range(h) if (d, k) not in self.breaks)

    def available(self, unavail: set[Slot]) -> int:
        return sum(
            1
            for d in range(self.D)
            for h in range(self.H)
            if (d, h) not in self.breaks and (d, h) not in unavail
        )


class _Builder:
    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.p = prep.p
        self.m = cp_model.CpModel()
        self.D, self.H = prep.D, prep.H
        self.obj: list[tuple[int, object]] = []
        self.obj_const = 0
        self.x: dict[int, dict[Slot, Lit]] = {}
        self.cover: dict[int, dict[Slot, list[Lit]]] = {}
        self._busy: dict[tuple, object] = {}
        self._day: dict[int, object] = {}
        self._hour: dict[int, object] = {}
        self._start: dict[int, object] = {}
        self.y: dict[int, dict[str | None, Lit]] = {}
        # a virtual room's real rooms: activity -> virtual room -> per set, real room -> lit
        self.real: dict[int, dict[str, list[dict[str, Lit]]]] = {}

    # --- helpers ---------------------------------------------------------------------

    def penal(self, var: object, weight: float) -> None:
        self.obj.append((round(weight * SCALE), var))

    def enforce(self, c: Constraint) -> list[Lit]:
        """[] for a hard rule; for a preference, a literal whose falsity costs its weight."""
        if c.hard:
            return []
        lit = self.m.NewBoolVar("")
        self.penal(lit.Not(), c.weight)
        return [lit]

    def at_most(self, expr: object, bound: int, c: Constraint, ub: int = 1000) -> None:
        if c.hard:
            self.m.Add(expr <= bound)
        else:
            slack = self.m.NewIntVar(0, ub, "")
            self.m.Add(expr <= bound + slack)
            self.penal(slack, c.weight)

    def at_least(self, expr: object, bound: int, c: Constraint, ub: int = 1000) -> None:
        if c.hard:
            self.m.Add(expr >= bound)
        else:
            slack = self.m.NewIntVar(0, ub, "")
            self.m.Add(expr + slack >= bound)
            self.penal(slack, c.weight)

    def on_day(self, aid: int, d: int) -> list[Lit]:
        return [v for (dd, _), v in self.x[aid].items() if dd == d]

    def day_var(self, aid: int) -> object:
        if aid not in self._day:
            v = self.m.NewIntVar(0, self.D - 1, "")
            self.m.Add(v == sum(d * lit for (d, _), lit in self.x[aid].items()))
            self._day[aid] = v
        return self._day[aid]

    def hour_var(self, aid: int) -> object:
        if aid not in self._hour:
            v = self.m.NewIntVar(0, self.H - 1, "")
            self.m.Add(v == sum(h * lit for (_, h), lit in self.x[aid].items()))
            self._hour[aid] = v
        return self._hour[aid]

    def start_var(self, aid: int) -> object:
        """Start as a global slot index day * H + hour."""
        if aid not in self._start:
            v = self.m.NewIntVar(0, self.D * self.H - 1, "")
            self.m.Add(v == sum((d * self.H + h) * lit for (d, h), lit in self.x[aid].items()))
            self._start[aid] = v
        return self._start[aid]

    def rank_var(self, aid: int) -> object:
        """Start as a slot index with the breaks taken out (see ``Prepared.rank``)."""
        v = self.m.NewIntVar(0, self.D * self.H - 1, "")
        self.m.Add(v == sum(self.prep.rank(d, h) * lit for (d, h), lit in self.x[aid].items()))
        return v

    def adjacent(self, d: int, h1: int, dur1: int, h2: int, dur2: int) -> bool:
        """Two lessons on day ``d`` follow each other (either order), breaks between them
        not counted."""
        return self.prep.after(d, h1 + dur1) == h2 or self.prep.after(d, h2 + dur2) == h1

    def lits_at(self, aids: Iterable[int], slot: Slot) -> list[Lit]:
        out: list[Lit] = []
        for aid in aids:
            out.extend(self.cover[aid].get(slot, ()))
        return out

    def busy(self, key: tuple, aids: Sequence[int], slot: Slot) -> object:
        """0/1 expression: one of ``aids`` occupies ``slot`` (they never overlap)."""
        k = (key, slot)
        if k not in self._busy:
            self._busy[k] = self.indicator(self.lits_at(aids, slot))
        return self._busy[k]

    def indicator(self, lits: Sequence[Lit]) -> object:
        """0/1 expression for "one of ``lits`` is true", when at most one can be: 0, the
        literal itself, or a new boolean equal to their sum."""
        if not lits:
            return 0
        if len(lits) == 1:
            return lits[0]
        b = self.m.NewBoolVar("")
        self.m.Add(b == sum(lits))
        return b

    def day_used(
        self, key: tuple, aids: Sequence[int], d: int, hours: range | None = None
    ) -> object:
        """Bool: one of ``aids`` occupies some hour of day ``d`` (within ``hours``)."""
        k = (key, "day", d, (hours.start, hours.stop) if hours else None)
        if k not in self._busy:
            hrs = hours or range(self.H)
            lits = list(dict.fromkeys(lit for h in hrs for lit in self.lits_at(aids, (d, h))))
            if not lits:
                self._busy[k] = 0
            else:
                u = self.m.NewBoolVar("")
                for lit in lits:
                    self.m.AddImplication(lit, u)
                self.m.AddBoolOr(lits).OnlyEnforceIf(u)
                self._busy[k] = u
        return self._busy[k]

    # --- model -----------------------------------------------------------------------

    def build(self) -> None:
        m, prep = self.m, self.prep
        for a in self.p.activities:
            xs = {s: m.NewBoolVar(f"a{a.id}_{s[0]}_{s[1]}") for s in prep.starts[a.id]}
            m.AddExactlyOne(xs.values())
            self.x[a.id] = xs
            cov: dict[Slot, list[Lit]] = defaultdict(list)
            for (d, h), lit in xs.items():
                for k in range(a.duration):
                    cov[(d, h + k)].append(lit)
            self.cover[a.id] = dict(cov)
        self._clashes()
        self._rooms()
        for na in prep.soft_unavail:
            self._soft_unavailable(na)
        self._no_gap_keys: set[tuple] = set()
        self._early_keys: dict[tuple, tuple[Sequence[int], set[Slot]]] = {}
        for c in self.p.constraints:
            fn = self._dispatch.get(type(c))
            if fn is not None:
                fn(self, c)
        self._compact_days()
        if self.obj or self.obj_const:  # a constant too: preferences no timetable can keep
            m.Minimize(sum(w * v for w, v in self.obj) + self.obj_const)

    def order_interchangeable(self, model: cp_model.CpModel) -> None:
        """Interchangeable lessons start in id order, in ``model`` (a copy of this one).
        Five 国語 lessons of one class and teacher, under the same rules, have 5! equal
        timetables, and CP-SAT's tree search spent itself on them: a full Namibian primary
        school (every period taught, doubles not across the break) went from nothing in
        60 s to a timetable in 8 s. Only for the tree search of a new timetable: local
        search moves one lesson at a time, and an order makes most moves illegal (eleven
        schools it solved in 10-40 s were lost); a repair starts from the current week,
        whose order is arbitrary."""
        rules: dict[int, list[object]] = defaultdict(list)
        for i, c in enumerate(self.p.constraints):
            for aid in getattr(c, "activity_ids", ()):
                rules[aid].append(i)
            for role in ("first", "second"):  # Consecutive, Ordered: the role matters
                if (aid := getattr(c, role, None)) is not None:
                    rules[aid].append((i, role))
        twins: dict[tuple, list[int]] = defaultdict(list)
        for a in self.p.activities:
            sig = (
                a.duration,
                a.teachers,
                a.subject,
                a.tags,
                a.n_students,
                self.prep.subgroups[a.id],
                tuple(rules[a.id]),
                tuple(self.prep.room_cands.get(a.id, ())),
                tuple(self.prep.starts[a.id]),
            )
            twins[sig].append(a.id)
        for ids in twins.values():
            ids.sort()
            for i, j in itertools.pairwise(ids):
                self._starts_before(model, i, j)

    def different_days(self, model: cp_model.CpModel) -> None:
        """Each hard min-days rule's lessons on different days, said once more as one
        all-different over their days, in ``model`` (a copy of this one). The windows of
        :meth:`c_min_days` say the same, but the tree search learns it pair by pair; the
        global rule sees that five lessons need five days. Namibia's full primary schools
        (every period taught, each subject once a day): FGPS, JMSS, Rehoboth, 0.3-15 s of
        work with it, nothing in 30 s without."""
        for c in self.p.constraints:
            hard = isinstance(c, MinDaysBetween) and c.hard and c.min_days >= 1
            if not hard or len(c.activity_ids) < 3:  # of two, the windows say it exactly
                continue
            days = []
            for aid in c.activity_ids:
                day = model.NewIntVar(0, self.D - 1, "")
                model.Add(day == sum(d * lit for (d, _), lit in self.x[aid].items()))
                days.append(day)
            model.AddAllDifferent(days)

    def _starts_before(self, model: cp_model.CpModel, i: int, j: int) -> None:
        """``j`` starts after ``i``: ``j`` at a slot needs ``i`` at an earlier one (prefix
        sums of the start booleans propagate; a bound on two weighted sums barely did)."""
        var = model.GetBoolVarFromProtoIndex
        earlier = sorted(self.x[i].items())
        prefix: list[Lit] = []
        k = 0
        for slot, lit in sorted(self.x[j].items()):
            while k < len(earlier) and earlier[k][0] < slot:
                prefix.append(var(earlier[k][1].Index()))
                k += 1
            v = var(lit.Index())
            model.Add(sum(prefix) >= v) if prefix else model.Add(v == 0)

    def _compact_days(self) -> None:
        """No gaps and never a late start: each day's lessons fill its first periods, so
        an occupied period implies the one before it is occupied (redundant but it makes
        the Greek-style "students without gaps" instances tractable)."""
        for key, (acts, blocked) in self._early_keys.items():
            if key not in self._no_gap_keys:
                continue
            for d in range(self.D):
                hours = [h for h in range(self.H) if (d, h) not in blocked]
                busy = [self.busy(key, acts, (d, h)) for h in hours]
                for prev, nxt in zip(busy, busy[1:], strict=False):
                    if not isinstance(nxt, int):
                        self.m.Add(prev >= nxt)

    def _entity_keys(self) -> None:
        """Teachers by name; subgroups deduplicated (same lessons and same unavailability)."""
        prep = self.prep
        self.teacher_keys = {t: ("t", t) for t in prep.teacher_acts}
        self.subgroup_key: dict[str, tuple] = {}
        self.key_acts: dict[tuple, list[int]] = {("t", t): a for t, a in prep.teacher_acts.items()}
        self.key_unavail: dict[tuple, set[Slot]] = {
            ("t", t): prep.t_unavail.get(t, set()) for t in prep.teacher_acts
        }
        seen: dict[tuple, tuple] = {}
        for sg, acts in prep.subgroup_acts.items():
            sig = (frozenset(acts), frozenset(prep.s_unavail.get(sg, set())))
            if sig not in seen:
                seen[sig] = ("s", sg)
                self.key_acts[("s", sg)] = sorted(acts)
                self.key_unavail[("s", sg)] = prep.s_unavail.get(sg, set())
            self.subgroup_key[sg] = seen[sig]

    def _clashes(self) -> None:
        self._entity_keys()
        for key, acts in self.key_acts.items():
            if len(acts) < 2:
                continue
            blocked = self.key_unavail[key] | self.prep.breaks
            load = sum(self.prep.acts[a].duration for a in acts)
            # a class taught in every free period (common): each period is exactly one lesson
            full = load == sum(
                1 for d in range(self.D) for h in range(self.H) if (d, h) not in blocked
            )
            for d in range(self.D):
                for h in range(self.H):
                    lits = self.lits_at(acts, (d, h))
                    if full and (d, h) not in blocked:
                        self.m.AddExactlyOne(lits)
                    elif len(lits) > 1:
                        self.m.AddAtMostOne(lits)

    def _rooms(self) -> None:
        m, prep = self.m, self.prep
        # each room's users, with the literal that puts the lesson there (None: always)
        users: dict[str, list[tuple[int, Lit | None]]] = defaultdict(list)
        for aid, cands in prep.room_cands.items():
            if len(cands) > 1 or cands[0] is None:
                ys = {r: m.NewBoolVar("") for r in cands}
                m.AddExactlyOne(ys.values())
                self.y[aid] = ys
                # a room preference (< 100 %) broken costs its weight
                for rooms, w in prep.room_prefs.get(aid, []):
                    inside = [ys[r] for r in ys if r is not None and r in rooms]
                    self.obj_const += round(w * SCALE)
                    for lit in inside:
                        self.obj.append((-round(w * SCALE), lit))
            for r in cands:
                if r is None:
                    continue
                chosen = self.y[aid][r] if aid in self.y else None
                if r not in prep.virtual_rooms:
                    users[r].append((aid, chosen))
                    continue
                for real, lit in self._real_rooms(aid, r, chosen).items():
                    users[real].append((aid, lit))
        for room, uses in users.items():
            unavail = prep.r_unavail.get(room, set())
            per_slot: dict[Slot, list[Lit]] = defaultdict(list)
            for aid, yr in uses:
                if yr is None:  # fixed room: unavailability already in the domain
                    for s, lits in self.cover[aid].items():
                        per_slot[s].extend(lits)
                    continue
                for s, lits in self.cover[aid].items():
                    cov = sum(lits)
                    if s in unavail:
                        m.Add(cov + yr <= 1)
                        continue
                    if len(uses) == 1:
                        continue
                    z = m.NewBoolVar("")
                    m.Add(z >= cov + yr - 1)
                    per_slot[s].append(z)
            for lits in per_slot.values():
                if len(lits) > 1:
                    m.AddAtMostOne(lits)
        # redundant, but what makes room choice tractable: at any period, the activities
        # that can only use rooms of S are at most |S| (and S's rooms must be available)
        for rooms in prep.room_sets():
            if len(rooms) == 1:  # one room: its own at-most-one above
                continue
            aids = [
                a for a, c in prep.room_cands.items() if c and None not in c and set(c) <= rooms
            ]
            for d in range(self.D):
                for h in range(self.H):
                    free = sum(1 for r in rooms if (d, h) not in prep.r_unavail.get(r, set()))
                    lits = self.lits_at(aids, (d, h))
                    if len(lits) > free:
                        m.Add(sum(lits) <= free)

    def _real_rooms(self, aid: int, room: str, chosen: Lit | None) -> dict[str, Lit]:
        """A lesson in virtual ``room`` (when ``chosen``; None: always) takes one real
        room of each of its sets, all different (FET's rule); the literal that puts it in
        each real room. A file that placed it names the real rooms: those, one per set."""
        m = self.m
        sets = self.p.rooms[room].real_sets
        named = self.prep.real_rooms.get((aid, room))
        if named and len(named) == len(sets):
            sets = tuple((r,) for r in named)
        per_set = []
        for rooms in sets:
            lits = {r: m.NewBoolVar("") for r in dict.fromkeys(rooms)}
            m.Add(sum(lits.values()) == (1 if chosen is None else chosen))
            per_set.append(lits)
        self.real.setdefault(aid, {})[room] = per_set
        taken: dict[str, list[Lit]] = defaultdict(list)
        for lits in per_set:
            for r, lit in lits.items():
                taken[r].append(lit)
        out = {}
        for r, lits in taken.items():
            if len(lits) == 1:
                out[r] = lits[0]
            else:  # in two sets: taken once at most
                out[r] = m.NewBoolVar("")
                m.Add(out[r] == sum(lits))
        return out

    def _soft_unavailable(self, na: NotAvailable) -> None:
        prep = self.prep
        if na.kind == "teacher":
            aids = prep.teacher_acts.get(na.name, [])
        elif na.kind == "room":
            aids = [a for a, c in prep.room_cands.items() if prep.fixed_room(a) == na.name and c]
        else:
            sgs = self.p.subgroups_of.get(na.name, frozenset({na.name}))
            aids = sorted({a for sg in sgs for a in prep.subgroup_acts.get(sg, [])})
        for s in na.slots:
            for lit in self.lits_at(aids, s):
                self.penal(lit, na.weight)

    # --- activity rules ----------------------------------------------------------------

    def c_starts(self, c: PreferredStarts) -> None:
        for aid in c.activity_ids:
            if c.hard or aid not in self.x:
                continue  # hard ones already shaped the domain
            good = [v for s, v in self.x[aid].items() if s in c.slots]
            en = self.enforce(c)
            self.m.Add(sum(good) == 1).OnlyEnforceIf(en)

    def c_slots(self, c: PreferredSlots) -> None:
        for aid in c.activity_ids:
            if c.hard:
                continue
            dur = self.prep.acts[aid].duration
            good = [
                v
                for (d, h), v in self.x[aid].items()
                if all((d, h + k) in c.slots for k in range(dur))
            ]
            en = self.enforce(c)
            self.m.Add(sum(good) == 1).OnlyEnforceIf(en)

    def c_min_days(self, c: MinDaysBetween) -> None:
        self._min_days_two_a_day(c)
        ids, md = c.activity_ids, c.min_days
        if c.consecutive_if_same_day and not (c.hard and md >= 1):
            # (a hard rule never puts two on one day: nothing to add. On a school where
            # most subjects meet every day, these rows were most of the model: 300,000.)
            # here FET counts a break as a period between: no skipping (fet-cl refuses it).
            # Written as "one block a day" (a start indicator per period) the model is 10x
            # smaller on Shipena, but paired runs solved 2 fewer of 64 files: these rows
            # propagate better.
            for i, j in itertools.permutations(ids, 2):
                di, dj = self.prep.acts[i].duration, self.prep.acts[j].duration
                for (d, h), lit in self.x[i].items():
                    same = self.on_day(j, d)
                    adj = [self.x[j][s] for s in ((d, h + di), (d, h - dj)) if s in self.x[j]]
                    if same:
                        self.m.Add(sum(same) - sum(adj) <= 1 - lit)
        if md <= 0 or c.weight <= 0:
            return
        if c.hard:
            for d0 in range(max(1, self.D - md + 1)):
                window = range(d0, min(self.D, d0 + md))
                lits = [lit for aid in ids for d in window for lit in self.on_day(aid, d)]
                self.m.Add(sum(lits) <= 1)
            return
        # FET: each pair closer than min_days costs (min_days - distance) * weight
        for i, j in itertools.combinations(ids, 2):
            if md == 1:
                for d in range(self.D):
                    li, lj = self.on_day(i, d), self.on_day(j, d)
                    if li and lj:
                        pen = self.m.NewBoolVar("")
                        self.m.Add(pen >= sum(li) + sum(lj) - 1)
                        self.penal(pen, c.weight)
            else:
                diff = self.m.NewIntVar(0, self.D, "")
                self.m.AddAbsEquality(diff, self.day_var(i) - self.day_var(j))
                short = self.m.NewIntVar(0, md, "")
                self.m.Add(short >= md - diff)
                self.penal(short, c.weight)

    def _min_days_two_a_day(self, c: MinDaysBetween) -> None:
        """FET's hidden hard rule: at most two of a min-days rule's activities on one day,
        at any weight (fet-cl 6.8.5 finds no timetable with three, even at 0 %)."""
        if len(c.activity_ids) <= 2 or (c.hard and c.min_days >= 1):
            return  # a hard rule already allows one a day
        for d in range(self.D):
            lits = [lit for aid in c.activity_ids for lit in self.on_day(aid, d)]
            if len(lits) > 2:
                self.m.Add(sum(lits) <= 2)

    def c_max_days_between(self, c: MaxDaysBetween) -> None:
        for i, j in itertools.combinations(c.activity_ids, 2):
            diff = self.day_var(i) - self.day_var(j)
            if c.hard:
                self.m.Add(diff <= c.max_days)
                self.m.Add(-diff <= c.max_days)
            else:
                over = self.m.NewIntVar(0, self.D, "")
                self.m.Add(over >= diff - c.max_days)
                self.m.Add(over >= -diff - c.max_days)
                self.penal(over, c.weight)

    def c_same(self, c: SameStart) -> None:
        ids = c.activity_ids
        if c.what == "time" and c.hard:
            first = ids[0]
            for other in ids[1:]:
                for s in set(self.x[first]) | set(self.x[other]):
                    a, b = self.x[first].get(s), self.x[other].get(s)
                    if a is None and b is not None:
                        self.m.Add(b == 0)
                    elif b is None and a is not None:
                        self.m.Add(a == 0)
                    elif a is not None:
                        self.m.Add(a == b)
            return
        var = {"time": self.start_var, "day": self.day_var, "hour": self.hour_var}[c.what]
        for other in ids[1:]:
            en = self.enforce(c)
            self.m.Add(var(ids[0]) == var(other)).OnlyEnforceIf(en)

    def c_not_overlapping(self, c: NotOverlapping) -> None:
        en = self.enforce(c)
        for d in range(self.D):
            for h in range(self.H):
                lits = self.lits_at(c.activity_ids, (d, h))
                if len(lits) > 1:
                    self.m.Add(sum(lits) <= 1).OnlyEnforceIf(en)

    def c_consecutive(self, c: Consecutive) -> None:
        en = self.enforce(c)
        dur = self.prep.acts[c.first].duration
        for (d, h), lit in self.x[c.first].items():
            nxt = self.x[c.second].get((d, self.prep.after(d, h + dur)))
            self.m.AddBoolOr([lit.Not()] + ([nxt] if nxt is not None else [])).OnlyEnforceIf(en)

    def c_grouped(self, c: Grouped) -> None:
        en = self.enforce(c)
        ids = c.activity_ids
        acts = [self.prep.acts[i] for i in ids]
        if len(ids) == 2:
            a, b = acts
            for (d, h), lit in self.x[a.id].items():
                nb = [
                    v
                    for s, v in self.x[b.id].items()
                    if s[0] == d and self.adjacent(d, h, a.duration, s[1], b.duration)
                ]
                self.m.AddBoolOr([lit.Not(), *nb]).OnlyEnforceIf(en)
            return
        total = sum(a.duration for a in acts)
        starts = [self.rank_var(i) for i in ids]
        ends = [s + a.duration for s, a in zip(starts, acts, strict=True)]
        lo = self.m.NewIntVar(0, self.D * self.H, "")
        hi = self.m.NewIntVar(0, self.D * self.H, "")
        self.m.AddMinEquality(lo, starts)
        self.m.AddMaxEquality(hi, ends)
        self.m.Add(hi - lo == total).OnlyEnforceIf(en)
        for i in ids[1:]:
            self.m.Add(self.day_var(i) == self.day_var(ids[0])).OnlyEnforceIf(en)
        ivs = []
        for s, a in zip(starts, acts, strict=True):
            if en:
                ivs.append(self.m.NewOptionalFixedSizeIntervalVar(s, a.duration, en[0], ""))
            else:
                ivs.append(self.m.NewFixedSizeIntervalVar(s, a.duration, ""))
        self.m.AddNoOverlap(ivs)

    def c_ordered(self, c: Ordered) -> None:
        en = self.enforce(c)
        dur = self.prep.acts[c.first].duration
        if not c.only_if_same_day:
            self.m.Add(self.start_var(c.second) >= self.start_var(c.first) + dur).OnlyEnforceIf(en)
            return
        for (d, h), lit in self.x[c.first].items():
            bad = [v for (d2, h2), v in self.x[c.second].items() if d2 == d and h2 < h + dur]
            for v in bad:
                self.m.AddBoolOr([lit.Not(), v.Not()]).OnlyEnforceIf(en)

    def c_min_gaps(self, c: MinGapsBetween) -> None:
        en = self.enforce(c)
        for i, j in itertools.combinations(c.activity_ids, 2):
            di, dj = self.prep.acts[i].duration, self.prep.acts[j].duration
            for (d, h), lit in self.x[i].items():
                bad = [
                    v
                    for (d2, h2), v in self.x[j].items()
                    if d2 == d and h2 < h + di + c.min_gaps and h < h2 + dj + c.min_gaps
                ]
                if bad:
                    self.m.Add(lit + sum(bad) <= 1).OnlyEnforceIf(en)

    def c_ends_day(self, c: EndsStudentsDay) -> None:
        prep = self.prep
        for aid in c.activity_ids:
            en = self.enforce(c)
            a = prep.acts[aid]
            others = sorted(
                {o for sg in prep.subgroups[aid] for o in prep.subgroup_acts[sg]} - {aid}
            )
            for (d, h), lit in self.x[aid].items():
                for hh in range(h + a.duration, self.H):
                    for o in self.lits_at(others, (d, hh)):
                        self.m.AddBoolOr([lit.Not(), o.Not()]).OnlyEnforceIf(en)

    def c_occupy_max(self, c: MaxSlotsFromSelection) -> None:
        used = []
        for s in c.slots:
            lits = self.lits_at(c.activity_ids, s)
            if not lits:
                continue
            u = self.m.NewBoolVar("")
            for lit in lits:
                self.m.AddImplication(lit, u)
            used.append(u)
        self.at_most(sum(used), c.max_slots, c)

    def c_max_simultaneous(self, c: MaxSimultaneous) -> None:
        for s in c.slots:
            lits = self.lits_at(c.activity_ids, s)
            if len(lits) > c.max_simultaneous:
                self.at_most(sum(lits), c.max_simultaneous, c)

    # --- per teacher / per subgroup ---------------------------------------------------

    def entities(self, c: ResourceConstraint) -> list[tuple[tuple, list[int], set[Slot]]]:
        if c.who == "teacher":
            names = c.names or tuple(self.prep.teacher_acts)
            keys = [("t", n) for n in names if ("t", n) in self.key_acts]
        else:
            if c.names:
                sgs = {sg for n in c.names for sg in self.p.subgroups_of.get(n, frozenset({n}))}
            else:
                sgs = set(self.subgroup_key)
            keys = sorted({self.subgroup_key[sg] for sg in sgs if sg in self.subgroup_key})
        out = []
        for k in keys:
            acts = self.key_acts[k]
            if c.tag:
                acts = [a for a in acts if c.tag in self.prep.acts[a].tags]
            out.append(((*k, c.tag), acts, self.key_unavail[k] | self.prep.breaks))
        return out

    def hours_on(self, aids: Sequence[int], d: int) -> object:
        return sum(self.prep.acts[a].duration * lit for a in aids for lit in self.on_day(a, d))

    def c_max_hours_daily(self, c: MaxHoursDaily) -> None:
        for _, acts, _ in self.entities(c):
            for d in range(self.D):
                if sum(self.prep.acts[a].duration for a in acts) > c.max_hours:
                    self.at_most(self.hours_on(acts, d), c.max_hours, c)

    def c_min_hours_daily(self, c: MinHoursDaily) -> None:
        for key, acts, _ in self.entities(c):
            for d in range(self.D):
                hours = self.hours_on(acts, d)
                if c.allow_empty_days:
                    used = self.day_used(key, acts, d)
                    if isinstance(used, int):
                        continue
                    if c.hard:
                        self.m.Add(hours >= c.min_hours * used)
                    else:
                        slack = self.m.NewIntVar(0, c.min_hours, "")
                        self.m.Add(hours + slack >= c.min_hours * used)
                        self.penal(slack, c.weight)
                else:
                    self.at_least(hours, c.min_hours, c)

    def c_max_days(self, c: MaxDaysPerWeek) -> None:
        hours = range(*c.interval) if c.interval else None
        for key, acts, _ in self.entities(c):
            used = [self.day_used(key, acts, d, hours) for d in range(self.D)]
            if sum(1 for u in used if not isinstance(u, int)) > c.max_days:
                self.at_most(sum(used), c.max_days, c)

    def c_min_days_week(self, c: MinDaysPerWeek) -> None:
        for key, acts, _ in self.entities(c):
            used = [self.day_used(key, acts, d) for d in range(self.D)]
            self.at_least(sum(used), c.min_days, c)

    def gaps_on(self, key: tuple, acts: Sequence[int], d: int, blocked: set[Slot]) -> object:
        """Gaps of one entity on day ``d`` as ``span - lessons``: the span (first to last
        taught period, counting only periods it could teach) is bounded below by every
        pair of taught periods, so no helper booleans are needed."""
        hours = [h for h in range(self.H) if (d, h) not in blocked]
        busy = [self.busy(key, acts, (d, h)) for h in hours]
        idx = [i for i, b in enumerate(busy) if not isinstance(b, int)]
        if len(idx) < 2:
            return 0
        span = self.m.NewIntVar(0, len(hours), "")
        for a, i in enumerate(idx):
            self.m.Add(span >= busy[i])
            for j in idx[a + 1 :]:
                self.m.Add(span >= (j - i + 1) * (busy[i] + busy[j] - 1))
        return span - sum(busy[i] for i in idx)

    def no_gaps(
        self, key: tuple, acts: Sequence[int], d: int, blocked: set[Slot], c: Constraint
    ) -> None:
        """No gap on day ``d``: the lessons form one block (at most one start of a block)."""
        hours = [h for h in range(self.H) if (d, h) not in blocked]
        busy = [self.busy(key, acts, (d, h)) for h in hours]
        if sum(1 for b in busy if not isinstance(b, int)) < 2:
            return
        starts = []
        for i, b in enumerate(busy):
            if isinstance(b, int) and b == 0:
                continue
            st = self.m.NewBoolVar("")
            self.m.Add(st >= b - (busy[i - 1] if i else 0))
            starts.append(st)
        self.m.Add(sum(starts) <= 1)

    def day_gaps_at_most(
        self, key: tuple, acts: Sequence[int], d: int, blocked: set[Slot], g: int
    ) -> None:
        """At most ``g`` gaps on day ``d``, without helper variables: whenever two periods
        are both taught, at most ``g`` of the periods between them are free."""
        hours = [h for h in range(self.H) if (d, h) not in blocked]
        busy = [self.busy(key, acts, (d, h)) for h in hours]
        for i in range(len(busy)):
            if isinstance(busy[i], int):
                continue
            for j in range(i + g + 2, len(busy)):
                if isinstance(busy[j], int):
                    continue
                between = busy[i + 1 : j]
                need = len(between) - g
                self.m.Add(sum(between) >= need * (busy[i] + busy[j] - 1))

    def c_max_gaps(self, c: MaxGaps) -> None:
        if c.hard and c.max_gaps == 0:
            for key, acts, blocked in self.entities(c):
                if c.tag is None:
                    self._no_gap_keys.add(key)
                for d in range(self.D):
                    self.no_gaps(key, acts, d, blocked, c)
            return
        if c.hard and c.per == "day":
            for key, acts, blocked in self.entities(c):
                for d in range(self.D):
                    self.day_gaps_at_most(key, acts, d, blocked, c.max_gaps)
            return
        for key, acts, blocked in self.entities(c):
            per_day = [self.gaps_on(key, acts, d, blocked) for d in range(self.D)]
            if c.per == "day":
                for g in per_day:
                    if not isinstance(g, int):
                        self.at_most(g, c.max_gaps, c)
            elif any(not isinstance(g, int) for g in per_day):
                self.at_most(sum(per_day), c.max_gaps, c)

    def c_max_continuous(self, c: MaxHoursContinuously) -> None:
        n = c.max_hours + 1
        for _, acts, _ in self.entities(c):
            for d in range(self.D):
                for h0 in range(self.H - n + 1):
                    lits = [lit for h in range(h0, h0 + n) for lit in self.lits_at(acts, (d, h))]
                    if len(lits) >= n:
                        self.at_most(sum(lits), c.max_hours, c)

    def c_early(self, c: EarlyMaxBeginningsAtSecondHour) -> None:
        for key, acts, blocked in self.entities(c):
            if c.hard and c.max_days == 0 and c.tag is None:
                self._early_keys[key] = (acts, blocked)
            late = []
            for d in range(self.D):
                hours = [h for h in range(self.H) if (d, h) not in blocked]
                if not hours:
                    continue
                used = self.day_used(key, acts, d)
                if isinstance(used, int):
                    continue
                b0 = self.busy(key, acts, (d, hours[0]))
                b1 = self.busy(key, acts, (d, hours[1])) if len(hours) > 1 else 0
                en = self.enforce(c)
                self.m.Add(used <= b0 + b1).OnlyEnforceIf(en)
                lt = self.m.NewBoolVar("")
                self.m.Add(lt >= used - b0)
                late.append(lt)
            if len(late) > c.max_days:
                self.at_most(sum(late), c.max_days, c)

    _dispatch: dict[type, Callable[[_Builder, Constraint], None]] = {
        PreferredStarts: c_starts,
        PreferredSlots: c_slots,
        MinDaysBetween: c_min_days,
        MaxDaysBetween: c_max_days_between,
        SameStart: c_same,
        NotOverlapping: c_not_overlapping,
        Consecutive: c_consecutive,
        Grouped: c_grouped,
        Ordered: c_ordered,
        MinGapsBetween: c_min_gaps,
        EndsStudentsDay: c_ends_day,
        MaxSlotsFromSelection: c_occupy_max,
        MaxSimultaneous: c_max_simultaneous,
        MaxHoursDaily: c_max_hours_daily,
        MinHoursDaily: c_min_hours_daily,
        MaxDaysPerWeek: c_max_days,
        MinDaysPerWeek: c_min_days_week,
        MaxGaps: c_max_gaps,
        MaxHoursContinuously: c_max_continuous,
        EarlyMaxBeginningsAtSecondHour: c_early,
    }


# --- FET 6's max span per day and min gaps between an ordered pair of tags -------------


def _c_max_span(self: _Builder, c: MaxSpanPerDay) -> None:
    """No two periods taught on one day further apart than the span allows (every period
    between counts, breaks too); with the one-day exception, one day may be one longer.
    Below 100 % (which FET refuses, see checks) each day over costs the weight."""
    n = c.max_span
    for key, acts, _ in self.entities(c):
        plus: list[Lit] = []
        for d in range(self.D):
            busy = [(h, self.busy(key, acts, (d, h))) for h in range(self.H)]
            busy = [(h, b) for h, b in busy if not isinstance(b, int)]
            if len(busy) < 2 or busy[-1][0] - busy[0][0] + 1 <= n:
                continue
            en = self.enforce(c)
            extra = None
            if c.one_day_plus_one:
                extra = self.m.NewBoolVar("")
                plus.append(extra)
            for i, (hi, bi) in enumerate(busy):
                for hj, bj in busy[i + 1 :]:
                    width = hj - hi + 1
                    if width <= n:
                        continue
                    if width == n + 1 and extra is not None:
                        self.m.Add(bi + bj <= 1 + extra).OnlyEnforceIf(en)
                    else:
                        self.m.AddBoolOr([bi.Not(), bj.Not()]).OnlyEnforceIf(en)
        if len(plus) > 1:
            self.m.Add(sum(plus) <= 1)


def _c_min_resting(self: _Builder, c: MinRestingHours) -> None:
    """No lesson late on a day and early on the next with fewer free periods between
    than the rule asks (the last day and the first too, when circular): a clause per such
    pair of periods. Below 100 % (which FET refuses, see checks) each night costs."""
    D, H = self.D, self.H
    nights = [(d, d + 1) for d in range(D - 1)]
    if c.circular and D > 1:
        nights.append((D - 1, 0))
    for key, acts, _ in self.entities(c):
        for d1, d2 in nights:
            late = [(h, self.busy(key, acts, (d1, h))) for h in range(H)]
            early = [(h, self.busy(key, acts, (d2, h))) for h in range(H)]
            short = [
                (b1, b2)
                for h1, b1 in late
                for h2, b2 in early
                if not isinstance(b1, int)
                and not isinstance(b2, int)
                and (H - 1 - h1) + h2 < c.min_hours
            ]
            if not short:
                continue
            en = self.enforce(c)
            for b1, b2 in short:
                self.m.AddBoolOr([b1.Not(), b2.Not()]).OnlyEnforceIf(en)


def _c_min_gaps_tags(self: _Builder, c: MinGapsBetweenTags) -> None:
    """A lesson of ``first_tag`` that ends at period h: no lesson of ``second_tag`` of the
    same teacher / students starts in the ``min_gaps`` periods after it."""
    g = c.min_gaps
    if g <= 0:
        return
    for _, acts, _ in self.entities(c):
        firsts = [a for a in acts if c.first_tag in self.prep.acts[a].tags]
        seconds = [a for a in acts if c.second_tag in self.prep.acts[a].tags]
        if not firsts or not seconds:
            continue
        ends: dict[Slot, list[Lit]] = defaultdict(list)
        for a in firsts:
            dur = self.prep.acts[a].duration
            for (d, h), lit in self.x[a].items():
                ends[(d, h + dur - 1)].append(lit)
        starts: dict[Slot, list[Lit]] = defaultdict(list)
        for b in seconds:
            for s, lit in self.x[b].items():
                starts[s].append(lit)
        # one entity's lessons never overlap: at most one ends at a period, one starts
        for (d, h), end_lits in ends.items():
            for k in range(1, g + 1):
                soon = starts.get((d, h + k))
                if not soon:
                    continue
                if c.hard:
                    self.m.Add(sum(end_lits) + sum(soon) <= 1)
                else:  # Ai's count (FET refuses it below 100 %): each pair too close
                    pen = self.m.NewBoolVar("")
                    self.m.Add(pen >= sum(end_lits) + sum(soon) - 1)
                    self.penal(pen, c.weight)


_Builder._dispatch[MaxSpanPerDay] = _c_max_span  # type: ignore[assignment]
_Builder._dispatch[MinGapsBetweenTags] = _c_min_gaps_tags  # type: ignore[assignment]
_Builder._dispatch[MinRestingHours] = _c_min_resting  # type: ignore[assignment]


# FET's building rules and rules on the rooms of several activities (buildings.py)
_Builder._dispatch.update(
    {
        MaxBuildingChanges: buildings.c_building_changes,
        MinGapsBetweenBuildingChanges: buildings.c_min_gaps_buildings,
        SameRoomIfConsecutive: buildings.c_same_room_if_consecutive,
        MaxDifferentRooms: buildings.c_max_different_rooms,
    }  # type: ignore[dict-item]
)


class _Watch(cp_model.CpSolverSolutionCallback):
    """Records when the first complete timetable appeared; stops the search when the
    preferences cannot improve (total 0) or when only the first timetable is wanted."""

    def __init__(self, t0: float, on_solution: Callable[[float, float], None] | None) -> None:
        super().__init__()
        self.t0 = t0
        self.first: float | None = None
        self.stop_at_first = False
        self.has_objective = True
        self.on_solution = on_solution
        self.improved: float | None = None  # perf_counter of the last better timetable
        self.best: float | None = None

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.t0
        obj = self.ObjectiveValue() / (SCALE * 100) if self.has_objective else None
        if self.first is None:
            self.first = now
        if self.best is None or (obj is not None and obj < self.best - 1e-9):
            self.best, self.improved = obj, time.perf_counter()
        if self.on_solution is not None and obj is not None:
            self.on_solution(now, obj)
        if self.stop_at_first or (obj is not None and obj <= 1e-9):
            self.StopSearch()


_FOUND = (cp_model.OPTIMAL, cp_model.FEASIBLE)


class _Least(cp_model.CpSolverSolutionCallback):
    """The fewest broken rules seen in a slice on the counted model; stops at none."""

    def __init__(self) -> None:
        super().__init__()
        self.best: float | None = None
        self.improved = time.perf_counter()

    def on_solution_callback(self) -> None:
        obj = self.ObjectiveValue()
        if self.best is None or obj < self.best:
            self.best, self.improved = obj, time.perf_counter()
        if obj <= 0:
            self.StopSearch()


def _decisions(b: _Builder) -> list[Lit]:
    """The variables that make a timetable: every start, room and virtual room's real room."""
    return (
        [v for xs in b.x.values() for v in xs.values()]
        + [v for ys in b.y.values() for v in ys.values()]
        + [v for per in b.real.values() for sets in per.values() for s in sets for v in s.values()]
    )


# The hard rules the first search counts instead of forbidding (see _counted), and the
# share of each round's work that local search on that count gets.
COUNTED_KINDS: tuple[type, ...] = (MaxGaps,)
COUNT_SHARE = 4
# A counted slice that is still falling may run on to COUNT_STRETCH times its budget; past
# the budget it ends once the count has not fallen for COUNT_STALL seconds or a quarter of
# the slice so far (local search cannot resume: Tg-Mures's count falls steadily for 29 s,
# longer than any slice; FET: 0.3 s).
COUNT_STRETCH = 16
COUNT_STALL = 3.0
# A placement with a count is worth waiting for, since the mending takes it on (Bethlen
# 2008-09: the first after 4-8 s; its count then falls from 46 to 2 in 10 s).
COUNT_FIRST = 4
# Its mending (see _mend_count): each step's work budget, and how long without a fall ends it.
MEND_STEP = 1.0
MEND_STALL = 10.0


def _counted(problem: Problem) -> Problem | None:
    """The timetable with its hard rules alone, the gap rules counted, not forbidden:
    each broken unit costs one, and the preferences are left out (a min-days rule stays
    at 0 %: FET's two-a-day rule holds at any weight). Local search on this count
    reaches zero, a timetable of the real problem, where on the real one it stalls
    between hard rules and preferences (FET's Indian and Saudi schools) or between
    students' compact days and teachers' gaps (its Romanian ones: Oradea's, which FET
    solves in 0.1 s). None when it would be the real problem itself."""
    counted = [c for c in problem.constraints if c.hard and isinstance(c, COUNTED_KINDS)]
    if not counted and all(c.hard for c in problem.constraints):
        return None
    rules: list[Constraint] = []
    for c in problem.constraints:
        if c.hard:
            rules.append(dataclasses.replace(c, weight=1.0) if isinstance(c, COUNTED_KINDS) else c)
        elif isinstance(c, MinDaysBetween):
            rules.append(dataclasses.replace(c, weight=0.0))
    return dataclasses.replace(problem, constraints=rules)


class _Search:
    """The search strategy around CP-SAT.

    Several workers: CP-SAT's own portfolio on the full model. One worker: CP-SAT's tree
    search alone is weak on tight school instances and its local search (feasibility
    jump / violation LS) alone is erratic, so each round has three slices: local search
    on the counted model (the hard rules alone, gap rules counted, :func:`_counted`;
    four times the others' budget, longer while the count falls; where it stalls above
    zero, its best placement mended by large neighbourhoods, :meth:`_mend_count`), local
    search on the full model, and tree search on
    the hard rules (where there is no gap rule to count, four times the budget too, and
    told once more that a min-days rule's lessons fall on different days:
    :meth:`_Builder.different_days`); a new seed and twice the work budget each round
    (restarts against heavy tails). The counted model's slice gets CP-SAT's full presolve
    (without it, Brazil's difficult school: nothing in 30 s; with it, 9 s); the other two a
    light one (the full one on the full model of a 1,375-lesson school ate its slices). The other
    slices are bounded in CP-SAT's deterministic time; the counted one ends by the wall
    clock (when its count stops falling), so with gap rules the same seed may not give
    the same timetable. Once a timetable exists,
    local search improves the preferences from it until they stop improving or time runs
    out.
    """

    def __init__(
        self,
        b: _Builder,
        deadline: float,
        workers: int,
        seed: int,
        watch: _Watch,
        *,
        symmetry: bool = True,
        counted: _Builder | None = None,
    ) -> None:
        self.b = b
        self.symmetry = symmetry  # order interchangeable lessons in the tree search
        self.deadline = deadline
        self.workers = workers
        self.seed = seed
        self.watch = watch
        self.has_obj = bool(b.obj or b.obj_const)
        self.values: dict | None = None
        self.objective: float | None = None
        self.status = cp_model.UNKNOWN
        self.running: cp_model.CpSolver | None = None
        self.stopped = False  # cancelled, or the preferences stopped improving
        self.counted = counted  # the hard rules with the gap rules counted (one worker)

    def left(self) -> float:
        return 0.0 if self.stopped else self.deadline - time.perf_counter()

    def halt(self) -> None:
        """Stop now (from the watchdog thread): the running CP-SAT call and every next one."""
        self.stopped = True
        solver = self.running
        if solver is not None:
            solver.StopSearch()

    def _solve(
        self,
        model: cp_model.CpModel,
        seed: int,
        *,
        ls: bool,
        det: float | None,
        callback: cp_model.CpSolverSolutionCallback | None = None,
        presolve: bool = False,
    ) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.max_time_in_seconds = max(0.05, self.left())
        prm.num_workers = max(1, self.workers)
        prm.random_seed = seed
        if det is not None:
            prm.max_deterministic_time = det
        if self.workers <= 1 and not presolve:
            # every slice is a new CP-SAT run with its own presolve: the full one (probing)
            # used up a whole first slice on a large school (GYR, Gymnasio: 0 branches), so
            # slices presolve lightly and search (Brazil's first timetable 2-5x sooner)
            prm.max_presolve_iterations = 1
            prm.cp_model_probing_level = 0
        prm.use_ls_only = ls
        self.running = solver
        if self.stopped:  # halted between two calls
            solver.parameters.max_time_in_seconds = 0.0
        self.status = solver.Solve(model, callback or self.watch)
        self.running = None
        return solver

    def _keep(self, solver: cp_model.CpSolver, with_objective: bool) -> None:
        b = self.b
        values = {v: solver.BooleanValue(v) for v in _decisions(b)}
        obj = solver.ObjectiveValue() / (SCALE * 100) if (with_objective and self.has_obj) else None
        if obj is None and self.has_obj:
            obj = _price(b, values, self.seed)
        if not self.has_obj:
            obj = 0.0
        if self.objective is None or (obj is not None and obj < self.objective - 1e-9):
            self.values, self.objective = values, obj

    def first(self, stop_at_first: bool) -> str:
        """Find a timetable: 'found', 'infeasible' or 'unknown'."""
        w = self.watch
        if self.workers > 1:
            w.stop_at_first = stop_at_first
            model = self.b.m
            if self.symmetry:  # the portfolio's tree searches gain more than its LS loses
                model = model.Clone()
                self.b.order_interchangeable(model)
                self.b.different_days(model)
            solver = self._solve(model, self.seed, ls=False, det=None)
            if self.status in _FOUND:
                self._keep(solver, True)
                return "found"
            return "infeasible" if self.status == cp_model.INFEASIBLE else "unknown"
        feas = self.b.m.Clone()
        feas.ClearObjective()
        if self.symmetry:
            self.b.order_interchangeable(feas)
        # where the counted model counts nothing (no gap rule), the tree search gets the
        # local search's share too, and is told that a min-days rule's lessons fall on
        # different days: Namibia's full schools, which it then solves in 1-15 s of work,
        # got 0.5-4 s of it in 60 s (with the local search's share cut instead, schools
        # that it solves in 5-10 s took 3-6 times longer)
        counts = self.counted is not None and any(
            isinstance(c, COUNTED_KINDS) for c in self.counted.p.constraints
        )
        tree_share = 1 if counts else COUNT_SHARE
        if not counts:
            self.b.different_days(feas)
        det, k = 0.5, 0
        while self.left() > 0.05:
            if self.counted is not None and self._count_down(
                COUNT_SHARE * det, self.seed + k, stop_at_first
            ):
                return "found"
            for ls in (True, False):
                if self.left() <= 0.05:
                    break
                w.has_objective = ls and self.has_obj
                w.stop_at_first = stop_at_first or not ls
                model, budget = (self.b.m, det) if ls else (feas, tree_share * det)
                solver = self._solve(model, self.seed + k, ls=ls, det=budget)
                w.has_objective = self.has_obj
                if self.status in _FOUND:
                    self._keep(solver, ls)
                    return "found"
                if self.status == cp_model.INFEASIBLE:
                    return "infeasible"
            det, k = det * 2, k + 1
        return "unknown"

    def _count_down(self, det: float, seed: int, stop_at_first: bool) -> bool:
        """One slice of local search on the counted model (see :func:`_counted`). A count
        of zero is a timetable of the real rules: it is fixed in the full model, which
        prices its preferences. True when it was. (A slice starts afresh: CP-SAT's local
        search does not start from a hint, measured, so slices grow instead.)"""
        cb = self.counted
        assert cb is not None
        least = _Least()
        with self._until_stalled(least, det):
            solver = self._solve(
                cb.m, seed, ls=True, det=COUNT_STRETCH * det, callback=least, presolve=True
            )
        if self.status not in _FOUND or least.best is None:
            return False
        solution = list(solver.response_proto.solution)
        if least.best > 0:
            mended = self._mend_count(solution, least.best, seed)
            if mended is None:
                return False
            solution = mended
        # the same placements in the full model: its preferences and auxiliary variables
        values: dict = {}
        for aid, xs in self.b.x.items():
            for slot, var in xs.items():
                lit = cb.x[aid].get(slot)
                values[var] = lit is not None and bool(solution[lit.Index()])
        for aid, ys in self.b.y.items():
            if aid not in cb.y:  # a room by preference only: the full model chooses it
                continue
            for room, var in ys.items():
                lit = cb.y[aid].get(room)
                values[var] = lit is not None and bool(solution[lit.Index()])
        self.watch.stop_at_first = stop_at_first
        solver = self._solve(_fixed(self.b, values), seed, ls=False, det=None)
        if self.status not in _FOUND:  # the two models disagree: go on searching
            return False
        self._keep(solver, True)
        return True

    def _mend_count(self, solution: list[int], count: float, seed: int) -> list[int] | None:
        """From the counted model's best placement, large-neighbourhood steps (see
        :mod:`.neighbourhood`) until the count is zero (that solution is returned) or has
        not fallen for MEND_STALL seconds or a quarter of the mending so far (None)."""
        cb = self.counted
        assert cb is not None
        hood = neighbourhood.DayNeighbourhoods(cb, seed)
        place = hood.placement(solution)
        start = improved = time.perf_counter()
        step = 0
        while self.left() > 0.05:
            now = time.perf_counter()
            if now - improved > max(MEND_STALL, (now - start) / 4):
                return None
            broken = hood.broken(place)
            if not broken:  # the count is of rules this cannot see: leave it to the search
                return None
            free, days = hood.pick(place, broken)
            least = _Least()
            step += 1
            solver = self._solve(
                hood.model(solution, place, free, days),
                seed + step,
                ls=False,
                det=MEND_STEP,
                callback=least,
            )
            better = least.best is not None and least.best < count
            hood.learn(better, self.status == cp_model.OPTIMAL)
            if least.best is not None and least.best <= count:  # ties move the broken rule on
                if better:
                    improved = time.perf_counter()
                solution = list(solver.response_proto.solution)
                count = least.best
                place = hood.placement(solution)
                if count <= 0:
                    return solution
        return None

    def _until_stalled(self, least: _Least, budget: float) -> contextlib.AbstractContextManager:
        """Stop the running slice once ``budget`` seconds are spent and the count has
        stopped falling (see COUNT_STALL); before its first placement, at COUNT_FIRST
        times the budget."""
        start = time.perf_counter()

        def stalled() -> bool:
            now = time.perf_counter()
            if least.best is None:
                if now - start < COUNT_FIRST * budget:
                    return False
            else:
                stall = max(COUNT_STALL, (now - start) / 4)  # falls slow down near zero
                if now - start < budget or now - least.improved < stall:
                    return False
            solver = self.running
            if solver is not None:
                solver.StopSearch()
            return True

        return _beside(stalled, "timetable-count-stall")

    def improve(self) -> None:
        """Local search on the preferences from the best timetable, while it helps."""
        if not self.has_obj or self.values is None or (self.objective or 0) <= 1e-9:
            return
        w = self.watch
        w.stop_at_first = False
        det, k, idle = 1.0, 1, 0
        while self.left() > 0.2 and idle < 2 and (self.objective or 0) > 1e-9:
            model = self.b.m
            model.ClearHints()
            for var, val in self.values.items():
                model.AddHint(var, val)
            before = self.objective
            solver = self._solve(
                model,
                self.seed + 100 + k,
                ls=self.workers == 1,
                det=det if self.workers == 1 else None,
            )
            if self.status in _FOUND:
                self._keep(solver, True)
            if self.status == cp_model.OPTIMAL:
                break
            idle = (
                idle + 1
                if self.objective is None or before is None or self.objective >= before - 1e-9
                else 0
            )
            det, k = det * 2, k + 1


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 1,
    seed: int = 0,
    stop_at_first: bool = False,
    on_solution: Callable[[float, float], None] | None = None,
    hints: dict[int, Slot] | None = None,
    stop: Callable[[], bool] | None = None,
    patience: float | None = None,
) -> Result:
    """Place every activity or say why not (see :class:`_Search` for the strategy).

    ``hints``: where activities are now (a repair): the search starts from there, so a
    timetable that one change broke is mended in a fraction of a full search.
    ``stop``: asked about once a second; True ends the search (a cancelled job: the result
    is then 'unknown' or the best timetable so far). ``patience``: once a timetable exists,
    the search ends when the preferences have not improved for that many seconds (a school
    waits seconds, not the whole time limit, for the last few points)."""
    t0 = time.perf_counter()
    if problem.unsupported:
        names = "、".join(f"{k}（{v}件）" for k, v in sorted(problem.unsupported.items()))
        return Result(
            "unsupported",
            reasons=[f"この条件の種類にはまだ対応していません: {names}"],
            wall_seconds=time.perf_counter() - t0,
        )
    prep = Prepared(problem)
    reasons = checks.explain(prep)
    if reasons:
        return Result("infeasible", reasons=reasons, wall_seconds=time.perf_counter() - t0)
    b = _Builder(prep)
    b.build()
    for aid, slot in (hints or {}).items():
        if slot in b.x.get(aid, {}):
            b.m.AddHint(b.x[aid][slot], 1)
    counted = None
    if workers <= 1 and not hints:
        relaxed = _counted(problem)
        if relaxed is not None:
            counted = _Builder(Prepared(relaxed))
            counted.build()
    watch = _Watch(t0, on_solution)
    search = _Search(b, t0 + time_limit, workers, seed, watch, symmetry=not hints, counted=counted)
    with _watchdog(search, stop, patience):
        outcome = search.first(stop_at_first)
        if outcome == "found" and not stop_at_first:
            search.improve()
    if outcome != "found":
        wall = time.perf_counter() - t0
        if outcome == "infeasible":
            reasons = ["すべての条件を同時に満たす時間割はありません。"]
            budget = min(10.0, max(1.0, t0 + time_limit - time.perf_counter()))
            culprits = _relaxations(problem, budget, seed)
            if culprits:
                reasons.append(
                    "次のいずれかの種類の条件を緩めると時間割を作れます: "
                    + "、".join(culprits)
                    + "。"
                )
            return Result("infeasible", reasons=reasons, wall_seconds=time.perf_counter() - t0)
        return Result(
            "unknown",
            reasons=[
                f"{time_limit:g}秒以内に時間割が見つかりませんでした（制限時間を延ばすと見つかる可能性があります）。"
            ],
            wall_seconds=wall,
        )
    first_at = watch.first if watch.first is not None else time.perf_counter() - t0
    placements = _placements(b, search.values or {})
    obj = search.objective if search.objective is not None else float("nan")
    return Result(
        "solved",
        placements=placements,
        soft_total=round(obj, 4),
        objective=obj,
        first_solution_seconds=first_at,
        wall_seconds=time.perf_counter() - t0,
        optimal=obj <= 1e-9,
    )


@contextlib.contextmanager
def _watchdog(
    search: _Search, stop: Callable[[], bool] | None, patience: float | None
) -> Iterator[None]:
    """A thread beside the search that halts it when ``stop()`` says so or when the
    preferences have not improved for ``patience`` seconds (CP-SAT releases the GIL)."""
    if stop is None and patience is None:
        yield
        return
    watch = search.watch
    asked = time.perf_counter()

    def halted() -> bool:
        nonlocal asked
        now = time.perf_counter()
        if stop is not None and now - asked >= 1.0:
            asked = now
            if stop():
                search.halt()
                return True
        stalled = watch.improved is not None and now - watch.improved >= (patience or 1e9)
        if patience is not None and stalled:
            search.halt()
            return True
        return False

    with _beside(halted, "timetable-watchdog"):
        yield


@contextlib.contextmanager
def _beside(check: Callable[[], bool], name: str) -> Iterator[None]:
    """A thread that calls ``check`` every 0.1 s while the block runs, until it returns
    True (CP-SAT releases the GIL while it searches)."""
    done = threading.Event()

    def run() -> None:
        while not done.wait(0.1):
            if check():
                return

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _placements(b: _Builder, values: dict) -> dict[int, Placement]:
    placements = {}
    for aid, xs in b.x.items():
        (d, h) = next(s for s, v in xs.items() if values[v])
        room = b.prep.fixed_room(aid)
        if aid in b.y:
            room = next(r for r, v in b.y[aid].items() if values[v])
        real: tuple[str, ...] = ()
        if room is not None and room in b.real.get(aid, {}):
            real = tuple(next(r for r, v in s.items() if values[v]) for s in b.real[aid][room])
        placements[aid] = Placement(aid, d, h, room, real)
    return placements


def repair(
    problem: Problem,
    current: dict[int, Slot],
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    seed: int = 0,
    stop: Callable[[], bool] | None = None,
) -> Result:
    """Mend a timetable after a change, moving as few lessons as possible.

    The lessons that break a hard rule where they are (a teacher now away, a period gone) or
    have no place yet are freed, with every lesson that shares a teacher or a class with
    them; everything else stays where it is. Solved small, that is a fraction of a full
    search; if it cannot be done, the circle widens (twice), then the whole week is free.
    ``problem`` should carry the preference to stay (``PreferredStarts`` below 100 %) so
    that, inside the circle, moves are few too. The circles share :data:`REPAIR_BUDGET`;
    the whole week (``workers`` in parallel) has what is left of ``time_limit``.
    """
    t0 = time.perf_counter()
    prep = Prepared(problem)
    current = _with_partners(problem, current)
    busy: dict[tuple, list[int]] = defaultdict(list)
    for aid, (d, h) in current.items():
        a = prep.acts.get(aid)
        if a is None:
            continue
        for k in range(a.duration):
            for t in a.teachers:
                busy[("t", t, d, h + k)].append(aid)
            for sg in prep.subgroups[aid]:
                busy[("s", sg, d, h + k)].append(aid)
    broken = {a.id for a in problem.activities if current.get(a.id) not in prep.starts[a.id]}
    broken |= {aid for ids in busy.values() if len(ids) > 1 for aid in ids}
    neighbours: dict[int, set[int]] = defaultdict(set)
    for ids in list(prep.teacher_acts.values()) + list(prep.subgroup_acts.values()):
        for aid in ids:
            neighbours[aid].update(ids)
    end = t0 + time_limit
    free = set(broken)
    for circle in range(3):
        free |= {n for aid in list(free) for n in neighbours[aid]}
        now = time.perf_counter()
        if end - now <= 0.1:
            break
        stay = [
            PreferredStarts(activity_ids=(aid,), slots=frozenset({slot}))
            for aid, slot in current.items()
            if aid not in free and aid in prep.acts
        ]
        narrowed = dataclasses.replace(problem, constraints=[*problem.constraints, *stay])
        # a circle with no mending yet may take its share of the time left (the whole week
        # keeps one); one that has a mending polishes it until the budget only
        polish = min(end, max(t0 + REPAIR_BUDGET, now + REPAIR_FLOOR))
        give_up = max(polish, now + (end - now) / (4 - circle))
        result = _mend(narrowed, current, t0, polish, give_up, seed)
        if result.solved:
            result.wall_seconds = time.perf_counter() - t0
            return result
    left = max(0.5, t0 + time_limit - time.perf_counter())
    result = solve(problem, time_limit=left, workers=workers, seed=seed, hints=current, stop=stop)
    result.wall_seconds = time.perf_counter() - t0
    return result


def _with_partners(problem: Problem, current: dict[int, Slot]) -> dict[int, Slot]:
    """An activity with no place of its own that must start with one that has a place
    (the second place a 合同 lesson takes in a gym for two) is where its partner is: it is
    not broken, so it does not free a circle nor wander over the week."""
    out = dict(current)
    for c in problem.constraints:
        if isinstance(c, SameStart) and c.hard and c.what == "time":
            placed = [out[aid] for aid in c.activity_ids if aid in out]
            if placed:
                for aid in c.activity_ids:
                    out.setdefault(aid, placed[0])
    return out


def _mend(
    problem: Problem,
    hints: dict[int, Slot],
    t0: float,
    polish: float,
    give_up: float,
    seed: int,
) -> Result:
    """One circle of a repair: everything outside it is pinned by a hard start, the moves
    inside cost their weight. One CP-SAT worker with the full linear relaxation
    (``linearization_level`` 2): each broken lesson frees a period that another lesson of
    its class must fill, and that LP bound proves the fewest moves in a fraction of a
    second, which the multi-worker portfolio (its LP worker linearizes less) takes seconds
    to reach and does not prove. One core also leaves the others to the school's users.
    The search stops at ``polish`` (a ``perf_counter`` time) when it has a mending, else at
    its first mending after that, or at ``give_up``."""
    prep = Prepared(problem)
    if checks.explain(prep):
        return Result("infeasible", wall_seconds=time.perf_counter() - t0)
    b = _Builder(prep)
    b.build()
    for aid, slot in hints.items():  # the first mending then moves fewer lessons
        if slot in b.x.get(aid, {}):
            b.m.AddHint(b.x[aid][slot], 1)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.05, give_up - time.perf_counter())
    prm.num_workers = 1
    prm.random_seed = seed
    prm.linearization_level = 2
    # most of a circle's variables are fixed: one presolve pass without probing takes
    # them out; more passes cost a quarter of the time and find nothing more
    prm.max_presolve_iterations = 1
    prm.cp_model_probing_level = 0
    watch = _Watch(t0, None)

    def budget_spent() -> None:
        watch.stop_at_first = True  # set before looking at ``first``: the callback does
        if watch.first is not None:  # the reverse, so one of the two stops the search
            solver.StopSearch()

    timer = threading.Timer(max(0.0, polish - time.perf_counter()), budget_spent)
    timer.start()
    try:
        status = solver.Solve(b.m, watch)
    finally:
        timer.cancel()
    if status not in _FOUND:
        return Result(
            "infeasible" if status == cp_model.INFEASIBLE else "unknown",
            wall_seconds=time.perf_counter() - t0,
        )
    values = {v: solver.BooleanValue(v) for v in _decisions(b)}
    obj = solver.ObjectiveValue() / (SCALE * 100) if b.obj else 0.0
    return Result(
        "solved",
        placements=_placements(b, values),
        soft_total=round(obj, 4),
        objective=obj,
        first_solution_seconds=watch.first,
        wall_seconds=time.perf_counter() - t0,
        optimal=obj <= 1e-9,
    )


KIND_LABELS: dict[type, str] = {
    NotAvailable: "先生・生徒・教室の使えない時間",
    PreferredStarts: "開始時刻の指定",
    PreferredSlots: "時間帯の指定",
    MinDaysBetween: "同じ授業の間をあける日数",
    MaxDaysBetween: "同じ授業の間隔の上限",
    SameStart: "同時に行う授業（合同・選択・分割）",
    NotOverlapping: "重ねてはいけない授業",
    Consecutive: "続けて行う授業",
    Grouped: "まとめて行う授業",
    Ordered: "授業の順序",
    MinGapsBetween: "授業の間の空き",
    EndsStudentsDay: "その日の最後に行う授業",
    MaxSlotsFromSelection: "指定コマの使用上限",
    MaxSimultaneous: "同時に行える授業数の上限",
    MaxHoursDaily: "1日のコマ数の上限",
    MinHoursDaily: "1日のコマ数の下限",
    MaxDaysPerWeek: "週の日数の上限",
    MinDaysPerWeek: "週の日数の下限",
    MaxGaps: "空き時間の上限",
    MaxHoursContinuously: "連続コマ数の上限",
    EarlyMaxBeginningsAtSecondHour: "1校時から始める決まり",
    PreferredRooms: "教室の指定",
    MaxBuildingChanges: "校舎の移動回数の上限",
    MinGapsBetweenBuildingChanges: "校舎を移動する前の空き時間",
    SameRoomIfConsecutive: "続けて行う授業を同じ教室で",
    MaxDifferentRooms: "授業が使う教室の数の上限",
}


KIND_LABELS[MaxSpanPerDay] = "1日の拘束時間（最初から最後のコマまで）の上限"
KIND_LABELS[MinRestingHours] = "前日の最後のコマから翌日の最初のコマまでの空き"
KIND_LABELS[MinGapsBetweenTags] = "授業の種類の間の空き"


def _relaxations(problem: Problem, seconds: float, seed: int) -> list[str]:
    """The kinds of hard rule whose removal alone makes a timetable possible (the solver's
    answer to "which rules conflict", in words the 教務主任 can act on)."""
    deadline = time.perf_counter() + seconds
    kinds = sorted(
        {type(c) for c in problem.constraints if c.hard and type(c) in KIND_LABELS},
        key=lambda k: k.__name__,
    )
    out = []
    for i, kind in enumerate(kinds):
        left = deadline - time.perf_counter()
        if left <= 0.05:
            break
        relaxed = dataclasses.replace(
            problem,
            constraints=[c for c in problem.constraints if not (c.hard and type(c) is kind)],
        )
        prep = Prepared(relaxed)
        if checks.explain(prep):
            continue
        b = _Builder(prep)
        b.build()
        feas = b.m.Clone()
        feas.ClearObjective()
        b.order_interchangeable(feas)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, left / (len(kinds) - i))
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        if solver.Solve(feas) in _FOUND:
            out.append(KIND_LABELS[kind])
    return out


def _fixed(b: _Builder, values: dict) -> cp_model.CpModel:
    """A copy of the full model with every start and room choice fixed to ``values``."""
    fixed = b.m.Clone()
    fixed.ClearHints()
    for var, val in values.items():
        fixed.Add(var == int(val))
    return fixed


def _price(b: _Builder, values: dict, seed: int) -> float | None:
    """The preference cost of a timetable found without the objective."""
    fixed = _fixed(b, values)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30.0
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solver.Solve(fixed)
    if status in _FOUND:
        return solver.ObjectiveValue() / (SCALE * 100)
    return None
