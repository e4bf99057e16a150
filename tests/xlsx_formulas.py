"""Formula cells as a spreadsheet saves them (with a cached value) or as a program writes them.

openpyxl writes a formula with an empty cached value, as every library does: that is the
"written by a program, never opened in a spreadsheet" case. ``with_cached`` rewrites the
workbook as Excel or LibreOffice would after opening and saving it: the named cells keep
their formula and gain their saved value.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape


def with_cached(data: bytes, values: dict[str, object], sheet: str = "sheet1") -> bytes:
    """``data`` with a saved value for each formula cell named ("C3": 3 or "病")."""
    source = zipfile.ZipFile(io.BytesIO(data))
    member = f"xl/worksheets/{sheet}.xml"
    xml = source.read(member).decode()
    for ref, value in values.items():
        pattern = re.compile(rf'<c r="{ref}"([^>]*)>(<f>.*?</f>)<v\s*/>')
        text = isinstance(value, str)
        kind = ' t="str"' if text else ""
        saved = escape(value) if text else repr(value)
        xml, count = pattern.subn(
            lambda m, ref=ref, kind=kind, saved=saved: (
                f'<c r="{ref}"{m.group(1)}{kind}>{m.group(2)}<v>{saved}</v>'
            ),
            xml,
        )
        assert count == 1, f"no formula cell {ref} in {member}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = xml.encode() if item.filename == member else source.read(item.filename)
            target.writestr(item, body)
    return out.getvalue()


def no_internal_ids(messages: list[str]) -> None:
    """A refusal names the pupil or the cell, never an internal id (「在籍ID 914」)."""
    for message in messages:
        assert not re.search(r"ID\s*:?\s*\d|id\s*[=:]\s*\d|#\d", message), message
