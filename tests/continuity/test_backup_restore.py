"""Backup and restore of one municipality, through the service, the files and real HTTP."""

from __future__ import annotations

import json
import tarfile
import threading
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from schools.models import Student
from tenants.backups import archive, service
from tenants.backups.archive import Refused
from tenants.models import Backup, Municipality, PlatformEvent

ALL_SCHEMAS_OTHER_THAN_KOFU = ("m_fujiyoshida", "m_tono")


def snapshot(schema: str) -> dict[str, list[str]]:
    """Every row of every table of ``schema``, in a stable order."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
            [schema],
        )
        tables = [r[0] for r in cur.fetchall()]
        rows = {}
        for table in tables:
            cur.execute(f'SELECT t::text FROM "{schema}"."{table}" t ORDER BY 1')
            rows[table] = [r[0] for r in cur.fetchall()]
    return rows


def path_of(record: Backup) -> Path:
    from django.conf import settings

    return Path(settings.AI_BACKUP_DIR) / record.file


def test_backup_file_holds_manifest_public_rows_and_dump(kofu):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    assert record.status == Backup.Status.OK, record.error
    assert record.size == path_of(record).stat().st_size > 0
    contents = archive.verify(path_of(record))
    manifest = contents.manifest
    assert manifest["schema"] == "m_kofu" and manifest["code"] == "192015"
    assert manifest["name"] == "甲府市" and manifest["ai_version"]
    assert ["schools", "0001_initial"] in manifest["migrations"]
    with schema_context("m_kofu"):
        students = Student.objects.count()
    assert students > 0 and manifest["row_counts"]["schools_student"] == students
    assert contents.public["municipality"]["code"] == "192015"
    assert [d["domain"] for d in contents.public["domains"]] == ["kofu.localhost"]
    assert PlatformEvent.objects.filter(action="backup", schema_name="m_kofu").exists()


def test_backup_change_delete_restore_gives_every_row_back(kofu):
    before = snapshot("m_kofu")
    others = {s: snapshot(s) for s in ALL_SCHEMAS_OTHER_THAN_KOFU}
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    with schema_context("m_kofu"):
        Student.objects.filter(pk__in=Student.objects.values("pk")[:5]).update(name="変更")
        get_user_model().objects.filter(username="teacher-es1-1-1").update(is_active=False)
        with connection.cursor() as cur:
            cur.execute("TRUNCATE attendance_mark")
    kofu.name = "名前を変えた市"
    kofu.save()
    assert snapshot("m_kofu") != before

    with pytest.raises(Refused, match="正確に入力"):
        service.restore_in_place(record, confirm_schema="kofu", actor="ops")
    restored = service.restore_in_place(record, confirm_schema="m_kofu", actor="ops")

    assert snapshot("m_kofu") == before
    assert {s: snapshot(s) for s in ALL_SCHEMAS_OTHER_THAN_KOFU} == others
    kofu.refresh_from_db()
    assert kofu.name == "甲府市"
    assert restored.seconds > 0
    assert PlatformEvent.objects.filter(action="restore", schema_name="m_kofu").exists()
    with connection.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ '^(restore|replaced)_'")
        assert cur.fetchall() == []


def test_restored_municipality_answers_as_before_over_http(kofu, live_port):
    base = f"http://127.0.0.1:{live_port}"
    host = {"Host": f"kofu.localhost:{live_port}"}

    def sign_in_and_read(path: str) -> tuple[int, str]:
        s = requests.Session()
        s.headers.update(host)
        first = s.get(f"{base}/login/")
        assert first.status_code == 200, (first.status_code, first.text[:300], first.headers)
        r = s.post(
            f"{base}/login/",
            {
                "username": "teacher-es1-1-1",
                "password": "ai-demo-2026",
                "csrfmiddlewaretoken": s.cookies["ai_csrftoken"],
            },
            headers={"Referer": f"http://kofu.localhost:{live_port}/login/"},
            allow_redirects=False,
        )
        assert r.status_code == 302, r.text[:500]
        page = s.get(f"{base}{path}")
        return page.status_code, page.text

    status, home = sign_in_and_read("/")
    assert status == 200
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    with schema_context("m_kofu"):
        get_user_model().objects.filter(username="teacher-es1-1-1").delete()
    s = requests.Session()
    s.headers.update(host)
    s.get(f"{base}/login/")
    refused = s.post(
        f"{base}/login/",
        {
            "username": "teacher-es1-1-1",
            "password": "ai-demo-2026",
            "csrfmiddlewaretoken": s.cookies["ai_csrftoken"],
        },
        headers={"Referer": f"http://kofu.localhost:{live_port}/login/"},
        allow_redirects=False,
    )
    assert refused.status_code == 200  # the login form again

    service.restore_in_place(record, confirm_schema="m_kofu", actor="ops")
    status, again = sign_in_and_read("/")
    assert status == 200
    strip = lambda html: [x for x in html.splitlines() if "csrf" not in x and "nonce" not in x]  # noqa: E731
    assert strip(again) == strip(home)


def test_restore_as_new_municipality_beside_the_original(kofu, live_port):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    original = snapshot("m_kofu")
    # The original and the others keep answering while the copy is restored.
    statuses: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            for host in ("kofu", "tono"):
                page = requests.get(
                    f"http://127.0.0.1:{live_port}/login/",
                    headers={"Host": f"{host}.localhost"},
                    timeout=10,
                )
                statuses.append(page.status_code)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        restored = service.restore_as_new(record, subdomain="kofu-copy", actor="ops")
    finally:
        stop.set()
        poller.join()
    assert len(statuses) >= 2 and set(statuses) == {200}
    copy = restored.municipality
    assert copy.schema_name == "m_kofu_copy" and copy.code is None
    assert "甲府市 (復元" in copy.name
    assert snapshot("m_kofu_copy") == original == snapshot("m_kofu")
    assert copy.domains.get().domain == "kofu-copy.localhost"
    for host in ("kofu", "kofu-copy"):
        page = requests.get(
            f"http://127.0.0.1:{live_port}/login/", headers={"Host": f"{host}.localhost"}
        )
        assert page.status_code == 200
    with pytest.raises(Refused, match="既に使われて"):
        service.restore_as_new(record, subdomain="kofu-copy", actor="ops")


def _footprint() -> tuple:
    with connection.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace ORDER BY 1")
        schemas = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT datname FROM pg_database ORDER BY 1")
        databases = [r[0] for r in cur.fetchall()]
    return schemas, databases, Municipality.objects.count(), snapshot("m_kofu")


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy a backup, letting ``change(name, bytes) -> bytes`` alter its members."""
    with tarfile.open(source) as tar, tarfile.open(target, "w") as out:
        for member in tar.getmembers():
            data = change(member.name, tar.extractfile(member).read())
            member.size = len(data)
            import io

            out.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not_a_backup", "manifest_lies"])
def test_damaged_files_are_refused_and_nothing_is_written(kofu, backup_dir, damage):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    good = path_of(record)
    bad = backup_dir / "bad.aibackup"
    data = good.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "corrupt":
        with tarfile.open(good) as tar:
            member = tar.getmember(archive.DUMP)
        flipped = bytearray(data)
        flipped[member.offset_data + member.size // 2] ^= 0xFF  # inside schema.dump
        bad.write_bytes(bytes(flipped))
    elif damage == "not_a_backup":
        bad.write_bytes(b"PGDMP" + b"\0" * 5000)
    else:
        _rewrite(
            good,
            bad,
            lambda n, b: b.replace(b"192015", b"192016") if n == archive.PUBLIC else b,
        )
    before = _footprint()
    with pytest.raises(Refused) as exc:
        service.restore_in_place(record, confirm_schema="m_kofu", actor="ops", path=bad)
    words = {"not_a_backup": "ではありません"}.get(damage, "壊れているか")
    assert words in str(exc.value)
    with pytest.raises(Refused):
        service.restore_as_new(record, subdomain="kofu-bad", actor="ops", path=bad)
    assert _footprint() == before


def test_another_municipalitys_backup_is_refused_in_place(kofu, backup_dir):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    tono = Municipality.objects.get(schema_name="m_tono")
    foreign = service.backup(tono, kind=Backup.Kind.MANUAL, actor="ops")
    before = _footprint()
    with pytest.raises(Refused, match="別の自治体"):
        service.restore_in_place(
            record, confirm_schema="m_kofu", actor="ops", path=path_of(foreign)
        )
    assert _footprint() == before


def test_backup_of_a_newer_ai_with_unknown_migrations_is_refused(kofu, backup_dir):
    record = service.backup(kofu, kind=Backup.Kind.MANUAL, actor="ops")
    newer = backup_dir / "newer.aibackup"

    def add_migration(name: str, data: bytes) -> bytes:
        if name != archive.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["migrations"].append(["schools", "9999_from_the_future"])
        manifest["ai_version"] = "v9.9"
        return json.dumps(manifest).encode()

    _rewrite(path_of(record), newer, add_migration)
    before = _footprint()
    with pytest.raises(Refused, match="知らない移行 \\(schools.9999_from_the_future\\)"):
        service.restore_in_place(record, confirm_schema="m_kofu", actor="ops", path=newer)
    assert _footprint() == before


def test_a_failed_backup_is_recorded_not_raised(kofu):
    ghost = Municipality(schema_name="m_kofu_ghost", name="幽霊市", code=None)
    record = service.backup(ghost, kind=Backup.Kind.MANUAL, actor="ops")
    assert record.status == Backup.Status.FAILED and record.error
    assert PlatformEvent.objects.filter(action="backup_failed").exists()
    assert not schema_exists("m_kofu_ghost")
