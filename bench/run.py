"""Run Ai's benchmarks: ``make bench`` (all) or ``make bench BENCH_ARGS="provisioning ..."``.

    .venv/bin/python -m bench.run [--smoke] [NAME [ARGS ...]] ...

Every module of this folder with a ``main(argv)`` is a benchmark; each prints its own
figures (medians) and cleans up after itself. A benchmark's own options follow its name
(``rollover --schools 5 provisioning --provision 3``); without a name, all run, in
alphabetical order. ``--smoke`` runs them at their smallest size (each module's
``SMOKE_ARGS``): a check that every benchmark still works, in about a minute, not a
measurement. The database must be migrated (``make bench`` migrates first).
"""

from __future__ import annotations

import importlib
import pkgutil
import shlex
import sys
import time
import traceback
from pathlib import Path

NOT_BENCHMARKS = {"run", "common", "settings_probe", "synth", "clusters"}


def available() -> list[str]:
    names = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.ispkg or info.name in NOT_BENCHMARKS or info.name.startswith("_"):
            continue
        names.append(info.name)
    return sorted(names)


def plan(argv: list[str]) -> tuple[list[tuple[str, list[str] | None]], list[str]]:
    """(benchmark, its arguments or None) in order, and the words that are neither."""
    names = set(available())
    runs: list[tuple[str, list[str] | None]] = []
    stray: list[str] = []
    for word in argv:
        if word in names:
            runs.append((word, None))
        elif runs:
            runs[-1] = (runs[-1][0], [*(runs[-1][1] or []), word])
        else:
            stray.append(word)
    return runs, stray


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    runs, stray = plan([word for word in argv if word != "--smoke"])
    if stray:
        print(f"unknown benchmark(s): {', '.join(stray)}; available: {', '.join(available())}")
        return 2
    failed = []
    for name, args in runs or [(name, None) for name in available()]:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        if args is None:
            args = shlex.split(getattr(module, "SMOKE_ARGS", "")) if smoke else []
        print(f"\n=== bench.{name} {' '.join(args)} ===", flush=True)
        t0 = time.perf_counter()
        try:
            module.main(args)
        except Exception:  # the others still run; the exit status tells
            traceback.print_exc()
            failed.append(name)
        print(f"(bench.{name} took {time.perf_counter() - t0:.0f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
