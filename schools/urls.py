from django.urls import path

from schools import views, views_audit

app_name = "schools"

urlpatterns = [
    path("", views.school_list, name="school-list"),
    path("overview/", views.board_overview, name="board-overview"),
    path("schools/new/", views.school_create, name="school-create"),
    path("schools/<int:pk>/", views.school_detail, name="school-detail"),
    path("schools/<int:pk>/edit/", views.school_edit, name="school-edit"),
    path("schools/<int:pk>/roster/", views.school_roster, name="school-roster"),
    path("schools/<int:pk>/terms/<int:year>/", views.terms_edit, name="terms-edit"),
    path(
        "schools/<int:pk>/classes/<int:year>/new/", views.classroom_create, name="classroom-create"
    ),
    path("schools/<int:pk>/rollover/", views.rollover, name="rollover"),
    path("schools/<int:pk>/rollover/prepare/", views.rollover_prepare, name="rollover-prepare"),
    path("schools/<int:pk>/rollover/cancel/", views.rollover_cancel, name="rollover-cancel"),
    path("schools/<int:pk>/rollover/confirm/", views.rollover_confirm, name="rollover-confirm"),
    path("schools/<int:pk>/rollover/roles/", views.rollover_add_role, name="rollover-add-role"),
    path("classes/<int:pk>/", views.class_roster, name="class-roster"),
    path("classes/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("classes/<int:pk>/renumber/", views.renumber, name="renumber"),
    path("students/search/", views.student_search, name="student-search"),
    path("students/<int:pk>/", views.student_detail, name="student-detail"),
    path("students/<int:pk>/edit/", views.student_edit, name="student-edit"),
    path("enrolments/<int:pk>/transfer-out/", views.transfer_out, name="transfer-out"),
    path("enrolments/<int:pk>/change-class/", views.change_class, name="change-class"),
    path("years/", views.year_list, name="year-list"),
    path("years/<int:pk>/switch/", views.year_switch, name="year-switch"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("roles/<int:pk>/remove/", views.role_remove, name="role-remove"),
    path("roles/<int:pk>/confirm/", views.role_confirm, name="role-confirm"),
    path("audit/", views_audit.audit_log, name="audit-log"),
    path("audit/records.xlsx", views_audit.audit_log_xlsx, name="audit-log-xlsx"),
    path(
        "teaching/<int:pk>/staff/<int:staff_pk>/remove/",
        views.teaching_remove,
        name="teaching-remove",
    ),
    path("teaching/<int:pk>/confirm/", views.teaching_confirm, name="teaching-confirm"),
]
