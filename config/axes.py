"""django-axes' handler: failed logins in the database, or in the cache on a replica.

``AXES_HANDLER = "config.axes.ReadOnlyAwareHandler"``. On a read-only replica
(``AI_READ_ONLY``) the database cannot record a failure, so the count lives in the cache
(per app server, lost at restart): an account is still locked after too many wrong
passwords there, and the primary's records of earlier failures are not read.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.handlers.database import AxesDatabaseHandler


class ReadOnlyAwareHandler:
    def __init__(self) -> None:
        self._database = AxesDatabaseHandler()
        self._cache = AxesCacheHandler()

    def __getattr__(self, name: str) -> Any:
        from tenants.readonly import on_replica

        return getattr(self._cache if on_replica() else self._database, name)
