"""Settings for the attendance load test's option ``--limit-set-calls``: Ai's settings plus
django-tenants' TENANT_LIMIT_SET_CALLS (search_path set once per request, not per cursor).

A measurement of what that setting would give; the project's own settings are the lead's.
"""

from config.settings import *  # noqa: F403

TENANT_LIMIT_SET_CALLS = True
