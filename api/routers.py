"""The one router of ``/api/v1/``: each app's API module registers its viewsets here."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
