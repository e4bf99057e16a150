"""API resources of the roster app, registered on the shared v1 router."""

from api.routers import router  # noqa: F401
