"""API tokens in the browser: made (shown once), listed, expiring, revoked; throttling."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from rest_framework.authtoken.models import Token

from schools.accounts.models import ApiToken
from schools.models import AuditEvent

ME = "/api/v1/me/"


def _create(client, name="集計スクリプト", days="90") -> str:
    page = client.post("/account/tokens/", {"name": name, "days": days}).content.decode()
    return re.search(r'<code id="new-token" class="secret">([0-9a-f]{40})</code>', page).group(1)


def _me(client_for, muni, key: str):
    return client_for(muni).get(ME, HTTP_AUTHORIZATION=f"Token {key}")


def test_owner_creates_lists_and_revokes_a_token(muni, client_for, teacher):
    client = client_for(muni, teacher)
    key = _create(client)
    token = ApiToken.objects.get(user=teacher)
    assert token.key_hash != key and token.prefix == key[:8]  # only a hash is kept
    assert (token.expires_at - timezone.now()).days in (89, 90)
    page = client.get("/account/tokens/").content.decode()
    assert key not in page and f"{key[:8]}…" in page  # shown once
    assert "ログアウトしてもトークンは無効になりません" in page
    assert _me(client_for, muni, key).status_code == 200
    client.post("/logout/")  # logging out does not revoke it
    assert _me(client_for, muni, key).status_code == 200

    client = client_for(muni, teacher)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    response = _me(client_for, muni, key)
    assert response.status_code == 401
    assert "無効化" in response.json()["error"]["message"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.token.create", "accounts.token.revoke"} <= actions


def test_an_expired_token_is_refused(muni, client_for, teacher):
    key = _create(client_for(muni, teacher), days="1")
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _me(client_for, muni, key)
    assert response.status_code == 401 and "有効期限" in response.json()["error"]["message"]
    assert "期限切れ" in client_for(muni, teacher).get("/account/tokens/").content.decode()


def test_a_shell_token_expires_ninety_days_after_creation(muni, client_for, teacher):
    token = Token.objects.create(user=teacher)
    assert _me(client_for, muni, token.key).status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - dt.timedelta(days=91))
    assert _me(client_for, muni, token.key).status_code == 401


def test_nobody_revokes_another_owners_token(muni, client_for, teacher, boe_admin):
    _create(client_for(muni, teacher))
    token = ApiToken.objects.get(user=teacher)
    assert (
        client_for(muni, boe_admin).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    )
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_bad_token_form_input_is_told_not_a_500(muni, client_for, teacher):
    client = client_for(muni, teacher)
    for days in ("0", "366", "abc", "²"):
        response = client.post("/account/tokens/", {"name": "x", "days": days})
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_of_one_municipality_is_refused_by_another(muni, other_muni, client_for, teacher):
    key = _create(client_for(muni, teacher))
    assert _me(client_for, other_muni, key).status_code == 401


def test_the_api_is_throttled_per_token_and_per_address(muni, client_for, teacher, settings):
    settings.AI_API_THROTTLE_RATES = {"token": "3/minute", "address": "5/minute"}
    first = _create(client_for(muni, teacher), name="a")
    second = _create(client_for(muni, teacher), name="b")
    assert [_me(client_for, muni, first).status_code for _ in range(4)] == [200, 200, 200, 429]
    # another token from the same address: its own allowance, until the address's is spent
    assert [_me(client_for, muni, second).status_code for _ in range(2)] == [200, 429]
    response = _me(client_for, muni, second)
    assert response.status_code == 429 and "Retry-After" in response
