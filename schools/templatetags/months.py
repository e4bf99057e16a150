"""Month names in the reader's language: 「4月」 in Japanese, "April" / "Apr" in English
(Django's own catalogue), for pages that show a month number."""

from __future__ import annotations

from django import template
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.text import capfirst

register = template.Library()


@register.filter
def month_name(month: object, form: str = "") -> str:
    """``{{ 4|month_name }}`` → 「4月」 / "April"; ``{{ 4|month_name:"short" }}`` → 「4月」 / "Apr"."""
    try:
        number = int(month)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    names = MONTHS_3 if form == "short" else MONTHS
    return capfirst(str(names[number])) if number in names else ""
