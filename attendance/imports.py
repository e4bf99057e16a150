"""The 出席簿 import's public face (the API plans and commits through it, not through ``excel``).

The file format lives in ``attendance.excel``; this module only names what other layers use:
the plan (a dry run), the commit of the same plan, and the limits of an upload.
"""

from __future__ import annotations

from attendance.excel import (
    IMPORT_LIMITS,
    MarkChange,
    RegisterPlan,
    commit_register_import,
    plan_register_import,
)

__all__ = [
    "IMPORT_LIMITS",
    "MarkChange",
    "RegisterPlan",
    "commit_register_import",
    "plan_register_import",
]
