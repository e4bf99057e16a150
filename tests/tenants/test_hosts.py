"""Addresses that are no municipality answer in Japanese; 127.0.0.1 says where to go."""

from __future__ import annotations

from django.test import Client

from tests.conftest import host_of


def test_unknown_municipality_is_a_japanese_404(db, muni):
    page = Client(HTTP_HOST="nosuch.localhost:8000").get("/")
    assert page.status_code == 404
    html = page.content.decode()
    assert 'lang="ja"' in html and "自治体が見つかりません" in html and "nosuch.localhost" in html
    api = Client(HTTP_HOST="nosuch.localhost").get("/api/v1/me/")
    assert api.status_code == 404 and api.json()["error"]["message"].startswith("このアドレス")
    # A host outside ALLOWED_HOSTS: the same page, not an empty 404.
    other = Client(HTTP_HOST="example.com").get("/roster/")
    assert other.status_code == 404 and "自治体が見つかりません" in other.content.decode()
    # The municipalities themselves are untouched.
    assert Client(HTTP_HOST=host_of(muni)).get("/api/").status_code == 200


def test_loopback_names_the_addresses_in_development(db, muni, settings):
    settings.DEBUG = True
    page = Client(HTTP_HOST="127.0.0.1:8000").get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ai のアドレス" in html and "http://localhost:8000/" in html
    assert f"http://{host_of(muni)}:8000/" in html and muni.name in html
    assert Client(HTTP_HOST="[::1]:8000").get("/").status_code == 200


def test_loopback_redirects_to_the_operators_site_in_production(db, settings):
    settings.DEBUG = False
    response = Client(HTTP_HOST="127.0.0.1:8000").get("/anything/")
    assert response.status_code == 302 and response["Location"] == "http://localhost:8000/"
