"""Normalisation of cell text: only what is safe for each kind of field.

Names are never passed through NFKC: it would replace compatibility ideographs
and is not needed for characters outside the BMP (𠮷, 𡈽), which Python and
PostgreSQL store as they are. Only spaces are tidied in a name.
"""

from __future__ import annotations

import re
import unicodedata

# Half-width and full-width (U+3000) spaces, plus the no-break space Excel sometimes writes.
SPACES = " \u3000\u00a0\t"
_SPACE_RUN = re.compile(r"[ \u3000\u00a0\t]+")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９－＋．，／", "0123456789-+.,/")
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_HALFWIDTH_KATAKANA = re.compile(r"[\uff65-\uff9f]+")


def tidy_spaces(text: str) -> str:
    """Strip surrounding spaces and fold each run of inner spaces into its first one.

    「山田　　太郎 」 becomes 「山田　太郎」: the kind of space the writer chose is kept.
    """
    text = text.strip(SPACES)
    return _SPACE_RUN.sub(lambda m: m.group(0)[0] if m.group(0)[0] != "\t" else " ", text)


def without_spaces(text: str) -> str:
    """A comparison key: the text with every space removed (山田 太郎 == 山田　太郎)."""
    return _SPACE_RUN.sub("", text)


def ascii_digits(text: str) -> str:
    """Full-width digits, signs and separators to ASCII (１２／３ -> 12/3); nothing else."""
    return text.translate(_FULLWIDTH_DIGITS)


def to_hiragana(text: str) -> str:
    """Kana reading to full-width hiragana: ﾔﾏﾀﾞ and ヤマダ both become やまだ.

    Half-width katakana are composed first (NFKC on those characters only, so
    that ﾀﾞ becomes ダ); then katakana are shifted to hiragana. ー and ・ stay.
    """
    text = _HALFWIDTH_KATAKANA.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    return text.translate(_KATAKANA_TO_HIRAGANA)


def code_text(text: str) -> str:
    """Identifiers (学籍番号, ログインID, 学校コード): full-width letters and digits to ASCII.

    NFKC is safe here because a code is not a name.
    """
    return unicodedata.normalize("NFKC", text).strip()


_HEADER_NOISE = re.compile(r"[\s\u3000※＊*:：・_\-－]")
_BRACKETED = re.compile(r"[(（\[［【].*?[)）\]］】]")


def header_key(text: str) -> str:
    """How a header cell is compared with a column's aliases.

    Width, case, spaces and required-marks (※, *) do not matter:
    「 ﾌﾘｶﾞﾅ※」, 「フリガナ」 and 「ふりがな」 differ only by their alias list.
    """
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def header_key_without_brackets(text: str) -> str:
    """A second chance: 「氏名（漢字）」 and 「生年月日(西暦)」 match 氏名 and 生年月日."""
    return header_key(_BRACKETED.sub("", unicodedata.normalize("NFKC", text)))
