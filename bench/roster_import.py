"""Benchmark: importing a 10,000-student roster end to end, beside a naive row-by-row import.

    .venv/bin/python -m bench.roster_import [--students 10000] [--runs 3] [--naive-runs 1]

Target (issue 3): at most 10 s end to end (upload and parse, validate, preview
page, confirm and commit) and peak memory under 500 MB. Each run goes through
the real pages over HTTP (Django's test client on the municipality's host,
with the middleware, as a BoE administrator): POST the file to the import page
(the preview), then POST the confirmation. Then the same file is imported
again (nothing may change). The naive import reads the same file with openpyxl
and writes row by row through the ORM (one transaction); the ratio is printed.

Runs in a throw-away municipality (provisioned with tenants.provisioning,
deleted at the end, also after an error). Synthetic data: bench/synth.py.

    .venv/bin/python -m bench.roster_import --ods [--students 20000] [--runs 3]

reads the same roster as .xlsx and as .ods (converted by headless LibreOffice,
``soffice``) with the shared reader (``read_table``, the roster's columns) and
prints the read time and the peak memory of each; no database is needed. Each
file is read in a child process of its own, so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import resource
import statistics
import sys
import time
import tracemalloc

from bench.common import provision_bench, setup_django

SUBDOMAIN = "bench-roster"
# 39 (高知県) 99x: a code no real municipality and no other benchmark uses.
CODE_FIRST_FIVE = "39990"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_line(label: str, seconds: list[float], target: float | None = None) -> str:
    med = statistics.median(seconds)
    text = f"{label}: median {med:.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}, n={len(seconds)})"
    if target is not None:
        text += f"  target <= {target:.0f} s: {'OK' if med <= target else 'MISSED'}"
    return text


class Interrupted(Exception):
    """The database connection was cut from outside (another session terminating backends)."""


def retrying(label: str, fn, schema: str, attempts: int = 8):
    """Run ``fn``; if the connection is cut from outside, run it again (and say so)."""
    from django.db import InterfaceError, OperationalError, connection

    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (OperationalError, InterfaceError, Interrupted) as exc:
            if attempt == attempts:
                raise
            print(f"  {label}: connection cut from outside ({str(exc).strip()[:60]}), retrying")
            connection.close()
            connection.set_schema(schema)


def provision():
    from tenants.codes import check_digit

    code = CODE_FIRST_FIVE + str(check_digit(CODE_FIRST_FIVE))
    return provision_bench("ベンチ名簿市", SUBDOMAIN, code, actor="bench:roster_import")


def make_school(n: int, year, rows):
    from bench import synth
    from schools.models import Classroom, School, SchoolType

    school = School.objects.create(
        name=f"ベンチ第{n}小学校", school_type=SchoolType.ELEMENTARY, mext_code=f"B139{n:09d}"
    )
    Classroom.objects.bulk_create(
        Classroom(school=school, school_year=year, grade=g, name=name, sort_order=i)
        for i, (g, name) in enumerate(synth.classes(rows))
    )
    return school


def clear_students() -> None:
    from schools.models import Enrolment, Student

    Enrolment.objects.all().delete()
    Student.objects.all().delete()


def http_import(client, school, year, data: bytes) -> tuple[float, float, dict]:
    """POST the file (preview page), then the confirmation; seconds for each and the counts."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    t0 = time.perf_counter()
    preview = client.post(
        "/roster/io/import/",
        {"school": school.pk, "year": year.pk, "file": SimpleUploadedFile("名簿.xlsx", data)},
    )
    t1 = time.perf_counter()
    html = preview.content.decode()
    if preview.status_code == 500:
        raise Interrupted("preview answered 500")
    if preview.status_code != 200 or 'name="token"' not in html:
        errors = re.findall(r'<td class="error">(.*?)</td>', html)[:5]
        raise SystemExit(f"preview failed ({preview.status_code}): {errors or html[:500]}")
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    counts = {
        k: int(v.replace(",", ""))
        for k, v in re.findall(r"(新規|更新|変更なし)</span> ([\d,]+)", html)
    }
    t2 = time.perf_counter()
    if counts.get("新規", 0) or counts.get("更新", 0):
        done = client.post("/roster/io/import/confirm/", fields)
        if done.status_code == 500:
            raise Interrupted("confirm answered 500")
        if done.status_code != 302:
            raise SystemExit(f"confirm failed ({done.status_code}): {done.content[:500]!r}")
    # else nothing to write: the page offers no confirmation, and the user stops here (the
    # pending upload expires; it lives in the throwaway municipality's schema).
    return t1 - t0, time.perf_counter() - t2, counts


def naive_import(school, year, data: bytes) -> float:
    """What a first version would do: openpyxl in normal mode, one ORM round trip per row."""
    from django.db import transaction
    from openpyxl import load_workbook

    from schools.models import Classroom, Enrolment, Student

    t0 = time.perf_counter()
    ws = load_workbook(io.BytesIO(data)).active
    rows = ws.iter_rows(values_only=True)
    for values in rows:
        if values and values[0] == "学年":
            break
    sex = {"男": "M", "女": "F"}
    with transaction.atomic():
        for grade, class_name, roll, name, kana, sx, born, number in rows:
            classroom = Classroom.objects.get(
                school=school, school_year=year, grade=grade, name=class_name
            )
            born = born.date() if isinstance(born, dt.datetime) else born
            student = Student.objects.filter(student_number=str(number)).first()
            if student is None:
                student = Student.objects.create(
                    name=name, kana=kana, sex=sex[sx], birth_date=born, student_number=str(number)
                )
            else:
                student.name, student.kana, student.sex = name, kana, sex[sx]
                student.birth_date = born
                student.save()
            Enrolment.objects.update_or_create(
                student=student,
                school=school,
                school_year=year,
                defaults={
                    "classroom": classroom,
                    "grade": grade,
                    "roll_number": roll,
                    "enrolled_on": year.start,
                },
            )
    return time.perf_counter() - t0


SMOKE_ARGS = "--students 100 --runs 1 --naive-runs 1"


# --- .ods against .xlsx (issue 9, LibreOffice users) ---------------------------------------


def to_ods(data: bytes) -> bytes:
    """``data`` (an .xlsx) saved as .ods by headless LibreOffice Calc."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="bench_ods_") as tmp:
        source = Path(tmp) / "roster.xlsx"
        source.write_bytes(data)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "ods",
                "--outdir",
                tmp,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        return (Path(tmp) / "roster.ods").read_bytes()


def read_once(path: str) -> None:
    """Child process: read the file once; print seconds, rows, traced and RSS peaks (MB)."""
    from schools.excel import ROSTER_COLUMNS
    from schools.imports.roster import ROSTER_LIMITS
    from schools.spreadsheets import read_table

    with open(path, "rb") as file:
        data = file.read()
    rss_before = peak_rss_mb()
    tracemalloc.start()
    result = read_table(data, ROSTER_COLUMNS, limits=ROSTER_LIMITS)
    traced = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    # A second read without tracemalloc (it slows allocation-heavy code): the time to report.
    t0 = time.perf_counter()
    read_table(data, ROSTER_COLUMNS, limits=ROSTER_LIMITS)
    untraced = time.perf_counter() - t0
    # What was read, row by row: the .ods must give the same digest as the .xlsx.
    import hashlib

    digest = hashlib.sha256(repr([(r.number, r.values) for r in result.rows]).encode())
    print(
        f"{untraced:.4f} {len(result.rows)} {traced:.1f} {peak_rss_mb() - rss_before:.1f} "
        f"{len(result.errors)} {digest.hexdigest()[:16]}"
    )


def ods_against_xlsx(students: int, runs: int) -> int:
    import os
    import subprocess
    import tempfile

    from bench import synth

    rows = synth.students(students, year=2026)
    xlsx = synth.roster_xlsx(rows, title="令和8年度 全校名簿（ベンチマーク）")
    t0 = time.perf_counter()
    ods = to_ods(xlsx)
    print(
        f"roster: {len(rows):,} students; .xlsx {len(xlsx) / 1024 / 1024:.2f} MB, "
        f".ods {len(ods) / 1024 / 1024:.2f} MB (LibreOffice converted it in "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    figures: dict[str, list[tuple[float, int, float, float, int, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_ods_") as tmp:
        for kind, data in (("xlsx", xlsx), ("ods", ods)):
            path = os.path.join(tmp, f"roster.{kind}")
            with open(path, "wb") as out:
                out.write(data)
            for _ in range(runs):
                child = subprocess.run(
                    [sys.executable, "-m", "bench.roster_import", "--read-once", path],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                seconds, count, traced, rss, errors, digest = child.stdout.split()[-6:]
                figures.setdefault(kind, []).append(
                    (float(seconds), int(count), float(traced), float(rss), int(errors), digest)
                )
    for kind, runs_of in figures.items():
        seconds = [f[0] for f in runs_of]
        count, errors = runs_of[0][1], runs_of[0][4]
        print(
            median_line(f"read_table .{kind} ({count:,} rows, {errors} errors)", seconds)
            + f"; tracemalloc peak {statistics.median(f[2] for f in runs_of):.0f} MB, "
            f"RSS growth {statistics.median(f[3] for f in runs_of):.0f} MB"
        )
    xlsx_s = statistics.median(f[0] for f in figures["xlsx"])
    ods_s = statistics.median(f[0] for f in figures["ods"])
    print(f"ratio .ods / .xlsx read time: {ods_s / xlsx_s:.2f}x")
    assert figures["xlsx"][0][1] == figures["ods"][0][1] == len(rows)
    same = figures["xlsx"][0][5] == figures["ods"][0][5]
    print(f"rows read from the .ods {'equal' if same else 'DIFFER FROM'} those of the .xlsx")
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-runs", type=int, default=1)
    parser.add_argument("--ods", action="store_true", help=".ods against .xlsx read time/memory")
    parser.add_argument("--read-once", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    setup_django()
    if args.read_once:
        read_once(args.read_once)
        return 0
    if args.ods:
        return ods_against_xlsx(args.students, args.runs)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from bench import synth
    from schools.imports import plan_roster_import
    from schools.models import Enrolment, SchoolYear, Student
    from tenants import provisioning

    rows = synth.students(args.students, year=2026)
    data = synth.roster_xlsx(rows, title="令和8年度 全校名簿（ベンチマーク）")
    # This bench times the import in the request; bench/import_jobs.py compares it with jobs.
    settings.AI_IMPORT_JOB_ROWS = settings.AI_IMPORT_JOB_BYTES = 10**9
    print(
        f"roster: {len(rows):,} students, {len(synth.classes(rows))} classes, "
        f"file {len(data) / 1024 / 1024:.2f} MB (.xlsx)"
    )
    rss_start = peak_rss_mb()
    t0 = time.perf_counter()
    municipality = provision()
    print(f"provisioned {municipality.schema_name} in {time.perf_counter() - t0:.2f} s")
    try:
        with schema_context(municipality.schema_name):
            year = SchoolYear.objects.create(year=2026, state=SchoolYear.State.CURRENT)
            admin = get_user_model().objects.get(username="admin")
            client = Client(HTTP_HOST=provisioning.host_for(SUBDOMAIN))
            client.force_login(admin)
            first, again, previews, commits, stages = [], [], [], [], []
            schools = iter(range(1, 1000))

            def one_run(run: int):
                clear_students()
                school = make_school(next(schools), year, rows)
                preview_s, commit_s, counts = http_import(client, school, year, data)
                connection.set_schema(municipality.schema_name)
                assert counts.get("新規") == len(rows), counts
                assert Enrolment.objects.filter(school=school).count() == len(rows)
                p2, c2, counts2 = http_import(client, school, year, data)
                connection.set_schema(municipality.schema_name)
                assert counts2.get("変更なし") == len(rows), counts2
                return school, preview_s, commit_s, p2 + c2, plan_roster_import(school, year, data)

            for run in range(1, args.runs + 1):
                school, preview_s, commit_s, again_s, plan = retrying(
                    f"run {run}", lambda run=run: one_run(run), municipality.schema_name
                )
                first.append(preview_s + commit_s)
                previews.append(preview_s)
                commits.append(commit_s)
                again.append(again_s)
                stages.append(plan.timings)
                print(
                    f"  run {run}: preview {preview_s:.2f} s + commit {commit_s:.2f} s = "
                    f"{preview_s + commit_s:.2f} s; same file again {again_s:.2f} s (unchanged)"
                )
            exports = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                response = client.get(
                    f"/roster/io/export/school/{school.pk}.xlsx", {"year": str(year.year)}
                )
                exports.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.status_code
            connection.set_schema(municipality.schema_name)
            exported = plan_roster_import(school, year, response.content)
            assert exported.counts()["unchanged"] == len(rows), exported.counts()
            export_mb = len(response.content) / 1024 / 1024
            rss_fast = peak_rss_mb()
            # Python-level peak of one preview (the part that holds the whole file).
            tracemalloc.start()
            plan_roster_import(school, year, data)
            traced_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()

            naive = []

            def one_naive_run() -> float:
                clear_students()
                school = make_school(next(schools), year, rows)
                seconds = naive_import(school, year, data)
                assert Student.objects.count() == len(rows)
                return seconds

            for run in range(1, args.naive_runs + 1):
                naive.append(retrying(f"naive run {run}", one_naive_run, municipality.schema_name))
                print(f"  naive run {run}: {naive[-1]:.2f} s")
            clear_students()
    finally:
        connection.close()
        connection.set_schema_to_public()
        retrying(
            "clean-up",
            lambda: provisioning.delete(
                municipality, confirm_schema=municipality.schema_name, actor="bench:roster_import"
            ),
            "public",
        )
        print(f"deleted {municipality.schema_name}")

    print()
    print(median_line(f"import {len(rows):,} students, end to end (HTTP)", first, target=10))
    print(median_line("  of which upload + parse + validate + preview page", previews))
    print(median_line("  of which confirm + commit (plans again, then writes)", commits))
    print(median_line("same file again (nothing changes)", again))
    parse = statistics.median(s["parse"] for s in stages)
    plan_s = statistics.median(s["plan"] for s in stages)
    print(f"  service stages of a preview: parse {parse:.2f} s, match + validate {plan_s:.2f} s")
    print(
        median_line(
            f"export the school roster ({len(rows):,} rows, {export_mb:.1f} MB .xlsx)", exports
        )
        + "; it imports back unchanged"
    )
    print(median_line("naive row-by-row ORM import of the same file", naive))
    print(f"ratio naive / pipeline: {statistics.median(naive) / statistics.median(first):.1f}x")
    print(
        f"peak RSS: {rss_fast:.0f} MB after the pipeline runs (process start {rss_start:.0f} MB), "
        f"{peak_rss_mb():.0f} MB after the naive run; target < 500 MB: "
        f"{'OK' if rss_fast < 500 else 'MISSED'}"
    )
    print(f"tracemalloc peak of one preview: {traced_peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
