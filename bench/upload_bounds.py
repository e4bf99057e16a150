"""Benchmark: what refusing a hostile workbook costs (issue 10, finding 4).

    .venv/bin/python -m bench.upload_bounds [--strings 5000000] [--runs 5] [--unbounded 0]

The workbook: 208 KB on disk, 5,000,000 shared strings (bench/synth.shared_strings_bomb);
before the bounds it held a worker 35 s and 500 MB inside openpyxl. Printed: the file's
size, then for each check path (the default limits; only the shared-string count, the file
declaring its true count; the same, the file claiming 1 string) the median refusal time
and the peak of Python allocations (tracemalloc) and the process's peak RSS.
``--unbounded N`` also parses an N-string workbook with openpyxl directly, as before, for
comparison (slow for large N: 1,000,000 strings took 87 s and 257 MB RSS under
tracemalloc). No database needed.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import time
import tracemalloc

SMOKE_ARGS = "--strings 500000 --runs 1"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refuse(data: bytes, limits) -> tuple[float, float, str]:
    from schools.spreadsheets.reader import Column, SpreadsheetError, read_table

    tracemalloc.start()
    started = time.perf_counter()
    try:
        read_table(data, [Column("name", "氏名", required=True)], limits=limits)
        message = "NOT REFUSED"
    except SpreadsheetError as exc:
        message = str(exc)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return seconds, peak, message


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.upload_bounds")
    parser.add_argument("--strings", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--unbounded", type=int, default=0)
    args = parser.parse_args(argv)

    from bench.synth import shared_strings_bomb
    from schools.spreadsheets.bounds import defused_xml_active
    from schools.spreadsheets.reader import Limits

    count_only = Limits(max_uncompressed_bytes=10**10, max_compression_ratio=10**9)
    cases = [
        ("default limits (size/ratio check)", shared_strings_bomb(args.strings), Limits()),
        ("string count, declared", shared_strings_bomb(args.strings), count_only),
        (
            "string count, file lies (claims 1)",
            shared_strings_bomb(args.strings, declared=1),
            count_only,
        ),
    ]
    print(f"openpyxl parses XML through defusedxml: {defused_xml_active()}")
    print(f"workbook: {args.strings:,} shared strings, {len(cases[0][1]) / 1024:.0f} KB on disk")
    for label, data, limits in cases:
        results = [_refuse(data, limits) for _ in range(args.runs)]
        seconds = [r[0] for r in results]
        peaks = [r[1] for r in results]
        print(
            f"{label}: refused in median {statistics.median(seconds) * 1000:.1f} ms "
            f"(max {max(seconds) * 1000:.1f}), peak Python allocations {max(peaks):.1f} MB; "
            f"peak RSS so far {_peak_rss_mb():.0f} MB"
        )
        print(f"  message: {results[0][2][:90]}…")
    if args.unbounded:
        from openpyxl import load_workbook

        data = shared_strings_bomb(args.unbounded)
        tracemalloc.start()
        started = time.perf_counter()
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        print(
            f"without the bounds, openpyxl on {args.unbounded:,} strings: {seconds:.2f} s, "
            f"peak Python allocations {peak:.0f} MB, peak RSS {_peak_rss_mb():.0f} MB"
        )


if __name__ == "__main__":
    import sys

    from bench.common import setup_django

    setup_django()
    main(sys.argv[1:])
