from django.urls import path

from gradebook import views, views_admin

app_name = "gradebook"

teaching = "grid/<int:classroom_id>/<int:subject_id>/<int:term_id>/"
klass = "classes/<int:classroom_id>/terms/<int:term_id>/"
term = "terms/<int:term_id>/"

urlpatterns = [
    path("", views.index, name="index"),
    path(teaching, views.grid, name="grid"),
    path(f"{teaching}save/", views.grid_save, name="grid-save"),
    path(f"{teaching}scores.xlsx", views.grid_xlsx, name="grid-xlsx"),
    path(f"{teaching}import/", views.grid_import, name="grid-import"),
    path(f"{teaching}import/confirm/", views.grid_import_confirm, name="grid-import-confirm"),
    path(f"{teaching}assessments/new/", views.assessment_new, name="assessment-new"),
    path(f"{teaching}assessments/<int:pk>/", views.assessment_edit, name="assessment-edit"),
    path(
        f"{teaching}assessments/<int:pk>/delete/",
        views.assessment_delete,
        name="assessment-delete",
    ),
    path(f"{teaching}students/<int:student_id>/override/", views.override, name="override"),
    path(klass, views.class_list, name="class-list"),
    path("classes/<int:classroom_id>/year/", views.class_list_year, name="class-list-year"),
    path(f"{klass}grades.xlsx", views.class_list_xlsx, name="class-list-xlsx"),
    path(f"{klass}remarks/", views.remarks, name="remarks"),
    path(f"{klass}conduct/", views.conduct, name="conduct"),
    path(f"{klass}students/<int:student_id>/history/", views.history, name="history"),
    path(f"{klass}report-cards/", views.report_cards, name="report-cards"),
    path(f"{klass}report-cards.xlsx", views.report_cards_xlsx, name="report-cards-xlsx"),
    path(f"{klass}students/<int:student_id>/report-card/", views.report_card, name="report-card"),
    path("report-layout/", views_admin.report_layout, name="report-layout"),
    path("report-layout/preview/", views_admin.report_layout_preview, name="report-layout-preview"),
    path("report-layout/save/", views_admin.report_layout_save, name="report-layout-save"),
    path("report-layout/reset/", views_admin.report_layout_reset, name="report-layout-reset"),
    path(f"{term}finalise/", views_admin.finalise_page, name="finalise"),
    path(f"{term}finalise/run/", views_admin.finalise_run, name="finalise-run"),
    path(f"{term}finalise/confirm/", views_admin.finalise_confirm, name="finalise-confirm"),
    path(
        f"{term}finalisations/<int:pk>/cancel/", views_admin.finalise_cancel, name="finalise-cancel"
    ),
    path("settings/", views_admin.settings_page, name="settings"),
    path(
        "settings/subject-thresholds/", views_admin.settings_subject_save, name="settings-subject"
    ),
    path(
        "settings/subject-thresholds/delete/",
        views_admin.settings_subject_delete,
        name="settings-subject-delete",
    ),
    path("distribution/", views_admin.distribution, name="distribution"),
]
