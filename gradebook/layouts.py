"""The 通知表 layout a board edits, rendered safely.

Where the layout lives: one ``ReportCardLayout`` row per municipality (its own schema),
edited by the BoE administrator at /grades/report-layout/ with a preview; without a row,
``templates/gradebook/report_card/default_layout.html`` is used. The language is the
Django template language restricted to the built-in tags and filters, minus every tag
that reads other files or libraries ({% load %}, {% include %}, {% extends %}); the
context is plain data (strings, numbers, lists, dicts), so a layout can arrange and
format the card but can run no code and reach nothing else.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.safestring import SafeString

from gradebook import rules
from gradebook.reportcards import ReportCard

DEFAULT_LAYOUT_PATH = Path(__file__).parent / "templates/gradebook/report_card/default_layout.html"
MAX_LENGTH = 50_000
FORBIDDEN = ("{% load", "{%load", "{% include", "{%include", "{% extends", "{%extends", "{% debug")


class SandboxEngine(Engine):
    # No loader_tags: a layout cannot include or extend another template.
    default_builtins = ["django.template.defaulttags", "django.template.defaultfilters"]


@lru_cache(maxsize=1)
def _engine() -> SandboxEngine:
    return SandboxEngine(
        dirs=[], app_dirs=False, loaders=[], libraries={}, debug=False, autoescape=True
    )


def default_layout() -> str:
    return DEFAULT_LAYOUT_PATH.read_text(encoding="utf-8")


class LayoutError(ValueError):
    pass


def compile_layout(body: str):
    if len(body) > MAX_LENGTH:
        raise LayoutError(f"レイアウトは {MAX_LENGTH:,} 文字以内にしてください。")
    squeezed = " ".join(body.split())
    for token in FORBIDDEN:
        if token in squeezed:
            raise LayoutError(f"「{token.strip()} …%}}」はレイアウトでは使えません。")
    try:
        return _engine().from_string(body)
    except TemplateSyntaxError as exc:
        raise LayoutError(f"テンプレートの書き方に誤りがあります: {exc}") from exc


def card_data(card: ReportCard) -> dict:
    """Only plain values reach a layout."""
    return {
        "school": card.school.name,
        "school_year": str(card.classroom.school_year),
        "classroom": card.classroom.label,
        "grade": card.classroom.grade,
        "term": card.term.name,
        "roll_number": card.enrolment.roll_number,
        "name": card.student.name,
        "kana": card.student.kana,
        "viewpoint_labels": [rules.VIEWPOINT_LABELS[vp] for vp in rules.VIEWPOINTS],
        "subjects": [
            {
                "name": line.subject.name,
                "levels": [line.levels.get(vp) or "" for vp in rules.VIEWPOINTS],
                "knowledge": line.levels.get(rules.KNOWLEDGE) or "",
                "thinking": line.levels.get(rules.THINKING) or "",
                "attitude": line.levels.get(rules.ATTITUDE) or "",
                "rating": line.rating or "",
                "has_rating": bool(line.scale),
                "scale": line.scale or "",
            }
            for line in card.subjects
        ],
        "has_ratings": any(line.scale for line in card.subjects),
        "attendance": [{"label": label, "value": value} for label, value in card.attendance]
        if card.attendance is not None
        else None,
        "remark": card.remark,
        "finalised": card.finalised,
    }


def render_cards(cards: list[ReportCard], body: str) -> list[SafeString]:
    template = compile_layout(body)
    return [SafeString(template.render(Context({"card": card_data(c)}))) for c in cards]
