"""Colours that carry meaning, computed from the style sheets (WCAG 2.x contrast ratios).

Focus indicators need 3:1 against the colours next to them (WCAG 2.2, 2.4.13 / 1.4.11);
遅刻 and 早退 must not look alike; white text on a checked mark needs 4.5:1.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
AI_CSS = (BASE / "static/ai/ai.css").read_text()
ATT_CSS = (BASE / "attendance/static/attendance/attendance.css").read_text()


def var(css: str, name: str) -> str:
    value = re.search(rf"--{name}:\s*#([0-9a-fA-F]{{6}}|[0-9a-fA-F]{{3}})\b", css).group(1)
    return "#" + (value if len(value) == 6 else "".join(c * 2 for c in value))


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#777777") == 1.0


def test_focus_ring_has_3_to_1_against_every_light_surface():
    focus = var(AI_CSS, "focus")
    surfaces = {
        "card": var(AI_CSS, "card"),
        "page": var(AI_CSS, "bg"),
        "table head": "#eef2f7",
        "current attendance row": re.search(
            r"\.att-row\.current \{ background: (#[0-9a-f]{6})", ATT_CSS
        ).group(1),
        "warning message": var(AI_CSS, "warn-bg"),
    }
    for name, colour in surfaces.items():
        assert contrast(focus, colour) >= 3, (name, round(contrast(focus, colour), 2))


def test_focus_ring_on_the_dark_bars_is_light():
    topbar = re.search(r"\.topbar \{[^}]*background: (#[0-9a-f]{6})", AI_CSS).group(1)
    ring = re.search(r"\.topbar :focus-visible \{ outline-color: (#[0-9a-f]{6})", AI_CSS).group(1)
    assert contrast(ring, topbar) >= 3
    bar = re.search(r"\.att-bar \{[^}]*background: (#[0-9a-f]{6})", ATT_CSS).group(1)
    ring = re.search(r"\.att-bar :focus-visible \{ outline-color: (#[0-9a-f]{6})", ATT_CSS).group(1)
    assert contrast(ring, bar) >= 3


def test_late_and_early_have_different_colours_readable_with_white_text():
    late, early = var(ATT_CSS, "late"), var(ATT_CSS, "early")
    assert late.lower() != early.lower()
    assert ".mk-late input:checked + span { background: var(--late)" in ATT_CSS
    assert ".mk-early input:checked + span { background: var(--early)" in ATT_CSS
    assert (
        ".sym-late { color: var(--late)" in ATT_CSS
        and ".sym-early { color: var(--early)" in ATT_CSS
    )
    for colour in (late, early, var(AI_CSS, "ok"), var(AI_CSS, "bad")):
        assert contrast(colour, "#ffffff") >= 4.5, colour
    # Told apart by hue, not only by lightness: the hues are far apart.
    import colorsys

    def hue(c: str) -> float:
        return colorsys.rgb_to_hls(*(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0] * 360

    assert abs(hue(late) - hue(early)) > 90


def test_no_hover_only_text_on_the_daily_pages():
    """Memos, day notes and labels reach a finger: no title="…" tooltips left."""
    for name in ("day.html", "register.html", "calendar.html", "year.html", "overview.html"):
        html = (BASE / "attendance/templates/attendance" / name).read_text()
        assert ' title="' not in html, name
