"""Throw-away PostgreSQL clusters of this machine, for the continuity tests and benchmarks.

A ``LocalCluster`` is a data folder and a port (never the development cluster's 54329): it
is created with ``initdb`` (superuser ``ai``/``ai``, like ``scripts/devdb.sh``), listens on
127.0.0.1 and on a Unix socket in its own folder (pgBackRest reaches the cluster through
the socket), and runs as the ``postgres`` OS user when we are root, since PostgreSQL
refuses to run as root. ``kill()`` is a crash (SIGKILL to the postmaster and its children),
not a shutdown: what the failover benchmark needs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

OS_USER = os.environ.get("AI_PG_OS_USER", "postgres")


def bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")


def as_owner(argv: list[str]) -> list[str]:
    """``argv`` run as the clusters' OS user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *argv]
    return argv


def give_to_owner(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER)


class LocalCluster:
    def __init__(self, data: Path, port: int):
        self.data = Path(data)
        self.port = port
        self.log = self.data.parent / f"{self.data.name}.log"
        self.socket_dir = self.data.parent / f"{self.data.name}.sock"

    @property
    def url(self) -> str:
        return f"postgres://ai:ai@127.0.0.1:{self.port}/ai"

    def run(self, *argv: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(
            as_owner([str(bindir() / argv[0]), *argv[1:]]),
            check=check,
            capture_output=True,
            text=True,
            **kw,
        )

    def init(self, extra_conf: str = "") -> None:
        """A new, empty cluster (any previous one in the folder is removed)."""
        self.destroy()
        give_to_owner(self.data.parent)
        pwfile = self.data.parent / "pwfile"
        pwfile.write_text("ai\n")
        pwfile.chmod(0o644)
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "ai",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        pwfile.unlink()
        self.configure(
            f"""
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.socket_dir}'
max_connections = 100
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
wal_keep_size = 256MB
fsync = on
{extra_conf}
"""
        )

    def configure(self, text: str) -> None:
        """Appends to postgresql.conf (as the owner: the file is not ours to rewrite)."""
        give_to_owner(self.socket_dir)
        subprocess.run(
            as_owner(["tee", "-a", str(self.data / "postgresql.conf")]),
            input=text,
            text=True,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        give_to_owner(self.socket_dir)
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start")

    def stop(self) -> None:
        if self.running():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def running(self) -> bool:
        return self.pid() is not None

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
            # A killed postmaster stays a zombie until its parent (init) reaps it: dead.
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError):
            return None
        return None if state in ("Z", "X") else pid

    def kill(self) -> None:
        """A crash: SIGKILL to the postmaster and every backend (its process group)."""
        pid = self.pid()
        if pid is None:
            return
        # The postmaster leads its process group (it calls setsid): one signal for all of
        # them, so no backend outlives it to answer one more commit.
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if self.pid() is None:
                return
            time.sleep(0.05)

    def promote(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")

    def psql(self, sql: str, db: str = "ai") -> str:
        out = subprocess.run(
            [
                str(bindir() / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "ai",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ],
            env={**os.environ, "PGPASSWORD": "ai"},
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def destroy(self) -> None:
        if self.running():
            self.kill()
        for path in (self.data, self.socket_dir):
            shutil.rmtree(path, ignore_errors=True)
        self.log.unlink(missing_ok=True)


class Link:
    """A TCP relay standing for the network between the standby and the primary.

    ``stall()`` stops carrying the primary's bytes to the standby (they are held here, as a
    congested or broken link holds them); ``cut()`` closes every connection and drops what
    was held: what the primary sent and the standby never received is gone with it.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stalled = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, to_standby: bool) -> None:
        held: list[bytes] = []
        try:
            while data := src.recv(65536):
                if to_standby and self.stalled.is_set():
                    held.append(data)
                    continue
                for chunk in [*held, data]:
                    dst.sendall(chunk)
                held.clear()
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.close()

    def stall(self) -> None:
        self.stalled.set()

    def cut(self) -> None:
        self.closed.set()
        for s in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
