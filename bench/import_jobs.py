"""Benchmark: a 20,000-row roster imported in the request vs through jobs with progress.

    .venv/bin/python -m bench.import_jobs [--students 20000] [--runs 2]

Through the real pages over HTTP (Django's test client on the municipality's host, with the
middleware, as the board's administrator), with a real worker (``manage.py procrastinate
worker``, started here on the same database):

- in the request (``AI_IMPORT_JOB_ROWS`` above the file): POST the file → the preview page;
  POST the confirmation → the redirect. The teacher sees nothing until each answers.
- as jobs (the default threshold): POST the file → the progress page; the job's row is read
  every 20 ms: *first count* (「(0 / 20,001 行)」, the file's size known), *first rows
  counted*, the end; then the page (the preview); the same for the confirmation, to the
  import page with its message. The worker runs with DEBUG off, as in production.

The page itself polls once a second, so a person sees each change up to 1 s after the
figure here. Runs in a throw-away municipality (deleted at the end). Data: bench/synth.py.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import provision_bench, setup_django

SUBDOMAIN = "bench-impjobs"
CODE_FIRST_FIVE = "39991"  # 高知県 99x: used by no municipality and no other benchmark
ROOT = Path(__file__).resolve().parent.parent


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


class Worker:
    def __init__(self, log: Path):
        from django.db import connection

        s = connection.settings_dict
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker"],
            cwd=ROOT,
            # As in production (DEBUG off: no query log), like the web side of this bench.
            env=dict(os.environ, DATABASE_URL=url, LOG_LEVEL="WARNING", DEBUG="0"),
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        import signal

        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._out.close()


def _follow(client, job_url: str, status_url: str) -> tuple[float | None, float | None, float]:
    """Seconds to the first count shown (「(0 / 20,001 行)」), to the first rows counted (more
    than 0), and to the end. The job's row is read every 20 ms (one light query: polling the
    page itself that often would take the worker's CPU); at the end, the fragment the page
    polls must say so (``HX-Refresh``)."""
    from tenants.jobs.models import Job

    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    started = time.perf_counter()
    first = counted = None
    while True:
        done, total, state = Job.objects.values_list(
            "progress_done", "progress_total", "state"
        ).get(pk=job_id)
        if total and first is None:
            first = time.perf_counter() - started
        if total and done and counted is None:
            counted = time.perf_counter() - started
        if state in Job.FINISHED:
            ended = time.perf_counter() - started
            assert client.get(status_url).get("HX-Refresh") == "true"
            return first, counted, ended
        if time.perf_counter() - started > 600:
            raise SystemExit(f"job at {job_url} did not end: {state}")
        time.sleep(0.02)


def _plus(seconds: float | None, offset: float) -> float | None:
    return None if seconds is None else seconds + offset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from bench import synth
    from bench.roster_import import make_school
    from schools.models import Enrolment, SchoolYear, Student
    from tenants import provisioning
    from tenants.codes import check_digit

    rows = synth.students(args.students, year=2026)
    data = synth.roster_xlsx(rows, title="令和8年度 全校名簿（ベンチマーク）")
    print(
        f"roster: {len(rows):,} students, file {len(data) / 1024 / 1024:.2f} MB (.xlsx); "
        f"job threshold {settings.AI_IMPORT_JOB_ROWS:,} rows"
    )
    code = CODE_FIRST_FIVE + str(check_digit(CODE_FIRST_FIVE))
    municipality = provision_bench("ベンチ取込市", SUBDOMAIN, code, actor="bench:import_jobs")
    from tenants import demo

    demo.exempt_loopback(municipality)  # the test client is loopback: no second factor
    threshold = settings.AI_IMPORT_JOB_ROWS
    worker = Worker(ROOT / "artifacts" / "bench_import_jobs_worker.log")
    results: dict[str, list[float]] = {}

    def note(key: str, seconds: float | None) -> None:
        if seconds is not None:
            results.setdefault(key, []).append(seconds)

    try:
        with schema_context(municipality.schema_name):
            year = SchoolYear.objects.create(year=2026, state=SchoolYear.State.CURRENT)
            admin = get_user_model().objects.get(username="admin")
            client = Client(HTTP_HOST=provisioning.host_for(SUBDOMAIN))
            client.force_login(admin)
            schools = iter(range(1, 1000))

            def clear() -> None:
                Enrolment.objects.all().delete()
                Student.objects.all().delete()

            def upload(school):
                return client.post(
                    "/roster/io/import/",
                    {
                        "school": school.pk,
                        "year": year.pk,
                        "file": SimpleUploadedFile("名簿.xlsx", data),
                    },
                )

            # Warm-up: templates, and the worker up (a self-check job run to its end).
            client.get("/roster/io/import/")
            from tenants import jobs

            check = jobs.enqueue(
                "jobs.selfcheck",
                requested_by_id=admin.pk,
                requested_by_name="bench",
                params={"steps": 0, "delay": 0},
            )
            while not jobs.find(check.pk).is_finished:
                time.sleep(0.1)
            for run in range(1, args.runs + 1):
                # In the request.
                clear()
                school = make_school(next(schools), year, rows)
                settings.AI_IMPORT_JOB_ROWS = 10**9
                t0 = time.perf_counter()
                preview = upload(school)
                t_preview = time.perf_counter() - t0
                assert preview.status_code == 200, (preview.status_code, preview.get("Location"))
                t0 = time.perf_counter()
                done = client.post("/roster/io/import/confirm/", _hidden(preview.content.decode()))
                t_commit = time.perf_counter() - t0
                assert done.status_code == 302, done.status_code
                connection.set_schema(municipality.schema_name)
                assert Enrolment.objects.filter(school=school).count() == len(rows)
                note("request: preview page", t_preview)
                note("request: commit", t_commit)

                # As jobs.
                clear()
                school = make_school(next(schools), year, rows)
                settings.AI_IMPORT_JOB_ROWS = threshold
                t0 = time.perf_counter()
                accepted = upload(school)
                t_accept = time.perf_counter() - t0
                assert accepted.status_code == 302, accepted.status_code
                job_url = accepted["Location"]
                page = client.get(job_url)
                t_page = time.perf_counter() - t0
                assert "取り消す" in page.content.decode()
                first, counted, _ = _follow(client, job_url, job_url + "status/")
                shown = client.get(job_url)
                t_total = time.perf_counter() - t0
                html = shown.content.decode()
                assert "この内容で登録する" in html, html[:300]
                note("job: upload answered (302)", t_accept)
                note("job: progress page shown", t_page)
                note("job: first count shown, 0 / total (from the upload)", _plus(first, t_page))
                note("job: first rows counted (from the upload)", _plus(counted, t_page))
                note("job: preview page shown", t_total)

                t0 = time.perf_counter()
                accepted = client.post("/roster/io/import/confirm/", _hidden(html))
                assert accepted.status_code == 302, accepted.status_code
                job_url = accepted["Location"]
                client.get(job_url)
                t_page = time.perf_counter() - t0
                first, counted, _ = _follow(client, job_url, job_url + "status/")
                ended = client.get(job_url)
                assert ended.status_code == 302, ended.status_code
                message = client.get(ended["Location"]).content.decode()
                t_total = time.perf_counter() - t0
                assert "名簿を取り込みました" in message
                connection.set_schema(municipality.schema_name)
                assert Enrolment.objects.filter(school=school).count() == len(rows)
                note("job: commit, progress page shown", t_page)
                note("job: commit, first count shown", _plus(first, t_page))
                note("job: commit, first rows counted", _plus(counted, t_page))
                note("job: commit, message shown", t_total)
                print(
                    f"  run {run}: request {t_preview:.2f} + {t_commit:.2f} s; "
                    f"job preview {results['job: preview page shown'][-1]:.2f} s "
                    f"(first rows {results['job: first rows counted (from the upload)'][-1]:.2f} s), "
                    f"commit {t_total:.2f} s"
                )
            clear()
    finally:
        settings.AI_IMPORT_JOB_ROWS = threshold
        worker.stop()
        connection.close()
        connection.set_schema_to_public()
        provisioning.delete(
            municipality, confirm_schema=municipality.schema_name, actor="bench:import_jobs"
        )
        print(f"deleted {municipality.schema_name}")
    print()
    for key, values in results.items():
        print(
            f"{key}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
