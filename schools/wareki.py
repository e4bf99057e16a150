"""和暦 (Japanese era) labels: pure functions."""

from __future__ import annotations

import datetime as dt

# (first day, kanji, letter)
ERAS: tuple[tuple[dt.date, str, str], ...] = (
    (dt.date(2019, 5, 1), "令和", "R"),
    (dt.date(1989, 1, 8), "平成", "H"),
    (dt.date(1926, 12, 25), "昭和", "S"),
    (dt.date(1912, 7, 30), "大正", "T"),
    (dt.date(1868, 1, 25), "明治", "M"),
)


def era_of(day: dt.date) -> tuple[str, int]:
    """The era and its year of ``day`` (元年 is 1)."""
    for start, name, _ in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day} is before the Meiji era")


def year_text(era_year: int) -> str:
    return "元" if era_year == 1 else str(era_year)


def wareki_date(day: dt.date) -> str:
    era, year = era_of(day)
    return f"{era}{year_text(year)}年{day.month}月{day.day}日"


def school_year_label(year: int) -> str:
    """「令和8年度 (2026)」: a 年度 is named by the era of its 1 April."""
    era, era_year = era_of(dt.date(year, 4, 1))
    return f"{era}{year_text(era_year)}年度 ({year})"
