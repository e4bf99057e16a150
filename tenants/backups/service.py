"""The operators' backup actions: back up, restore, delete recoverably, bring back, purge.

Consistency: one REPEATABLE READ transaction reads the municipality's public rows, its
migrations, its identity sequences and ``COPY``s every table (layout ``copy``, the
default), or exports its snapshot for ``pg_dump --snapshot`` (layout ``pgdump``), so every
part of the file is the same instant.

Restoring the ``copy`` layout clones the template (at the backup's migration state, or
refused) under a temporary name, COPYs the data in and sets the sequences, in one
transaction (``_stage_copy``); the swap below is the same for both layouts.

Restoring the ``pgdump`` layout: ``pg_restore`` recreates a schema under the name it was dumped with, which is
taken (by the live municipality, or by the original when restoring beside it). So its
script runs in one transaction that first renames the live schema aside and, after the
script, renames the restored schema to a temporary name and the live one back (``_load_as``);
other sessions never see the live schema move. One short transaction then swaps the
restored schema in (``ALTER SCHEMA ... RENAME``) with the public rows. Until that
transaction the live schema is untouched and serving; any failure before it leaves nothing.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_tenants.utils import schema_exists

from tenants import provisioning
from tenants.backups import archive, copydata, pgtools, retention
from tenants.backups import storage as storages
from tenants.backups.archive import Refused
from tenants.cloning import RELATIONS, clone_schema
from tenants.codes import schema_name_for, subdomain_error
from tenants.models import Backup, Domain, Municipality, PlatformEvent

logger = logging.getLogger(__name__)

# The Municipality fields a restore puts back (state fields such as is_active stay as they are).
RESTORED_FIELDS = (
    "name",
    "kana",
    "prefecture",
    "mfa_required",
    "mfa_exempt_networks",
    "mfa_exempt_loopback",
    "read_scope",
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ai_version() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ai")
    except PackageNotFoundError:
        return "unknown"


# --- Backing up -----------------------------------------------------------------------


def _snapshot_parts(
    cur: psycopg.Cursor, schema: str, *, count: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest part, public rows) read in the snapshot's transaction."""
    cur.execute(
        "SELECT row_to_json(m) FROM tenants_municipality m WHERE schema_name = %s", [schema]
    )
    row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"municipality {schema} not found")
    municipality = row[0]
    cur.execute(
        "SELECT coalesce(json_agg(row_to_json(d) ORDER BY d.id), '[]') FROM tenants_domain d"
        " WHERE tenant_id = %s",
        [municipality["id"]],
    )
    domains = cur.fetchone()[0]
    cur.execute(f"SELECT app, name FROM {_q(schema)}.django_migrations ORDER BY id")
    migrations = [list(r) for r in cur.fetchall()]
    counts: dict[str, int] = {}
    for table in _tables(cur, schema) if count else ():
        cur.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}")
        counts[table] = cur.fetchone()[0]
    manifest = {
        "schema": schema,
        "code": municipality.get("code") or "",
        "name": municipality.get("name") or "",
        "migrations": migrations,
        "row_counts": counts,
    }
    return manifest, {"municipality": municipality, "domains": domains}


def _tables(cur, schema: str) -> list[str]:
    # through pg_depend: a scan of pg_class costs as much as the whole catalog (1,800 schemas)
    cur.execute(
        RELATIONS + "SELECT relname FROM rels WHERE relkind IN ('r', 'p') ORDER BY 1", [schema]
    )
    return [r[0] for r in cur.fetchall()]


def _dump_to(target: Path, schema: str, layout: str = "copy") -> dict[str, Any]:
    """Write the backup file of ``schema`` to ``target``; return its manifest."""
    if layout not in archive.LAYOUTS:
        raise ValueError(f"unknown backup layout {layout!r}")
    with tempfile.TemporaryDirectory(prefix="ai-backup-") as tmp:
        dump = Path(tmp) / archive.DUMP
        with psycopg.connect(pgtools.conninfo()) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.cursor() as cur:
                if layout == "copy":
                    started = timezone.now()
                    manifest, public = _snapshot_parts(cur, schema, count=False)
                    manifest["sequences"] = copydata.sequences(cur, schema)
                    manifest["row_counts"] = copydata.dump(cur, schema, dump)
                    conn.rollback()
                    return _finish(target, manifest | {"layout": layout}, public, dump, started)
                cur.execute("SELECT pg_export_snapshot()")
                snapshot = cur.fetchone()[0]
                started = timezone.now()
                manifest, public = _snapshot_parts(cur, schema)
                pgtools.run(
                    [
                        pgtools.tool("pg_dump"),
                        f"--snapshot={snapshot}",
                        f"--schema={_q(schema)}",
                        "--format=custom",
                        "--compress=6",
                        f"--file={dump}",
                    ]
                )
            conn.rollback()
        return _finish(target, manifest | {"layout": layout}, public, dump, started)


def _finish(
    target: Path, manifest: dict[str, Any], public: dict[str, Any], dump: Path, started: datetime
) -> dict[str, Any]:
    manifest |= {
        "taken_at": started.isoformat(),
        "ai_version": ai_version(),
        "postgresql": connection.pg_version,
    }
    archive.write(target, manifest, public, dump)
    return manifest


def backup(municipality: Municipality, *, kind: str, actor: str, layout: str = "copy") -> Backup:
    """Back up one municipality; the record says ok or failed (and why), never raises for it.

    ``layout``: ``copy`` (COPY per table, independent of the catalog's size) or ``pgdump``.
    """
    schema = municipality.schema_name
    record = Backup.objects.create(
        schema_name=schema,
        code=municipality.code or "",
        name=municipality.name,
        kind=kind,
        actor=actor,
    )
    stamp = timezone.localtime(record.started_at).strftime("%Y%m%dT%H%M%S")
    name = f"{schema}/{schema}-{stamp}-{record.pk}-{kind}.aibackup"
    try:
        with tempfile.TemporaryDirectory(prefix="ai-backup-") as tmp:
            local = Path(tmp) / "backup.tar"
            manifest = _dump_to(local, schema, layout)
            record.sha256 = archive.sha256_of(local)
            record.size = storages.default().put(name, local)
        record.file = name
        record.status = Backup.Status.OK
        detail = {"file": name, "size": record.size, "rows": sum(manifest["row_counts"].values())}
    except Exception as exc:  # a failed backup is a record to show, not a crash of the caller
        logger.exception("backup of %s failed", schema)
        record.status = Backup.Status.FAILED
        record.error = str(exc)[:2000]
        detail = {"error": record.error}
    record.finished_at = timezone.now()
    record.save()
    PlatformEvent.objects.create(
        actor=actor,
        action="backup" if record.status == Backup.Status.OK else "backup_failed",
        schema_name=schema,
        detail={"kind": kind, "backup": record.pk, **detail},
    )
    return record


def municipalities() -> list[Municipality]:
    return list(Municipality.objects.exclude(schema_name="public").order_by("code"))


def backup_all(
    *, kind: str = Backup.Kind.SCHEDULED, actor: str, prune: bool = True, layout: str = "copy"
) -> list[Backup]:
    """Back up every municipality (deleted ones too: still restorable), then apply retention."""
    done = [backup(m, kind=kind, actor=actor, layout=layout) for m in municipalities()]
    if prune:
        apply_retention(actor=actor)
    return done


def apply_retention(*, actor: str, now: datetime | None = None) -> list[int]:
    """Delete the scheduled backups that ``retention.keep`` does not keep, per municipality.

    Manual and final backups are never pruned; failed records go with their period.
    """
    keep_counts = settings.AI_BACKUP_KEEP
    removed: list[int] = []
    store = storages.default()
    scheduled = Backup.objects.filter(kind=Backup.Kind.SCHEDULED, status=Backup.Status.OK)
    # order_by(): the model's ordering would make DISTINCT repeat each schema
    for schema in scheduled.order_by().values_list("schema_name", flat=True).distinct():
        rows = list(scheduled.filter(schema_name=schema))
        kept = retention.keep(
            [(b.pk, timezone.localtime(b.started_at)) for b in rows], **keep_counts
        )
        for b in rows:
            if b.pk not in kept:
                store.delete(b.file)
                removed.append(b.pk)
    if removed:
        Backup.objects.filter(pk__in=removed).delete()
        PlatformEvent.objects.create(
            actor=actor, action="backup_prune", schema_name="public", detail={"removed": removed}
        )
    return removed


# --- Checking a file before restoring ---------------------------------------------------


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations the backup's schema has that this code does not know (a newer Ai)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}" for app, name in manifest.get("migrations", []) if (app, name) not in known
    ]


def check(path: Path, extract_dump_to: Path | None = None) -> archive.Contents:
    contents = archive.verify(path, extract_dump_to)
    if unknown := unknown_migrations(contents.manifest):
        shown = "、".join(unknown[:5]) + (" ほか" if len(unknown) > 5 else "")
        raise Refused(
            f"このバックアップは別のバージョンの Ai (版 {contents.manifest.get('ai_version', '不明')})"
            f" で作成され、このシステムが知らない移行 ({shown}) を含みます。復元できません。"
        )
    if archive.layout_of(contents.manifest) == "copy":
        template = template_migrations()
        backed = {(app, name) for app, name in contents.manifest.get("migrations", [])}
        if backed != template:
            missing = sorted(f"{a}.{n}" for a, n in template - backed)
            shown = "、".join(missing[:5]) + (" ほか" if len(missing) > 5 else "")
            raise Refused(
                "このバックアップはデータのみの形式で、作成時の移行状態が現在のテンプレートと"
                f"異なります (未適用: {shown or 'なし'})。同じ版の Ai で復元するか、"
                "pg_dump 形式 (--format pgdump) のバックアップを使ってください。"
            )
    return contents


def template_migrations() -> set[tuple[str, str]]:
    """The migration state of the template a ``copy`` restore clones."""
    from tenants.provisioning import TEMPLATE_SCHEMA, ensure_template, template_is_current

    if not template_is_current():
        ensure_template()
    with connection.cursor() as cur:
        cur.execute(f"SELECT app, name FROM {_q(TEMPLATE_SCHEMA)}.django_migrations")
        return {(app, name) for app, name in cur.fetchall()}


def row_counts(schema: str) -> dict[str, int]:
    """The live schema's rows per table (the confirmation page shows them beside the backup's)."""
    if not schema_exists(schema):
        return {}
    with connection.cursor() as cur:
        counts = {}
        for table in _tables(cur, schema):
            cur.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}")
            counts[table] = cur.fetchone()[0]
    return counts


# --- Restoring ----------------------------------------------------------------------------


@dataclass
class Timing:
    steps: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.steps[step] = round(now - since, 3)
        return now


def _load_as(dump: Path, original: str, new_name: str, timing: Timing) -> None:
    """Restore ``dump`` (schema ``original``) into this database as schema ``new_name``.

    One transaction (``psql --single-transaction``) renames the live ``original`` aside,
    runs pg_restore's script (which creates ``original``), renames what it created to
    ``new_name`` and the live schema back. Until the commit other sessions see only the
    live schema, under its name (catalog changes are transactional), so it keeps serving;
    after the commit it is as it was, and ``new_name`` holds the backup. A failure rolls
    all of it back.
    """
    t = time.perf_counter()
    hold = f"hold_{secrets.token_hex(6)}"
    exists = "SELECT 1 FROM pg_namespace WHERE nspname = '{0}'"
    prefix = (
        f"DO $ai$ BEGIN IF EXISTS ({exists.format(original)}) THEN"
        f" EXECUTE 'ALTER SCHEMA {_q(original)} RENAME TO {_q(hold)}'; END IF; END $ai$;\n"
    )
    suffix = (
        f"\nALTER SCHEMA {_q(original)} RENAME TO {_q(new_name)};\n"
        f"DO $ai$ BEGIN IF EXISTS ({exists.format(hold)}) THEN"
        f" EXECUTE 'ALTER SCHEMA {_q(hold)} RENAME TO {_q(original)}'; END IF; END $ai$;\n"
    )
    script = subprocess.Popen(
        [pgtools.tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
        env=pgtools.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    psql = subprocess.Popen(
        [
            pgtools.tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            "--file=-",
        ],
        env=pgtools.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        psql.stdin.write(prefix.encode())
        for chunk in iter(lambda: script.stdout.read(1 << 20), b""):
            psql.stdin.write(chunk)
        psql.stdin.write(suffix.encode())
    except BrokenPipeError:
        pass  # psql stopped on an error: its stderr says which
    finally:
        script.stdout.close()
        script.wait()
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
        psql_err = psql.stderr.read().decode(errors="replace")
        psql.wait()
    if script.returncode != 0:
        raise RuntimeError(f"pg_restore: {script.stderr.read().decode(errors='replace')[-2000:]}")
    if psql.returncode != 0:
        raise RuntimeError(f"psql: {psql_err.strip()[-2000:]}")
    timing.mark("restore", t)


@dataclass(frozen=True)
class Restored:
    municipality: Municipality
    manifest: dict[str, Any]
    seconds: float
    steps: dict[str, float]


def _public_values(public: dict[str, Any]) -> dict[str, Any]:
    row = public.get("municipality") or {}
    return {f: row[f] for f in RESTORED_FIELDS if f in row}


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {_q(schema)} CASCADE")


def _checked(path: Path, tmp: Path, timing: Timing) -> tuple[archive.Contents, Path]:
    """Check the whole file (refusing it writes nothing) and write its dump out."""
    t = time.perf_counter()
    dump = tmp / archive.DUMP
    contents = check(path, dump)
    timing.mark("check", t)
    return contents, dump


def _stage(contents: archive.Contents, dump: Path, timing: Timing) -> str:
    """Restore the checked dump under a temporary schema name; return that name."""
    staged = f"restore_{secrets.token_hex(6)}"
    if archive.layout_of(contents.manifest) == "copy":
        _stage_copy(contents.manifest, dump, staged, timing)
    else:
        _load_as(dump, contents.manifest["schema"], staged, timing)
    return staged


def _stage_copy(manifest: dict[str, Any], dump: Path, staged: str, timing: Timing) -> None:
    """One transaction: the template cloned without its rows, the data COPYed in, the sequences.

    The clone brings the triggers (the audit trail's append-only guard): they refuse UPDATE,
    DELETE and TRUNCATE, not the COPY's inserts. Nothing of it is visible until the commit;
    a failure (or rows counted differently from the manifest) leaves nothing.
    """
    from tenants.provisioning import TEMPLATE_SCHEMA

    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:

        def fill() -> None:
            try:
                counts = copydata.load(cur.cursor, staged, dump)
            except (ValueError, KeyError) as exc:
                raise Refused(archive.DAMAGED.format(detail=archive.DUMP)) from exc
            expected = manifest.get("row_counts") or {}
            if counts != expected:
                differ = sorted(set(counts.items()) ^ set(expected.items()))[:3]
                raise Refused(archive.DAMAGED.format(detail=f"{archive.DUMP}: {differ}"))
            timing.mark("copy", t)

        # tables, the COPY, then keys, indexes, triggers (the clone's own order)
        clone_schema(cur, TEMPLATE_SCHEMA, staged, rows=False, fill=fill)
        copydata.set_sequences(cur, staged, manifest.get("sequences") or {})
    timing.mark("clone_copy_keys", t)


def restore_in_place(
    backup: Backup, *, confirm_schema: str, actor: str, path: Path | None = None
) -> Restored:
    """Replace a municipality's schema and public rows with the backup's, or change nothing.

    The municipality may still exist (its schema is replaced) or have been purged (it is
    created again under its old schema, code and hosts). ``confirm_schema`` must repeat
    the schema name; another municipality's file is refused.
    """
    started = time.perf_counter()
    schema = backup.schema_name
    if confirm_schema != schema:
        raise Refused(f"確認のため、置き換えるスキーマ名「{schema}」を正確に入力してください。")
    timing = Timing()
    with tempfile.TemporaryDirectory(prefix="ai-restore-") as tmp, _local(backup, path) as file:
        contents, dump = _checked(file, Path(tmp), timing)
        manifest = contents.manifest
        current = Municipality.objects.filter(schema_name=schema).first()
        foreign = manifest.get("schema") != schema or (
            current is not None and (manifest.get("code") or None) != current.code
        )
        if foreign:
            raise Refused(
                f"このファイルは別の自治体 ({manifest.get('name', '?')}、スキーマ"
                f" {manifest.get('schema', '?')}) のバックアップです。{schema} には復元できません。"
            )
        staged = _stage(contents, dump, timing)
        old = f"replaced_{secrets.token_hex(6)}"
        t = time.perf_counter()
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    if schema_exists(schema):
                        cur.execute(f"ALTER SCHEMA {_q(schema)} RENAME TO {_q(old)}")
                        cur.execute(f"ALTER SCHEMA {_q(staged)} RENAME TO {_q(schema)}")
                    else:
                        cur.execute(f"ALTER SCHEMA {_q(staged)} RENAME TO {_q(schema)}")
                municipality = _put_back_public_rows(contents.public, schema, current)
                PlatformEvent.objects.create(
                    actor=actor,
                    action="restore",
                    schema_name=schema,
                    detail={"backup": backup.pk, "taken_at": manifest.get("taken_at")},
                )
        except Exception:
            _drop_schema(staged)
            raise
        t = timing.mark("swap", t)
        # Outside the swap's transaction: its locks stay short. A drop that fails leaves a
        # ``replaced_*`` schema for the operator, nothing wrong in the live one.
        if not connection.in_atomic_block:
            _drop_schema(old)
        else:
            transaction.on_commit(lambda: _drop_schema(old))
        timing.mark("drop_replaced", t)
    return Restored(municipality, manifest, round(time.perf_counter() - started, 3), timing.steps)


def _put_back_public_rows(
    public: dict[str, Any], schema: str, current: Municipality | None
) -> Municipality:
    values = _public_values(public)
    if current is not None:
        for name, value in values.items():
            setattr(current, name, value)
        current.save(update_fields=list(values))
        return current
    row = public["municipality"]
    municipality = Municipality(schema_name=schema, code=row.get("code"), **values)
    municipality.auto_create_schema = False  # the schema is the restored one
    municipality.save()
    for d in public.get("domains", []):
        if not Domain.objects.filter(domain=d["domain"]).exists():
            Domain.objects.create(
                domain=d["domain"], tenant=municipality, is_primary=d["is_primary"]
            )
    return municipality


def restore_as_new(
    backup: Backup, *, subdomain: str, actor: str, path: Path | None = None
) -> Restored:
    """Restore beside the original, as a new municipality on ``subdomain`` (to compare)."""
    started = time.perf_counter()
    subdomain = subdomain.strip().lower()
    schema = schema_name_for(subdomain)
    host = provisioning.host_for(subdomain)
    if message := subdomain_error(subdomain):
        raise Refused(message)
    if (
        Domain.objects.filter(domain=host).exists()
        or Municipality.objects.filter(schema_name=schema).exists()
        or schema_exists(schema)
    ):
        raise Refused(f"サブドメイン「{subdomain}」は既に使われています。")
    timing = Timing()
    with tempfile.TemporaryDirectory(prefix="ai-restore-") as tmp, _local(backup, path) as file:
        contents, dump = _checked(file, Path(tmp), timing)
        staged = _stage(contents, dump, timing)
        manifest = contents.manifest
        t = time.perf_counter()
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute(f"ALTER SCHEMA {_q(staged)} RENAME TO {_q(schema)}")
                values = _public_values(contents.public)
                taken = manifest.get("taken_at", "")[:16].replace("T", " ")
                values["name"] = f"{values.get('name', '')} (復元 {taken})"[:100]
                municipality = Municipality(schema_name=schema, code=None, **values)
                municipality.auto_create_schema = False
                municipality.save()
                Domain.objects.create(domain=host, tenant=municipality, is_primary=True)
                PlatformEvent.objects.create(
                    actor=actor,
                    action="restore_as_new",
                    schema_name=schema,
                    detail={"backup": backup.pk, "from": backup.schema_name, "host": host},
                )
        except Exception:
            _drop_schema(staged)
            raise
        timing.mark("swap", t)
    return Restored(municipality, manifest, round(time.perf_counter() - started, 3), timing.steps)


class _local:
    """The backup's file as a local path (a given path wins: tests and the command's --file)."""

    def __init__(self, backup: Backup, path: Path | None) -> None:
        self.backup, self.path, self._cm = backup, path, None

    def __enter__(self) -> Path:
        if self.path is not None:
            return Path(self.path)
        if self.backup.status != Backup.Status.OK or not self.backup.file:
            raise Refused("このバックアップは成功していないため復元できません。")
        store = storages.default()
        if not store.exists(self.backup.file):
            raise Refused(f"バックアップファイル {self.backup.file} が見つかりません。")
        self._cm = store.local_copy(self.backup.file)
        return self._cm.__enter__()

    def __exit__(self, *exc) -> None:
        if self._cm is not None:
            self._cm.__exit__(*exc)


# --- Recoverable deletion ---------------------------------------------------------------


def retire(municipality: Municipality, *, confirm_schema: str, actor: str) -> Backup:
    """Delete recoverably: a final backup, then suspended and marked for purge after the grace.

    Refused (nothing changes) when the schema name is not repeated or the backup fails.
    """
    schema = municipality.schema_name
    if schema == "public":
        raise ValidationError("公開スキーマは削除できません。")
    if confirm_schema != schema:
        raise ValidationError(
            f"確認のため、削除するスキーマ名「{schema}」を正確に入力してください。"
        )
    if municipality.deleted_at is not None:
        raise ValidationError(f"{municipality.name} は既に削除済みです。")
    final = backup(municipality, kind=Backup.Kind.FINAL, actor=actor)
    if final.status != Backup.Status.OK:
        raise ValidationError(
            f"削除前のバックアップに失敗したため、削除しませんでした ({final.error[:200]})。"
        )
    now = timezone.now()
    with transaction.atomic():
        municipality.is_active = False
        municipality.suspended_at = municipality.suspended_at or now
        municipality.deleted_at = now
        municipality.purge_after = now + timedelta(days=settings.AI_DELETE_GRACE_DAYS)
        municipality.save(update_fields=["is_active", "suspended_at", "deleted_at", "purge_after"])
        PlatformEvent.objects.create(
            actor=actor,
            action="delete",
            schema_name=schema,
            detail={
                "name": municipality.name,
                "code": municipality.code,
                "final_backup": final.pk,
                "purge_after": municipality.purge_after.isoformat(),
            },
        )
    return final


@transaction.atomic
def bring_back(municipality: Municipality, *, actor: str) -> Municipality:
    """Undo a deletion before purge: the municipality serves again, as it was."""
    if municipality.deleted_at is None:
        raise ValidationError(f"{municipality.name} は削除されていません。")
    municipality.deleted_at = None
    municipality.purge_after = None
    municipality.is_active = True
    municipality.suspended_at = None
    municipality.save(update_fields=["deleted_at", "purge_after", "is_active", "suspended_at"])
    PlatformEvent.objects.create(
        actor=actor, action="undelete", schema_name=municipality.schema_name
    )
    return municipality


def purge(
    municipality: Municipality,
    *,
    actor: str,
    confirm_schema: str | None = None,
    now: datetime | None = None,
) -> None:
    """Drop a deleted municipality's schema: after its grace period, or now with the name typed."""
    schema = municipality.schema_name
    if municipality.deleted_at is None:
        raise ValidationError(f"{municipality.name} は削除されていません。先に削除してください。")
    now = now or timezone.now()
    if confirm_schema is None:
        if municipality.purge_after and now < municipality.purge_after:
            when = timezone.localtime(municipality.purge_after).strftime("%Y-%m-%d %H:%M")
            raise ValidationError(
                f"{municipality.name} は {when} まで猶予期間中です。今すぐ完全削除するには"
                f"スキーマ名「{schema}」を入力して確認してください。"
            )
        confirm_schema = schema
    provisioning.delete(municipality, confirm_schema=confirm_schema, actor=actor, action="purge")


def purge_due(*, actor: str, now: datetime | None = None) -> list[str]:
    """Purge every deleted municipality whose grace period is over; their schema names."""
    now = now or timezone.now()
    due = Municipality.objects.filter(deleted_at__isnull=False, purge_after__lte=now)
    purged = []
    for municipality in due:
        purge(municipality, actor=actor, now=now)
        purged.append(municipality.schema_name)
    return purged
