"""Long-running jobs of a municipality (namespace ``jobs``, at /jobs/)."""

from django.urls import path

from schools import views_jobs

app_name = "jobs"

urlpatterns = [
    path("", views_jobs.my_jobs, name="list"),
    path("<int:job_id>/", views_jobs.job_detail, name="detail"),
    path("<int:job_id>/status/", views_jobs.job_status, name="status"),
    path("<int:job_id>/download/", views_jobs.job_download, name="download"),
    path("<int:job_id>/cancel/", views_jobs.job_cancel, name="cancel"),
]
