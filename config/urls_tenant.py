"""URLs of a municipality's host (fujiyoshida.localhost ...)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from api.urls import schema_urlpatterns
from schools import views as school_views

urlpatterns = [
    path("", school_views.home, name="home"),
    path(
        "login/",
        account_views.LoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("accounts.urls")),
    path("roster/io/", include("schools.urls_excel")),
    path("roster/", include("schools.urls")),
    path("attendance/", include("attendance.urls")),
    path("grades/", include("gradebook.urls")),
    path("timetable/", include("timetable.urls")),
    path("api/", include("api.urls")),
    *schema_urlpatterns,
]
