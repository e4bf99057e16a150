"""The gradebook meets the core only through its public modules, and no other domain app."""

from __future__ import annotations

import ast
from pathlib import Path

import gradebook

# schools' public modules (calendar: the school calendar's public interface, moving into schools)
PUBLIC_SCHOOLS = {
    "models",
    "permissions",
    "audit",
    "spreadsheets",
    "calendar",
    "signals",
    "national",
    "wareki",  # 和暦 dates (the 修了証), a pure helper like national
    "leaving",  # the archive's table declarations (portability.py), issue 13
}
DOMAIN_APPS = {"attendance", "timetable"}
# the attendance figures of the 通知表 are being moved onto schools.calendar (another change)
PENDING = {("reportcards.py", "attendance")}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_gradebook_imports_only_public_schools_modules_and_no_other_domain_app():
    root = Path(gradebook.__file__).parent
    problems = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in imports(path):
            parts = name.split(".")
            if parts[0] == "schools" and len(parts) > 1 and parts[1] not in PUBLIC_SCHOOLS:
                problems.append(f"{path.name}: {name}")
            if parts[0] in DOMAIN_APPS and (path.name, parts[0]) not in PENDING:
                problems.append(f"{path.name}: {name}")
    assert not problems, problems
