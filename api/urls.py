from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import attendance, gradebook, roster, timetable  # noqa: F401  (they register on the router)
from api.routers import router
from api.views import ApiRootView, MeView

app_name = "api"

v1 = [path("me/", MeView.as_view(), name="me"), *router.urls]

urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("v1/", include(v1)),
]

# Outside the namespace so drf-spectacular's views find them by plain name.
schema_urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
