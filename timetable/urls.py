from django.urls import path

from timetable import views, views_generate, views_rules

app_name = "timetable"

urlpatterns = [
    path("", views.index, name="index"),
    path("my/", views.my_week, name="my-week"),
    path("hours/", views.hours_board, name="hours-board"),
    path("hours/export/", views.hours_board_export, name="hours-board-export"),
    path("schools/<int:pk>/", views.grid, name="grid"),
    path("schools/<int:pk>/export/", views.grid_export, name="grid-export"),
    path("schools/<int:pk>/teachers/export/", views.teachers_export, name="teachers-export"),
    path("schools/<int:pk>/import/", views.grid_import, name="grid-import"),
    path("schools/<int:pk>/import/confirm/", views.grid_import_confirm, name="grid-import-confirm"),
    path("schools/<int:pk>/hours/export/", views.hours_export, name="hours-export"),
    path("schools/<int:pk>/timetables/", views.create_timetable, name="timetable-create"),
    path("schools/<int:pk>/settings/", views.settings, name="settings"),
    path("schools/<int:pk>/bells/", views.bell_save, name="bell-save"),
    path("schools/<int:pk>/bell-days/", views.bell_day, name="bell-day"),
    path("schools/<int:pk>/rooms/", views.room_save, name="room-save"),
    path("schools/<int:pk>/rooms/<int:room_pk>/delete/", views.room_delete, name="room-delete"),
    path("schools/<int:pk>/changes/", views.changes, name="changes"),
    path("schools/<int:pk>/changes/notice/", views.changes_notice, name="changes-notice"),
    path("schools/<int:pk>/changes/add/", views.change_add, name="change-add"),
    path(
        "schools/<int:pk>/changes/<int:change_pk>/delete/",
        views.change_delete,
        name="change-delete",
    ),
    path("schools/<int:pk>/unavailable/", views.unavailability, name="unavailability"),
    path("schools/<int:pk>/hours/", views.hours, name="hours"),
    path("schools/<int:pk>/groups/", views.groups, name="groups"),
    path("schools/<int:pk>/groups/<int:group_pk>/delete/", views.group_delete, name="group-delete"),
    path("schools/<int:pk>/assignments/save/", views.assignment_save, name="assignment-save"),
    path(
        "schools/<int:pk>/assignments/<int:assignment_pk>/delete/",
        views.assignment_delete,
        name="assignment-delete",
    ),
    path("schools/<int:pk>/assignments/", views.assignments, name="assignments"),
    path(
        "schools/<int:pk>/assignments/<int:assignment_pk>/",
        views.assignment_periods,
        name="assignment-periods",
    ),
    path("schools/<int:pk>/generate/", views_generate.generate, name="generate"),
    path("schools/<int:pk>/generate/start/", views_generate.generate_start, name="generate-start"),
    path("schools/<int:pk>/generate/pins/", views_generate.pins, name="pins"),
    # 自動作成の決まり (timetable/views_rules.py)
    path("schools/<int:pk>/generate/rules/", views_rules.rules, name="rules"),
    path("schools/<int:pk>/generate/rules/export/", views_rules.rules_export, name="rules-export"),
    path("schools/<int:pk>/generate/rules/import/", views_rules.rules_import, name="rules-import"),
    path(
        "schools/<int:pk>/generate/rules/import/confirm/",
        views_rules.rules_import_confirm,
        name="rules-import-confirm",
    ),
    path(
        "schools/<int:pk>/generate/rules/settings/",
        views_rules.rules_settings,
        name="rules-settings",
    ),
    path(
        "schools/<int:pk>/generate/rules/doubles/", views_rules.rules_doubles, name="rules-doubles"
    ),
    path(
        "schools/<int:pk>/generate/rules/teachers/",
        views_rules.rules_teachers,
        name="rules-teachers",
    ),
    path(
        "schools/<int:pk>/generate/rules/preferences/",
        views_rules.rules_preference_add,
        name="rules-preference-add",
    ),
    path(
        "schools/<int:pk>/generate/rules/preferences/<int:preference_pk>/delete/",
        views_rules.rules_preference_delete,
        name="rules-preference-delete",
    ),
    path("schools/<int:pk>/generate/school.fet", views_generate.fet_export, name="fet-export"),
    path("schools/<int:pk>/generate/fet-import/", views_generate.fet_upload, name="fet-import"),
    path(
        "schools/<int:pk>/generate/fet-import/confirm/",
        views_generate.fet_confirm,
        name="fet-import-confirm",
    ),
    path("schools/<int:pk>/generate/<int:job_id>/", views_generate.proposal, name="proposal"),
    path(
        "schools/<int:pk>/generate/<int:job_id>/apply/",
        views_generate.proposal_apply,
        name="proposal-apply",
    ),
    path("standards/", views.standards, name="standards"),
    path("schools/<int:pk>/subjects/", views.school_subjects, name="school-subjects"),
    path(
        "schools/<int:pk>/subjects/<int:own_subject_pk>/",
        views.school_subject_save,
        name="school-subject-save",
    ),
    path(
        "schools/<int:pk>/subjects/<int:own_subject_pk>/delete/",
        views.school_subject_delete,
        name="school-subject-delete",
    ),
    path("classes/<int:pk>/", views.class_week, name="class"),
    path("classes/<int:pk>/export/", views.class_export, name="class-export"),
    path("classes/<int:pk>/edit/", views.class_edit, name="class-edit"),
    path("classes/<int:pk>/save/", views.class_save, name="class-save"),
    path("teachers/<int:pk>/", views.teacher_week, name="teacher"),
    path("teachers/<int:pk>/export/", views.teacher_export, name="teacher-export"),
    path("rooms/<int:pk>/", views.room_week, name="room"),
]
