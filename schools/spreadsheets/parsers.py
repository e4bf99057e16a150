"""Cell parsers for ``Column(parser=...)``: ``value -> typed value`` or ``CellInvalid``.

A parser receives a non-blank cell value as openpyxl or the CSV reader gives it
(``str``, ``int``, ``float``, ``datetime``, ``bool``) and returns the typed
value. It raises ``CellInvalid`` with a Japanese message saying what to write
instead. Blank cells never reach a parser (see ``Column.required``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from schools.spreadsheets.dates import DateInvalid
from schools.spreadsheets.dates import parse_date as _parse_date
from schools.spreadsheets.normalize import (
    ascii_digits,
    code_text,
    header_key,
    tidy_spaces,
    to_hiragana,
)

Parser = Callable[[Any], Any]


class CellInvalid(ValueError):
    """The cell's value cannot be used; ``str(exc)`` is the Japanese message."""


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value)


def text(value: Any) -> str:
    """Free text: surrounding and doubled spaces tidied, nothing else changed."""
    return tidy_spaces(_as_text(value))


def max_length(limit: int, parser: Parser = text) -> Parser:
    def parse(value: Any) -> Any:
        result = parser(value)
        if len(result) > limit:
            raise CellInvalid(f"{limit}文字以内にしてください（{len(result)}文字）。")
        return result

    return parse


def name(value: Any) -> str:
    """氏名: stored exactly as written apart from spaces (no NFKC: 𠮷, 𡈽, 髙 survive).

    A 「?」 or U+FFFD in a name is what a Shift_JIS save leaves of 𠮷 or 𡈽: refused,
    so that a garbled name is never stored over a correct one.
    """
    result = tidy_spaces(_as_text(value))
    if "?" in result or "\ufffd" in result:
        raise CellInvalid(
            "氏名に「?」があります。Shift_JISのCSVでは𠮷・𡈽などの字が「?」に置き換わります。"
            "Excelブック（.xlsx）かUTF-8のCSVで保存してください。"
        )
    return result


_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


def kana(value: Any) -> str:
    """ふりがな: half-width and full-width katakana become hiragana; kanji are refused."""
    result = to_hiragana(tidy_spaces(_as_text(value)))
    if _KANJI.search(result):
        raise CellInvalid("ふりがなは、ひらがな（またはカタカナ）で入力してください。")
    return result


def code(value: Any) -> str:
    """学籍番号, ログインID and other identifiers: width-folded, no inner spaces allowed."""
    result = code_text(_as_text(value))
    if any(ch.isspace() for ch in result):
        raise CellInvalid("空白を含めないでください。")
    return result


def integer(minimum: int | None = None, maximum: int | None = None) -> Parser:
    """Whole numbers; full-width digits (１２) are accepted, 1.5 and 「12番」 are not."""

    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise CellInvalid("整数を入力してください。")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise CellInvalid(f"整数を入力してください（{value}）。")
            number = int(value)
        else:
            digits = ascii_digits(tidy_spaces(str(value)))
            if not re.fullmatch(r"[+-]?\d+", digits):
                raise CellInvalid(f"整数を入力してください（「{value}」）。")
            number = int(digits)
        if minimum is not None and number < minimum:
            raise CellInvalid(f"{minimum}以上の数を入力してください（{number}）。")
        if maximum is not None and number > maximum:
            raise CellInvalid(f"{maximum}以下の数を入力してください（{number}）。")
        return number

    return parse


def date(value: Any) -> dt.date:
    """See ``schools.spreadsheets.dates``: Excel dates, 2024/4/1, 令和6年4月1日, R6.4.1 ..."""
    try:
        return _parse_date(value)
    except DateInvalid as exc:
        raise CellInvalid(str(exc)) from None


def choice(options: Mapping[str, Any], *, label: str = "") -> Parser:
    """One of the spellings in ``options`` (compared without width, case or spaces)."""
    keyed = {header_key(k): v for k, v in options.items()}
    shown = "、".join(dict.fromkeys(str(k) for k in options))

    def parse(value: Any) -> Any:
        key = header_key(_as_text(value))
        if key not in keyed:
            raise CellInvalid(f"「{value}」は使えません。{label or '次のいずれか'}: {shown}")
        return keyed[key]

    return parse
