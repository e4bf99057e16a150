"""The operators' backup pages, included by ``config/urls_public.py``."""

from django.urls import path

from tenants.backups import views

urlpatterns = [
    path("backups/", views.dashboard, name="backups"),
    path("backups/<int:pk>/restore/", views.restore, name="backup-restore"),
    path("backups/<int:pk>/restore-new/", views.restore_new, name="backup-restore-new"),
    path("backups/schema/<slug:schema>/", views.history, name="backup-history"),
    path("municipalities/<int:pk>/backup/", views.backup_now, name="municipality-backup"),
    path("municipalities/<int:pk>/undelete/", views.undelete, name="municipality-undelete"),
    path("municipalities/<int:pk>/purge/", views.purge, name="municipality-purge"),
]
