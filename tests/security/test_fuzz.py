"""Fuzzing (issue 10): hostile input to every form, query string and API operation, zero 500s.

``pytest -m fuzz`` (CI runs it; excluded from the default run, see pyproject.toml). Two
fuzzers, bounded to a few minutes together:

- the **form fuzzer** (in-process, inside the test transaction): every POST form the
  board administrator, a principal, a subject teacher and a homeroom teacher see (found
  by walking every page of the URL resolver) is submitted with each hostile value in
  every field at once and in each field alone; every page is also asked with hostile
  query strings and with out-of-range ids in its path. Each case is rolled back to a
  savepoint, so every case starts from the same records;
- **schemathesis** against the OpenAPI schema, over real HTTP to the tests' live server on
  127.0.0.1, as a board administrator and as a teacher (API tokens), in a municipality of
  its own (its writes touch no other test's data).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from bench.synth import shared_strings_bomb
from tenants.models import Municipality
from tests.conftest import TenantClient, _provision, host_of
from tests.security import walk, world

pytestmark = pytest.mark.fuzz

HOSTILE = [
    "²",
    "١٢",
    "abc",
    "\x00",
    "99999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "2026-02-30",
    "x" * 10_000,
    "",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
# Each field alone gets these (all of HOSTILE go into every field at once).
PER_FIELD = ["²", "abc", "99999999999999999999", "x" * 10_000, ""]
FILES = {
    "bomb.xlsx": shared_strings_bomb(5_000_000),
    "nul.csv": b"\x00\x01garbage",
    "empty.xlsx": b"",
    "fake.xlsx": b"PK\x03\x04not really a zip",
}
ROLES = ("boe_admin", "principal", "math_teacher", "homeroom")
# 500s found in code another change owns (attendance is being refactored): reported by this
# test, fixed there. Remove an entry once its fix has landed; the test then holds it.
PENDING: dict[str, str] = {}  # pages whose 500s are known and fixed elsewhere: none
MAX_FIELDS = 15
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def target(muni, other_muni) -> world.World:
    return world.build(muni, other_muni)


class Fuzz:
    def __init__(self) -> None:
        self.cases = 0
        self.statuses: Counter = Counter()
        self.errors: list[str] = []

    def send(self, client: TenantClient, method: str, path: str, data=None) -> None:
        """One case, rolled back afterwards (also when the view left the transaction broken)."""
        savepoint = transaction.savepoint()
        try:
            send = client.get if method == "GET" else client.post
            response = send(path, data or {})
        finally:
            transaction.savepoint_rollback(savepoint)
        self.cases += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            shown = {k: (v[:20] if isinstance(v, str) else v) for k, v in (data or {}).items()}
            self.errors.append(f"{method} {path} {shown} -> {response.status_code}")


def test_every_form_and_page_survives_hostile_input(target):
    fuzz = Fuzz()
    day = target.school_day.isoformat()
    routes = walk.pages(target.ids, day)
    forms: dict[tuple, tuple[str, walk.Form]] = {}
    for role in ROLES:
        client = TenantClient(target.muni, raise_request_exception=False)
        client.force_login(target.users[role])
        for route in routes:
            page = client.get(route.path)
            if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
                continue
            for form in walk.forms_on(page.content.decode(), route.path):
                key = (form.action.split("?")[0], tuple(sorted(form.fields)), tuple(form.files))
                if form.method == "POST" and not key[0].endswith("/logout/"):
                    forms.setdefault(key, (role, form))
    clients = {}
    for role in ROLES:
        clients[role] = TenantClient(target.muni, raise_request_exception=False)
        clients[role].force_login(target.users[role])

    for (_action, names, files), (role, form) in forms.items():
        client = clients[role]
        shown = {k: v for k, v in form.fields.items()}
        for value in HOSTILE:
            fuzz.send(client, "POST", form.action, {name: value for name in names})
        for name in names[:MAX_FIELDS]:
            for value in PER_FIELD:
                fuzz.send(client, "POST", form.action, {**shown, name: value})
        for file_field in files:
            for filename, content in FILES.items():
                upload = SimpleUploadedFile(filename, content)
                fuzz.send(client, "POST", form.action, {**shown, file_field: upload})

    admin = clients["boe_admin"]
    for route in routes:
        for value in HOSTILE:
            fuzz.send(
                admin,
                "GET",
                route.path,
                {n: value for n in (*walk.QUERY_NAMES, "page", "day", "preset")},
            )
        if route.params:
            for bad in ("99999999999999999999", "2147483648", "0"):
                path = route.path
                for key in set(route.params):
                    path = path.replace(f"/{target.ids.get(key, '')}/", f"/{bad}/")
                fuzz.send(admin, "GET", path)
    print(
        f"form fuzzer: {len(forms)} POST forms, {len(routes)} pages, {fuzz.cases} cases, "
        f"500s: {len(fuzz.errors)}; statuses {dict(sorted(fuzz.statuses.items()))}"
    )
    pending = [e for e in fuzz.errors if any(e.split(" ")[1].startswith(p) for p in PENDING)]
    for error in pending:
        print("  pending fix elsewhere:", error[:160])
    assert len(forms) >= 15 and fuzz.cases > 1000
    unexplained = [e for e in fuzz.errors if e not in pending]
    assert not unexplained, "\n".join(unexplained[:50])


# --- schemathesis over real HTTP ----------------------------------------------------------

FUZZ_SITE = ("fuzzsite", "試験市", "399914")


@pytest.fixture(scope="session")
def fuzz_site(django_db_setup, django_db_blocker, live_port):
    """A municipality of its own (committed), with the matrix's world and two API tokens."""
    subdomain, name, code = FUZZ_SITE
    with django_db_blocker.unblock():
        municipality = _provision(subdomain, name, code)
        other = Municipality.objects.get(schema_name="m_tono")
        with schema_context(municipality.schema_name):
            built = world.build(municipality, other)
            tokens = {
                role: Token.objects.get_or_create(user=built.users[role])[0].key
                for role in ("boe_admin", "math_teacher")
            }
            host = host_of(municipality)
            schema = Client(HTTP_HOST=host).get("/api/schema/", {"format": "json"})
        connection.set_schema_to_public()
    return host, tokens, json.loads(schema.content)


@pytest.mark.parametrize("role", ["boe_admin", "math_teacher"])
def test_schemathesis_finds_no_server_error(fuzz_site, live_port, live_url, tmp_path, role):
    """``live_url``: the server thread may reach the database while the test runs."""
    host, tokens, schema = fuzz_site
    ARTIFACTS.mkdir(exist_ok=True)
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema))
    report = tmp_path / "report.json"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(schema_file),
        "--url",
        f"http://127.0.0.1:{live_port}",
        "-H",
        f"Host: {host}",
        "-H",
        f"Authorization: Token {tokens[role]}",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "5",
        "--max-time",
        "45",
        "--phases",
        "examples,fuzzing",
        "--workers",
        "1",
        "--seed",
        "2026",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    try:
        # In tmp_path: schemathesis keeps a cache directory where it runs.
        run = subprocess.run(command, capture_output=True, text=True, timeout=150, cwd=tmp_path)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran over its time budget: {str(exc.stdout)[-3000:]}")
    (Path(ARTIFACTS) / f"schemathesis-{role}.txt").write_text(run.stdout)
    failures = run.stdout[run.stdout.find("FAILURES") :][:8000] if "FAILURES" in run.stdout else ""
    print(run.stdout[run.stdout.find("SUMMARY") :])
    assert run.returncode == 0, failures or run.stdout[-4000:]
