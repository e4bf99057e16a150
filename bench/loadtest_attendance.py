"""Load test: the morning burst of homeroom teachers saving their class's attendance.

    .venv/bin/python -m bench.loadtest_attendance [--seconds 20] [--teachers 300]
        [--municipalities 100 (0: the Yokohama-sized one)] [--clients 2] [--concurrency 6] [--workers 2]
        [--mode page|api] [--max-saves 20000]

Against Ai served by gunicorn on 127.0.0.1 only (port 8150, started and stopped here).
Teachers come from the Yokohama-sized bench municipality of ``bench.attendance_data``
(generated the first time), or with ``--municipalities N`` from N small municipalities
provisioned for the run and deleted after it (3 schools each). Each teacher has a
logged-in session (created in the database beforehand); the client threads take the
teachers in turn: a teacher loads today's page once (CSRF token), then saves the day's
marks (2-4 students absent / late, changing each time), until the time or the count is
up. ``page`` posts the entry form as htmx does (the answer is the small save fragment);
``api`` PUTs ``/api/v1/attendance/class-marks/<id>/``. Page loads are not counted as
saves but take their share of the time.
With ``--client wrk`` (the default when Debian's ``wrk`` is installed) each teacher's page
is loaded beforehand and wrk, a C load generator, sends the saves, leaving the two cores
to gunicorn and PostgreSQL; the Python client spends a good part of them itself.
Prints saves per second and latency percentiles. Target: >= 200 saves/s, p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

from bench.common import setup_django

PORT = 8150
DAY = "2026-11-26"  # a school day (Thursday) of the bench calendar


def sessions_for(municipality, n_teachers: int) -> list[dict]:
    """Logged-in sessions of ``n_teachers`` homeroom teachers of a municipality (in its DB)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_tenants.utils import schema_context

    from schools.models import Enrolment, RoleAssignment

    host = municipality.domains.get(is_primary=True).domain
    teachers = []
    with schema_context(municipality.schema_name):
        roles = list(
            RoleAssignment.objects.filter(role="homeroom")
            .select_related("staff__user")
            .order_by("classroom_id")[:n_teachers]
        )
        by_class: dict[int, list[int]] = {}
        for cid, eid in Enrolment.objects.filter(
            classroom_id__in=[r.classroom_id for r in roles]
        ).values_list("classroom_id", "pk"):
            by_class.setdefault(cid, []).append(eid)
        # The backend that loads the user (axes' first one only refuses locked-out logins).
        backend = next(b for b in settings.AUTHENTICATION_BACKENDS if not b.startswith("axes."))
        for role in roles:
            user = role.staff.user
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            teachers.append(
                {
                    "host": host,
                    "classroom": role.classroom_id,
                    "session": session.session_key,
                    "enrolments": by_class.get(role.classroom_id, []),
                }
            )
    return teachers


MANY_PREFIX = "bench-att-"


def drop_many() -> None:
    """Delete the small municipalities of ``--municipalities`` (also leftovers of a cut run)."""
    from tenants import provisioning
    from tenants.models import Domain

    for domain in Domain.objects.filter(domain__startswith=MANY_PREFIX).select_related("tenant"):
        m = domain.tenant
        provisioning.delete(m, confirm_schema=m.schema_name, actor="bench:loadtest")


def prepare_many(n: int, per_municipality: int) -> list[dict]:
    """``n`` small municipalities (3 schools, 600 students, a calendar) and their teachers."""
    from django_tenants.utils import schema_context

    from bench.attendance_data import generate_calendars, generate_roster
    from bench.common import bench_code, provision_bench
    from schools.models import SchoolYear

    drop_many()
    teachers = []
    for i in range(n):
        municipality = provision_bench(
            f"ベンチ出欠{i + 1}市",
            f"{MANY_PREFIX}{i + 1:03d}",
            bench_code(7000 + i),
            actor="bench:loadtest",
        )
        with schema_context(municipality.schema_name):
            generate_roster(3, 600)
            generate_calendars(SchoolYear.objects.get(year=2026), stdout=lambda *_: None)
        teachers += sessions_for(municipality, per_municipality)
    return teachers


def start_server(workers: int) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "600"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
            "--max-requests",
            "0",
        ],
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/login/", headers={"Host": "localhost"})
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


WRK_SCRIPT = """
local requests = {}
init = function(args)
%s
end
local i = 0
request = function()
  i = i + 1
  return requests[(i %% #requests) + 1]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua(text: str) -> str:
    return "[==[" + text + "]==]"


def run_wrk(teachers: list[dict], seconds: float, connections: int) -> tuple[int, float, list]:
    """The same saves sent by wrk (C, two threads), which leaves the cores to Ai.

    Each teacher's page is loaded once beforehand (CSRF token); three variants of the
    day's marks per teacher are then sent in turn. Returns (saves, seconds, [p50, p95, max]
    in ms, errors)."""
    import tempfile

    from django.conf import settings

    session_cookie, csrf_cookie = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME
    rng = random.Random(7)
    lines = []
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    for teacher in teachers:
        path = f"/attendance/class/{teacher['classroom']}/day/{DAY}/"
        cookie = f"{session_cookie}={teacher['session']}"
        conn.request("GET", path, headers={"Host": teacher["host"], "Cookie": cookie})
        response = conn.getresponse()
        body = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        csrf = re.search(rf"{csrf_cookie}=([^;]+)", response.getheader("Set-Cookie")).group(1)
        for _ in range(3):
            marked = rng.sample(teacher["enrolments"], k=min(len(teacher["enrolments"]), 3))
            form = {"csrfmiddlewaretoken": token}
            form.update(
                {
                    f"m{e}": (rng.choice(["sick", "absent", "late"]) if e in marked else "")
                    for e in teacher["enrolments"]
                }
            )
            headers = {
                "Host": teacher["host"],
                "Cookie": f"{cookie}; {csrf_cookie}={csrf}",
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{teacher['host']}{path}",
            }
            lua_headers = ", ".join(f"[ {_lua(k)} ]={_lua(v)}" for k, v in headers.items())
            lines.append(
                f"requests[#requests+1] = wrk.format('POST', {_lua(path)}, {{{lua_headers}}}, "
                f"{_lua(urllib.parse.urlencode(form))})"
            )
            if len(lines) == 1:  # the first save, sent here too: it must really save
                conn.request("POST", path, body=urllib.parse.urlencode(form), headers=headers)
                answer = conn.getresponse().read().decode()
                if "保存しました" not in answer:
                    raise RuntimeError(f"a save did not save: {answer[:500]}")
    rng.shuffle(lines)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % "\n".join(lines))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            f"http://127.0.0.1:{PORT}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "WRK " not in out:
        raise RuntimeError(f"wrk printed no summary (script {script.name}):\n{out}")
    os.unlink(script.name)
    n, micros, p50, p95, top, errors = map(int, re.search(r"WRK ([\d ]+)", out).group(1).split())
    return n, micros / 1e6, [p50 / 1000, p95 / 1000, top / 1000], errors


def client(args: tuple) -> list[tuple[float, int]]:
    """One client process: ``concurrency`` threads (connections), each saving for its share of
    the teachers in turn (a teacher loads the page once, for the CSRF token, then saves)."""
    import threading

    teachers, mode, deadline, max_saves, concurrency = args
    from django.conf import settings

    session_cookie, csrf_cookie = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def open_page(conn, teacher: dict) -> dict:
        cookie = f"{session_cookie}={teacher['session']}"
        path = f"/attendance/class/{teacher['classroom']}/day/{DAY}/"
        conn.request("GET", path, headers={"Host": teacher["host"], "Cookie": cookie})
        response = conn.getresponse()
        body = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        csrf = re.search(rf"{csrf_cookie}=([^;]+)", response.getheader("Set-Cookie") or "")
        if not token or not csrf:
            raise RuntimeError(f"no CSRF token for {path}: {response.status}")
        return {
            "path": path,
            "token": token.group(1),
            "csrf": csrf.group(1),
            "cookie": f"{cookie}; {csrf_cookie}={csrf.group(1)}",
        }

    def save(conn, teacher: dict, page: dict, rng: random.Random) -> None:
        host = teacher["host"]
        marked = rng.sample(
            teacher["enrolments"], k=min(len(teacher["enrolments"]), rng.randint(2, 4))
        )
        codes = {eid: rng.choice(["sick", "absent", "late"]) for eid in marked}
        if mode == "api":
            payload = json.dumps(
                {"date": DAY, "marks": [{"enrolment": e, "code": c} for e, c in codes.items()]}
            )
            headers = {
                "Host": host,
                "Cookie": page["cookie"],
                "X-CSRFToken": page["csrf"],
                "Content-Type": "application/json",
            }
            method, url = "PUT", f"/api/v1/attendance/class-marks/{teacher['classroom']}/"
        else:
            form = {"csrfmiddlewaretoken": page["token"]}
            form.update({f"m{e}": codes.get(e, "") for e in teacher["enrolments"]})
            payload = urllib.parse.urlencode(form)
            headers = {
                "Host": host,
                "Cookie": page["cookie"],
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{host}{page['path']}",
            }
            method, url = "POST", page["path"]
        t = time.perf_counter()
        conn.request(method, url, body=payload, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - t
        with lock:
            results.append((elapsed, response.status))

    def worker(mine: list[dict], rng: random.Random) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        pages: dict[tuple[str, int], dict] = {}  # ids repeat across municipalities
        n = 0
        while time.time() < deadline and mine:
            with lock:
                if len(results) >= max_saves:
                    return
            teacher = mine[n % len(mine)]
            n += 1
            key = (teacher["host"], teacher["classroom"])
            if key not in pages:
                pages[key] = open_page(conn, teacher)
            save(conn, teacher, pages[key], rng)

    threads = [
        threading.Thread(
            target=worker, args=(teachers[i::concurrency], random.Random(i)), daemon=True
        )
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.time() + 30))
    return results


SMOKE_ARGS = "--seconds 2 --municipalities 1 --teachers 2 --clients 1 --concurrency 1 --workers 1 --client python"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--max-saves", type=int, default=20_000)
    parser.add_argument("--teachers", type=int, default=400)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--concurrency", type=int, default=6, help="teachers per client process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--mode", choices=["page", "api"], default="page")
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="wrk" if shutil.which("wrk") else "python",
        help="who sends the saves: Python threads (also load the page first, counted in the "
        "window) or wrk (Debian package; pages loaded beforehand, page mode only)",
    )
    parser.add_argument(
        "--municipalities",
        type=int,
        default=100,
        help="teachers of N small municipalities (provisioned, then deleted); 0: the "
        "Yokohama-sized one",
    )
    args = parser.parse_args(argv)
    setup_django()
    from bench import attendance_data

    if args.municipalities:
        t = time.perf_counter()
        teachers = prepare_many(args.municipalities, max(1, args.teachers // args.municipalities))
        print(f"{args.municipalities} municipalities prepared in {time.perf_counter() - t:.0f} s")
    else:
        teachers = sessions_for(attendance_data.ensure(500, 260_000), args.teachers)
    random.Random(1).shuffle(teachers)
    server = start_server(args.workers)
    if args.client == "wrk":
        try:
            n, wall, (p50, p95, top), errors = run_wrk(
                teachers, args.seconds, args.clients * args.concurrency
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            if args.municipalities:
                drop_many()
        hosts = len({t["host"] for t in teachers})
        print(
            f"mode page (wrk): {n} saves in {wall:.1f} s by {args.clients * args.concurrency} "
            f"connections (teachers: {len(teachers)} in {hosts} municipalities), "
            f"{args.workers} gunicorn workers"
        )
        print(
            f"saves/s: {n / wall:.0f}  latency median {p50:.0f} ms, p95 {p95:.0f} ms, "
            f"max {top:.0f} ms, errors {errors}"
        )
        ok = n / wall >= 200 and p95 < 200 and not errors
        print(f"target >= 200 saves/s and p95 < 200 ms: {'OK' if ok else 'MISSED'}")
        return
    try:
        per_client = max(1, len(teachers) // args.clients)
        # Warm the workers (imports, connections) before the clock starts.
        client((teachers[:4], args.mode, time.time() + 2, 40, 4))
        deadline = time.time() + args.seconds
        jobs = [
            (
                teachers[i * per_client : (i + 1) * per_client],
                args.mode,
                deadline,
                args.max_saves // args.clients,
                args.concurrency,
            )
            for i in range(args.clients)
        ]
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.clients) as pool:
            results = [r for part in pool.map(client, jobs) for r in part]
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if args.municipalities:
            drop_many()
    latencies = sorted(r[0] for r in results)
    errors = [r for r in results if r[1] != 200]  # a redirect would be a lost session
    if not latencies:
        print("no saves")
        return
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    rate = len(results) / wall
    hosts = len({t["host"] for t in teachers})
    print(
        f"mode {args.mode}: "
        f"{len(results)} saves in {wall:.1f} s by "
        f"{args.clients * args.concurrency} concurrent teachers (of {len(teachers)} in {hosts} "
        f"municipalities), {args.workers} gunicorn workers"
    )
    print(
        f"saves/s: {rate:.0f}  latency median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, errors {len(errors)}"
    )
    if errors:
        statuses: dict[int, int] = {}
        for _, status in errors:
            statuses[status] = statuses.get(status, 0) + 1
        print(f"non-200 answers by status: {statuses}")
    verdict = "OK" if rate >= 200 and p95 < 0.2 and not errors else "MISSED"
    print(f"target >= 200 saves/s and p95 < 200 ms: {verdict}")


if __name__ == "__main__":
    main()
