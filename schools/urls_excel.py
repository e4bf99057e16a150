"""Spreadsheet import and export pages of the roster (namespace ``schools_io``, at /roster/io/)."""

from django.urls import path

from schools import views_excel

app_name = "schools_io"

urlpatterns = [
    path("import/", views_excel.import_roster, name="import-roster"),
    path("import/confirm/", views_excel.import_roster_confirm, name="import-roster-confirm"),
    path("import/jobs/<int:job_id>/", views_excel.import_roster_job, name="import-roster-job"),
    path(
        "import/jobs/<int:job_id>/status/",
        views_excel.import_roster_job_status,
        name="import-roster-job-status",
    ),
    path("import/staff/", views_excel.import_staff, name="import-staff"),
    path("import/staff/confirm/", views_excel.import_staff_confirm, name="import-staff-confirm"),
    path("import/staff/jobs/<int:job_id>/", views_excel.import_staff_job, name="import-staff-job"),
    path(
        "import/staff/jobs/<int:job_id>/status/",
        views_excel.import_staff_job_status,
        name="import-staff-job-status",
    ),
    path("export/class/<int:classroom_id>.xlsx", views_excel.export_class, name="export-class"),
    path("export/school/<int:school_id>.xlsx", views_excel.export_school, name="export-school"),
    path("export/staff.xlsx", views_excel.export_staff, name="export-staff"),
    path("export/all/", views_excel.export_all, name="export-all"),
]
