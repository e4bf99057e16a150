"""The second factor: enrolment, login with a code, recovery codes, who must and from where."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from schools.models import AuditEvent
from tests.accounts.helpers import code, enrol, login

SETUP = "/account/mfa/"
VERIFY = "/account/mfa/verify/"


def test_board_admin_must_enrol_then_logs_in_with_a_code(strict, client_for, boe_admin):
    client = client_for(strict)
    response = login(client, "boe-admin")
    assert response.status_code == 302 and response["Location"] == "/"
    # Every page sends the administrator to enrolment first.
    response = client.get("/roster/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    page = client.get(SETUP).content.decode()
    assert "<svg" in page and "二要素認証の登録" in page
    device = TOTPDevice.objects.get(user=boe_admin, confirmed=False)
    assert client.post(SETUP, {"code": "000000"}).status_code == 200  # wrong: asked again
    response = client.post(SETUP, {"code": code(device)})
    page = response.content.decode()
    assert "リカバリーコード" in page and page.count("<li><code>") == 10
    assert client.get("/").status_code == 200  # this session gave a code
    client.post("/logout/")

    # Next login: the code is asked after the password.
    response = login(client, "boe-admin")
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": "123456", "next": "/"}).status_code == 200
    time.sleep(1.1)  # django-otp makes the next try wait after a wrong code
    response = client.post(VERIFY, {"code": code(device, drift=1), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "accounts.login.succeed",
        "accounts.mfa.enrol",
        "accounts.mfa.verify",
        "accounts.mfa.fail",
        "accounts.logout.succeed",
    } <= actions


def test_a_recovery_code_works_once(strict, client_for, teacher):
    _, codes = enrol(teacher)
    client = client_for(strict)
    login(client, teacher.username)
    assert client.post(VERIFY, {"code": codes[0], "next": "/"}).status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.recovery_code.use").exists()
    client.post("/logout/")
    login(client, teacher.username)
    response = client.post(VERIFY, {"code": codes[0], "next": "/"})
    assert response.status_code == 200 and "正しくありません" in response.content.decode()
    assert client.get("/").status_code == 302
    time.sleep(1.1)
    assert client.post(VERIFY, {"code": codes[1], "next": "/"}).status_code == 302


def test_school_network_exempts_staff_but_not_administrators(
    strict, client_for, teacher, boe_admin
):
    strict.mfa_exempt_networks = "10.20.0.0/16\n127.0.0.0/8"
    strict.save()
    client = client_for(strict)
    login(client, teacher.username)
    assert client.get("/").status_code == 200  # a teacher on the school network
    admin = client_for(strict)
    login(admin, "boe-admin")
    assert admin.get("/")["Location"].startswith(SETUP)  # administrators: always


def test_outside_the_school_network_a_teacher_must_enrol(strict, client_for, teacher):
    strict.mfa_exempt_networks = "10.20.0.0/16"
    strict.save()
    client = client_for(strict)
    login(client, teacher.username)
    assert client.get("/")["Location"].startswith(SETUP)


def test_a_municipality_may_not_require_it_of_teachers(strict, client_for, teacher):
    strict.mfa_required = False
    strict.save()
    client = client_for(strict)
    login(client, teacher.username)
    assert client.get("/").status_code == 200


def test_an_enrolled_user_is_always_asked(muni, client_for, teacher):
    enrol(teacher)  # muni exempts loopback, but a user who enrolled gives a code
    client = client_for(muni)
    login(client, teacher.username)
    assert client.get("/")["Location"].startswith(VERIFY)


def test_school_admin_always_needs_it(strict, client_for):
    from tests import factories

    admin = factories.school_admin(factories.school(), factories.school_year())
    strict.mfa_required = False
    strict.mfa_exempt_networks = "127.0.0.0/8"
    strict.save()
    client = client_for(strict)
    login(client, admin.user.username)
    assert client.get("/")["Location"].startswith(SETUP)


def test_the_api_refuses_a_session_without_its_code(strict, client_for, boe_admin):
    client = client_for(strict)
    login(client, "boe-admin")
    response = client.get("/api/v1/me/")
    assert response.status_code == 403


def test_board_edits_the_policy_and_bad_ranges_are_refused(muni, client_for, boe_admin):
    client = client_for(muni, boe_admin)
    response = client.post("/account/security/", {"exempt_networks": "10.0.0.0/8\nnot-a-net"})
    assert response.status_code == 200 and "CIDR" in response.content.decode()
    response = client.post(
        "/account/security/", {"mfa_required": "on", "exempt_networks": "10.0.0.0/8\n"}
    )
    assert response.status_code == 302
    muni.refresh_from_db()
    assert muni.mfa_required and muni.mfa_exempt_networks == "10.0.0.0/8"
    assert AuditEvent.objects.filter(action="accounts.policy.update").exists()


def test_a_teacher_cannot_edit_the_policy(muni, client_for, teacher):
    assert client_for(muni, teacher).get("/account/security/").status_code == 403


def test_operators_need_a_code_outside_the_demo(public_client, django_user_model):
    from tenants.models import Municipality

    Municipality.objects.filter(schema_name="public").update(mfa_exempt_loopback=False)
    user = django_user_model.objects.create_superuser("op-strict", password="op-strict-2026!")
    public_client.post("/login/", {"username": user.username, "password": "op-strict-2026!"})
    response = public_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    assert public_client.get(SETUP).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert public_client.post(SETUP, {"code": code(device)}).status_code == 200
    assert public_client.get("/").status_code == 200


def test_board_resets_a_lost_phone(muni, client_for, boe_admin, teacher):
    enrol(teacher)
    client = client_for(muni, boe_admin)
    assert client.post(f"/account/staff/{teacher.pk}/mfa-reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=teacher).exists()
    assert AuditEvent.objects.filter(action="accounts.mfa.reset").exists()
    assert get_user_model().objects.filter(pk=teacher.pk).exists()


def test_after_the_board_removed_the_device_the_next_page_asks_to_enrol(
    strict, client_for, teacher
):
    from schools.accounts import services
    from schools.permissions import Actor

    enrol(teacher)
    client = client_for(strict)
    login(client, teacher.username)
    services.reset_mfa(teacher, by=Actor.system("test"))
    assert client.get("/")["Location"].startswith(VERIFY)
    response = client.get(VERIFY + "?next=/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"].startswith(SETUP)


def test_the_password_alone_cannot_enrol_a_new_authenticator(strict, client_for, teacher):
    enrol(teacher)
    client = client_for(strict)
    login(client, teacher.username)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=teacher).count() == 1
    response = client.post(SETUP, {"code": "123456"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_the_password_alone_cannot_change_the_password(strict, client_for, teacher):
    from schools.accounts import services

    enrol(teacher)
    services.require_password_change(teacher)
    client = client_for(strict)
    login(client, teacher.username)
    response = client.post(
        "/account/password/",
        {
            "old_password": "test-pass-2026",
            "new_password1": "x-new-pass-77",
            "new_password2": "x-new-pass-77",
        },
    )
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    teacher.refresh_from_db()
    assert teacher.check_password("test-pass-2026")
