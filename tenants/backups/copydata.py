"""The ``copy`` layout of a backup's data: ``COPY ... TO STDOUT`` of every table, no DDL.

A municipality's schema is a clone of the migrated template (``tenants.cloning``), so its
structure is known from its migration state; only the data needs keeping. ``pg_dump
--schema`` reads the definitions of the whole catalog (over 5 minutes a run among 1,800
municipalities); this reads only the schema's own tables, found through ``pg_depend``.

The member ``schema.dump`` is one zlib stream: per table (in foreign-key order) a line
``T {"table": ..., "columns": [...]}``, then chunks of COPY text output, each as
``<length>\\n<bytes>``, and ``0\\n`` at its end. Identity sequences' values go in the manifest.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from tenants.cloning import RELATIONS


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables_in_order(cur, schema: str) -> list[str]:
    """The schema's tables, each after the tables its foreign keys point to (cycles: by name)."""
    cur.execute(
        RELATIONS + "SELECT relname FROM rels WHERE relkind IN ('r', 'p') ORDER BY relname",
        [schema],
    )
    tables = [r[0] for r in cur.fetchall()]
    cur.execute(
        RELATIONS
        + """
        SELECT c.relname, r.relname FROM pg_constraint con
        JOIN rels c ON c.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
        WHERE con.contype = 'f' AND con.conrelid <> con.confrelid
        """,
        [schema],
    )
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for table, target in cur.fetchall():
        if target in needs:
            needs[table].add(target)
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in placed and needs[t] <= placed]
        if not ready:  # a cycle: Django's foreign keys are deferred, any order loads
            ready = [next(t for t in tables if t not in placed)]
        for t in ready:
            ordered.append(t)
            placed.add(t)
    return ordered


def _columns(cur, schema: str, table: str) -> list[str]:
    cur.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        [f"{_q(schema)}.{_q(table)}"],
    )
    return [r[0] for r in cur.fetchall()]


def sequences(cur, schema: str) -> dict[str, list[Any]]:
    """``{table: [identity column, last_value, is_called]}``: the next id of every table."""
    cur.execute(
        RELATIONS
        + """
        SELECT cl.relname, a.attname, pg_get_serial_sequence(
                 quote_ident(%s) || '.' || quote_ident(cl.relname), a.attname)
        FROM pg_attribute a JOIN rels cl ON cl.oid = a.attrelid
        WHERE a.attidentity <> '' AND NOT a.attisdropped ORDER BY 1
        """,
        [schema, schema],
    )
    found = {}
    for table, column, sequence in cur.fetchall():
        cur.execute(f"SELECT last_value, is_called FROM {sequence}")
        last_value, is_called = cur.fetchone()
        found[table] = [column, last_value, is_called]
    return found


def dump(cur, schema: str, target: Path) -> dict[str, int]:
    """Write every table of ``schema`` to ``target`` (psycopg 3 cursor); rows per table."""
    counts: dict[str, int] = {}
    packer = zlib.compressobj(1)
    with open(target, "wb") as out:
        for table in tables_in_order(cur, schema):
            columns = _columns(cur, schema, table)
            header = json.dumps({"table": table, "columns": columns}, ensure_ascii=False)
            out.write(packer.compress(b"T " + header.encode() + b"\n"))
            cols = ", ".join(_q(c) for c in columns)
            pending = bytearray()  # COPY yields a row at a time: frame ~256 kB at once
            with cur.copy(f"COPY {_q(schema)}.{_q(table)} ({cols}) TO STDOUT") as copy:
                for chunk in copy:
                    pending += chunk
                    if len(pending) >= 1 << 18:
                        out.write(packer.compress(b"%d\n" % len(pending) + pending))
                        pending.clear()
            if pending:
                out.write(packer.compress(b"%d\n" % len(pending) + pending))
            counts[table] = cur.rowcount
            out.write(packer.compress(b"0\n"))
        out.write(packer.flush())
    return counts


class _Reader:
    """Read the zlib stream back, a line or a number of bytes at a time."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.unpacker = f, zlib.decompressobj()
        self.buffer, self.pos = b"", 0  # a position, not slicing: slices would copy the buffer

    def _fill(self, n: int) -> bool:
        """True once ``n`` unread bytes are buffered (False: the stream ended first)."""
        while len(self.buffer) - self.pos < n:
            raw = self.f.read(1 << 20)
            more = self.unpacker.decompress(raw) if raw else self.unpacker.flush()
            self.buffer, self.pos = self.buffer[self.pos :] + more, 0
            if not raw:
                return len(self.buffer) >= n
        return True

    def line(self) -> bytes | None:
        while (end := self.buffer.find(b"\n", self.pos)) < 0:
            if not self._fill(len(self.buffer) - self.pos + 1):
                if len(self.buffer) > self.pos:
                    raise ValueError("truncated data stream")
                return None
        line, self.pos = self.buffer[self.pos : end], end + 1
        return line

    def take(self, n: int) -> bytes:
        if not self._fill(n):
            raise ValueError("truncated data stream")
        data, self.pos = self.buffer[self.pos : self.pos + n], self.pos + n
        return data


def tables(path: Path) -> Iterator[tuple[str, list[str], Iterator[bytes]]]:
    """``(table, columns, chunks)`` in the file's order; consume each table's chunks in turn."""
    with open(path, "rb") as f:
        reader = _Reader(f)
        while (line := reader.line()) is not None:
            if not line.startswith(b"T "):
                raise ValueError("not a table header")
            header = json.loads(line[2:])

            def chunks() -> Iterator[bytes]:
                while (size := int(reader.line() or b"")) > 0:
                    yield reader.take(size)

            yield header["table"], header["columns"], chunks()


def load(cur, schema: str, path: Path) -> dict[str, int]:
    """COPY the file's tables into the (empty) tables of ``schema``; rows per table."""
    counts: dict[str, int] = {}
    for table, columns, chunks in tables(path):
        cols = ", ".join(_q(c) for c in columns)
        with cur.copy(f"COPY {_q(schema)}.{_q(table)} ({cols}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        counts[table] = cur.rowcount
    return counts


def set_sequences(cur, schema: str, values: dict[str, list[Any]]) -> None:
    for table, (column, last_value, is_called) in values.items():
        cur.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
            [f"{_q(schema)}.{_q(table)}", column, last_value, is_called],
        )
