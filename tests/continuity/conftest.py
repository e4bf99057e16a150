"""Throw-away PostgreSQL clusters for the continuity tests: a folder the ``postgres`` OS user
can reach (under /var/tmp, not pytest's private tmp) and ports nobody listens on."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.clusters import give_to_owner


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ai-continuity-", dir="/var/tmp"))
    give_to_owner(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def free_port() -> Callable[[], int]:
    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick
