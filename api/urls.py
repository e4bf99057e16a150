from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.routers import discover, router
from api.views import ApiRootView, MeView

app_name = "api"

discover()  # the installed apps' API modules register their viewsets on the router

v1 = [path("me/", MeView.as_view(), name="me"), *router.urls]

urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("v1/", include(v1)),
]

# Outside the namespace so drf-spectacular's views find them by plain name.
schema_urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
