"""Benchmark: one installation holding 1,800 municipalities (Japan has about 1,740).

    .venv/bin/python -m bench.national [--municipalities 1800] [--requests 300]
        [--sweep 600] [--workers 3] [--sample 20] [--executors fast,multiprocessing]
        [--jobs 3] [--keep] [--phases latency,dump,sweep,backup,migrate,fulldump]

In order, against DATABASE_URL (use a cluster of its own: 1,800 schemas of ~400
relations each make a catalog of ~750,000 relations):

1. provision 3 small municipalities (``nat-0000``...; codes 44000-45799); time a request
   on the first (its board administrator's home page, through gunicorn with several
   workers) and ``pg_dump --schema`` of it: the figures *among 3*;
2. provision the rest up to ``--municipalities`` (``--jobs`` processes; time each);
3. ``latency``: the same request on the same municipality *among N*: p95 ratio (goal
   <= 1.2); ``dump``: ``pg_dump --schema`` of it among N;
4. ``sweep``: memory while requests sweep across ``--sweep`` municipalities, each a
   different schema: the sum of the database backends' private memory (RssAnon: the
   catalog caches live there) and of the gunicorn workers, sampled as the sweep goes,
   with connections kept (``CONN_MAX_AGE=600``), the settings' default (60 s), recycled
   after each request (0), and kept but the workers recycled (gunicorn ``--max-requests``);
5. ``backup``: ``pg_dump -Fc --schema`` of a sample, extrapolated to N;
6. ``migrate``: one new migration across all of them (``migrate_schemas --tenant`` with a
   probe app, as ``bench.provisioning`` does) with each executor (``fast``: ``migrate_all``,
   the template by Django and the others by its SQL); goal <= 5 minutes;
7. ``fulldump``: one dump of the whole database (needs ``max_locks_per_transaction`` x
   ``max_connections`` above the number of tables).

Phases can be run apart (``--phases none`` provisions only). The figures *among 3* need a
database with no more than 3 bench municipalities: with ``--keep`` and 1,800 already
there, run ``--municipalities 3 --phases latency,dump`` against another database of the
same cluster.

The municipalities are deleted at the end unless ``--keep`` (a later run reuses them).
Every figure is a median (or a p95) of one run: the machine may be shared and noisy.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_code, setup_django

PORT = 8155
PREFIX = "nat-"
FIRST_CODE = 4000  # bench_code(4000 + i): 44000-45799, clear of the other benchmarks' codes
PATH = "/"  # the board administrator's home page: every app's summary, many tables
ROWS: list[tuple[str, str, str]] = []  # the final table: figure, value, goal


def row(label: str, value: str, goal: str = "") -> None:
    ROWS.append((label, value, goal))
    print(f"  {label}: {value} {goal}".rstrip(), flush=True)


def subdomain(i: int) -> str:
    return f"{PREFIX}{i:04d}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- municipalities -------------------------------------------------------------------


def existing() -> dict[int, object]:
    from tenants.models import Domain

    found = {}
    for domain in Domain.objects.filter(domain__startswith=PREFIX).select_related("tenant"):
        try:
            found[int(domain.domain.split(".")[0][len(PREFIX) :])] = domain.tenant
        except ValueError:
            continue
    return found


def provision_range(
    indexes: list[int], made: dict[int, object], fast_hasher: bool = False
) -> list[float]:
    """Provision municipalities ``indexes``; seconds each.

    ``fast_hasher``: the administrator's password is hashed with MD5 instead of PBKDF2
    (about half a second of CPU each, 3 s on a loaded machine): what is measured in bulk is
    the schema, not the hash, which costs the same however many municipalities there are.
    """
    from django.test import override_settings

    if fast_hasher:
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            return provision_range(indexes, made)
    from tenants import demo, provisioning

    times = []
    for n, i in enumerate(indexes):
        data = provisioning.NewMunicipality(
            name=f"ベンチ全国{i}市",
            code=bench_code(FIRST_CODE + i),
            subdomain=subdomain(i),
            admin_username="admin",
            admin_password="Bench-pass-2026",
            admin_name="ベンチ 管理者",
        )
        t0 = time.perf_counter()
        municipality = provisioning.provision(data, actor="bench:national")
        times.append(time.perf_counter() - t0)
        demo.exempt_loopback(municipality)  # the bench's requests come from loopback
        made[i] = municipality
        if (n + 1) % 100 == 0:
            print(
                f"    provisioned {n + 1}/{len(indexes)} (last 100: median "
                f"{statistics.median(times[-100:]) * 1000:.0f} ms)",
                file=sys.stderr,
                flush=True,
            )
    return times


def provision_parallel(indexes: list[int], jobs: int) -> list[float]:
    """Provision ``indexes`` in ``jobs`` processes (each a share of them); seconds each."""
    if jobs <= 1 or len(indexes) < 2 * jobs:
        made: dict[int, object] = {}
        return provision_range(indexes, made, fast_hasher=True)
    procs = []
    for k in range(jobs):
        share = ",".join(str(i) for i in indexes[k::jobs])
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.national", "--provision-only", share],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    times = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"a provisioning process failed ({proc.returncode})")
        times += [float(x) for x in out.split("TIMES ", 1)[1].split()]
    return times


def delete_all(made: dict[int, object]) -> None:
    from tenants import provisioning

    for m in made.values():
        provisioning.delete(m, confirm_schema=m.schema_name, actor="bench:national")


def session_for(municipality) -> tuple[str, str]:
    """(host, session key) of the municipality's board administrator, made in the database."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django_tenants.utils import schema_context

    host = municipality.domains.get(is_primary=True).domain
    with schema_context(municipality.schema_name):
        user = get_user_model().objects.get(username="admin")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # ModelBackend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return host, session.session_key


# --- the server and its clients -------------------------------------------------------


def start_server(
    workers: int, conn_max_age: int, max_requests: int = 0, max_schemas: int = 100_000
) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": str(conn_max_age)}
    env["AI_CONN_MAX_SCHEMAS"] = str(max_schemas)  # tenants/connections.py; off unless asked
    env["PGAPPNAME"] = APP_NAME  # libpq names the workers' connections
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}"]
    cmd += ["-w", str(workers), "--log-level", "warning", "--max-requests", str(max_requests)]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/login/", headers={"Host": "localhost"})
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get(host: str, session: str) -> float:
    """One GET of PATH as the administrator; seconds. Anything but 200 is an error."""
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request("GET", PATH, headers={"Host": host, "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if response.status != 200:
        where = response.getheader("Location") or ""
        raise RuntimeError(f"GET {host}{PATH}: {response.status} {where}")
    return elapsed


def latency(host: str, session: str, n: int, workers: int) -> list[float]:
    """``n`` sequential requests after a warm-up that reaches every worker."""
    for _ in range(max(10, 5 * workers)):
        get(host, session)
    return [get(host, session) for _ in range(n)]


# --- memory -----------------------------------------------------------------------------


def _status(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                values[key] = int(rest.split()[0])  # kB
    except OSError:
        pass
    return values


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


APP_NAME = "ai-bench-national"  # the gunicorn workers' connections (PGAPPNAME), to find them


def backend_memory_mb() -> tuple[float, int]:
    """(sum of the private memory in MB of the workers' database backends, their number).

    Read from /proc: the database must run on this machine (else 0, 0).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        pids = [pid for (pid,) in cursor.fetchall()]
    total = sum(_status(pid).get("RssAnon", 0) for pid in pids)
    return total / 1024, len(pids)


def workers_memory_mb(server: subprocess.Popen) -> float:
    return sum(_status(pid).get("VmRSS", 0) for pid in _children(server.pid)) / 1024


def sweep(
    sessions: list[tuple[str, str]],
    workers: int,
    conn_max_age: int,
    max_requests: int,
    label: str,
    max_schemas: int = 100_000,
) -> None:
    """Requests across many municipalities (each once, then once more), memory sampled."""
    server = start_server(workers, conn_max_age, max_requests, max_schemas)
    try:
        get(*sessions[0])
        samples = []
        times = []
        order = sessions + sessions
        step = max(1, len(order) // 6)
        for n, (host, key) in enumerate(order, 1):
            times.append(get(host, key))
            if n % step == 0 or n == len(order):
                samples.append((n, *backend_memory_mb(), workers_memory_mb(server)))
    finally:
        stop_server(server)
    print(f"    {label}: requests, backends' private MB (n), workers' RSS MB", flush=True)
    for n, pg_mb, count, app_mb in samples:
        print(f"      {n:6d}  {pg_mb:8.1f} ({count})  {app_mb:8.1f}", flush=True)
    _, pg_mb, count, app_mb = samples[-1]
    row(
        f"memory after {len(order)} requests over {len(sessions)} schemas, {label}",
        f"backends {pg_mb:.0f} MB ({count} connections), workers {app_mb:.0f} MB",
    )
    row(
        f"latency of a request to a schema the worker had not touched, {label}",
        f"median {statistics.median(times[: len(sessions)]) * 1000:.0f} ms, "
        f"p95 {pct(times[: len(sessions)], 0.95) * 1000:.0f} ms",
    )


# --- dumps ------------------------------------------------------------------------------


def pg_dump_seconds(schema: str, whole: bool = False) -> float:
    from django.db import connection

    s = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": s["PASSWORD"] or ""}
    binary = shutil.which("pg_dump") or "pg_dump"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [binary, "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432)]
        cmd += ["-U", s["USER"], "-d", s["NAME"], "-Fc", "-f", str(Path(tmp) / "dump")]
        if not whole:
            cmd += ["--schema", schema]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True)
        return time.perf_counter() - t0


# --- main -----------------------------------------------------------------------------


SMOKE_ARGS = (
    "--phases latency,dump,sweep,backup,migrate "
    "--municipalities 8 --jobs 2 --requests 10 --sweep 4 --sample 2 --executors multiprocessing"
)


PHASES = ("latency", "dump", "sweep", "backup", "migrate", "fulldump")


def measure(args, made: dict, total: int, target, small: list, dump_small) -> None:
    """The figures among ``total`` municipalities, phase by phase (``--phases``)."""
    phases = set(args.phases.split(","))
    if "latency" in phases:
        server = start_server(args.workers, 600)
        try:
            big = latency(*target, args.requests, args.workers)
        finally:
            stop_server(server)
        row(
            f"GET / among {total}",
            f"median {statistics.median(big) * 1000:.1f} ms, p95 {pct(big, 0.95) * 1000:.1f} ms",
        )
        if small:
            ratio = pct(big, 0.95) / pct(small, 0.95)
            row(
                f"p95 among {total} / among 3",
                f"{ratio:.2f}",
                f"goal <= 1.20: {'OK' if ratio <= 1.2 else 'MISSED'}",
            )
    if "dump" in phases:
        dump_big = statistics.median(pg_dump_seconds(made[0].schema_name) for _ in range(3))
        row(f"pg_dump --schema of one, among {total}", f"{dump_big:.2f} s")
    if "sweep" in phases:
        visit = sorted(made)[: min(args.sweep, len(made))]
        sessions = [session_for(made[i]) for i in visit]
        sweep(sessions, args.workers, 600, 0, "connections kept (CONN_MAX_AGE=600)")
        sweep(sessions, args.workers, 60, 0, "CONN_MAX_AGE=60 alone")
        sweep(
            sessions,
            args.workers,
            60,
            0,
            "the settings' defaults (CONN_MAX_AGE=60, AI_CONN_MAX_SCHEMAS=50)",
            max_schemas=50,
        )
        sweep(sessions, args.workers, 0, 0, "connections recycled (CONN_MAX_AGE=0)")
        recycle = max(10, len(sessions) // 2)
        sweep(sessions, args.workers, 600, recycle, f"kept, gunicorn --max-requests {recycle}")
    if "backup" in phases:
        sample = random.Random(13).sample(sorted(made), min(args.sample, len(made)))
        dumps = [pg_dump_seconds(made[i].schema_name) for i in sample]
        each = statistics.median(dumps)
        row(
            f"pg_dump -Fc --schema, sample of {len(dumps)}",
            f"median {each:.2f} s, max {max(dumps):.2f} s",
        )
        row(
            f"all {total} one schema at a time (extrapolated)",
            f"{each * total / 60:.0f} min",
            f"a night (8 h): {'OK' if each * total <= 8 * 3600 else 'MISSED'}",
        )
    if "migrate" in phases:
        from bench.provisioning import migrate_probe

        for executor in [e for e in args.executors.split(",") if e]:
            seconds = migrate_probe(executor)
            row(
                f"one new migration across {total} ({executor} executor)",
                f"{seconds:.0f} s",
                f"goal <= 300 s: {'OK' if seconds <= 300 else 'MISSED'}",
            )
    if "fulldump" in phases:
        row("pg_dump -Fc of the whole database", f"{pg_dump_seconds('', whole=True):.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=1800)
    parser.add_argument("--requests", type=int, default=300, help="per latency measurement")
    parser.add_argument("--sweep", type=int, default=600, help="schemas the memory sweep visits")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--sample", type=int, default=20, help="schemas dumped to extrapolate")
    parser.add_argument("--executors", default="fast,multiprocessing")
    parser.add_argument("--jobs", type=int, default=3, help="processes provisioning in bulk")
    parser.add_argument("--provision-only", help=argparse.SUPPRESS)  # a --jobs process
    parser.add_argument("--keep", action="store_true", help="keep the municipalities")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="what to measure after provisioning (in this order; 'none': provision only)",
    )
    args = parser.parse_args(argv)
    n_total = args.municipalities
    if args.provision_only:
        setup_django()
        indexes = [int(i) for i in args.provision_only.split(",")]
        times = provision_range(indexes, {}, fast_hasher=True)
        print("TIMES " + " ".join(f"{t:.4f}" for t in times), flush=True)
        return
    if not 3 <= n_total <= 1800:
        parser.error("--municipalities: 3 to 1800")
    setup_django()
    from tenants import provisioning
    from tenants.models import Municipality

    t0 = time.perf_counter()
    provisioning.ensure_template()
    # A larger earlier run's municipalities stay (and count among the others).
    made = {i: m for i, m in existing().items() if i < n_total}
    target = None
    try:
        others = Municipality.objects.exclude(schema_name="public").count() - len(made)
        print(f"# national scale: {n_total} municipalities ({others} others in the database)")
        if len(made) <= 3:
            missing = [i for i in range(3) if i not in made]
            first = provision_range(missing, made)
            row(
                "provision one among 3 (real password hasher)",
                f"median {statistics.median(first) * 1000:.0f} ms (n={len(first)})",
            )
            target = session_for(made[0])
            server = start_server(args.workers, 600)
            try:
                small = latency(*target, args.requests, args.workers)
            finally:
                stop_server(server)
            dump_small = statistics.median(pg_dump_seconds(made[0].schema_name) for _ in range(3))
            row(
                "GET / among 3",
                f"median {statistics.median(small) * 1000:.1f} ms, "
                f"p95 {pct(small, 0.95) * 1000:.1f} ms",
            )
            row("pg_dump --schema of one, among 3", f"{dump_small:.2f} s")
        else:
            small, dump_small = [], None
            target = None
            print("  (municipalities left by an earlier run: no figures among 3)")
        target = session_for(made[0])  # anew: the first one may have idled out meanwhile
        missing = [i for i in range(n_total) if i not in made]
        last = missing[-5:] if len(missing) > 10 else []  # timed with the real hasher, at the end
        bulk = [i for i in missing if i not in last]
        t_prov = time.perf_counter()
        times = provision_parallel(bulk, args.jobs)
        made = {i: m for i, m in existing().items() if i < n_total}
        if times:
            row(
                f"provision {len(times)} municipalities in bulk (MD5 for the admin's password)",
                f"{time.perf_counter() - t_prov:.0f} s in all, median "
                f"{statistics.median(times) * 1000:.0f} ms, p95 {pct(times, 0.95) * 1000:.0f} ms, "
                f"last one {times[-1] * 1000:.0f} ms",
            )
        if len(times) >= 200:
            row(
                "provision in bulk: the first 100 against the last 100",
                f"median {statistics.median(times[:100]) * 1000:.0f} ms against "
                f"{statistics.median(times[-100:]) * 1000:.0f} ms",
            )
        if last:
            final = provision_range(last, made)
            row(
                f"provision one among {n_total} (real password hasher)",
                f"median {statistics.median(final) * 1000:.0f} ms (n={len(final)})",
            )
        total = Municipality.objects.exclude(schema_name="public").count()
        print(f"  {total} municipalities in the database", flush=True)
        measure(args, made, total, target, small, dump_small)
    finally:
        if not args.keep:
            delete_all(made)
    print(f"\n# national scale: figures ({time.perf_counter() - t0:.0f} s in all)")
    width = max(len(label) for label, _, _ in ROWS) if ROWS else 0
    for label, value, goal in ROWS:
        print(f"{label.ljust(width)}  {value}  {goal}".rstrip())


if __name__ == "__main__":
    main()
