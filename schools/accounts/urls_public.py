"""The operators' own second factor (the operators' site has no staff, tokens or policy page)."""

from django.urls import path

from schools.accounts import views

app_name = "accounts"

urlpatterns = [
    path("mfa/", views.mfa_setup, name="mfa-setup"),
    path("mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("verify/", views.reauth, name="reauth"),
]
