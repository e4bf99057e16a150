"""The machine-readable archive: one CSV per table and a Frictionless Data Package.

``datapackage.json`` (https://specs.frictionlessdata.io/data-package/) describes every
resource with a Table Schema: each column's name, type, description (the model field's
verbose_name and help_text), constraints (choices, required), the primary key and the
foreign keys. The CSVs are UTF-8 with a header row, written and read by PostgreSQL's COPY
(so a NULL and an empty text stay apart: an unquoted empty field is NULL, ``""`` is empty).

The same archive comes back into an *empty* municipality with :func:`import_archive`, in
one transaction: a foreign file (not Ai's, another Ai version), a corrupt file (a checksum
that does not match) or a municipality that already has schools is refused with a Japanese
message and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import IO, Any

from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

from schools import audit
from schools.leaving import Table, excluded, tables
from schools.permissions import Actor

FORMAT = "ai-municipality-archive"
FORMAT_VERSION = 1
DESCRIPTOR = "datapackage.json"
DATA_DIR = "data/"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# What an omitted (secret) column holds after an import: Django's "no usable password".
REFILL = "!"
SIGNATURE_TABLES = ("schools_school", "schools_student")

Progress = Callable[[int, int | None, str], None]


class ArchiveError(Exception):
    """A refusal to show as it is (Japanese, for the operator)."""


# --- describing ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value) if value else ""


def _kind(field: models.Field) -> tuple[str, dict[str, Any]]:
    """The Table Schema type (and format) of a model field."""
    if isinstance(field, models.ForeignKey):
        return _kind(field.target_field)
    if isinstance(field, models.BooleanField):
        return "boolean", {}
    if isinstance(field, models.AutoField | models.IntegerField):
        return "integer", {}
    if isinstance(field, models.DecimalField | models.FloatField):
        return "number", {}
    if isinstance(field, models.DateTimeField):
        return "datetime", {"format": DATETIME_FORMAT}
    if isinstance(field, models.DateField):
        return "date", {}
    if isinstance(field, models.TimeField):
        return "time", {}
    if isinstance(field, models.DurationField):
        return "duration", {}
    if isinstance(field, models.JSONField):
        return "any", {}
    return "string", {}


def _field(field: models.Field) -> dict[str, Any]:
    kind, extra = _kind(field)
    parts = [_text(field.verbose_name), _text(field.help_text)]
    if isinstance(field, models.ForeignKey):
        target = field.related_model._meta
        parts.append(f"→ {target.db_table}.{field.target_field.column} ({target.verbose_name})")
    if isinstance(field, models.JSONField):
        parts.append("JSON")
    if field.choices:
        parts.append("値: " + "、".join(f"{value}={label}" for value, label in field.flatchoices))
    described: dict[str, Any] = {
        "name": field.column,
        "type": kind,
        **extra,
        "description": " / ".join(p for p in parts if p),
    }
    constraints: dict[str, Any] = {}
    if not field.null and kind not in ("string", "any"):
        constraints["required"] = True
    if field.choices and kind == "string":
        constraints["enum"] = [str(value) for value, _label in field.flatchoices]
    if field.unique and not field.primary_key:
        constraints["unique"] = True
    if constraints:
        described["constraints"] = constraints
    return described


def _columns(table: Table) -> list[models.Field]:
    return [f for f in table.model._meta.local_concrete_fields if f.column not in table.omit]


def table_schema(table: Table, names: set[str]) -> dict[str, Any]:
    """The Table Schema of one table; foreign keys to tables outside the archive are left out."""
    meta = table.model._meta
    schema: dict[str, Any] = {
        "fields": [_field(f) for f in _columns(table)],
        "missingValues": [""],
        "primaryKey": [meta.pk.column],
    }
    keys = []
    for f in _columns(table):
        if isinstance(f, models.ForeignKey) and f.related_model._meta.db_table in names:
            keys.append(
                {
                    "fields": [f.column],
                    "reference": {
                        "resource": f.related_model._meta.db_table,
                        "fields": [f.target_field.column],
                    },
                }
            )
    if keys:
        schema["foreignKeys"] = keys
    return schema


def migration_state(app_labels: set[str]) -> list[str]:
    """The applied migrations of the archive's apps in this schema (``app.name``)."""
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in applied if app in app_labels)


def _description(skipped: dict[str, str], omitted: dict[str, list[str]]) -> str:
    lines = [
        "Aiの自治体 (教育委員会) の全データ。表ごとに1つのCSV (UTF-8、見出し行あり) と、"
        "各列の説明 (Frictionless Data Package / Table Schema)。",
        "書き出さないもの (秘密の情報と、データではない内部の表):",
    ]
    for table, columns in sorted(omitted.items()):
        lines.append(f"- {table} の列 {', '.join(columns)}: 秘密の情報 (パスワードのハッシュ)")
    for table, reason in sorted(skipped.items()):
        lines.append(f"- {table}: {reason}")
    lines.append(
        '空の文字列と値なしの区別: 引用符なしの空欄は値なし (NULL)、"" は空の文字列。'
        "Aiの `manage.py import_archive` で空の自治体に取り込めます (パスワードは取り込まれません)。"
    )
    return "\n".join(lines)


def schema_tables() -> list[str]:
    """Every table of the current municipality's schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1",
            [connection.schema_name],
        )
        return [row[0] for row in cursor.fetchall()]


def skipped_tables() -> dict[str, str]:
    """Tables of the schema not in the archive, each with the reason."""
    reasons = excluded()
    archived = {t.model._meta.db_table for t in tables()}
    default = "Djangoと部品の内部の表 (データではない)"
    known = {
        "jobs_job": "処理 (ジョブ) の記録と結果ファイルの控え (書き出したファイルそのもの)",
        "django_migrations": "データベースの構造の版 (datapackage.json の ai.migrations に記載)",
    }
    return {
        name: reasons.get(name) or known.get(name, default)
        for name in schema_tables()
        if name not in archived
    }


# --- writing ---------------------------------------------------------------------------------


def _select(table: Table) -> str:
    meta = table.model._meta
    columns = []
    for f in _columns(table):
        column = connection.ops.quote_name(f.column)
        kind, _ = _kind(f)
        if kind == "boolean":
            expression = f"{column}::text"  # true/false, as Table Schema reads them
        elif kind == "datetime":
            expression = (
                f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            )
        else:
            expression = column
        columns.append(f"{expression} AS {column}")
    source = f"{connection.ops.quote_name(connection.schema_name)}.{meta.db_table}"
    return (
        f"COPY (SELECT {', '.join(columns)} FROM {source} ORDER BY {meta.pk.column})"
        " TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
    )


def write_archive(
    target: zipfile.ZipFile,
    *,
    municipality: dict[str, Any],
    prefix: str = "",
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write every table's CSV and ``datapackage.json`` under ``prefix`` of ``target``.

    Returns the rows of each table. Runs inside the caller's transaction (one snapshot when
    the caller's transaction is REPEATABLE READ; a job's is one transaction anyway).
    """
    chosen = tables()
    names = {t.model._meta.db_table for t in chosen}
    resources, counts = [], {}
    for number, table in enumerate(chosen):
        meta = table.model._meta
        path = f"{DATA_DIR}{meta.db_table}.csv"
        if progress:
            progress(number, len(chosen), f"{meta.verbose_name} を書き出しています")
        digest, size = hashlib.sha256(), 0
        with (
            target.open(prefix + path, "w", force_zip64=True) as out,
            connection.cursor() as cursor,
            cursor.copy(_select(table)) as copy,
        ):
            for chunk in copy:
                data = bytes(chunk)
                digest.update(data)
                size += len(data)
                out.write(data)
        counts[meta.db_table] = _count(
            f"{connection.ops.quote_name(connection.schema_name)}.{meta.db_table}"
        )
        resources.append(
            {
                "profile": "tabular-data-resource",
                "name": meta.db_table,
                "path": path,
                "title": str(meta.verbose_name_plural),
                "description": _text((table.model.__doc__ or "").strip().splitlines()[0])
                if table.model.__doc__ and not meta.auto_created
                else f"{meta.verbose_name} (多対多の関連)",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                "bytes": size,
                "hash": f"sha256:{digest.hexdigest()}",
                "schema": table_schema(table, names),
                "ai:rows": counts[meta.db_table],
            }
        )
    omitted = {t.model._meta.db_table: list(t.omit) for t in chosen if t.omit}
    skipped = skipped_tables()
    descriptor = {
        "profile": "tabular-data-package",
        "name": f"ai-municipality-{municipality.get('code', '')}".lower(),
        "title": f"{municipality.get('name', '')} の全データ (Ai)",
        "description": _description(skipped, omitted),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": resources,
        "ai": {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "municipality": municipality,
            "migrations": migration_state({t.model._meta.app_label for t in chosen}),
            "excluded": skipped,
            "omittedColumns": omitted,
        },
    }
    target.writestr(
        prefix + DESCRIPTOR, json.dumps(descriptor, ensure_ascii=False, indent=1).encode()
    )
    return counts


# --- reading back ----------------------------------------------------------------------------


def _open(source: str | IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveError("ZIP形式のファイルではないか、ファイルが壊れています。") from exc


def _find_descriptor(archive: zipfile.ZipFile) -> str:
    """Where ``datapackage.json`` is: at the top, or in one folder (the full download's)."""
    candidates = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == DESCRIPTOR]
    if len(candidates) != 1:
        raise ArchiveError(
            "Aiの全データのアーカイブではありません (datapackage.json がありません)。"
        )
    return candidates[0][: -len(DESCRIPTOR)]


def read_descriptor(archive: zipfile.ZipFile) -> tuple[str, dict[str, Any]]:
    prefix = _find_descriptor(archive)
    try:
        descriptor = json.loads(archive.read(prefix + DESCRIPTOR))
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError("datapackage.json が読めません (ファイルが壊れています)。") from exc
    ai = descriptor.get("ai") if isinstance(descriptor, dict) else None
    if not isinstance(ai, dict) or ai.get("format") != FORMAT:
        raise ArchiveError("Aiの全データのアーカイブではありません。")
    if ai.get("version") != FORMAT_VERSION:
        raise ArchiveError(f"アーカイブの形式の版 ({ai.get('version')}) に対応していません。")
    return prefix, descriptor


def check(archive: zipfile.ZipFile, prefix: str, descriptor: dict[str, Any]) -> list[Table]:
    """Refuse an archive of another Ai version, with other tables or a damaged file."""
    chosen = tables()
    by_name = {t.model._meta.db_table: t for t in chosen}
    labels = {t.model._meta.app_label for t in chosen}
    here, there = migration_state(labels), descriptor["ai"].get("migrations")
    if here != there:
        missing = sorted(set(there or []) - set(here))
        older = sorted(set(here) - set(there or []))
        detail = (
            f"この環境にない変更: {', '.join(missing[:5])}"
            if missing
            else (f"アーカイブにない変更: {', '.join(older[:5])}")
        )
        raise ArchiveError(
            f"このアーカイブは別のバージョンのAiで作られたため取り込めません ({detail})。"
        )
    resources = {r.get("name"): r for r in descriptor.get("resources", [])}
    if set(resources) != set(by_name):
        raise ArchiveError(
            "アーカイブの表がこの環境と一致しません: "
            + ", ".join(sorted(set(resources) ^ set(by_name))[:5])
        )
    for name, table in by_name.items():
        resource = resources[name]
        expected = [f.column for f in _columns(table)]
        if [f.get("name") for f in resource.get("schema", {}).get("fields", [])] != expected:
            raise ArchiveError(f"表 {name} の列がこの環境と一致しません。")
        path = prefix + str(resource.get("path", ""))
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(path) as member:
                first = member.readline()
                digest.update(first)
                size += len(first)
                if first.rstrip(b"\r\n").decode("utf-8", "replace").split(",") != expected:
                    raise ArchiveError(f"{path} の見出し行が説明と一致しません。")
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        except KeyError as exc:
            raise ArchiveError(f"アーカイブに {path} がありません。") from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ArchiveError(f"{path} が壊れています。") from exc
        if resource.get("hash") != f"sha256:{digest.hexdigest()}" or resource.get("bytes") != size:
            raise ArchiveError(f"{path} が壊れています (チェックサムが一致しません)。")
    return chosen


def _count(table: str) -> int:
    """Rows of ``table`` (a name of this schema, or already schema-qualified and quoted)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def import_archive(
    source: str | IO[bytes], *, by: Actor, progress: Progress | None = None
) -> dict[str, int]:
    """Load an archive into the current municipality, which must be empty: all or nothing.

    The provisioned municipality's own rows (its first administrator, the national subject
    lists, the attendance codes) are replaced by the archive's. Users come without
    passwords (an administrator sets them). Returns the rows loaded per table.
    """
    by.require(by.can_take_all_data, "全データを取り込めるのは教育委員会の管理者です。")
    archive = _open(source)
    with archive:
        prefix, descriptor = read_descriptor(archive)
        chosen = check(archive, prefix, descriptor)
        found = {name: _count(name) for name in SIGNATURE_TABLES}
        if any(found.values()):
            raise ArchiveError(
                "取り込み先の自治体は空ではありません"
                f" (学校 {found['schools_school']}校、児童生徒 {found['schools_student']}人)。"
                "新しい自治体を作ってから取り込んでください。"
            )
        resources = {r["name"]: r for r in descriptor["resources"]}
        schema = connection.ops.quote_name(connection.schema_name)
        counts: dict[str, int] = {}
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                names = [f"{schema}.{t.model._meta.db_table}" for t in chosen]
                # No pending foreign-key checks may be left when a table is altered.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # The audit trail refuses TRUNCATE by trigger; an import replaces a new,
                # empty municipality's few rows (its first administrator, the national lists).
                for name in names:
                    cursor.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
                cursor.execute(f"TRUNCATE {', '.join(names)} CASCADE")
                for name in names:
                    cursor.execute(f"ALTER TABLE {name} ENABLE TRIGGER USER")
                for table in chosen:
                    for column in table.omit:
                        cursor.execute(
                            f"ALTER TABLE {schema}.{table.model._meta.db_table}"
                            f" ALTER COLUMN {column} SET DEFAULT %s",
                            [REFILL],
                        )
                # Rows refer to each other in any order: foreign keys are checked at the end.
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for number, table in enumerate(chosen):
                    meta = table.model._meta
                    if progress:
                        progress(number, len(chosen), f"{meta.verbose_name} を取り込んでいます")
                    target = f"{schema}.{meta.db_table}"
                    columns = ", ".join(
                        connection.ops.quote_name(f.column) for f in _columns(table)
                    )
                    sql = f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)"
                    path = prefix + resources[meta.db_table]["path"]
                    with archive.open(path) as member, cursor.copy(sql) as copy:
                        while chunk := member.read(1 << 20):
                            copy.write(chunk)
                    counts[meta.db_table] = _count(target)
                    if counts[meta.db_table] != resources[meta.db_table].get("ai:rows"):
                        raise ArchiveError(f"{meta.db_table} の行数が説明と一致しません。")
                    if isinstance(meta.pk, models.AutoField):
                        cursor.execute(
                            "SELECT setval(pg_get_serial_sequence(%s, %s),"
                            f" GREATEST(COALESCE(MAX({meta.pk.column}), 0), 1),"
                            f" MAX({meta.pk.column}) IS NOT NULL) FROM {target}",
                            [target, meta.pk.column],
                        )
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a broken reference fails here
                for table in chosen:
                    for column in table.omit:
                        cursor.execute(
                            f"ALTER TABLE {schema}.{table.model._meta.db_table}"
                            f" ALTER COLUMN {column} DROP DEFAULT"
                        )
                audit.record(
                    by,
                    "schools.archive.import",
                    None,
                    changes={
                        "from": descriptor["ai"].get("municipality", {}),
                        "created": descriptor.get("created"),
                        "rows": sum(counts.values()),
                    },
                    target_type="schools.archive",
                )
        except DatabaseError as exc:
            cause = str(getattr(exc, "__cause__", None) or exc).strip().splitlines()[0]
            raise ArchiveError(f"アーカイブの内容を取り込めませんでした: {cause}") from exc
    return counts


def archive_bytes(*, municipality: dict[str, Any]) -> bytes:
    """The archive alone as a zip (tests and benchmarks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        write_archive(target, municipality=municipality)
    return buffer.getvalue()
