"""Run FET's command-line generator (``fet-cl``) as the referee of a timetable.

On a file whose activities are all locked, ``fet-cl`` only has to check the placements,
so it reports success within seconds; a locked file that breaks a hard rule makes it
search until its time limit, which is why it always runs under ``timeout``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FetRun:
    success: bool
    seconds: float
    soft_total: float | None = None
    timed_out: bool = False
    message: str = ""


def fet_cl_path() -> str | None:
    return shutil.which("fet-cl")


def run_fet_cl(
    path: str | Path,
    time_limit: float = 60.0,
    outdir: str | Path | None = None,
    *,
    grace: float = 10.0,
) -> FetRun:
    """``fet-cl`` on ``path`` with FET's own time limit and a hard ``timeout`` ``grace``
    seconds above it (on a locked file it cannot place, fet-cl overruns its own limit)."""
    exe = fet_cl_path()
    if exe is None:
        return FetRun(False, 0.0, message="fet-cl がありません")
    tmp = None
    if outdir is None:
        tmp = tempfile.mkdtemp(prefix="fetcl-")
        outdir = tmp
    limit = max(1, int(round(time_limit)))
    cmd = [
        "timeout",
        str(max(1, int(round(limit + grace)))),
        exe,
        f"--inputfile={path}",
        f"--outputdir={outdir}",
        f"--timelimitseconds={limit}",
    ]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=False)
        seconds = time.perf_counter() - t0
        result = Path(outdir, "logs", "result.txt")
        text = result.read_text(encoding="utf-8-sig", errors="replace") if result.exists() else ""
        success = "Simulation successful" in text
        soft = None
        for f in Path(outdir, "timetables").glob("*/*_soft_conflicts.txt"):
            m = re.search(
                r"Total soft conflicts:\s*([-\d.eE+]+)",
                f.read_text(encoding="utf-8-sig", errors="replace"),
            )
            if m:
                soft = float(m.group(1))
        timed_out = (
            proc.returncode == 124 or "interrupted" in text or "time exceeded" in text.lower()
        )
        message = "" if success else text.strip()[-300:]
        if "data is wrong" in proc.stdout:
            message = "fet-cl refuses the data (Cannot precompute - data is wrong)"
        elif timed_out and not success:
            message = "fet-cl found no timetable within its limit"
        return FetRun(success, seconds, soft, timed_out and not success, message)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
