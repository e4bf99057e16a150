"""The address rules: CIDR parsing and the client address behind trusted proxies."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from schools.accounts.policy import client_ip, in_networks, parse_networks


def test_networks_one_a_line_with_comments():
    nets = parse_networks("10.20.0.0/16  # 本校\n\n192.168.1.5\n2001:db8::/32\n")
    assert in_networks("10.20.3.4", nets) and in_networks("192.168.1.5", nets)
    assert in_networks("2001:db8::1", nets)
    assert not in_networks("10.21.0.1", nets) and not in_networks("", nets)
    assert not in_networks("not-an-ip", nets)


def test_bad_lines_are_named():
    with pytest.raises(ValidationError) as exc:
        parse_networks("10.0.0.0/8\n10.0.0.0/33\nschool")
    assert "2行目" in exc.value.messages[0] and "3行目" in exc.value.messages[1]


def test_client_address_behind_a_trusted_proxy(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "10.0.0.1"  # no proxy trusted: a client's header is ignored
    settings.AI_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # what our proxy saw, not what the client wrote
