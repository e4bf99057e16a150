"""Which scheduled backups to keep: the newest of each of the last days, ISO weeks and months.

Pure (no clock, no database): ``keep`` sees only what it is given, so it is tested
exhaustively. A period counts when it holds a backup (a night without one does not use up
a day of the seven), as restic's and borg's ``--keep-daily`` do.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def _newest_per_period(
    items: list[tuple[K, datetime]], period: Callable[[datetime], Hashable], count: int
) -> set[K]:
    kept: set[K] = set()
    seen: set[Hashable] = set()
    for key, at in items:  # newest first
        if len(seen) >= count:
            break
        bucket = period(at)
        if bucket not in seen:
            seen.add(bucket)
            kept.add(key)
    return kept


def keep(
    backups: Iterable[tuple[K, datetime]], *, daily: int = 7, weekly: int = 4, monthly: int = 12
) -> set[K]:
    """The keys of the backups to keep; ``at`` is compared as given (pass local times).

    The newest backup is always kept, whatever the counts say.
    """
    items = sorted(backups, key=lambda item: item[1], reverse=True)
    if not items:
        return set()
    kept = {items[0][0]}
    kept |= _newest_per_period(items, lambda at: at.date(), daily)
    kept |= _newest_per_period(items, lambda at: at.isocalendar()[:2], weekly)
    kept |= _newest_per_period(items, lambda at: (at.year, at.month), monthly)
    return kept
