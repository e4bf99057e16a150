"""A job kind for operators and tests: counts steps, reports progress, may fail on purpose.

It shows that a worker runs, that progress reaches the page and that cancellation works.
"""

from __future__ import annotations

import time
from typing import Any

from tenants.jobs.registry import JobError, kind


@kind("jobs.selfcheck", label="動作確認")
def selfcheck(ctx, params: dict[str, Any]) -> dict[str, Any]:
    steps = max(0, min(int(params.get("steps", 5)), 10_000))
    delay = max(0.0, min(float(params.get("delay", 0.1)), 10.0))
    for step in range(steps):
        ctx.progress(step, steps, f"{step}/{steps} 件目を処理しています")
        if params.get("fail_at") == step:
            raise JobError(f"動作確認のため {step} 件目で失敗させました。")
        time.sleep(delay)
    ctx.progress(steps, steps, "終わりました")
    return {"steps": steps}
