"""URLs of a municipality's host (fujiyoshida.localhost ...)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.urls import schema_urlpatterns
from config import extensions
from schools import views as school_views
from schools.accounts import views as account_views

urlpatterns = [
    path("", school_views.home, name="home"),
    path(
        "login/",
        account_views.LoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    *extensions.url_patterns(),  # each installed app's pages (its AppConfig.urls)
    path("api/", include("api.urls")),
    *schema_urlpatterns,
]

# Every error answers JSON under /api/, a Japanese page elsewhere; a database outage is a 503.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
