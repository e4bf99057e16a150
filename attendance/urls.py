from django.urls import path

from attendance import views

app_name = "attendance"

urlpatterns = [
    path("", views.index, name="index"),
    path("class/<int:classroom_id>/", views.today, name="today"),
    path("class/<int:classroom_id>/day/<str:day>/", views.day_entry, name="day"),
    path(
        "class/<int:classroom_id>/register/<int:year>/<int:month>/", views.register, name="register"
    ),
    path(
        "class/<int:classroom_id>/register/<int:year>/<int:month>/export.xlsx",
        views.register_export,
        name="register-export",
    ),
    path("class/<int:classroom_id>/year/", views.year_figures, name="year"),
    path("class/<int:classroom_id>/year/export.xlsx", views.year_export, name="year-export"),
    path("class/<int:classroom_id>/import/", views.register_import, name="register-import"),
    path(
        "class/<int:classroom_id>/import/confirm/",
        views.register_import_confirm,
        name="register-import-confirm",
    ),
    path("school/<int:school_id>/calendar/", views.calendar, name="calendar"),
    path(
        "school/<int:school_id>/calendar/vacations/add/",
        views.calendar_vacation_add,
        name="calendar-vacation-add",
    ),
    path(
        "school/<int:school_id>/calendar/vacations/<int:vacation_id>/delete/",
        views.calendar_vacation_delete,
        name="calendar-vacation-delete",
    ),
    path(
        "school/<int:school_id>/calendar/overrides/set/",
        views.calendar_override_set,
        name="calendar-override-set",
    ),
    path(
        "school/<int:school_id>/calendar/overrides/<int:override_id>/delete/",
        views.calendar_override_delete,
        name="calendar-override-delete",
    ),
    path(
        "school/<int:school_id>/calendar/closures/add/",
        views.calendar_closure_add,
        name="calendar-closure-add",
    ),
    path(
        "school/<int:school_id>/calendar/closures/<int:closure_id>/delete/",
        views.calendar_closure_delete,
        name="calendar-closure-delete",
    ),
    path("overview/", views.overview, name="overview"),
    path("codes/", views.codes, name="codes"),
    path("overview/figures.xlsx", views.municipality_export, name="municipality-export"),
]
