"""Every URL of the tenant site and every API operation, filled with the target's ids.

Pages come from the URL resolver, API operations from the OpenAPI schema, so a new page
or endpoint is walked without anyone adding it. A path parameter is filled from what it
names (``classroom_id``, ``term_id`` ...) or, for ``pk``/``{id}``, from the segment before
it (``/roster/students/<pk>/`` is a student); a parameter nobody knows fails the walk with
a message saying where to name it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.urls import URLPattern, URLResolver, get_resolver

# What the segment before ``<pk>`` / ``{id}`` says the id is (keys of ``World.ids``).
PK_BY_SEGMENT = {
    "schools": "school",
    "classes": "classroom",
    "students": "student",
    "enrolments": "enrolment",
    "years": "year_pk",
    "staff": "staff",
    "roles": "role",
    "assessments": "assessment",
    "finalisations": "finalisation",
    "terms": "term",
    "subjects": "subject",
    "class-marks": "classroom",
    "student-marks": "student",
    "tokens": "token",
    "teaching": "teaching",
    # timetable pages (/timetable/schools/<pk>/, classes/<pk>/, teachers/<pk>/, rooms/<pk>/)
    "teachers": "staff",
    "rooms": "room",
    # the timetable API
    "bell-schedules": "bell-schedule",
    "assignments": "assignment",
    "groups": "group",
    "bell-days": "bell-day",
    "lessons": "lesson",
    "class-weeks": "classroom",
    "changes": "change",
    "generations": "job_id",  # 自動作成: a job of kind timetable.generate
    "generation-rules": "school",  # 自動作成の決まり of a school (GET / PUT)
    "jobs": "job_id",  # /api/v1/jobs/<pk>/: the caller's own job (an import's 202)
}
# Parameters that name something every school shares (not the target's own object).
SHARED = {"subject", "subject_id", "year", "year_pk", "month", "day"}
# Query parameters every GET is also tried with: the target's ids under their usual names.
QUERY_NAMES = ("school", "classroom", "class", "subject", "term", "student", "assessment", "year")
CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One page (or API operation): the filled path, its name, methods, its parameters."""

    path: str
    name: str
    params: tuple[str, ...]
    methods: tuple[str, ...] = ("GET", "POST")
    api: bool = False
    query: str = ""  # the schema's query parameters, filled

    @property
    def targets_own_object(self) -> bool:
        """Does a path parameter name one of the target school's own objects?"""
        return any(p not in SHARED for p in self.params)


class UnknownParameter(Exception):
    pass


def _pattern_routes(patterns, prefix: str = "", names: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{names}{p.namespace}:" if p.namespace else names
            yield from _pattern_routes(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{names}{p.name or ''}"


def pages(ids: dict[str, int], day: str, urlconf: str | None = None) -> list[Route]:
    """Every route of the tenant URLConf except the API's (walked from its schema)."""
    routes = []
    for pattern, name in _pattern_routes(get_resolver(urlconf).url_patterns):
        if pattern.startswith("api/v1/") or pattern.startswith("^"):
            continue
        params: list[str] = []

        def fill(match: re.Match, pattern=pattern, params=params) -> str:
            key = _key(match.group("name"), pattern[: match.start()], pattern)
            params.append(key)
            return day if match.group("name") == "day" else str(_value(ids, key, pattern))

        routes.append(Route("/" + CONVERTER.sub(fill, pattern), name, tuple(params)))
    return routes


def api_operations(schema: dict, ids: dict[str, int], day: str) -> list[Route]:
    routes = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params: list[str] = []
            filled = path
            for match in re.finditer(r"\{(\w+)\}", path):
                key = _key(match.group(1), path[: match.start()], path)
                params.append(key)
                filled = filled.replace(match.group(0), str(_value(ids, key, path)))
            query = []
            for p in op.get("parameters", []):
                if p["in"] == "query" and p["name"] in ids and p["name"] not in ("year",):
                    query.append(f"{p['name']}={ids[p['name']]}")
            routes.append(
                Route(
                    filled,
                    op.get("operationId", path),
                    tuple(params),
                    (method.upper(),),
                    api=True,
                    query="&".join(query),
                )
            )
    return routes


def _key(name: str, before: str, where: str) -> str:
    if name in ("pk", "id"):
        segment = [s for s in re.split(r"[/^$]", before) if s and "<" not in s][-1:]
        key = PK_BY_SEGMENT.get(segment[0] if segment else "")
        if key is None:
            raise UnknownParameter(
                f"{where}: what is <{name}> after {segment}? Name it in "
                "tests/security/walk.py PK_BY_SEGMENT."
            )
        return key
    return name


def _value(ids: dict[str, int], key: str, where: str) -> int:
    if key not in ids:
        raise UnknownParameter(
            f"{where}: no target id for parameter {key!r}; add it to tests/security/world.py ids."
        )
    return ids[key]


def standard_query(ids: dict[str, int], day: str) -> str:
    parts = [f"{name}={ids[name]}" for name in QUERY_NAMES if name in ids]
    parts += [f"date={day}", f"from={day}", f"to={day}", f"month={ids.get('month', 5)}"]
    return "&".join(parts)


def body_text(response) -> str:
    """What a response shows, with .xlsx exports unzipped (their text is compressed XML)."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                raw = b"".join(archive.read(n) for n in archive.namelist())
        except zipfile.BadZipFile:
            pass
    return raw.decode("utf-8", errors="replace")


# --- forms -------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").upper()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "reset"):
                form.fields.setdefault(name, []).append(a.get("value") or "")
        elif tag == "button" and name and a.get("value") is not None:
            form.fields.setdefault(name, []).append(a["value"])
        elif tag == "select" and name:
            self._select, self._select_first, self._selected = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._selected:
                form.fields.setdefault(self._select, []).append(value)
                self._selected = True
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self.forms:
            if not self._selected and self._select_first is not None:
                self.forms[-1].fields.setdefault(self._select, []).append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea][-1] += data


def forms_on(html: str, page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if not form.action:
            form.action = page
        form.action = form.action.replace("&amp;", "&")
    return parser.forms
