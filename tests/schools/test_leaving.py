"""Leaving with all the data: the board's download, and its archive back in an empty municipality.

The demo municipality (都留市, committed once per session) is exported through the page and
the job; a new municipality is provisioned, the archive imported by the command, and then
every table is compared row for row and the pages are compared over HTTP, logged in as the
same people (their passwords are set here: an archive carries none).
"""

from __future__ import annotations

import difflib
import io
import json
import re
import zipfile
from collections import deque

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from schools.leaving import archive, excluded, tables
from schools.models import AuditEvent
from tenants import demo, jobs, provisioning
from tenants.codes import check_digit
from tests.conftest import TenantClient
from tests.factories import PASSWORD

DOMAIN_APPS = {"schools", "accounts", "attendance", "gradebook", "timetable"}
SECRETS = {
    "accounts_apitoken",
    "authtoken_token",
    "django_session",
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "schools_pendingupload",
}


def _code(prefix: str) -> str:
    return prefix + str(check_digit(prefix))


def rows_of(skip_audit_ids: set[int] = frozenset()) -> dict[str, list[tuple]]:
    """Every archived table's rows (secret columns left out), in primary-key order."""
    found = {}
    with connection.cursor() as cursor:
        for table in tables():
            meta = table.model._meta
            columns = [f.column for f in table.model._meta.local_concrete_fields]
            columns = [f'"{c}"' for c in columns if c not in table.omit]
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {meta.db_table} ORDER BY {meta.pk.column}"
            )
            rows = cursor.fetchall()
            if meta.db_table == "schools_auditevent":
                rows = [r for r in rows if r[0] not in skip_audit_ids]
            found[meta.db_table] = rows
    return found


def export_through_the_page(municipality) -> bytes:
    with schema_context(municipality.schema_name):
        admin = get_user_model().objects.get(username="boe-admin")
    client = TenantClient(municipality)
    client.force_login(admin)
    page = client.get("/roster/io/export/all/")
    assert page.status_code == 200 and "OneRoster" in page.content.decode()
    response = client.post("/roster/io/export/all/")
    assert response.status_code == 302, response
    with schema_context(municipality.schema_name):
        job = jobs.run_now(jobs.find(int(response.url.strip("/").rsplit("/", 1)[-1])))
        assert job.state == "succeeded", job.error
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    return download.content


def test_every_table_is_archived_or_left_out_with_a_reason(demo_muni):
    archived = {t.model._meta.db_table for t in tables()}
    reasons = excluded()
    skipped = archive.skipped_tables()
    assert set(archive.schema_tables()) == archived | set(skipped)
    # every table of the domain apps is in the archive or named by its app with the reason
    from django.apps import apps

    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            name = model._meta.db_table
            assert name in archived or name in reasons, name
    assert set(skipped) >= SECRETS and set(reasons) >= SECRETS
    users = next(t for t in tables() if t.model._meta.db_table == "auth_user")
    assert users.omit == ("password",)


def test_the_download_holds_workbooks_archive_and_oneroster(demo_muni):
    content = export_through_the_page(demo_muni)
    bundle = zipfile.ZipFile(io.BytesIO(content))
    names = bundle.namelist()
    for folder in ("表計算/名簿/", "表計算/出欠/", "表計算/成績/", "表計算/時間割/"):
        assert any(n.startswith(folder) and n.endswith(".xlsx") for n in names), folder
    assert "archive/datapackage.json" in names and "oneroster/manifest.csv" in names
    descriptor = json.loads(bundle.read("archive/datapackage.json"))
    assert descriptor["profile"] == "tabular-data-package"
    assert "password" in descriptor["description"]
    for resource in descriptor["resources"]:
        assert resource["path"] == f"data/{resource['name']}.csv"
        assert re.fullmatch(r"[-a-z0-9._/]+", resource["name"])
        schema = resource["schema"]
        assert schema["primaryKey"] and all(
            f["name"] and f["type"] and f["description"] for f in schema["fields"]
        ), resource["name"]
        header = bundle.open(f"archive/{resource['path']}").readline().decode().strip()
        assert header.split(",") == [f["name"] for f in schema["fields"]]
    users = next(r for r in descriptor["resources"] if r["name"] == "auth_user")
    assert "password" not in [f["name"] for f in users["schema"]["fields"]]
    marks = next(r for r in descriptor["resources"] if r["name"] == "attendance_mark")
    assert {
        "fields": ["enrolment_id"],
        "reference": {"resource": "schools_enrolment", "fields": ["id"]},
    } in marks["schema"]["foreignKeys"]
    assert AuditEvent.objects.filter(action="schools.municipality_data.export").exists()


def test_only_the_board_administrators_take_all_the_data(demo_muni, client_for):
    User = get_user_model()
    for username in ("principal-es1", "teacher-es1-1-1"):
        client = client_for(demo_muni, User.objects.get(username=username))
        assert client.get("/roster/io/export/all/").status_code == 403
        assert client.post("/roster/io/export/all/").status_code == 403
    anonymous = TenantClient(demo_muni)
    assert anonymous.get("/roster/io/export/all/").status_code == 302  # to the login
    # the job asks again when it runs: a board viewer's request is refused
    from schools.jobs import start_municipality_data
    from schools.permissions import actor_for_user

    teacher = actor_for_user(User.objects.get(username="teacher-es1-1-1"))
    with pytest.raises(Exception, match="管理者"):
        start_municipality_data(by=teacher)


# --- back into an empty municipality -------------------------------------------------------------

LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = re.compile(
    r"^/(static|i18n|logout|api/docs|jobs|roster/audit|account)|\.(xlsx|csv)(\?|$)|/export|/download"
)
VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'content="[A-Za-z0-9]{64}"'),  # the CSRF token in <meta>
    re.compile(r'data-csrf="[^"]*"'),
    re.compile(r"作成 \d+月\d+日 \d+:\d+"),  # when a printed notice was made
]


def shape(url: str) -> str:
    return re.sub(r"\d+", "N", url)


def crawl(client, limit: int = 30) -> list[str]:
    """Pages a person reaches by links from each app's start page (one per URL shape), GET only."""
    seen: list[str] = []
    shapes: set[str] = set()
    for start in ("/", "/attendance/", "/grades/", "/timetable/", "/roster/"):
        queue, found = deque([start]), 0
        while queue and found < limit:
            url = queue.popleft()
            if url in seen or shape(url) in shapes:
                continue
            shapes.add(shape(url))
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            seen.append(url)
            found += 1
            for link in LINK.findall(response.content.decode()):
                link = link.replace("&amp;", "&")
                if not SKIP.search(link):
                    queue.append(link)
    return seen


def normalised(body: bytes, names: tuple[str, ...]) -> str:
    text = body.decode()
    for pattern in VOLATILE:
        text = pattern.sub("", text)
    for name in names:
        text = text.replace(name, "<municipality>")
    return text


def login(municipality, username: str) -> TenantClient:
    """A real login over HTTP (password, loopback exempt from the second factor)."""
    client = TenantClient(municipality)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_the_archive_imports_into_an_empty_municipality_with_the_same_pages(demo_muni, tmp_path):
    content = export_through_the_page(demo_muni)
    with schema_context(demo_muni.schema_name):
        # the export's own record comes after the archive was written
        export = AuditEvent.objects.filter(action="schools.municipality_data.export")
        before = rows_of(skip_audit_ids=set(export.values_list("pk", flat=True)))
        people = ["boe-admin", "teacher-es1-1-1", "math-jh1", "principal-jh1"]
        for user in get_user_model().objects.filter(username__in=people):
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
    source = {name: login(demo_muni, name) for name in people}
    visited = {name: crawl(client) for name, client in source.items()}
    pages = {
        (name, url): source[name].get(url).content for name, urls in visited.items() for url in urls
    }
    shapes = {shape(url) for urls in visited.values() for url in urls}
    for wanted in (
        "/attendance/class/N/",  # the class's attendance
        "/roster/classes/N/",  # a class's pupils
        "/timetable/schools/N/",  # the timetable
    ):
        assert any(s.startswith(wanted) for s in shapes), (wanted, sorted(shapes))
    assert any(s.startswith("/grades/") and "N" in s for s in shapes), sorted(shapes)
    assert any("/register/" in s or "/month/" in s for s in shapes), sorted(shapes)  # 出席簿

    connection.set_schema_to_public()
    target = provisioning.provision(
        provisioning.NewMunicipality(
            name="移行先市",
            code=_code("19206"),
            subdomain="ikosaki",
            admin_username="ikosaki-admin",
            admin_password="Ikosaki-pass-2026",
            admin_name="移行 太郎",
        ),
        actor="pytest",
    )
    demo.exempt_loopback(target)
    path = tmp_path / "all.zip"
    path.write_bytes(content)
    call_command("import_archive", str(path), "--into", target.code)

    with schema_context(target.schema_name):
        imported = AuditEvent.objects.filter(action="schools.archive.import")
        assert imported.count() == 1
        after = rows_of(skip_audit_ids={imported.get().pk})
        assert not get_user_model().objects.exclude(password__startswith="!").exists()
        assert not get_user_model().objects.filter(username="ikosaki-admin").exists()
        for user in get_user_model().objects.filter(username__in=people):
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table

    names = (demo_muni.name, target.name, demo_muni.schema_name, target.schema_name)
    copy = {name: login(target, name) for name in people}
    differing = []
    for (name, url), body in pages.items():
        response = copy[name].get(url)
        assert response.status_code == 200, (name, url)
        if normalised(response.content, names) != normalised(body, names):
            ours = normalised(response.content, names).splitlines()
            theirs = normalised(body, names).splitlines()
            diff = list(difflib.unified_diff(theirs, ours, lineterm="", n=0))[:8]
            differing.append((name, url, diff))
    assert not differing, differing[:3]
    assert len(pages) > 20


def test_a_foreign_or_damaged_archive_or_a_municipality_with_data_is_refused(demo_muni, tmp_path):
    content = archive.archive_bytes(municipality={"code": demo_muni.code, "name": "都留市"})
    refusals = {
        "not a zip": (b"this is not a zip", "ZIP形式"),
        "no descriptor": (_zip({"data/x.csv": b"id\n1\n"}), "datapackage.json"),
        "foreign descriptor": (_zip({"datapackage.json": b'{"name": "other"}'}), "Aiの全データ"),
        "other version": (_edit(content, migrations=["schools.9999_future"]), "別のバージョン"),
        "damaged data": (_damage(content, "data/schools_student.csv"), "壊れています"),
        "truncated data": (_truncate(content, "data/attendance_mark.csv"), "壊れています"),
        "truncated zip": (content[: len(content) // 2], "ZIP形式"),
    }
    connection.set_schema_to_public()
    target = provisioning.provision(
        provisioning.NewMunicipality(
            name="移行先町",
            code=_code("19207"),
            subdomain="ikosaki2",
            admin_username="ikosaki-admin",
            admin_password="Ikosaki-pass-2026",
            admin_name="移行 花子",
        ),
        actor="pytest",
    )
    for label, (data, message) in refusals.items():
        path = tmp_path / f"{label}.zip"
        path.write_bytes(data)
        with pytest.raises(CommandError, match=message):
            call_command("import_archive", str(path), "--into", target.code)
    with schema_context(target.schema_name):
        # nothing changed: the provisioned administrator is still there
        assert get_user_model().objects.filter(username="ikosaki-admin").exists()
    # into a municipality that has schools: refused, the demo is untouched
    path = tmp_path / "good.zip"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="空ではありません"):
        call_command("import_archive", str(path), "--into", demo_muni.code)
    with pytest.raises(CommandError, match="自治体がありません"):
        call_command("import_archive", str(path), "--into", "999999")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def _members(content: bytes) -> dict[str, bytes]:
    source = zipfile.ZipFile(io.BytesIO(content))
    return {name: source.read(name) for name in source.namelist()}


def _edit(content: bytes, **ai) -> bytes:
    members = _members(content)
    descriptor = json.loads(members["datapackage.json"])
    descriptor["ai"].update(ai)
    members["datapackage.json"] = json.dumps(descriptor).encode()
    return _zip(members)


def _damage(content: bytes, name: str) -> bytes:
    members = _members(content)
    header, rest = members[name].split(b"\n", 1)
    members[name] = header + b"\n" + rest.replace(b",", b";", 1)
    return _zip(members)


def _truncate(content: bytes, name: str) -> bytes:
    members = _members(content)
    members[name] = members[name][: len(members[name]) // 2]
    return _zip(members)
