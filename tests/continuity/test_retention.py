"""The retention rule (tenants.backups.retention.keep), a pure function: tested exhaustively."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

import pytest

from tenants.backups.retention import keep

START = datetime(2026, 1, 1, 2, 0)


def reference(items, daily, weekly, monthly):
    """The rule said another way: a backup stays when it is the newest of its period and its
    period is among the N most recent periods that hold a backup (or it is the newest)."""
    kept = set()
    if not items:
        return kept
    newest = max(items, key=lambda i: i[1])
    kept.add(newest[0])
    for count, period in (
        (daily, lambda at: at.date()),
        (weekly, lambda at: tuple(at.isocalendar())[:2]),
        (monthly, lambda at: (at.year, at.month)),
    ):
        periods = sorted({period(at) for _, at in items}, reverse=True)[:count]
        for p in periods:
            kept.add(max((i for i in items if period(i[1]) == p), key=lambda i: i[1])[0])
    return kept


def test_nothing_to_keep_from_nothing():
    assert keep([]) == set()


def test_a_year_of_nightly_backups_keeps_7_daily_4_weekly_12_monthly():
    items = [(n, START + timedelta(days=n)) for n in range(365)]  # 2026-01-01 .. 2026-12-31
    kept = keep(items, daily=7, weekly=4, monthly=12)
    days = sorted(START + timedelta(days=n) for n in kept)
    dates = [d.date().isoformat() for d in days]
    # the last day of each month (Jan..Nov), the Sundays ending the last weeks, the last 7 days
    assert dates == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
        "2026-12-13",
        "2026-12-20",
        "2026-12-25",
        "2026-12-26",
        "2026-12-27",
        "2026-12-28",
        "2026-12-29",
        "2026-12-30",
        "2026-12-31",
    ]


def test_several_backups_a_day_keep_the_newest_of_the_day():
    items = [("a", START), ("b", START + timedelta(hours=5)), ("c", START + timedelta(hours=1))]
    assert keep(items, daily=1, weekly=0, monthly=0) == {"b"}


def test_the_newest_is_kept_even_with_zero_counts():
    items = [(n, START + timedelta(days=n)) for n in range(10)]
    assert keep(items, daily=0, weekly=0, monthly=0) == {9}


def test_gaps_do_not_use_up_days():
    # backups only every third day: 7 daily keeps the 7 newest, spread over 19 days
    items = [(n, START + timedelta(days=3 * n)) for n in range(20)]
    assert keep(items, daily=7, weekly=0, monthly=0) == set(range(13, 20))


def test_input_order_does_not_matter():
    items = [(n, START + timedelta(days=n, hours=n % 5)) for n in range(60)]
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    assert keep(items) == keep(shuffled) == reference(items, 7, 4, 12)


@pytest.mark.parametrize("daily,weekly,monthly", list(itertools.product(range(0, 4), repeat=3)))
def test_every_history_of_twelve_nights_matches_the_reference(daily, weekly, monthly):
    # every subset of 12 consecutive nights spanning a month end and three ISO weeks
    nights = [datetime(2026, 1, 25, 2) + timedelta(days=n) for n in range(12)]
    for mask in range(1 << len(nights)):
        items = [(n, at) for n, at in enumerate(nights) if mask >> n & 1]
        kept = keep(items, daily=daily, weekly=weekly, monthly=monthly)
        assert kept == reference(items, daily, weekly, monthly), (mask, kept)
        assert kept <= {n for n, _ in items}
        if items:
            assert max(items, key=lambda i: i[1])[0] in kept


def test_random_long_histories_match_the_reference():
    rng = random.Random(13)
    for _ in range(200):
        items = [
            (n, START + timedelta(days=rng.randrange(800), minutes=rng.randrange(1440)))
            for n in range(rng.randrange(1, 120))
        ]
        counts = dict(daily=rng.randrange(10), weekly=rng.randrange(8), monthly=rng.randrange(15))
        assert keep(items, **counts) == reference(items, **counts)
