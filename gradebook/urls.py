from django.urls import path

from gradebook import views

app_name = "gradebook"

teaching = "grid/<int:classroom_id>/<int:subject_id>/<int:term_id>/"
klass = "classes/<int:classroom_id>/terms/<int:term_id>/"

urlpatterns = [
    path("", views.index, name="index"),
    path(teaching, views.grid, name="grid"),
    path(f"{teaching}save/", views.grid_save, name="grid-save"),
    path(f"{teaching}scores.xlsx", views.grid_xlsx, name="grid-xlsx"),
    path(f"{teaching}import/", views.grid_import, name="grid-import"),
    path(f"{teaching}assessments/new/", views.assessment_form, name="assessment-new"),
    path(f"{teaching}assessments/<int:pk>/", views.assessment_form, name="assessment-edit"),
    path(f"{teaching}students/<int:student_id>/override/", views.override, name="override"),
    path(klass, views.class_list, name="class-list"),
    path("classes/<int:classroom_id>/year/", views.class_list_year, name="class-list-year"),
    path(f"{klass}grades.xlsx", views.class_list_xlsx, name="class-list-xlsx"),
    path(f"{klass}remarks/", views.remarks, name="remarks"),
    path(f"{klass}students/<int:student_id>/history/", views.history, name="history"),
    path(f"{klass}report-cards/", views.report_cards, name="report-cards"),
    path(f"{klass}report-cards.xlsx", views.report_cards_xlsx, name="report-cards-xlsx"),
    path(f"{klass}students/<int:student_id>/report-card/", views.report_card, name="report-card"),
    path("report-layout/", views.report_layout, name="report-layout"),
    path("terms/<int:term_id>/finalise/", views.finalise_page, name="finalise"),
    path("settings/", views.settings_page, name="settings"),
    path("distribution/", views.distribution, name="distribution"),
]
