"""Run Ai's benchmarks: ``make bench`` (all) or ``make bench BENCH_ARGS="provisioning ..."``.

Every module of this folder with a ``main()`` is a benchmark; each prints its own
figures (medians) and cleans up after itself.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

NOT_BENCHMARKS = {"run", "common", "settings_probe", "synth"}


def available() -> list[str]:
    names = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.ispkg or info.name in NOT_BENCHMARKS or info.name.startswith("_"):
            continue
        names.append(info.name)
    return sorted(names)


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        module.main([])
        print(f"(bench.{name} took {time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
