"""Ai's timetable solver against FET on FET's own example files, same machine, same run.

For each .fet file: Ai solves it (``timetable.generation``), writes it with every activity
locked and ``fet-cl`` referees that file (under ``timeout``); then ``fet-cl`` solves the
original with the same time limit. Prints a table and a summary.

    .venv/bin/python bench/fet_compare.py [FILES...] [--time-limit 60] [--workers 1]
        [--max-activities N] [--verify-limit 30] [--json results.json [--resume]]
        [--patience SECONDS]

``--resume`` keeps the rows already in the JSON file and runs only the other files, writing
the file after every instance (the whole table takes about two hours on one core: it can be
run in parts). ``--part K/N`` runs every N-th file from the K-th, so N processes share the
machine's cores (each runs FET, then Ai with its workers, one at a time); ``--merge A.json
B.json`` puts their rows together for the table and the summary. ``--patience``: Ai stops improving the preferences after that many seconds without
a better timetable (as the school's 自動作成 does); by default it uses the whole limit.

Default files: every .fet under FET-5-official of the ``fet-data`` package.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timetable.generation.fet import FetError, read_fet_bytes, write_locked  # noqa: E402
from timetable.generation.referee import fet_cl_path, run_fet_cl  # noqa: E402
from timetable.generation.solver import solve  # noqa: E402

EXAMPLES = Path("/usr/share/doc/fet-data/examples/FET-5-official")


@dataclass
class Row:
    name: str
    activities: int
    ai_status: str = ""
    ai_first: float | None = None  # seconds to the first complete timetable
    ai_total: float | None = None  # seconds the search ran (it keeps improving preferences)
    ai_verified: bool = False
    ai_soft: float | None = None  # FET's soft-conflict total of Ai's timetable
    ai_soft_own: float | None = None  # Ai's own estimate
    verify_seconds: float | None = None
    fet_solved: bool = False
    fet_seconds: float | None = None
    fet_soft: float | None = None
    note: str = ""


def _fmt(x: float | None, nd: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{nd}f}"


def _name(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


def run_one(path: Path, args: argparse.Namespace, workdir: Path) -> Row | None:
    data = path.read_bytes()
    try:
        problem = read_fet_bytes(data, name=path.stem)
    except FetError as e:
        return Row(_name(path, args.root), 0, "unreadable", note=str(e))
    if args.max_activities and len(problem.activities) > args.max_activities:
        return None
    row = Row(_name(path, args.root), len(problem.activities))
    result = solve(
        problem,
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        patience=args.patience,
    )
    row.ai_status = result.status
    row.ai_total = result.wall_seconds
    if result.status == "unsupported":
        row.note = ", ".join(f"{k}×{v}" for k, v in sorted(problem.unsupported.items()))
    elif not result.solved:
        row.note = " / ".join(result.reasons)[:200]
    else:
        row.ai_first = result.first_solution_seconds
        row.ai_soft_own = result.soft_total
        locked = workdir / f"{path.stem}-locked.fet"
        write_locked(data, problem, result, locked)
        ref = run_fet_cl(locked, time_limit=args.verify_limit)
        row.ai_verified = ref.success
        row.ai_soft = ref.soft_total
        row.verify_seconds = ref.seconds
        if not ref.success:
            row.note = f"locked timetable not accepted: {ref.message}"
    if not args.skip_fet:
        fet = run_fet_cl(path, time_limit=args.time_limit)
        row.fet_solved = fet.success
        row.fet_seconds = fet.seconds
        row.fet_soft = fet.soft_total
        if not fet.success:
            row.note = (row.note + " | " if row.note else "") + f"FET: {fet.message}"
    return row


def print_table(rows: list[Row]) -> None:
    head = f"{'instance':<58} {'acts':>5} {'Ai':>11} {'first s':>8} {'ok':>3} {'Ai soft':>8} {'FET s':>7} {'FET soft':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ai = r.ai_status if not r.ai_verified else "verified"
        fet_s = (
            _fmt(r.fet_seconds) if r.fet_solved else ("fail" if r.fet_seconds is not None else "-")
        )
        print(
            f"{r.name[:58]:<58} {r.activities:>5} {ai:>11} {_fmt(r.ai_first):>8} "
            f"{'yes' if r.ai_verified else 'no':>3} {_fmt(r.ai_soft):>8} {fet_s:>7} {_fmt(r.fet_soft) if r.fet_solved else '-':>8}"
        )
        if r.note:
            print(f"{'':<8}note: {r.note}")


def summary(rows: list[Row]) -> dict[str, object]:
    ai = [r for r in rows if r.ai_verified]
    fet = [r for r in rows if r.fet_solved]
    both = [r for r in rows if r.ai_verified and r.fet_solved]
    ratios = [r.ai_first / r.fet_seconds for r in both if r.ai_first is not None and r.fet_seconds]
    soft_pairs = [
        (r.ai_soft, r.fet_soft) for r in both if r.ai_soft is not None and r.fet_soft is not None
    ]
    return {
        "instances": len(rows),
        "ai_solved_verified": len(ai),
        "fet_solved": len(fet),
        "both": len(both),
        "median_time_ratio_ai_over_fet": statistics.median(ratios) if ratios else None,
        "ai_soft_no_worse": sum(1 for a, f in soft_pairs if a <= f + 1e-6),
        "ai_soft_sum": sum(a for a, _ in soft_pairs),
        "fet_soft_sum": sum(f for _, f in soft_pairs),
        "unsupported": sum(1 for r in rows if r.ai_status == "unsupported"),
        "ai_rejected_by_fet": sum(1 for r in rows if r.ai_status == "solved" and not r.ai_verified),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--root", type=Path, default=EXAMPLES)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument(
        "--verify-limit", type=float, default=30.0, help="fet-cl limit on the locked file"
    )
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-activities", type=int, default=0, help="skip larger instances")
    ap.add_argument("--skip-fet", action="store_true", help="do not run fet-cl on the originals")
    ap.add_argument("--json", type=Path, help="also write the rows and summary as JSON")
    ap.add_argument(
        "--resume", action="store_true", help="keep the rows already in --json, run the others"
    )
    ap.add_argument("--patience", type=float, default=None)
    ap.add_argument("--part", default="1/1", help="K/N: every N-th file, from the K-th")
    ap.add_argument("--merge", nargs="*", type=Path, default=[], help="rows of other runs")
    args = ap.parse_args(argv)
    if args.resume and not args.json:
        ap.error("--resume needs --json")
    if not re.fullmatch(r"[1-9]\d*/[1-9]\d*", args.part) or int(args.part.split("/")[0]) > int(
        args.part.split("/")[1]
    ):
        ap.error("--part is K/N with 1 <= K <= N")
    if fet_cl_path() is None:
        print("fet-cl is not installed (apt-get install fet fet-data)", file=sys.stderr)
        return 2
    k, n = (int(x) for x in args.part.split("/"))
    files = (args.files or sorted(args.root.rglob("*.fet")))[k - 1 :: n]
    rows: list[Row] = []
    for other in [*args.merge, *([args.json] if args.resume and args.json.exists() else [])]:
        rows += [Row(**r) for r in json.loads(other.read_text())["rows"]]
    done = {r.name for r in rows}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fet-compare-") as tmp:
        for path in files:
            if _name(path, args.root) in done:
                continue
            row = run_one(path, args, Path(tmp))
            if row is None:
                continue
            rows.append(row)
            if args.json:
                _write(args.json, rows)
            print(
                f"# {row.name}: Ai {row.ai_status} first={_fmt(row.ai_first)} verified={row.ai_verified} "
                f"soft={_fmt(row.ai_soft)} | FET {'ok' if row.fet_solved else 'no'} {_fmt(row.fet_seconds)} "
                f"soft={_fmt(row.fet_soft)}",
                flush=True,
            )
    print()
    print_table(rows)
    s = summary(rows)
    print()
    print(
        f"time limit {args.time_limit:g} s, workers {args.workers}, seed {args.seed}; "
        f"wall {time.perf_counter() - t0:.0f} s"
    )
    for k, v in s.items():
        print(f"{k}: {_fmt(v, 3) if isinstance(v, float) else v}")
    if args.json:
        _write(args.json, rows)
    return 0


def _write(path: Path, rows: list[Row]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"rows": [asdict(r) for r in rows], "summary": summary(rows)}, indent=1)
    )
    tmp.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
