from django.urls import path

from schools.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.index, name="index"),
    path("password/", views.password_change, name="password-change"),
    path("mfa/", views.mfa_setup, name="mfa-setup"),
    path("mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("verify/", views.reauth, name="reauth"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("security/", views.security, name="security"),
    path("security/unlock/", views.unlock, name="unlock"),
    path("security/read-scope/", views.read_scope, name="read-scope"),
    path("staff/<int:user_id>/password/", views.staff_password, name="staff-password"),
    path("staff/<int:user_id>/mfa-reset/", views.staff_mfa_reset, name="staff-mfa-reset"),
]
