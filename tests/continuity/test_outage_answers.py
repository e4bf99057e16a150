"""A request caught by a failover answers 503, whichever of Django's paths the outage takes.

When the database goes away after the view (the session is saved at the end of every
request), Django raises ``SessionInterrupted``, a 400; behind it is the lost database:
Ai answers the outage's 503 (page in Japanese, API in its JSON shape) instead.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError
from django.test import RequestFactory

import config.urls_tenant  # noqa: F401  (the API's modules load as in a request: URLconf first)
from config import errors


def session_lost_with_the_database(free_port: int) -> SessionInterrupted:
    """The chain Django builds: OperationalError → UpdateError → SessionInterrupted."""
    try:
        try:
            try:
                psycopg.connect(host="127.0.0.1", port=free_port, connect_timeout=2)
            except psycopg.OperationalError as exc:
                raise OperationalError(str(exc)) from exc
        except OperationalError as exc:
            raise UpdateError from exc  # Django's session backend, saving the session
    except UpdateError:
        try:
            raise SessionInterrupted(
                "The request's session was deleted before the request completed."
            )
        except SessionInterrupted as exc:
            return exc
    pytest.fail("the closed port answered")


def test_a_session_lost_with_the_database_is_a_503(free_port):
    interrupted = session_lost_with_the_database(free_port())
    assert errors.caused_by_database_outage(interrupted)
    api = errors.bad_request(RequestFactory().put("/api/v1/attendance/class-marks/1/"), interrupted)
    assert api.status_code == 503 and api["Retry-After"]
    assert json.loads(api.content)["error"]["code"] == "service_unavailable"
    page = errors.bad_request(RequestFactory().post("/attendance/"), interrupted)
    assert page.status_code == 503
    assert "データベースに接続できません" in page.content.decode()


def test_a_bad_request_without_an_outage_stays_a_400():
    assert not errors.caused_by_database_outage(SuspiciousOperation("bad host"))
    api = errors.bad_request(RequestFactory().get("/api/v1/me/"), SuspiciousOperation("x"))
    assert api.status_code == 400
