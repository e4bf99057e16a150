"""Load test: the morning burst of homeroom teachers saving their class's attendance.

    .venv/bin/python -m bench.loadtest_attendance [--seconds 20] [--teachers 400]
        [--clients 4] [--concurrency 16] [--workers 5] [--mode page|api] [--max-saves 20000]

Against Ai served by gunicorn on 127.0.0.1 only (port 8150, started and stopped here),
in the bench municipality of ``bench.attendance_data`` (generated the first time).
Each simulated teacher has a logged-in session (created in the database beforehand),
loads today's page of their class once (CSRF token), then saves the day's marks again
and again (2-4 students absent / late, changing each time) until the time or the count
is up. ``page`` posts the entry form as htmx does (the page answers with the re-rendered
entry); ``api`` PUTs ``/api/v1/attendance/class-marks/<id>/``.
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
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

from bench.common import setup_django

PORT = 8150
DAY = "2026-11-26"  # a school day (Thursday) of the bench calendar


def prepare(n_teachers: int) -> tuple[str, list[dict]]:
    """Sessions of ``n_teachers`` homeroom teachers and their classes' enrolments."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django_tenants.utils import schema_context

    from bench import attendance_data
    from schools.models import Enrolment, RoleAssignment

    municipality = attendance_data.ensure(500, 260_000)
    host = municipality.domains.get(is_primary=True).domain
    teachers = []
    with schema_context(municipality.schema_name):
        roles = list(
            RoleAssignment.objects.filter(role="homeroom").select_related("staff__user")
            .order_by("classroom_id")[:n_teachers]
        )  # fmt: skip
        by_class: dict[int, list[int]] = {}
        for cid, eid in Enrolment.objects.filter(
            classroom_id__in=[r.classroom_id for r in roles]
        ).values_list("classroom_id", "pk"):
            by_class.setdefault(cid, []).append(eid)
        backend = settings.AUTHENTICATION_BACKENDS[0]
        User = get_user_model()
        for role in roles:
            user: User = role.staff.user
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            teachers.append({"classroom": role.classroom_id, "session": session.session_key,
                             "enrolments": by_class.get(role.classroom_id, [])})  # fmt: skip
    return host, teachers


def start_server(workers: int, limit_set_calls: bool = False) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "600"}
    if limit_set_calls:
        env["DJANGO_SETTINGS_MODULE"] = "bench.attendance_settings"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(workers), "--log-level", "warning", "--max-requests", "0"],
        env=env, start_new_session=True,
    )  # fmt: skip
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


def client(args: tuple) -> list[tuple[float, int]]:
    """One client process: ``concurrency`` threads, each a teacher saving again and again."""
    import threading

    host, teachers, mode, deadline, max_saves, concurrency = args
    from django.conf import settings

    session_cookie, csrf_cookie = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def teacher_loop(teacher: dict, rng: random.Random) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        cookie = f"{session_cookie}={teacher['session']}"
        path = f"/attendance/class/{teacher['classroom']}/day/{DAY}/"
        conn.request("GET", path, headers={"Host": host, "Cookie": cookie})
        response = conn.getresponse()
        body = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        csrf = re.search(rf"{csrf_cookie}=([^;]+)", response.getheader("Set-Cookie") or "")
        if not token or not csrf:
            raise RuntimeError(f"no CSRF token for {path}: {response.status}")
        cookie += f"; {csrf_cookie}={csrf.group(1)}"
        while time.time() < deadline:
            with lock:
                if len(results) >= max_saves:
                    return
            marked = rng.sample(teacher["enrolments"], k=min(len(teacher["enrolments"]),
                                                             rng.randint(2, 4)))  # fmt: skip
            codes = {eid: rng.choice(["sick", "absent", "late"]) for eid in marked}
            if mode == "api":
                payload = json.dumps({"date": DAY, "marks": [
                    {"enrolment": e, "code": c} for e, c in codes.items()]})  # fmt: skip
                headers = {"Host": host, "Cookie": cookie, "X-CSRFToken": csrf.group(1),
                           "Content-Type": "application/json"}  # fmt: skip
                method, url = "PUT", f"/api/v1/attendance/class-marks/{teacher['classroom']}/"
            else:
                form = {"csrfmiddlewaretoken": token.group(1)}
                form.update({f"m{e}": codes.get(e, "") for e in teacher["enrolments"]})
                payload = urllib.parse.urlencode(form)
                headers = {"Host": host, "Cookie": cookie, "HX-Request": "true",
                           "Content-Type": "application/x-www-form-urlencoded",
                           "Referer": f"http://{host}{path}"}  # fmt: skip
                method, url = "POST", path
            t = time.perf_counter()
            conn.request(method, url, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - t
            with lock:
                results.append((elapsed, response.status))

    threads = [
        threading.Thread(target=teacher_loop, args=(t, random.Random(t["classroom"])), daemon=True)
        for t in teachers[:concurrency]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.time() + 30))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--max-saves", type=int, default=20_000)
    parser.add_argument("--teachers", type=int, default=400)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--concurrency", type=int, default=6, help="teachers per client process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--mode", choices=["page", "api"], default="page")
    parser.add_argument(
        "--limit-set-calls",
        action="store_true",
        help="serve with TENANT_LIMIT_SET_CALLS (bench.attendance_settings)",
    )
    args = parser.parse_args()
    setup_django()
    host, teachers = prepare(args.teachers)
    random.Random(1).shuffle(teachers)
    server = start_server(args.workers, args.limit_set_calls)
    try:
        per_client = max(1, len(teachers) // args.clients)
        # Warm the workers (imports, connections) before the clock starts.
        client((host, teachers[:4], args.mode, time.time() + 2, 40, 4))
        deadline = time.time() + args.seconds
        jobs = [
            (host, teachers[i * per_client : (i + 1) * per_client], args.mode, deadline,
             args.max_saves // args.clients, args.concurrency)
            for i in range(args.clients)
        ]  # fmt: skip
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.clients) as pool:
            results = [r for part in pool.map(client, jobs) for r in part]
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    latencies = sorted(r[0] for r in results)
    errors = [r for r in results if r[1] >= 400]
    if not latencies:
        print("no saves")
        return
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    rate = len(results) / wall
    print(
        f"mode {args.mode}{' + TENANT_LIMIT_SET_CALLS' if args.limit_set_calls else ''}: "
        f"{len(results)} saves in {wall:.1f} s by "
        f"{args.clients * args.concurrency} concurrent teachers, {args.workers} gunicorn workers"
    )
    print(
        f"saves/s: {rate:.0f}  latency median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, errors {len(errors)}"
    )
    verdict = "OK" if rate >= 200 and p95 < 0.2 and not errors else "MISSED"
    print(f"target >= 200 saves/s and p95 < 200 ms: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
