"""Failover: teachers save marks, the primary is killed mid-burst, the standby takes over.

    .venv/bin/python -m bench.failover [--replication sync|async|both] [--before 6]
        [--after 10] [--threads 8] [--workers 2] [--promote-after 0.5] [--stall 0]
        [--json FILE] [--keep]

Two local PostgreSQL clusters (``bench.clusters``, data in ``--dir``, ports ``--ports``):
a primary with Ai migrated and a small municipality (1 school, homeroom teachers with
logged-in sessions), and a standby made by ``scripts/standby.sh create`` (synchronous or
asynchronous). Ai is served by gunicorn (``--workers``, 127.0.0.1:``--http-port``) with
``DATABASE_URL`` naming both hosts and ``target_session_attrs=read-write``. Client threads
PUT the day's marks of their classes (``/api/v1/attendance/class-marks/<id>/``), each save
on a class and date of its own and tagged in the mark's note, so every save can be looked
for afterwards. After ``--before`` seconds the primary gets SIGKILL (postmaster and
backends at once: a crash, not a shutdown); ``--promote-after`` seconds later the standby is
promoted (``scripts/standby.sh promote``: what an operator or a failover manager does);
the threads keep saving for ``--after`` seconds, through the same gunicorn processes.
With ``--stall S`` the standby reaches the primary through a relay (``bench.clusters.Link``)
that stops carrying WAL S seconds before the kill and is cut with it: a congested or broken
link between the buildings, the case where asynchronous replication loses what the primary
had already answered (and synchronous replication answers nothing it has not got).

Then every save answered 200 is looked for on the new primary. Printed per replication
mode: saves answered 200 before and after the kill, answers 503 (the outage, in the API's
JSON shape), lost saves (answered 200, missing on the new primary), and the time to
recover: from the kill to the first save answered 200 that was sent after it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.clusters import Link, LocalCluster, give_to_owner

ROOT = Path(__file__).resolve().parent.parent
SUBDOMAIN = "failover"
SMOKE_ARGS = "--replication sync --before 2 --after 3 --threads 2 --workers 1"
NOTE = "fo"


# --- Preparing the primary (a subprocess with DATABASE_URL on the primary alone) ----------


def prepare(out: Path, n_teachers: int) -> None:
    """Ai migrated, one small municipality, logged-in homeroom teachers and their school days."""
    from bench.common import bench_code, provision_bench, setup_django

    setup_django()
    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from bench.attendance_data import generate_calendars, generate_roster
    from bench.loadtest_attendance import sessions_for
    from schools import calendar
    from schools.models import Classroom, SchoolYear

    call_command("migrate_all", verbosity=0)
    municipality = provision_bench("フェイルオーバー市", SUBDOMAIN, bench_code(7990))
    # The clients are on this machine: no second factor for them (as in the demo).
    municipality.mfa_exempt_loopback = True
    municipality.save(update_fields=["mfa_exempt_loopback"])
    with schema_context(municipality.schema_name):
        generate_roster(1, 34 * n_teachers)
        year = SchoolYear.objects.get(year=2026)
        generate_calendars(year, stdout=lambda *_: None)
        teachers = sessions_for(municipality, n_teachers)
        for teacher in teachers:
            classroom = Classroom.objects.select_related("school").get(pk=teacher["classroom"])
            dates = [
                d.date for d in calendar.school_dates(classroom.school, year) if d.is_school_day
            ]
            # Days of a closure (学級閉鎖 …) refuse marks: left out, so every save can succeed.
            closed = calendar.closures_of(classroom.school, dates[0], dates[-1])
            teacher["days"] = [
                day.isoformat() for day in dates if not any(c.covers(day) for c in closed)
            ]
    out.write_text(json.dumps({"schema": municipality.schema_name, "teachers": teachers}))


# --- The burst ------------------------------------------------------------------------------


@dataclass
class Save:
    tag: str
    sent: float
    answered: float
    status: int  # 0: no HTTP answer (connection refused or reset)


@dataclass
class Burst:
    saves: list[Save] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    samples: dict[int, str] = field(default_factory=dict)  # the first answer of each status

    def add(self, save: Save) -> None:
        with self.lock:
            self.saves.append(save)


def saver(burst: Burst, port: int, teachers: list[dict], index: int, pause: float) -> None:
    """One teacher's desk after another: each save is a class and a date of its own."""
    csrf = secrets.token_hex(16)  # 32 characters: Django takes the unmasked secret
    n_days = min(len(t["days"]) for t in teachers)
    slots = [(t, t["days"][i]) for i in range(n_days) for t in teachers]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n, (teacher, day) in enumerate(slots):
        if burst.stop.is_set():
            break
        tag = f"{NOTE}-{index}-{n}"
        body = json.dumps(
            {
                "date": day,
                "marks": [{"enrolment": teacher["enrolments"][0], "code": "absent", "note": tag}],
            }
        )
        headers = {
            "Host": teacher["host"],
            "Cookie": f"ai_session={teacher['session']}; ai_csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/json",
        }
        sent = time.time()
        try:
            conn.request(
                "PUT", f"/api/v1/attendance/class-marks/{teacher['classroom']}/", body, headers
            )
            response = conn.getresponse()
            answer = response.read()
            status = response.status
            if status != 200 and status not in burst.samples:
                burst.samples[status] = answer.decode(errors="replace")[:500]
        except OSError:
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        burst.add(Save(tag, sent, time.time(), status))
        if status != 200:
            time.sleep(pause)  # a client that waits a little before trying again


def start_server(url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "600",
        # Every teacher here comes from 127.0.0.1: not the API's per-address limit.
        "AI_API_RATE_PER_ADDRESS": "100000/minute",
        "DATABASE_CONNECT_TIMEOUT": "2",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--threads",
            "4",
            "--log-level",
            "error",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),  # the outage's errors, logged by Django: not for the console
    )
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/", headers={"Host": f"{SUBDOMAIN}.localhost"})
            if conn.getresponse().status < 500:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("gunicorn did not start")


def standby_sh(*args: str) -> None:
    subprocess.run(
        [str(ROOT / "scripts" / "standby.sh"), *args],
        env={**os.environ, "PGPASSWORD": "ai", "PGUSER": "ai"},
        check=True,
        capture_output=True,
        text=True,
    )


def prepare_template(base: Path, port: int, n_teachers: int) -> tuple[LocalCluster, dict, float]:
    """A primary with Ai and the municipality, stopped cleanly: each run starts from a copy."""
    template = LocalCluster(base / "template", port)
    template.init()
    template.start()
    t = time.perf_counter()
    try:
        template.psql("CREATE DATABASE ai", db="postgres")
        data_file = base / "teachers.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.failover",
                "--prepare",
                str(data_file),
                "--teachers",
                str(n_teachers),
            ],
            env={**os.environ, "DATABASE_URL": template.url, "LOG_LEVEL": "ERROR"},
            cwd=ROOT,
            check=True,
        )
    finally:
        template.stop()
    return template, json.loads(data_file.read_text()), time.perf_counter() - t


def run(
    replication: str,
    template: LocalCluster,
    prepared: dict,
    *,
    base: Path,
    ports: tuple[int, int],
    http_port: int,
    before: float,
    after: float,
    threads: int,
    workers: int,
    promote_after: float,
    stall: float = 0.0,
    keep: bool = False,
) -> dict:
    """One failover with ``replication`` ("sync" or "async"); returns its figures."""
    base = base / replication
    primary = LocalCluster(base / "primary", ports[0])
    standby = LocalCluster(base / "standby", ports[1])
    for cluster in (primary, standby):
        cluster.destroy()
    give_to_owner(base)
    subprocess.run(["cp", "-a", str(template.data), str(primary.data)], check=True)
    primary.configure(f"unix_socket_directories = '{primary.socket_dir}'\n")
    primary.start()
    server = None
    # With --stall, the standby reaches the primary through a link that can stall.
    link = Link(ports[0]) if stall else None
    try:
        standby_sh(
            "create",
            "--primary",
            f"127.0.0.1:{link.port if link else ports[0]}",
            "--data",
            str(standby.data),
            "--port",
            str(ports[1]),
            "--name",
            "standby1",
            f"--{replication}",
        )
        url = (
            f"postgres://ai:ai@127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}/ai"
            "?target_session_attrs=read-write"
        )
        server = start_server(url, http_port, workers, base / "gunicorn.log")
        workers_before = set(children(server.pid))

        burst = Burst()
        teachers = prepared["teachers"]
        pool = [
            threading.Thread(
                target=saver,
                args=(burst, http_port, teachers[i::threads], i, 0.05),
                daemon=True,
            )
            for i in range(threads)
        ]
        for thread in pool:
            thread.start()
        if link:
            # The link stops carrying WAL shortly before the crash: what asynchronous
            # replication loses (the primary answered, the standby never heard), and
            # synchronous cannot (no answer without the standby).
            time.sleep(max(0.0, before - stall))
            link.stall()
            time.sleep(min(stall, before))
        else:
            time.sleep(before)
        killed = time.time()
        primary.kill()
        if link:
            link.cut()
        time.sleep(promote_after)
        promoting = time.time()
        standby_sh("promote", "--data", str(standby.data), "--port", str(ports[1]))
        promoted = time.time()
        time.sleep(after)
        burst.stop.set()
        for thread in pool:
            thread.join(timeout=60)
        workers_after = set(children(server.pid))

        tags = set(
            standby.psql(
                f'SELECT note FROM "{prepared["schema"]}".attendance_mark '
                f"WHERE note LIKE '{NOTE}-%'"
            ).split()
        )
        result = figures(
            replication,
            burst.saves,
            tags,
            killed,
            promoted,
            same_workers=workers_before == workers_after,
        )
        result["stall_s"] = stall
        result["promote_command_s"] = round(promoted - promoting, 3)
        result["samples"] = {str(k): v for k, v in burst.samples.items()}
        return result
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not keep:
            primary.destroy()
            standby.destroy()


def children(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()


def figures(
    replication: str,
    saves: list[Save],
    on_new_primary: set[str],
    killed: float,
    promoted: float,
    *,
    same_workers: bool,
) -> dict:
    answered = [s for s in saves if s.status == 200]
    lost = [s.tag for s in answered if s.tag not in on_new_primary]
    recovered = min((s.answered for s in answered if s.sent > killed), default=None)
    statuses: dict[str, int] = {}
    for s in saves:
        if s.answered >= killed or s.status != 200:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "replication": replication,
        "saves": len(saves),
        "answered_200": len(answered),
        "answered_200_before_kill": sum(s.answered < killed for s in answered),
        "answered_200_after_kill": sum(s.answered >= killed for s in answered),
        "statuses_after_kill": statuses,
        "lost": len(lost),
        "lost_tags": lost[:20],
        "unanswered_but_saved": sum(s.status != 200 and s.tag in on_new_primary for s in saves),
        "promote_s": round(promoted - killed, 3),
        "recover_s": None if recovered is None else round(recovered - killed, 3),
        "recover_after_promote_s": None if recovered is None else round(recovered - promoted, 3),
        "same_gunicorn_workers": same_workers,
    }


def report(result: dict) -> str:
    stalled = f" (standby link stalled {result['stall_s']} s before)" if result["stall_s"] else ""
    return (
        f"{result['replication']:>5}{stalled}: {result['saves']} saves sent, "
        f"{result['answered_200']} answered 200 ({result['answered_200_before_kill']} before the "
        f"kill, {result['answered_200_after_kill']} after), LOST {result['lost']}; "
        f"answers after the kill {result['statuses_after_kill']}; "
        f"{result['unanswered_but_saved']} saved without a 200 answer; "
        f"promoted {result['promote_s']} s after the kill (the promotion itself took "
        f"{result['promote_command_s']} s); first save answered 200 "
        f"{result['recover_s']} s after the kill ({result['recover_after_promote_s']} s after "
        f"the promotion); gunicorn workers unchanged: {result['same_gunicorn_workers']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replication", choices=["sync", "async", "both"], default="both")
    parser.add_argument("--before", type=float, default=6, help="seconds of saves before the kill")
    parser.add_argument("--after", type=float, default=10, help="seconds of saves after promotion")
    parser.add_argument("--promote-after", type=float, default=0.5)
    parser.add_argument(
        "--stall",
        type=float,
        default=0.0,
        help="seconds before the kill during which the standby receives no WAL (a bad link)",
    )
    parser.add_argument("--threads", type=int, default=8, help="client threads (teachers)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/ai-failover"))
    parser.add_argument("--ports", default="55431,55432", help="primary,standby")
    parser.add_argument("--http-port", type=int, default=8103)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--keep", action="store_true", help="keep the clusters afterwards")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--teachers", type=int, default=16, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.prepare, args.teachers)
        return
    p1, p2 = (int(p) for p in args.ports.split(","))
    modes = ["sync", "async"] if args.replication == "both" else [args.replication]
    print(
        f"failover at {dt.datetime.now():%Y-%m-%d %H:%M}: {args.threads} client threads, "
        f"{args.workers} gunicorn workers, primary killed after {args.before} s, "
        f"promoted {args.promote_after} s later, saves for {args.after} s more"
    )
    template, prepared, seconds = prepare_template(args.dir, p1, 2 * args.threads)
    print(f"primary prepared in {seconds:.0f} s (Ai migrated, 1 municipality, teachers)")
    results = []
    try:
        for mode in modes:
            result = run(
                mode,
                template,
                prepared,
                base=args.dir,
                ports=(p1, p2),
                http_port=args.http_port,
                before=args.before,
                after=args.after,
                threads=args.threads,
                workers=args.workers,
                promote_after=args.promote_after,
                stall=args.stall,
                keep=args.keep,
            )
            results.append(result)
            print(report(result), flush=True)
    finally:
        if not args.keep:
            template.destroy()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
