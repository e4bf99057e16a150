"""The isolation matrix: every page and API operation, as every role that must not see.

``run(world)`` walks ``walk.pages`` and ``walk.api_operations`` as each role of
``world.ROLES`` and reports:

- a **leak**: a response body (exports unzipped) holding a marker the role must not read;
- a **server error**: any 5xx;
- a **status violation**: a 2xx where none is allowed: for an anonymous visitor or a
  user of another municipality on the target's host, anything but the public pages; for a
  teacher of another school, any URL naming one of the target school's objects;
- a **write**: a POST/PUT/PATCH/DELETE by any role that changed the municipality's
  domain tables (their content is hashed before and after), or, on a route that writes
  (one the administrators' forms post to, or an API write), a 2xx to a board viewer.

Writes are tried with the forms the board administrator and the principal see (their
fields, as filled in) and, in the API, with the object as the administrator reads it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from tests.conftest import TenantClient
from tests.security import walk
from tests.security.world import ROLES, World

# The API root lists the endpoints (no records), like the schema and its docs.
PUBLIC = {"login", "set_language", "root", "api-schema", "api-docs"}
# POSTs any role may make: they change the session, not the municipality's records.
SESSION_ONLY = {"login", "logout", "set_language"}
# Everyone's own account (password, second factor, re-verification, own API tokens): a
# viewer may write there; what the tables say is still judged.
OWN_ACCOUNT = {
    "accounts:password-change",
    "accounts:mfa-setup",
    "accounts:mfa-verify",
    "accounts:reauth",
    "accounts:tokens",
    "accounts:token-revoke",
}
DOMAIN_APPS = ("schools", "attendance", "gradebook", "timetable")
# Tables a refused request may still touch (the audit trail of a refusal, sessions).
UNHASHED = {"schools_auditevent"}


@dataclass
class Finding:
    role: str
    method: str
    path: str
    status: int
    problem: str

    def __str__(self) -> str:
        return f"{self.role} {self.method} {self.path} -> {self.status}: {self.problem}"


@dataclass
class Report:
    pages: int = 0
    api_operations: int = 0
    roles: tuple[str, ...] = ()
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    leaks: list[Finding] = field(default_factory=list)
    server_errors: list[Finding] = field(default_factory=list)
    status_violations: list[Finding] = field(default_factory=list)
    writes: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return self.leaks + self.server_errors + self.status_violations + self.writes

    def summary(self) -> str:
        return (
            f"isolation matrix: {self.pages} pages + {self.api_operations} API operations, "
            f"{len(self.roles)} roles ({', '.join(self.roles)}), {self.requests} requests; "
            f"leaks {len(self.leaks)}, 5xx {len(self.server_errors)}, "
            f"status violations {len(self.status_violations)}, writes {len(self.writes)}; "
            f"statuses {dict(sorted(self.statuses.items()))}"
        )


def client(world: World, role: str) -> TenantClient:
    """A client of ``role``: on the target's host, except the other municipality's own."""
    user = world.users[role]
    if role == "anonymous":
        return TenantClient(world.muni, raise_request_exception=False)
    if role.startswith("other_municipality"):
        host = world.other_muni if role.endswith("own_host") else world.muni
        c = TenantClient(host, raise_request_exception=False)
        with schema_context(world.other_muni.schema_name):
            c.force_login(user)  # the session lives in the other municipality's schema
            if not role.endswith("own_host"):
                token, _ = Token.objects.get_or_create(user=user)
                c.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
        return c
    c = TenantClient(world.muni, raise_request_exception=False)
    c.force_login(user)
    return c


def fingerprint() -> dict[str, str]:
    """md5 of every domain table's rows in the current schema, in one query."""
    tables = [
        model._meta.db_table
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.db_table not in UNHASHED
    ]
    sql = " UNION ALL ".join(
        f"SELECT '{table}', md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
        f' FROM "{table}" t'
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def run(
    world: World,
    urlconf: str | None = None,
    roles: tuple[str, ...] = ROLES,
    writes: bool = True,
) -> Report:
    day = world.school_day.isoformat()
    report = Report(roles=roles)
    page_routes = walk.pages(world.ids, day, urlconf)
    admin = TenantClient(world.muni, raise_request_exception=False)
    admin.force_login(world.users["boe_admin"])
    schema = json.loads(admin.get("/api/schema/", {"format": "json"}).content)
    api_routes = walk.api_operations(schema, world.ids, day)
    report.pages = len(page_routes)
    report.api_operations = len(api_routes)
    query = walk.standard_query(world.ids, day)
    forms = harvest(world, page_routes) if writes else {}
    api_bodies = {
        r.path: admin.get(r.path).content
        for r in api_routes
        if r.methods[0] in ("PUT", "PATCH") and r.params
    }

    for role in roles:
        c = client(world, role)
        forbidden = world.markers_forbidden_to(role)

        def check(
            method: str, path: str, response, route: walk.Route, role=role, forbidden=forbidden
        ) -> None:
            report.requests += 1
            status = response.status_code
            report.statuses[status] += 1
            where = dict(role=role, method=method, path=path, status=status)
            if status >= 500:
                report.server_errors.append(Finding(**where, problem="server error"))
            text = walk.body_text(response)
            found = [m for m in forbidden if m in text]
            if found:
                report.leaks.append(Finding(**where, problem=f"leaks {found}"))
            if 200 <= status < 300 and method == "GET" and not violation_free(role, route):
                report.status_violations.append(Finding(**where, problem="2xx not allowed"))

        for route in page_routes:
            for path in (route.path, f"{route.path}?{query}"):
                check("GET", path, c.get(path), route)
        for route in api_routes:
            if route.methods[0] == "GET":
                path = f"{route.path}?{route.query or query}"
                check("GET", path, c.get(path), route)
        if role == "other_municipality_own_host" or not writes:
            continue  # ids of the target mean other rows there; its writes are its own business
        for route in page_routes:
            if route.name.rsplit(":", 1)[-1] in SESSION_ONLY:
                continue
            for data in forms.get(route.path, [{}]):
                before = fingerprint()  # (a write already reported would change it)
                response = c.post(route.path, data)
                check("POST", route.path, response, route)
                writes_records = route.path in forms and route.name not in OWN_ACCOUNT
                judge_write(report, role, "POST", route.path, response, before, writes_records)
        for route in api_routes:
            method = route.methods[0]
            if method == "GET":
                continue
            body = api_bodies.get(route.path, b"{}")
            before = fingerprint()
            response = c.generic(method, route.path, body, content_type="application/json")
            check(method, route.path, response, route)
            judge_write(report, role, method, route.path, response, before, True)
    return report


def violation_free(role: str, route: walk.Route) -> bool:
    """May ``role`` get a 2xx from this route at all?"""
    if role in ("anonymous", "other_municipality"):
        return route.name.rsplit(":", 1)[-1] in PUBLIC
    if role == "other_school_teacher":
        return not route.targets_own_object
    return True


def judge_write(
    report: Report, role: str, method: str, path: str, response, before, writes: bool
) -> None:
    """``writes``: the route is one the administrators' forms post to (or an API write);
    a read page that answers a POST as a GET is judged by the tables alone."""
    after = fingerprint()
    changed = [table for table, digest in after.items() if before.get(table) != digest]
    where = dict(role=role, method=method, path=path, status=response.status_code)
    if changed:
        report.writes.append(Finding(**where, problem=f"changed {changed}"))
    elif role == "board_viewer" and writes and 200 <= response.status_code < 300:
        report.writes.append(Finding(**where, problem="a viewer's write answered 2xx"))


def harvest(world: World, routes: list[walk.Route]) -> dict[str, list[dict]]:
    """The POST forms the administrators see, by action path, filled as they are shown."""
    found: dict[str, list[dict]] = {}
    seen: set[tuple] = set()
    for role in ("boe_admin", "principal", "math_teacher", "homeroom"):
        c = TenantClient(world.muni, raise_request_exception=False)
        c.force_login(world.users[role])
        for route in routes:
            response = c.get(route.path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in walk.forms_on(response.content.decode(), route.path):
                if form.method != "POST":
                    continue
                action = form.action.split("?")[0]
                key = (action, tuple(sorted(form.fields)))
                if key in seen:
                    continue
                seen.add(key)
                found.setdefault(action, []).append(dict(form.fields))
    return found
