"""The isolation matrix (issue 10): nobody reads or writes what their role does not allow.

Walks every page of the tenant site (URL resolver) and every API operation (OpenAPI
schema) as an anonymous visitor, a user of another municipality (on the target's host and
on its own), a teacher of another school, of another class, of another subject, and a
board viewer (who also tries every write). See ``matrix.py`` for what counts as a failure.
The second test shows that the matrix catches a view that forgets its check.
"""

from __future__ import annotations

import pytest

from tests.security import matrix, world


@pytest.fixture
def target(muni, other_muni) -> world.World:
    return world.build(muni, other_muni)


def test_no_role_reads_or_writes_what_it_may_not(target):
    report = matrix.run(target)
    print(report.summary())
    for finding in report.failures:
        print(" ", finding)
    assert report.pages > 60 and report.api_operations > 40
    assert report.requests > 1500
    assert not report.failures, "\n".join(map(str, report.failures))


def test_the_matrix_catches_a_view_that_forgets_its_check(target, settings):
    """A page added without a permission check is reported, without anyone listing it."""
    settings.ROOT_URLCONF = "tests.security.leaky_urls"
    report = matrix.run(
        target,
        urlconf="tests.security.leaky_urls",
        roles=("other_school_teacher", "anonymous"),
        writes=False,
    )
    leaky = [f for f in report.failures if "/leaky/" in f.path]
    assert any(f.role == "other_school_teacher" and "leaks" in f.problem for f in leaky), (
        report.summary()
    )
    assert any(f.role == "anonymous" and "leaks" in f.problem for f in leaky)
    assert any("2xx not allowed" in f.problem for f in leaky)
    # Everything else still holds: only the leaky page fails.
    assert all("/leaky/" in f.path for f in report.failures), [str(f) for f in report.failures]
