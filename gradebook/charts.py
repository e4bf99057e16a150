"""Geometry of the board's 評定 distribution chart (stacked SVG bars): pure, no queries.

Input is what ``queries.rating_distribution`` answers, keyed by subject and grade, with the
schools and subjects it names; output is plain dicts the template draws as SVG.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RATING_COLOURS = {5: "#1f5fa8", 4: "#4f8fd6", 3: "#9cc3ea", 2: "#f0b35a", 1: "#c4512d"}

# bar height, label column, chart width (px)
BAR_H, LABEL_W, CHART_W = 26, 170, 420
# a segment narrower than this shows no "5:40%" text (it would not fit)
MIN_TEXT_WIDTH = 44

# (subject id, grade) -> school id -> rating -> number of students
Distribution = Mapping[tuple[int, int], Mapping[int, Mapping[int, int]]]


def bar(label: str, counts: Mapping[int, int], scale: int, strong: bool = False) -> dict:
    """One stacked bar (評定 from the highest) with its SVG geometry."""
    total = sum(counts.values())
    x = 0.0
    segments = []
    for rating in range(scale, 0, -1):
        n = counts.get(rating, 0)
        width = CHART_W * n / total if total else 0
        segments.append(
            {
                "rating": rating,
                "count": n,
                "pct": round(100 * n / total, 1) if total else 0,
                "x": round(LABEL_W + x, 1),
                "text_x": round(LABEL_W + x + 4, 1),
                "width": round(width, 1),
                "colour": RATING_COLOURS[rating],
                "show_text": width >= MIN_TEXT_WIDTH,
            }
        )
        x += width
    return {"label": label, "total": total, "segments": segments, "strong": strong}


def rating_scale(per_school: Mapping[int, Mapping[int, int]], *, junior_high: bool) -> int:
    """5 levels in junior high (and wherever a 4 or 5 was given), else 3 (小学校 3-6年)."""
    if junior_high:
        return 5
    return 5 if any(r > 3 for counts in per_school.values() for r in counts) else 3


def distribution_charts(
    data: Distribution,
    schools: Mapping[int, Any],
    subjects: Mapping[int, Any],
    *,
    junior_high: bool,
) -> list[dict]:
    """One chart per subject (in the subjects' order): for each grade the municipality's bar
    then one bar per school (in 学校コード order). ``schools``/``subjects`` map ids to objects
    with ``name``/``mext_code`` and ``sort_order``."""
    by_subject: dict[int, list] = {}
    for (subject_id, grade), per_school in data.items():
        by_subject.setdefault(subject_id, []).append((grade, per_school))
    charts = []
    for subject_id in sorted(by_subject, key=lambda pk: subjects[pk].sort_order):
        bars = []
        for grade, per_school in sorted(by_subject[subject_id], key=lambda item: item[0]):
            scale = rating_scale(per_school, junior_high=junior_high)
            overall: dict[int, int] = {}
            for counts in per_school.values():
                for rating, n in counts.items():
                    overall[rating] = overall.get(rating, 0) + n
            bars.append(bar(f"{grade}年 全体", overall, scale, strong=True))
            for school_id in sorted(per_school, key=lambda pk: schools[pk].mext_code):
                bars.append(bar(schools[school_id].name, per_school[school_id], scale))
        for i, b in enumerate(bars):
            b["y"] = i * BAR_H + 4
            b["text_y"] = b["y"] + (BAR_H - 6) / 2 + 5
        charts.append(
            {
                "subject": subjects[subject_id],
                "bars": bars,
                "height": BAR_H * len(bars) + 8,
                "bar_h": BAR_H - 6,
                "width": LABEL_W + CHART_W + 60,
                "n_x": LABEL_W + CHART_W + 6,
            }
        )
    return charts


def legend() -> list[tuple[int, str]]:
    """(評定, colour) from the highest."""
    return sorted(RATING_COLOURS.items(), reverse=True)
