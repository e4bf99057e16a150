"""The backup file: a tar of ``manifest.json``, ``public.json`` and ``schema.dump``.

``schema.dump`` holds the schema's data: in the ``copy`` layout (``copydata``, format /2, the
default) COPY output per table, restored into a clone of the template at the manifest's
migration state; in the ``pgdump`` layout (format /1 files, and ``--format pgdump``)
``pg_dump --format=custom`` of the schema; ``public.json``
its rows of the public schema (municipality, domains); the manifest says whose it is,
which migrations its schema has, how many rows each table held and the SHA-256 of the
two other members. ``verify`` refuses, with a Japanese message, anything that is not a
whole backup this code can restore.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "ai-municipality-backup/2"
# /1 files (pg_dump only) stay restorable: retention keeps backups for a year.
FORMATS_READ = ("ai-municipality-backup/1", FORMAT)
LAYOUTS = ("copy", "pgdump")


def layout_of(manifest: dict[str, Any]) -> str:
    return manifest.get("layout", "pgdump")


MANIFEST, PUBLIC, DUMP = "manifest.json", "public.json", "schema.dump"


class Refused(Exception):  # noqa: N818
    """A file this code will not restore; the message is Japanese and says why."""


@dataclass(frozen=True)
class Contents:
    manifest: dict[str, Any]
    public: dict[str, Any]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write(target: Path, manifest: dict[str, Any], public: dict[str, Any], dump: Path) -> None:
    public_bytes = json.dumps(public, ensure_ascii=False, indent=1, default=str).encode()
    manifest = {
        **manifest,
        "format": FORMAT,
        "sha256": {PUBLIC: hashlib.sha256(public_bytes).hexdigest(), DUMP: sha256_of(dump)},
        "sizes": {PUBLIC: len(public_bytes), DUMP: dump.stat().st_size},
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, default=str).encode()
    with tarfile.open(target, "w") as tar:
        for name, data in ((MANIFEST, manifest_bytes), (PUBLIC, public_bytes)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
        tar.add(dump, arcname=DUMP)


NOT_A_BACKUP = "このファイルは Ai の自治体バックアップではありません。"
DAMAGED = "バックアップファイルが壊れているか、途中で切れています ({detail})。復元できません。"


def verify(path: Path, extract_dump_to: Path | None = None) -> Contents:
    """Read and check the whole file; optionally write ``schema.dump`` out for pg_restore."""
    try:
        with tarfile.open(path, "r:") as tar:
            names = set(tar.getnames())
            if not {MANIFEST, PUBLIC, DUMP} <= names:
                raise Refused(NOT_A_BACKUP)
            manifest = json.loads(tar.extractfile(MANIFEST).read())
            if not isinstance(manifest, dict) or manifest.get("format") not in FORMATS_READ:
                raise Refused(NOT_A_BACKUP)
            public_bytes = tar.extractfile(PUBLIC).read()
            expected = manifest.get("sha256") or {}
            if hashlib.sha256(public_bytes).hexdigest() != expected.get(PUBLIC):
                raise Refused(DAMAGED.format(detail=PUBLIC))
            digest = hashlib.sha256()
            source = tar.extractfile(DUMP)
            with open(extract_dump_to or os.devnull, "wb") as out:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected.get(DUMP):
                raise Refused(DAMAGED.format(detail=DUMP))
            public = json.loads(public_bytes)
            if layout_of(manifest) not in LAYOUTS:
                raise Refused(NOT_A_BACKUP)
    except Refused:
        raise
    except (tarfile.ReadError, EOFError, OSError) as exc:
        if not tarfile.is_tarfile(path):
            raise Refused(NOT_A_BACKUP) from exc
        raise Refused(DAMAGED.format(detail=type(exc).__name__)) from exc
    except (ValueError, AttributeError, KeyError) as exc:
        raise Refused(NOT_A_BACKUP) from exc
    return Contents(manifest=manifest, public=public)
