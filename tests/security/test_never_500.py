"""Never a 500 (issue 10, finding 5): each bad input the probe found, reproduced.

Also: the API answers its own JSON error shape for every error (404, 500, 503 included),
and a database that cannot be reached gives a 503 with a Japanese page, not a 500. The
outage is real: the connection is closed and pointed at a port where nothing listens.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from bench.synth import shared_strings_bomb
from gradebook.models import Remark
from schools import services
from schools.models import Term
from schools.permissions import actor_for_user
from tenants.models import Municipality
from tests.conftest import TenantClient
from tests.security import world
from tests.security.walk import forms_on

DEEP = b"[" * 10_000 + b"]" * 10_000


@pytest.fixture
def target(muni, other_muni) -> world.World:
    return world.build(muni, other_muni)


def as_(target: world.World, role: str) -> TenantClient:
    client = TenantClient(target.muni, raise_request_exception=False)
    client.force_login(target.users[role])
    return client


def api_error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    return body["error"]


def test_nul_bytes_in_forms_query_strings_and_json_are_a_400_with_a_message(target):
    client = as_(target, "boe_admin")
    page = client.post(
        "/roster/schools/new/", {"name": "北\x00小学校", "school_type": "elementary"}
    )
    assert page.status_code == 400 and "NUL文字" in page.content.decode()
    assert client.get("/roster/", {"q": "a\x00"}).status_code == 400
    api = client.post(
        "/api/v1/roster/schools/", {"name": "北\x00小学校"}, content_type="application/json"
    )
    assert api.status_code == 400 and "NUL文字" in api_error(api)["message"]


def test_json_nested_10000_deep_is_a_400(target):
    client = as_(target, "math_teacher")
    api = client.post("/api/v1/gradebook/scores/", DEEP, content_type="application/json")
    assert api.status_code == 400 and "入れ子が深すぎます" in api_error(api)["message"]
    ids = target.ids
    grid = f"/grades/grid/{ids['classroom']}/{ids['subject']}/{ids['term']}/save/"
    assert client.post(grid, DEEP, content_type="application/json").status_code == 400
    # Sent as text/plain, the middleware does not look: the view's parser refuses it.
    assert client.post(grid, DEEP, content_type="text/plain").status_code == 400


def test_the_json_parser_refuses_deep_bodies_without_the_middleware(target, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "config.middleware.HostileInputMiddleware"
    ]
    api = as_(target, "math_teacher").post(
        "/api/v1/gradebook/scores/", DEEP, content_type="application/json"
    )
    assert api.status_code == 400 and api_error(api)["code"] == "parse_error"


@pytest.mark.parametrize("value", ["abc", "²", "١٢", "-1", "1e3", "99999999999999999999", ""])
def test_non_numeric_ids_in_query_strings_are_never_a_500(target, value):
    client = as_(target, "boe_admin")
    ids = target.ids
    for path in (
        "/roster/",
        "/grades/settings/",
        "/grades/distribution/",
        f"/roster/io/export/school/{ids['school']}.xlsx",
        "/roster/io/export/staff.xlsx",
        "/api/v1/gradebook/scores/",
        "/api/v1/gradebook/teaching-assignments/",
    ):
        for name in ("school", "year", "classroom", "term", "subject", "student", "page"):
            response = client.get(path, {name: value})
            assert response.status_code < 500, (path, name, value, response.status_code)


def test_an_out_of_range_year_in_a_url_is_a_404(target):
    client = as_(target, "boe_admin")
    school = target.ids["school"]
    for year in ("99999999999999999999", "2147483648", "0"):
        assert client.get(f"/roster/schools/{school}/terms/{year}/").status_code == 404
        assert client.get(f"/roster/schools/{school}/classes/{year}/new/").status_code == 404


def test_editing_terms_once_grades_exist_keeps_them(target):
    """The terms page deleted and recreated terms: a 500 once grades referred to them."""
    client = as_(target, "principal")
    term = Term.objects.get(pk=target.ids["term"])
    url = f"/roster/schools/{target.ids['school']}/terms/2026/"
    page = client.get(url)
    form = next(f for f in forms_on(page.content.decode(), url) if [term.name] in f.fields.values())
    fields = dict(form.fields)
    name_field = next(k for k, v in fields.items() if v == [term.name])
    fields[name_field] = ["前期"]
    response = client.post(url, fields)
    assert response.status_code == 302
    term.refresh_from_db()
    assert term.name == "前期" and term.assessments.count() == 2  # same row, grades kept

    # Dropping a term that has records is refused with a message, not a 500.
    by = actor_for_user(target.users["principal"])
    first = services.TermDraft("前期", term.start, dt.date(2026, 9, 30))
    second = services.TermDraft("後期", dt.date(2026, 10, 1), dt.date(2027, 3, 20))
    services.set_terms(term.school, term.school_year, [first, second], by=by)
    later = Term.objects.get(school_id=term.school_id, school_year=term.school_year, number=2)
    Remark.objects.create(student_id=target.ids["student"], term=later, text="所見")
    with pytest.raises(ValidationError, match="記録があるため"):
        services.set_terms(term.school, term.school_year, [first], by=by)
    assert Term.objects.filter(pk=later.pk).exists()


def test_the_api_answers_its_json_error_shape_for_404_and_500(target, settings):
    client = as_(target, "boe_admin")
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and api_error(missing)["code"] == "not_found"
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
    settings.ROOT_URLCONF = "tests.security.failing_urls"
    crashed = client.get("/api/v1/boom/")
    assert crashed.status_code == 500 and api_error(crashed)["code"] == "server_error"
    page = client.get("/boom/")
    assert page.status_code == 500 and "エラーが発生しました" in page.content.decode()


# --- a database outage -------------------------------------------------------------------


def _closed_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_down(django_db_setup, django_db_blocker):
    """The municipality's host while PostgreSQL cannot be reached, then the database back.

    Outside the test transaction (like the browser tests): the connection is really closed
    and its next connect goes to a port where nothing listens.
    """
    with django_db_blocker.unblock():
        municipality = Municipality.objects.get(schema_name="m_fujiyoshida")
        with schema_context(municipality.schema_name):
            user = get_user_model().objects.get(username="boe-admin")
            client = TenantClient(municipality, raise_request_exception=False)
            client.force_login(user)  # a session of the municipality's own schema (committed)
        connection.close()
        saved = connection.settings_dict["PORT"]
        connection.settings_dict["PORT"] = str(_closed_port())
        try:
            yield client
        finally:
            connection.close()
            connection.settings_dict["PORT"] = saved
        assert client.get("/").status_code == 200, "the app recovers by itself"


def test_a_database_outage_is_a_503_page_in_japanese(database_down):
    page = database_down.get("/")
    assert page.status_code == 503 and page["Retry-After"]
    assert "データベースに接続できません" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")


def test_a_database_outage_is_a_503_in_the_api_shape(database_down):
    api = database_down.get("/api/v1/me/")
    assert api.status_code == 503
    assert api_error(api)["code"] == "service_unavailable"


def test_a_teacher_uploading_the_shared_strings_bomb_to_a_grid_import_is_refused_fast(target):
    """Finding 4 through the page a teacher reaches: the 208 KB, 5,000,000-string workbook."""
    client = as_(target, "math_teacher")
    ids = target.ids
    url = f"/grades/grid/{ids['classroom']}/{ids['subject']}/{ids['term']}/import/"
    bomb = shared_strings_bomb(5_000_000)
    assert client.get(url).status_code == 200
    started = time.perf_counter()
    response = client.post(url, {"file": SimpleUploadedFile("成績.xlsx", bomb)})
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 400)
    assert "展開すると大きすぎます" in response.content.decode()
    assert elapsed < 1.0, elapsed
