from django.urls import path

from schools import views

app_name = "schools"

urlpatterns = [
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
]
