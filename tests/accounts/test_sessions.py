"""Sessions end when idle and with the browser; 確定 asks for the password or a code again."""

from __future__ import annotations

import time

from django.urls import reverse

from gradebook.models import Finalisation
from schools.models import AuditEvent
from tests import factories
from tests.accounts.helpers import code, enrol, login


def _age(client, key: str, minutes: float) -> None:
    session = client.session
    session[key] = time.time() - minutes * 60
    session.save()


def test_an_idle_session_ends_after_thirty_minutes(muni, client_for, teacher, settings):
    assert settings.AI_SESSION_IDLE_MINUTES == 30
    client = client_for(muni, teacher)
    assert client.get("/").status_code == 200
    _age(client, "ai_last_seen", 29)
    assert client.get("/").status_code == 200  # 29 minutes: still there (and the clock restarts)
    _age(client, "ai_last_seen", 31)
    response = client.get("/attendance/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302  # logged out
    assert AuditEvent.objects.filter(action="accounts.session.expire").exists()
    page = client.get("/login/").content.decode()
    assert "30分間操作がなかったため" in page


def test_the_idle_time_is_a_setting(muni, client_for, teacher, settings):
    settings.AI_SESSION_IDLE_MINUTES = 5
    client = client_for(muni, teacher)
    _age(client, "ai_last_seen", 6)
    assert client.get("/").status_code == 302


def test_the_session_cookie_ends_with_the_browser(muni, client_for, teacher):
    response = login(client_for(muni), teacher.username)
    cookie = response.cookies["ai_session"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]


def _finalise(client, s):
    run = reverse("gradebook:finalise-run", args=[s.term.pk])
    page = "http://fujiyoshida.localhost" + reverse("gradebook:finalise", args=[s.term.pk])
    return client.post(run, {"accept_gaps": "1"}, HTTP_REFERER=page)


def test_finalising_asks_for_the_password_again_after_a_while(muni, client_for):
    s = factories.gradebook_class()
    client = client_for(muni, s.admin.user)
    _age(client, "ai_verified_at", 11)
    response = _finalise(client, s)
    assert response.status_code == 302 and response["Location"].startswith("/account/verify/")
    assert not Finalisation.objects.filter(term=s.term).exists()
    verify = response["Location"]
    assert "本人確認" in client.get(verify).content.decode()
    bad = client.post(verify, {"secret": "wrong"})
    assert bad.status_code == 200 and "正しくありません" in bad.content.decode()
    back = client.post(verify, {"secret": factories.PASSWORD})
    assert back.status_code == 302
    assert back["Location"].endswith(reverse("gradebook:finalise", args=[s.term.pk]))
    assert _finalise(client, s).status_code == 302
    assert Finalisation.objects.filter(term=s.term).exists()
    assert AuditEvent.objects.filter(action="accounts.step_up.verify").exists()


def test_a_code_does_for_the_step_up_too(muni, client_for):
    s = factories.gradebook_class()
    device, codes = enrol(s.admin.user)
    client = client_for(muni, s.admin.user)
    assert client.post("/account/mfa/verify/", {"code": codes[0]}).status_code == 302
    _age(client, "ai_verified_at", 11)
    verify = _finalise(client, s)["Location"]
    assert verify.startswith("/account/verify/")
    assert client.post(verify, {"secret": code(device, drift=1)}).status_code == 302
    assert _finalise(client, s).status_code == 302
    assert Finalisation.objects.filter(term=s.term).exists()


def test_a_recent_login_needs_no_step_up(muni, client_for):
    s = factories.gradebook_class()
    client = client_for(muni, s.admin.user)
    assert _finalise(client, s)["Location"].endswith(
        reverse("gradebook:finalise", args=[s.term.pk])
    )
    assert Finalisation.objects.filter(term=s.term).exists()


def test_the_step_up_never_sends_back_to_another_host(muni, client_for):
    s = factories.gradebook_class()
    client = client_for(muni, s.admin.user)
    _age(client, "ai_verified_at", 11)
    run = reverse("gradebook:finalise-run", args=[s.term.pk])
    verify = client.post(run, {}, HTTP_REFERER="https://evil.example/")["Location"]
    response = client.post(verify, {"secret": factories.PASSWORD})
    assert response["Location"] == "/"


def test_the_whole_municipality_staff_list_asks_again_but_one_school_does_not(
    muni, client_for, boe_admin
):
    client = client_for(muni, boe_admin)
    _age(client, "ai_verified_at", 11)
    url = reverse("schools_io:export-staff")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/verify/?next=")
    back = client.post(response["Location"], {"secret": factories.PASSWORD})
    assert back["Location"] == url
    assert client.get(url)["Content-Type"].startswith("application/vnd.openxmlformats")
