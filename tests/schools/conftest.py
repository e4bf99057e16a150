"""Roster fixtures: a current year with one elementary school, a class and its people."""

from __future__ import annotations

import pytest

from schools.models import SchoolType
from tests import factories as f

subject_teacher = f.subject_teacher  # for the tests that import it from here


@pytest.fixture
def year(muni):
    return f.school_year(2026)


@pytest.fixture
def school(muni):
    return f.school("富士見小学校", mext_code="B119210000010")


@pytest.fixture
def other_school(muni):
    return f.school("北小学校", mext_code="B119210000029")


@pytest.fixture
def classroom(school, year):
    return f.classroom(school, year, grade=1, name="1組")


@pytest.fixture
def principal(school, year):
    admin = f.school_admin(school, year)
    return admin.user


@pytest.fixture
def teacher(classroom):
    return f.homeroom_teacher(classroom).user


@pytest.fixture
def no_role_user(muni):
    return f.staff().user


@pytest.fixture
def jhs(muni, year):
    return f.school("富士見中学校", school_type=SchoolType.JUNIOR_HIGH, mext_code="C119210000018")
