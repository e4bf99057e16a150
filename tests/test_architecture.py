"""The architecture of ARCHITECTURE.md, enforced: import contracts, a faceless API, one audit
vocabulary. These run in CI with the rest of the suite (and `make lint` runs the contracts)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from schools import audit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "tenants", "schools", "attendance", "gradebook", "timetable", "api")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the core must not know the domain apps built on it
        ("schools/_probe.py", "import gradebook.models\n", "schools is not allowed to import"),
        # domain apps do not reach into each other
        ("attendance/_probe.py", "from gradebook import queries\n", "not allowed to import"),
        # the platform knows nothing of schools
        ("tenants/_probe.py", "from schools.models import School\n", "tenants knows nothing"),
        # the API is no face over pages
        ("api/_probe.py", "from attendance import views\n", "not over pages"),
    ],
)
def test_a_forbidden_import_breaks_the_contracts(tmp_path, module, line, broken):
    """Someone adds a forbidden import: the check fails and names the contract."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "locale"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).returncode == 0  # the copy itself is clean
    (tmp_path / module).write_text(line)
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout


WRITES = re.compile(r"\.(save|delete|update|create|bulk_create|bulk_update|get_or_create)\(")


def test_the_api_writes_only_through_services():
    """api/ is a face over services and queries: no model writes and no SQL of its own."""
    offenders = []
    for path in sorted((ROOT / "api").glob("*.py")):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if WRITES.search(text) or "cursor(" in text or ".raw(" in text:
                offenders.append(f"{path.name}:{number}: {text.strip()}")
    assert offenders == []


def _recorded_actions() -> list[tuple[str, str]]:
    """(place, action) of every literal action passed to audit.record / record_export."""
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("record", "record_export")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"
                    and len(node.args) >= 2
                ):
                    action = node.args[1]
                    # a literal, or a choice of two literals (f-strings are checked at run time)
                    choices = (
                        [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
                    )
                    for value in choices:
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", value.value))
    return found


def test_every_recorded_audit_action_is_registered_with_a_japanese_label():
    recorded = _recorded_actions()
    assert len(recorded) > 40  # the scan finds the services' records
    unknown = [(place, action) for place, action in recorded if action not in audit.ACTIONS]
    assert unknown == []
    for code, label in audit.ACTIONS.items():
        assert audit.ACTION_GRAMMAR.match(code), code
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", label), (code, label)


def test_an_unregistered_action_is_refused(db):
    with pytest.raises(audit.UnknownAction):
        audit.record(None, "schools.nothing.happened")
    with pytest.raises(ValueError):
        audit.register("NoGrammar", "文法なし")


PURE = [
    "timetable/rules.py",
    "timetable/national.py",
    "attendance/rules.py",
    "gradebook/rules.py",
    "schools/calendar_rules.py",
    *[str(p.relative_to(ROOT)) for p in (ROOT / "timetable" / "generation").glob("*.py")],
]


@pytest.mark.parametrize("module", PURE)
def test_domain_rules_and_the_solver_are_pure(module):
    """Rules in, answers out: no ORM, no Django, no I/O (tested and benchmarked alone; the
    solver runs on any worker machine)."""
    tree = ast.parse((ROOT / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & {"django", "rest_framework", "psycopg", "tenants", "api"}, imported
