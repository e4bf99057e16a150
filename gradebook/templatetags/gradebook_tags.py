"""Small template filters of the gradebook (lookups in dicts the read models build)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def pct(result, viewpoint: str) -> str:
    return result.percentage_text(viewpoint) if result is not None else ""
