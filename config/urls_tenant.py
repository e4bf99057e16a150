"""URLs of a municipality's host (fujiyoshida.localhost ...)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.urls import schema_urlpatterns
from schools import views as school_views

urlpatterns = [
    path("", school_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("roster/io/", include("schools.urls_excel")),
    path("roster/", include("schools.urls")),
    path("attendance/", include("attendance.urls")),
    path("grades/", include("gradebook.urls")),
    path("timetable/", include("timetable.urls")),
    path("api/", include("api.urls")),
    *schema_urlpatterns,
]

# Every error answers JSON under /api/, a Japanese page elsewhere; a database outage is a 503.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
