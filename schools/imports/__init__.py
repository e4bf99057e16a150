"""Spreadsheet imports of the roster: preview (a dry run), then commit of the same plan.

- ``base``: what every import plan shares (errors with sheet/row/column, counts,
  fingerprint, one transaction with its audit record);
- ``roster``: 名簿 (students, their classes and roll numbers) of one school and year;
- ``staff``: 教職員 accounts and their roles of a year;
- ``store``: the uploaded file between the preview and the confirmation.
"""

from schools.imports.base import ImportPlan, ImportRefused
from schools.imports.roster import (
    ROSTER_LIMITS,
    PlannedRow,
    RosterPlan,
    commit_roster_import,
    plan_roster_import,
)
from schools.imports.staff import STAFF_LIMITS, StaffPlan, commit_staff_import, plan_staff_import
from schools.imports.store import (
    PendingRefused,
)

__all__ = [
    "ROSTER_LIMITS",
    "STAFF_LIMITS",
    "ImportPlan",
    "ImportRefused",
    "PendingRefused",
    "PlannedRow",
    "RosterPlan",
    "StaffPlan",
    "commit_roster_import",
    "commit_staff_import",
    "plan_roster_import",
    "plan_staff_import",
]
