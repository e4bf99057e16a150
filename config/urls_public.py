"""URLs of the platform operators' host (localhost): municipalities, not pupils."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from schools.accounts import views as account_views
from tenants import views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path(
        "login/",
        account_views.LoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("schools.accounts.urls_public")),
    path("municipalities/new/", views.create, name="municipality-create"),
    path("municipalities/<int:pk>/suspend/", views.suspend, name="municipality-suspend"),
    path("municipalities/<int:pk>/resume/", views.resume, name="municipality-resume"),
    path("municipalities/<int:pk>/delete/", views.delete, name="municipality-delete"),
    # --- backup (issue 13): backups, restore, undelete, purge ---
    path("", include("tenants.backups.urls")),
    # read-only mode (tenants.readonly)
    path("municipalities/read-only/", views.read_only, name="municipality-read-only-all"),
    path("municipalities/<int:pk>/read-only/", views.read_only, name="municipality-read-only"),
]

# Every error answers JSON under /api/, a Japanese page elsewhere; a database outage is a 503.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
