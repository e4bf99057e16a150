"""Every page a demo user can reach by following links answers without a server error.

The demo seed runs once per session in the demo municipality (``demo_site``, committed);
then each demo login, the BoE administrator included, follows the links of the pages it
sees, GET only, on its own host, visiting one page per URL shape (ids folded), and every
answer must be a page, a redirect or a refusal, never a 500.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from tenants import demo

LINK = re.compile(r'href="(/[^"#]*)"')
# Links that change state or leave the page kind we check here.
SKIP = re.compile(r"^/(static|i18n|logout|api/docs)|\.(xlsx|csv)(\?|$)|/export|/download")
MAX_PAGES = 120


def shape(url: str) -> str:
    """/roster/classes/12/?year=3 and /roster/classes/13/?year=3 are one kind of page."""
    return re.sub(r"\d+", "N", url)


def crawl(client, start: str = "/") -> dict[str, int]:
    seen: dict[str, int] = {}
    shapes: set[str] = set()
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or shape(url) in shapes:
            continue
        shapes.add(shape(url))
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code == 302 and response["Location"].startswith("/"):
            queue.append(response["Location"])
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            for link in LINK.findall(response.content.decode()):
                link = link.replace("&amp;", "&")
                if link not in seen and not SKIP.search(link):
                    queue.append(link)
    return seen


def demo_usernames() -> list[str]:
    names = ["boe-admin"]
    for module in demo.seeders():
        names += [username for _label, username in getattr(module, "DEMO_LOGINS", ())]
    return names


@pytest.mark.parametrize("username", demo_usernames())
def test_no_page_a_demo_user_reaches_fails(db, demo_site, client_for, username):
    seeded = demo_site.municipality
    with schema_context(seeded.schema_name):
        user = get_user_model().objects.get(username=username)
    pages = crawl(client_for(seeded, user))
    failures = {url: code for url, code in pages.items() if code >= 500}
    assert not failures, failures
    print(username, {u: c for u, c in pages.items() if c != 200})
    assert len(pages) > 3  # the user really reached pages beyond the home page
