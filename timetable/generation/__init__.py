"""Timetable generation: a pure model (no ORM) solved with OR-Tools CP-SAT.

``model`` holds the problem and result types, ``solver.solve`` places every activity or
explains why it cannot (``checks``), ``fet`` reads and writes FET files.
"""

from .model import Activity, Placement, Problem, Result, Room
from .solver import solve

__all__ = ["Activity", "Placement", "Problem", "Result", "Room", "solve"]
