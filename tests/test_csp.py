"""Issue 10, finding 1: a Content-Security-Policy without inline script on every page.

The policy (django-csp, ``CONTENT_SECURITY_POLICY`` in settings) is sent by the operators'
site and every municipality's site, on pages, redirects and error pages; and no template
or page carries an inline script, an inline event handler, ``hx-on`` or a ``javascript:``
URL, so ``script-src 'self'`` breaks nothing (behaviour lives in static files:
``static/ai/ai.js`` for ``data-print`` and ``data-confirm``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.test_crawl import LINK, SKIP, shape

ROOT = Path(settings.BASE_DIR)

# An inline <script> (one without src; JSON data blocks are not scripts), an on…= handler
# inside a tag, htmx's inline handlers, a javascript: URL.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
)
HANDLER = re.compile(r"<[a-z][^>]*\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
JS_URL = re.compile(r"(href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.I)

PENDING: set[str] = set()  # templates still waiting for a fix (none)


def inline_code(html: str) -> list[str]:
    found = [m.group(0) for m in INLINE_SCRIPT.finditer(html)]
    found += [m.group(0)[-60:] for m in HANDLER.finditer(html)]
    found += [m.group(0) for m in JS_URL.finditer(html)]
    return found


def assert_policy(response) -> None:
    policy = response.get("Content-Security-Policy", "")
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives.get("script-src") == "'self'", policy
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
    assert directives.get("object-src") == "'none'"
    assert directives.get("base-uri") == "'self'"
    assert directives.get("frame-ancestors") == "'none'"
    assert directives.get("default-src") == "'self'"
    assert directives.get("form-action") == "'self'"


def templates() -> list[Path]:
    dirs = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(p for d in dirs for p in d.rglob("*.html") if ".venv" not in p.parts)


def test_no_template_has_inline_script_or_handlers():
    offenders, pending = {}, set()
    for path in templates():
        rel = path.relative_to(ROOT).as_posix()
        found = inline_code(path.read_text(encoding="utf-8"))
        if rel in PENDING:
            pending.add(rel) if found else None
        elif found:
            offenders[rel] = found
    assert len(templates()) > 50
    assert not offenders, offenders
    assert pending == PENDING, f"applied? remove from PENDING: {PENDING - pending}"


def test_the_detector_finds_what_it_must():
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<button type="button" onclick="go()">')
    assert inline_code('<div hx-on:click="x()">')
    assert inline_code('<a href="javascript:alert(1)">')
    assert not inline_code('<script src="/static/ai/ai.js" defer></script>')
    assert not inline_code('<script type="application/json" id="d">{}</script>')
    assert not inline_code("<p>&lt;script&gt; onclick=&quot;x&quot;</p>")
    assert not inline_code('<button data-confirm="よろしいですか。">')


def test_the_policy_on_the_tenant_site(muni, client_for, boe_admin):
    anonymous = client_for(muni)
    for url in ("/login/", "/", "/grades/report-layout/", "/no-such-page/"):
        response = anonymous.get(url)
        assert response.status_code in (200, 302, 404), url
        assert_policy(response)
    client = client_for(muni, boe_admin)
    for url, status in (
        ("/", 200),
        ("/grades/report-layout/", 200),
        ("/no-such-page/", 404),
        ("/api/docs/", 200),
        ("/api/v1/me/", 200),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert_policy(response)
        if "text/html" in response["Content-Type"]:
            assert not inline_code(response.content.decode()), url
    docs = client.get("/api/docs/").content.decode()
    assert "<script>" not in docs  # Swagger UI's settings come as a script file
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]


def test_the_policy_on_the_operators_site_and_unknown_hosts(public_client):
    for url in ("/login/", "/", "/no-such-page/"):
        response = public_client.get(url)
        assert_policy(response)
        if "text/html" in response.get("Content-Type", ""):
            assert not inline_code(response.content.decode())
    operator = get_user_model().objects.create_user("op-csp", password=PASSWORD, is_staff=True)
    public_client.force_login(operator)
    response = public_client.get("/")
    assert response.status_code == 200 and not inline_code(response.content.decode())
    assert_policy(response)
    unknown = Client(HTTP_HOST="nowhere.localhost").get("/")
    assert unknown.status_code == 404
    assert_policy(unknown)


@pytest.mark.parametrize("username", ["boe-admin", "principal-jh1", "teacher-jh1-2-1"])
def test_no_page_a_demo_user_reaches_has_inline_script(db, demo_site, client_for, username):
    """Follow the links as in tests/test_crawl.py: every HTML page carries the policy and
    no inline code."""
    seeded = demo_site.municipality
    with schema_context(seeded.schema_name):
        user = get_user_model().objects.get(username=username)
    client = client_for(seeded, user)
    seen, shapes, queue, offenders = set(), set(), ["/"], {}
    while queue and len(seen) < 80:
        url = queue.pop(0)
        if url in seen or shape(url) in shapes:
            continue
        seen.add(url)
        shapes.add(shape(url))
        response = client.get(url)
        assert_policy(response)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            html = response.content.decode()
            if found := inline_code(html):
                offenders[url] = found
            queue += [
                link.replace("&amp;", "&") for link in LINK.findall(html) if not SKIP.search(link)
            ]
    assert len(seen) > 5
    assert not offenders, offenders
