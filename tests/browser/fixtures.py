"""Browser test fixtures (a pytest plugin loaded by tests/conftest.py, so that every test
directory shares one browser and one server): Debian's headless Chromium driven by Playwright, against Ai served in a thread.

Playwright's own browser download cannot work on these machines, so the browser is
``/usr/bin/chromium`` (``apt-get install chromium fonts-noto-cjk``; .ci/run does it).
In CI (``CI=true``) a missing browser fails the run instead of skipping it.
A screenshot of every browser test is kept in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# between browser steps are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("AI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def live_port(django_db_setup) -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler, allow_reuse_address=True)
    server.set_app(WSGIHandler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


@pytest.fixture
def live_url(live_port, django_db_blocker):
    """``live_url('tama')`` -> ``http://tama.localhost:PORT``; Chromium resolves *.localhost itself."""
    with django_db_blocker.unblock():
        yield (
            lambda subdomain=None: (
                f"http://{subdomain + '.' if subdomain else ''}{settings.BASE_DOMAIN}:{live_port}"
            )
        )


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[pytest.param("tablet", id="tablet")])
def page(request, browser):
    """A fresh page on a tablet-sized screen (iPad, 1024 × 768, touch), Japanese locale."""
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        locale="ja-JP",
        has_touch=True,
        timezone_id="Asia/Tokyo",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()
