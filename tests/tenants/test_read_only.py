"""Read-only mode (issue 13): pages show, every write is refused, and a GET never writes.

- On a **replica** (``AI_READ_ONLY``, the connection refusing writes as a hot standby does:
  ``transaction_read_only = on``): every page and API list of the isolation walk answers as
  it does on the primary, for a teacher, a principal and a board member, with sessions made
  before and with a new sign-in.
- With the **operators' switch**: every form the administrators see and every API write is
  refused with a 503 (a page, or the API's JSON error shape), an import's confirmation and
  a job's queueing too, and nothing changes in the database.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from schools.models import AuditEvent, PendingUpload
from tenants import readonly
from tenants.jobs.models import Job
from tenants.models import Municipality, PlatformEvent
from tests.conftest import TenantClient
from tests.factories import PASSWORD
from tests.security import matrix, walk, world

WALKERS = ("homeroom", "principal", "boe_admin")  # a teacher, a principal, the board
REASON = "サーバー移行作業のため"


@pytest.fixture
def target(muni, other_muni) -> world.World:
    return world.build(muni, other_muni)


def _client(target: world.World, role: str) -> TenantClient:
    c = TenantClient(target.muni, raise_request_exception=False)
    c.force_login(target.users[role])
    return c


def _gets(target: world.World) -> list[str]:
    """Every page (bare and with the target's ids as query) and every API GET of the walk."""
    day = target.school_day.isoformat()
    query = walk.standard_query(target.ids, day)
    paths = []
    for route in walk.pages(target.ids, day):
        paths += [route.path, f"{route.path}?{query}"]
    admin = _client(target, "boe_admin")
    schema = json.loads(admin.get("/api/schema/", {"format": "json"}).content)
    for route in walk.api_operations(schema, target.ids, day):
        if route.methods[0] == "GET":
            paths.append(f"{route.path}?{route.query or query}")
    return paths


def _isolated(request):
    """One request in a savepoint always rolled back: a refused write cannot poison the rest."""
    with transaction.atomic():
        response = request()
        transaction.set_rollback(True)
    return response


def _set_read_only(muni: Municipality, on: bool, reason: str = REASON) -> None:
    readonly.set_read_only([Municipality.objects.get(pk=muni.pk)], on, reason=reason, actor="t")


# --- a replica: the database refuses every write --------------------------------------------


def test_every_page_and_api_list_shows_on_a_replica(target, settings):
    paths = _gets(target)
    clients = {role: _client(target, role) for role in WALKERS}  # sessions made before
    primary = {
        (role, path): _isolated(lambda c=c, path=path: c.get(path)).status_code
        for role, c in clients.items()
        for path in paths
    }
    problems, shown = [], 0
    with transaction.atomic():  # undone afterwards
        with connection.cursor() as cursor:
            # From here on PostgreSQL refuses every write, exactly as a hot standby does.
            cursor.execute("SET LOCAL transaction_read_only = on")
        settings.AI_READ_ONLY = True
        for (role, path), before in primary.items():
            response = _isolated(lambda role=role, path=path: clients[role].get(path))
            if response.status_code != before:
                problems.append(f"{role} GET {path}: {before} -> {response.status_code}")
            shown += response.status_code == 200
        # A new sign-in works on the replica (the session is a signed cookie).
        fresh = TenantClient(target.muni, raise_request_exception=False)
        username = target.users["homeroom"].get_username()
        wrong = _isolated(lambda: fresh.post("/login/", {"username": username, "password": "x"}))
        assert wrong.status_code == 200  # the form again, counted in the cache
        signed_in = _isolated(
            lambda: fresh.post("/login/", {"username": username, "password": PASSWORD})
        )
        assert signed_in.status_code == 302, signed_in.content.decode()[:500]
        assert ":" in fresh.cookies["ai_session"].value  # signed data, not a table's key
        home = _isolated(lambda: fresh.get("/"))
        assert home.status_code == 200 and "読み取り専用" in home.content.decode()
        assert _isolated(lambda: fresh.post("/logout/")).status_code == 302
        # A write is refused with the page, not a 500 from the database.
        refused = _isolated(lambda: clients["principal"].post("/roster/io/import/confirm/", {}))
        assert refused.status_code == 503 and "読み取り専用" in refused.content.decode()
        with pytest.raises(DatabaseError), transaction.atomic():  # the mode really refuses
            AuditEvent.objects.create(action="x")
        transaction.set_rollback(True)
    print(f"replica walk: {len(primary)} requests, {shown} shown (200)")
    assert len(primary) > 500 and shown > 300
    assert not problems, "\n".join(problems)


def test_a_replica_refuses_the_switch_itself(muni, settings):
    settings.AI_READ_ONLY = True
    with pytest.raises(readonly.ReadOnlyRefused, match="複製"):
        _set_read_only(muni, True)
    with pytest.raises(CommandError, match="複製"):
        call_command("read_only", muni.code, "on")


def test_a_session_made_on_a_replica_moves_into_the_table_on_the_primary(target, settings):
    from django.contrib.sessions.models import Session

    from config.sessions import SessionStore

    c = TenantClient(target.muni, raise_request_exception=False)
    settings.AI_READ_ONLY = True
    user = target.users["principal"]
    login = {"username": user.get_username(), "password": PASSWORD}
    assert c.post("/login/", login).status_code == 302
    signed = c.cookies["ai_session"].value
    assert ":" in signed and not Session.objects.exists()  # nothing in the table
    assert type(user).objects.get(pk=user.pk).last_login == user.last_login  # not written
    settings.AI_READ_ONLY = False
    assert c.get("/").status_code == 200  # the signed session is read on the primary too
    session = SessionStore(signed)
    assert session["_auth_user_id"] == str(user.pk)
    session["ai_last_seen"] = 0
    session.save()  # its next change moves it into the table
    assert (
        ":" not in session.session_key
        and Session.objects.filter(session_key=session.session_key).exists()
    )
    forged = signed[:-3] + ("AAA" if not signed.endswith("AAA") else "BBB")
    assert SessionStore(forged).load() == {}  # a bad signature is an empty session


# --- the operators' switch: every write refused, nothing changed ------------------------------


def _counts() -> dict[str, int]:
    return {
        "audit": AuditEvent.objects.count(),
        "jobs": Job.objects.count(),
        "pending": PendingUpload.objects.count(),
    }


def _refused(response) -> bool:
    """A 503 saying why: the API's JSON error shape, or the page."""
    if response.status_code != 503:
        return False
    if response["Content-Type"].startswith("application/json"):
        error = response.json().get("error", {})
        return error.get("code") == "read_only" and REASON in error.get("message", "")
    page = response.content.decode()
    return "読み取り専用のため保存できません" in page and REASON in page


def test_every_write_is_refused_and_nothing_changes(target):
    day = target.school_day.isoformat()
    page_routes = walk.pages(target.ids, day)
    forms = matrix.harvest(target, page_routes)
    admin = _client(target, "boe_admin")
    schema = json.loads(admin.get("/api/schema/", {"format": "json"}).content)
    api_writes = [r for r in walk.api_operations(schema, target.ids, day) if r.methods[0] != "GET"]
    bodies = {r.path: admin.get(r.path).content for r in api_writes if r.params}
    clients = {role: _client(target, role) for role in ("boe_admin", "principal")}
    _set_read_only(target.muni, True)
    before, counts = matrix.fingerprint(), _counts()
    problems, posts = [], 0
    for role, c in clients.items():
        for route in page_routes:
            if route.name.rsplit(":", 1)[-1] in ("login", "logout", "set_language"):
                continue
            for data in forms.get(route.path, [{}]):
                response = c.post(route.path, data)
                posts += 1
                if route.name == "accounts:mfa-verify":
                    continue  # signing in stays possible while the database accepts writes
                if not _refused(response):
                    problems.append(f"{role} POST {route.path}: {response.status_code}")
        for route in api_writes:
            method = route.methods[0]
            body = bodies.get(route.path, b"{}")
            response = c.generic(method, route.path, body, content_type="application/json")
            if not _refused(response):
                problems.append(f"{role} {method} {route.path}: {response.status_code}")
    assert posts > 60 and len(api_writes) > 20
    assert not problems, "\n".join(problems)
    assert matrix.fingerprint() == before
    # The session's table aside, nothing was written: no record, no job, no pending upload.
    assert _counts() == counts


def test_an_import_confirmation_and_a_job_are_refused(target, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from schools.models import Student
    from tests.schools.roster_files import xlsx

    settings.MEDIA_ROOT = tmp_path
    principal = _client(target, "principal")
    school, year = target.ids["school"], target.ids["year_pk"]
    rows = [[1, "1組", 40, "山田 太郎", "やまだ たろう", "男", "2019/5/3", "P0001"]]
    preview = principal.post(
        "/roster/io/import/",
        {"school": school, "year": year, "file": SimpleUploadedFile("名簿.xlsx", xlsx(rows))},
    )
    assert preview.status_code == 200
    import re

    fields = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode())
    )
    assert fields.get("token"), preview.content.decode()
    board = _client(target, "boe_admin")
    _set_read_only(target.muni, True)
    students, counts = Student.objects.count(), _counts()
    confirm = principal.post("/roster/io/import/confirm/", fields)
    assert confirm.status_code == 503 and REASON in confirm.content.decode()
    job = board.post(f"/attendance/overview/figures.xlsx?year={target.ids['year']}")
    assert job.status_code == 503 and "出力の予約" in job.content.decode()
    assert Student.objects.count() == students and _counts() == counts
    # A job queued without a request (a service, a command) is refused too.
    from attendance import jobs as attendance_jobs
    from schools.models import SchoolYear
    from schools.permissions import actor_for_user

    connection.tenant = Municipality.objects.get(pk=target.muni.pk)
    try:
        with pytest.raises(readonly.ReadOnlyRefused, match="読み取り専用"):
            attendance_jobs.start_municipality_export(
                SchoolYear.objects.get(pk=year), by=actor_for_user(target.users["boe_admin"])
            )
    finally:
        connection.tenant = target.muni
    assert Job.objects.count() == counts["jobs"]
    _set_read_only(target.muni, False)
    assert principal.post("/roster/io/import/confirm/", fields).status_code == 302  # still there
    assert Student.objects.filter(student_number="P0001").exists()


def test_pages_print_and_download_with_a_banner_and_the_access_log_in_the_log(target, caplog):
    day = target.school_day.isoformat()
    by_name = {r.name: r.path for r in walk.pages(target.ids, day)}
    _set_read_only(target.muni, True)
    board = _client(target, "boe_admin")
    audit_rows = AuditEvent.objects.count()
    home = board.get("/").content.decode()
    assert "現在、富士吉田市は読み取り専用です" in home and REASON in home
    caplog.set_level(logging.INFO, logger="ai.access")
    wanted = ["attendance:register", "gradebook:report-card", "gradebook:report-cards"]
    wanted += ["attendance:register-export", "schools:student-detail"]
    for name in wanted:
        path = next((p for n, p in by_name.items() if n == name), None)
        assert path is not None, (name, sorted(by_name))
        response = board.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if "html" in response["Content-Type"]:
            assert "readonly-banner" in response.content.decode()
    assert AuditEvent.objects.count() == audit_rows  # no row: the log line instead
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ai.access"]
    actions = {line["action"] for line in lines}
    assert {"schools.student.view", "gradebook.report_card.view"} <= actions, actions
    assert any(a.endswith(".export") for a in actions), actions
    assert all(line["actor"] and line["schema"] == target.muni.schema_name for line in lines)
    _set_read_only(target.muni, False)
    assert "readonly-banner" not in board.get("/").content.decode()
    board.get(by_name["schools:student-detail"])
    assert AuditEvent.objects.count() == audit_rows + 1  # back in the table


# --- how operators switch it -------------------------------------------------------------------


@pytest.fixture
def operator_client(db) -> Client:
    connection.set_schema_to_public()
    operator = get_user_model().objects.create_user("ro-op", password=PASSWORD, is_staff=True)
    c = Client(HTTP_HOST="localhost")
    c.force_login(operator)
    return c


def test_operators_switch_one_or_all_from_their_page(operator_client, muni):
    muni_pk = muni.pk
    response = operator_client.post(
        f"/municipalities/{muni_pk}/read-only/", {"state": "on", "reason": REASON}
    )
    assert response.status_code == 302
    row = Municipality.objects.get(pk=muni_pk)
    assert row.read_only and row.read_only_reason == REASON and row.read_only_since
    event = PlatformEvent.objects.filter(action="read_only_on").latest("at")
    assert event.actor == "ro-op" and event.detail == {"reason": REASON}
    page = operator_client.get("/").content.decode()
    assert "読み取り専用を解除" in page and "すべて読み取り専用にする" in page
    operator_client.post("/municipalities/read-only/", {"state": "on", "reason": "停電"})
    everyone = Municipality.objects.exclude(schema_name="public")
    assert all(m.read_only for m in everyone)
    assert not Municipality.objects.get(schema_name="public").read_only  # their own site
    operator_client.post("/municipalities/read-only/", {"state": "off"})
    assert not any(m.read_only for m in Municipality.objects.all())
    assert PlatformEvent.objects.filter(action="read_only_off").count() >= everyone.count()


def test_the_command_switches_one_or_all(muni, capsys):
    call_command("read_only", muni.code, "on", "--reason", REASON)
    assert Municipality.objects.get(pk=muni.pk).read_only
    assert "読み取り専用" in capsys.readouterr().out
    call_command("read_only", "--all", "off")
    assert not Municipality.objects.filter(read_only=True).exists()
    with pytest.raises(CommandError):
        call_command("read_only", "999999", "on")
    with pytest.raises(CommandError):
        call_command("read_only", muni.code, "--all", "on")
