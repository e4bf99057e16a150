"""The last step to a timetable, by large neighbourhoods (the counted model's mending).

Local search on the counted model (the hard rules, the gap rules counted: see
``solver._counted``) falls fast and then stalls one to a dozen broken gap rules short of a
timetable (Orar_5_3, DGS-Pro, Bethlen): it restarts from nothing each slice and its
one-variable moves cannot swap a teacher's lesson with another class's. FET's swap chains
take that step. This does it with CP-SAT: from the best placement, one step frees the
lessons on two days (three once two are too small) of the teachers and classes around one
broken rule, keeps every other lesson where it is, and lets the tree search place the
freed ones with the whole old timetable as its hint. A freed set is first small (60
lessons) and grows when CP-SAT proves it holds nothing better, shrinks when the search ran
out of time; a step that ties is kept too, so the broken rule moves on.

It reads the builder and a solution (CP-SAT's values of every variable of the counted
model) and writes nothing: the loop, its budget and its stopping rule are
``solver._Search._mend_count``'s.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from .model import MaxGaps, Slot

if TYPE_CHECKING:
    from .solver import _Builder

FIRST_SIZE = 60.0  # lessons freed by the first step
GROW, SHRINK = 1.3, 0.8


class DayNeighbourhoods:
    """One counted model's mending: which lessons the next step frees."""

    def __init__(self, b: _Builder, seed: int) -> None:
        self.b = b
        self.rng = random.Random(seed)
        self.size = FIRST_SIZE
        self.gap_rules = [c for c in b.p.constraints if isinstance(c, MaxGaps)]
        self.keys_of: dict[int, set[tuple]] = {}
        for key, aids in b.key_acts.items():
            for aid in aids:
                self.keys_of.setdefault(aid, set()).add(key)

    def placement(self, solution: list[int]) -> dict[int, Slot]:
        return {
            aid: next(slot for slot, v in xs.items() if solution[v.Index()])
            for aid, xs in self.b.x.items()
        }

    def broken(self, place: dict[int, Slot]) -> list[tuple[tuple, int]]:
        """(teacher or class, day) for each day whose gaps take part in a broken gap rule."""
        b, out = self.b, []
        for c in self.gap_rules:
            for key, aids, blocked in b.entities(c):
                per_day = [0] * b.D
                for d in range(b.D):
                    busy = {
                        place[a][1] + k
                        for a in aids
                        if place[a][0] == d
                        for k in range(b.prep.acts[a].duration)
                    }
                    open_hours = [h for h in range(b.H) if (d, h) not in blocked]
                    taken = [i for i, h in enumerate(open_hours) if h in busy]
                    if taken:
                        per_day[d] = taken[-1] - taken[0] + 1 - len(taken)
                if c.per == "day":
                    out += [(key[:2], d) for d, g in enumerate(per_day) if g > c.max_gaps]
                elif sum(per_day) > c.max_gaps:
                    out += [(key[:2], d) for d, g in enumerate(per_day) if g > 0]
        return out

    def pick(
        self, place: dict[int, Slot], broken: list[tuple[tuple, int]]
    ) -> tuple[set[int], set[int]]:
        """The lessons to free and the days they may move between."""
        b, rng = self.b, self.rng
        key, day = rng.choice(broken)
        days = {day, rng.choice([d for d in range(b.D) if d != day] or [day])}
        if self.size >= sum(1 for s in place.values() if s[0] in days) and len(days) < b.D:
            days.add(rng.choice([d for d in range(b.D) if d not in days]))

        def on_days(k: tuple) -> set[int]:
            return {a for a in b.key_acts[k] if place[a][0] in days}

        seen, frontier, free = {key}, [key], on_days(key)
        # breadth first over "shares a lesson with": the rule's owner, their classes or
        # teachers, theirs, ... until the freed set is large enough
        while frontier and len(free) < self.size:
            nxt = sorted({k for e in frontier for a in on_days(e) for k in self.keys_of[a]} - seen)
            rng.shuffle(nxt)
            frontier = []
            for k in nxt:
                seen.add(k)
                frontier.append(k)
                free |= on_days(k)
                if len(free) >= self.size:
                    break
        return free, days

    def model(
        self, solution: list[int], place: dict[int, Slot], free: set[int], days: set[int]
    ) -> cp_model.CpModel:
        """The counted model with every lesson outside ``free`` fixed where it is, the freed
        ones kept to ``days``, and the whole current solution as the hint."""
        b = self.b
        m = b.m.Clone()
        proto = m.Proto()
        variables = proto.variables

        def fix(v: cp_model.IntVar, value: int) -> None:
            domain = variables[v.Index()].domain
            domain[0] = domain[1] = value

        for aid, xs in b.x.items():
            if aid in free:
                for slot, v in xs.items():
                    if slot[0] not in days:
                        fix(v, 0)
            else:
                for slot, v in xs.items():
                    fix(v, int(slot == place[aid]))
        for aid, ys in b.y.items():
            if aid not in free:
                for v in ys.values():
                    fix(v, solution[v.Index()])
        hint = proto.solution_hint
        hint.vars.extend(range(len(solution)))
        hint.values.extend(solution)
        return m

    def learn(self, improved: bool, proved: bool) -> None:
        """A step proved nothing better inside its set: look wider; one that ran out of
        time: narrower."""
        if improved:
            return
        if proved:
            self.size = min(self.size * GROW, float(len(self.b.x)))
        else:
            self.size = max(self.size * SHRINK, 20.0)
