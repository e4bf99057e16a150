"""Gradebook fixtures: a junior high class with a 数学 teacher, a term and assessments.

The builders live in tests/factories.py; the names below stay for the tests that still
import them from here (``build``, ``make_term``).
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import GradebookClass as Setup

build = factories.gradebook_class
make_term = factories.term
make_assessments = factories.assessments

__all__ = ["Setup", "build", "make_assessments", "make_term"]


@pytest.fixture
def setup(muni) -> Setup:
    return build()


@pytest.fixture
def builder(muni):
    return build
