"""Helpers shared by the benchmarks: Django set-up, timing, throw-away municipalities."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def setup_django(settings_module: str = "config.settings") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log growing in memory while a benchmark runs


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(label: str, seconds: list[float], target: float | None = None) -> str:
    med = statistics.median(seconds)
    text = (
        f"{label}: median {med * 1000:.0f} ms (min {min(seconds) * 1000:.0f}, "
        f"max {max(seconds) * 1000:.0f}, n={len(seconds)})"
    )
    if target is not None:
        text += f"  target <= {target * 1000:.0f} ms: {'OK' if med <= target else 'MISSED'}"
    return text


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_code(n: int) -> str:
    """A valid 6-digit local government code for throw-away municipality ``n`` (prefecture 47)."""
    from tenants.codes import check_digit

    if not 0 <= n < 8000:
        raise ValueError("bench codes cover 0..7999")
    first = f"4{n // 1000}{n % 1000:03d}"  # 40xxx-47xxx: valid prefecture numbers
    return first + str(check_digit(first))


BENCH_PASSWORD = "Bench-pass-2026"


def provision_bench(name: str, subdomain: str, code: str, actor: str = "bench"):
    """A municipality for a benchmark (its administrator is ``admin``/``BENCH_PASSWORD``).

    A leftover of an interrupted run on the same sub-domain is deleted first.
    """
    from tenants import provisioning
    from tenants.models import Municipality

    schema = provisioning.schema_name_for(subdomain)
    for leftover in Municipality.objects.filter(schema_name=schema):
        provisioning.delete(leftover, confirm_schema=schema, actor=actor)
    return provisioning.provision(
        provisioning.NewMunicipality(
            name=name,
            code=code,
            subdomain=subdomain,
            admin_username="admin",
            admin_password=BENCH_PASSWORD,
            admin_name="ベンチ 管理者",
        ),
        actor=actor,
    )


@contextmanager
def throwaway_municipalities(prefix: str) -> Iterator[list]:
    """Yields a list to append provisioned municipalities to; deletes them all afterwards."""
    from tenants import provisioning
    from tenants.models import Municipality

    # Leftovers of an interrupted run would collide with this one's codes and sub-domains.
    for m in Municipality.objects.filter(schema_name__regex=r"^m_bench_[0-9]+$"):
        provisioning.delete(m, confirm_schema=m.schema_name, actor=f"bench:{prefix}")
    created: list = []
    try:
        yield created
    finally:
        for m in created:
            provisioning.delete(m, confirm_schema=m.schema_name, actor=f"bench:{prefix}")
