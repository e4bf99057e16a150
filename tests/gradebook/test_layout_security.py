"""Issue 10, findings 1 and 2: no text a board types into the 通知表 layout becomes markup or
script on anyone's page, and whatever it types costs bounded time and output.

The layout was a Django template the board wrote (``<script>``, ``{% autoescape off %}``,
``|safe``, ``{%debug%}``, nested loops, ``ljust:"10000000"`` all passed); it is now structured
settings rendered by Ai's own template (gradebook.layouts)."""

from __future__ import annotations

import importlib
import time

from django.apps import apps as django_apps
from django.urls import reverse

from gradebook import layouts
from gradebook.forms import LayoutForm
from gradebook.models import ReportCardLayout
from schools.models import AuditEvent

HOSTILE = [
    "<script>window.__pwned = 1</script>",
    "{% autoescape off %}<b>x</b>{% endautoescape %}",
    "{{ card.remark|safe }}",
    "{%debug%}",
    "{% for a in card.subjects %}{% for b in card.subjects %}{% for c in card.subjects %}"
    "{% for d in card.subjects %}{{ card.name }}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    '{{ card.name|ljust:"10000000" }}',
    '"><img src=x onerror="window.__pwned=1">',
]


def layout_post(layout: layouts.Layout = layouts.STANDARD, **changes) -> dict:
    """The editor's POST for ``layout`` with ``changes`` (False unticks a checkbox)."""
    data = {**LayoutForm.initial_for(layout), **changes}
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def card_url(setup) -> str:
    return reverse(
        "gradebook:report-card", args=[setup.classroom.pk, setup.term.pk, setup.students[0].pk]
    )


def test_a_template_body_posted_to_the_editor_is_not_a_layout(setup, client_for, muni, boe_admin):
    """What the attack posted before: the old ``body`` field is no longer read at all."""
    client = client_for(muni, boe_admin)
    for body in HOSTILE:
        assert (
            client.post(reverse("gradebook:report-layout-save"), {"body": body}).status_code == 200
        )
    assert not ReportCardLayout.objects.exists()
    html = client_for(muni, setup.admin.user).get(card_url(setup)).content.decode()
    assert "__pwned" not in html and "<b>x</b>" not in html


def test_every_text_a_board_types_is_shown_as_text(setup, client_for, muni, boe_admin):
    client = client_for(muni, boe_admin)
    text_fields = ["school_name", "principal"] + [f"label_{k}" for k in layouts.LABELS]
    for hostile in HOSTILE:
        post = layout_post(**dict.fromkeys(text_fields, hostile[: layouts.MAX_TEXT]))
        assert client.post(reverse("gradebook:report-layout-save"), post).status_code == 302
        started = time.perf_counter()
        response = client_for(muni, setup.admin.user).get(card_url(setup))
        elapsed = time.perf_counter() - started
        html = response.content.decode()
        assert response.status_code == 200 and elapsed < 3, hostile
        assert len(html) < 200_000, hostile  # no 10 MB of padding
        assert "<script>window" not in html and "<b>x</b>" not in html, hostile
        assert 'onerror="' not in html and "<img" not in html, hostile
        assert "sql_queries" not in html, hostile  # {%debug%} is text, not a dump
        if hostile.startswith("<script>"):
            assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
        if hostile.startswith("{%debug"):
            assert "{%debug%}" in html  # shown literally


def test_the_preview_escapes_too(client_for, muni, boe_admin):
    client = client_for(muni, boe_admin)
    post = layout_post(label_remark="<script>window.__pwned=1</script>")
    html = client.post(reverse("gradebook:report-layout-preview"), post).content.decode()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html and "<script>" not in html


def test_stored_settings_are_bounded_whatever_the_json_says():
    layout = layouts.Layout.from_dict(
        {
            "sections": ["grades", "grades", "evil", 3, "header"],
            "labels": {"title": "x" * 10_000, "nope": "y", "remark": ["list"]},
            "school_name": "a\x00b\u202ec\n" + "z" * 100,
            "margins": {"top": "1e9", "left": -5, "right": None, "bottom": 10**30},
            "viewpoints": "knowledge",
            "attendance_columns": ["absent_days", "<script>"],
            "rating": "no",
        }
    )
    assert layout.sections == ("grades", "header")
    assert layout.labels == {"title": "x" * layouts.MAX_TEXT}
    assert layout.school_name.startswith("a b c z") and len(layout.school_name) == layouts.MAX_TEXT
    assert layout.margins == {"top": 12, "right": 12, "bottom": 30, "left": 5}
    assert layout.attendance_columns == ("absent_days",)
    assert layouts.Layout.from_dict("garbage") == layouts.STANDARD
    assert layouts.Layout.from_dict(layout.to_dict()) == layout


def test_columns_sections_and_margins_reach_the_printed_card(setup, client_for, muni, boe_admin):
    client = client_for(muni, boe_admin)
    post = layout_post(
        order_remark=1,
        order_header=2,
        show_seals=False,
        vp_attitude=False,
        rating=False,
        label_seal_principal="校長",
        margin_top=20,
        principal="富士 太郎",
    )
    assert client.post(reverse("gradebook:report-layout-save"), post).status_code == 302
    html = client_for(muni, setup.homeroom.user).get(card_url(setup)).content.decode()
    assert html.index("所見") < html.index(setup.students[0].name)
    assert "保護者印" not in html and "主体的に学習に取り組む態度" not in html
    assert "富士 太郎" in html and "--rc-mt:20mm" in html
    event = AuditEvent.objects.filter(action="gradebook.layout.save").latest("pk")
    assert event.changes["principal"] == ["", "富士 太郎"]


def test_old_template_layouts_are_converted_or_kept_unexecuted(setup, client_for, muni, boe_admin):
    migration = importlib.import_module("gradebook.migrations.0004_structured_report_card_layout")
    ReportCardLayout.objects.create(legacy_body="\n  " + migration.OLD_STANDARD_BODY + "\n")
    migration.convert(django_apps, None)
    row = ReportCardLayout.objects.get()
    assert row.legacy_body == "" and layouts.Layout.from_dict(row.config) == layouts.STANDARD

    row.delete()
    body = "<h1>{{ card.name }}</h1><script>window.__pwned=1</script>{{ card.remark|safe }}"
    ReportCardLayout.objects.create(legacy_body=body)
    migration.convert(django_apps, None)
    row = ReportCardLayout.objects.get()
    assert row.legacy_body == body  # kept for the board to read
    assert layouts.Layout.from_dict(row.config).sections == ("header", "remark")
    html = client_for(muni, setup.admin.user).get(card_url(setup)).content.decode()
    assert "__pwned" not in html and setup.students[0].name in html
    editor = client_for(muni, boe_admin).get(reverse("gradebook:report-layout")).content.decode()
    assert "安全のため使われなくなりました" in editor
    assert (
        "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in editor and "<script>window" not in editor
    )


def test_only_the_board_administrator_previews(setup, client_for, muni, boe_admin):
    url = reverse("gradebook:report-layout-preview")
    assert client_for(muni, setup.admin.user).post(url, layout_post()).status_code == 403
    assert client_for(muni, boe_admin).get(url).status_code == 405
    invalid = client_for(muni, boe_admin).post(url, layout_post(margin_top="x"))
    assert invalid.status_code == 200 and "入力に誤りがあります" in invalid.content.decode()
