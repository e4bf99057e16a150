"""Accounts fixtures: a municipality whose policy is the real one (no loopback exemption)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests import factories


@pytest.fixture
def strict(muni):
    """富士吉田市 without the tests' loopback exemption: MFA as in production (rolled back)."""
    muni.mfa_exempt_loopback = False
    muni.save(update_fields=["mfa_exempt_loopback"])
    return muni


@pytest.fixture
def teacher(muni):
    """A homeroom teacher (no administrator role)."""
    year = factories.school_year()
    classroom = factories.classroom(factories.school(), year)
    return factories.homeroom_teacher(classroom).user


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()
