"""Where backup files are kept: a folder apart from the database (``AI_BACKUP_DIR``).

The service speaks only to this small interface; an S3-compatible bucket would be one
more class (``put`` uploads, ``local_copy`` downloads to a temporary file).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from django.conf import settings


class Storage(Protocol):
    def put(self, name: str, source: Path) -> int:
        """Store ``source`` as ``name`` (``<schema>/<file>``); return its size in bytes."""

    def local_copy(self, name: str) -> Iterator[Path]:
        """A context manager: a readable local path of ``name`` while it is open."""

    def delete(self, name: str) -> None: ...

    def exists(self, name: str) -> bool: ...


class FolderStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"backup name outside the folder: {name!r}")
        return path

    def put(self, name: str, source: Path) -> int:
        target = self._path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)  # a reader never sees half a file under the final name
        return target.stat().st_size

    @contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        yield self._path(name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()


def default() -> Storage:
    return FolderStorage(Path(settings.AI_BACKUP_DIR))
