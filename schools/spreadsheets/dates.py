"""Dates as Japanese schools write them in spreadsheets.

Accepted: Excel date cells, ``2024-04-01``, ``2024/4/1``, ``2024.4.1``,
``2024年4月1日``, ``20240401``, Excel serial numbers in a number cell, and the
Japanese era forms ``令和6年4月1日``, ``令和元年5月1日``, ``R6.4.1``, ``R06/04/01``,
``H29.5.3``, ``平成29年5月3日`` (明治 M, 大正 T, 昭和 S, 平成 H, 令和 R).

An era date outside its era (平成32年, 平成31年5月1日) is refused rather than
guessed, because such a date is usually a typing error.
"""

from __future__ import annotations

import datetime as dt
import re

from schools.spreadsheets.normalize import ascii_digits, tidy_spaces
from schools.wareki import ERAS

EXAMPLES = "2024/4/1、2024-04-01、令和6年4月1日、R6.4.1"

_ERA_BY_NAME = {name: start for start, name, _ in ERAS} | {
    letter: start for start, _, letter in ERAS
}
_ERA_END = {}
_later = None
for _start, _name, _letter in ERAS:  # newest first
    _ERA_END[_start] = _later
    _later = _start
_ERA_LABEL = {start: name for start, name, _ in ERAS}

_WESTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ERA = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*(\d{1,2}|元)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$",
    re.IGNORECASE,
)
# Excel's serial day 1 is 1900-01-01 (with the 1900 leap-year bug; serials after Feb 1900).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = range(20000, 80000)  # 1954 .. 2119: a plausible date, not a roll number


class DateInvalid(ValueError):
    """A cell that is not a date; the message is Japanese and says what is accepted."""


def parse_date(value: object) -> dt.date:
    """The date a cell holds, or ``DateInvalid`` with a Japanese message."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise DateInvalid(f"日付として読めません（例: {EXAMPLES}）。")
    if isinstance(value, int | float):
        if value == int(value):
            number = int(value)
            if number in _SERIAL_RANGE:
                return _EXCEL_EPOCH + dt.timedelta(days=number)
            return parse_date(str(number))
        raise DateInvalid(f"日付として読めません: {value}（例: {EXAMPLES}）。")
    text = ascii_digits(tidy_spaces(str(value)))
    if match := _WESTERN.match(text) or _COMPACT.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day, text)
    if match := _ERA.match(text):
        era, era_year, month, day = match.groups()
        era_key = era.upper() if len(era) == 1 else era
        start = _ERA_BY_NAME[era_key]
        n = 1 if era_year == "元" else int(era_year)
        if n < 1:
            raise DateInvalid(f"存在しない日付です: {text}")
        result = _make(start.year + n - 1, int(month), int(day), text)
        end = _ERA_END[start]
        if result < start or (end is not None and result >= end):
            raise DateInvalid(
                f"{_ERA_LABEL[start]}にない日付です: {text}（元号を確認してください）。"
            )
        return result
    raise DateInvalid(f"日付として読めません: {text}（例: {EXAMPLES}）。")


def _make(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateInvalid(f"存在しない日付です: {text}") from None
