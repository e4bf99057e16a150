"""Roster pages: parse, ask the actor, call a service or a query, render.

Objects of another school are looked up in querysets narrowed by the actor, so
they answer 404 (their existence does not leak); actions the actor may not take
on an object it can see answer 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config import extensions
from schools import audit, queries, search, services, teaching
from schools import rollover as year_rollover
from schools.forms import (
    ChangeClassForm,
    ClassroomForm,
    EnrolForm,
    RoleForm,
    SchoolForm,
    SchoolRoleForm,
    SchoolYearForm,
    StaffAccountForm,
    StudentForm,
    TermsForm,
    TransferOutForm,
)
from schools.models import (
    Role,
    RoleAssignment,
    School,
    SchoolRollover,
    SchoolYear,
    TeachingAssignment,
)
from schools.permissions import staff_required


def _form_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal next to the field it concerns (or at the top)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def _refuse(request: HttpRequest, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


# --- home -----------------------------------------------------------------------------


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """「今日」: the teacher's or administrator's start page."""
    return render(
        request,
        "schools/home.html",
        {
            "today": timezone.localdate(),
            "year": queries.current_year(),
            "actor": request.actor,
            "cards": extensions.home_cards(request),
        },
    )


# --- staff (BoE) ----------------------------------------------------------------------


@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    return render(
        request,
        "schools/staff_list.html",
        {
            "staff": queries.staff_list(),
            "export_url": reverse("schools_io:export-staff"),
            "import_url": reverse("schools_io:import-staff"),
        },
    )


@staff_required
def staff_create(request: HttpRequest) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.create_staff_account(by=request.actor, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{staff.name} さんのアカウントを作成しました。")
            return redirect("schools:staff-detail", staff.pk)
    return render(request, "schools/staff_form.html", {"form": form})


@staff_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One staff member's roles (兼務 included), and the form to give another."""
    request.actor.require(request.actor.can_manage_municipality)
    staff = get_object_or_404(queries.staff_list(), pk=pk)
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_role(by=request.actor, staff=staff, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "役割を追加しました。")
            return redirect("schools:staff-detail", staff.pk)
    return render(
        request,
        "schools/staff_detail.html",
        {"staff": staff, "form": form, "roles": queries.staff_roles(staff)},
    )


@staff_required
@require_POST
def role_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _role_or_404(request, pk)
    try:
        services.remove_role(assignment, by=request.actor)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, "役割を外しました。")
    return redirect(_next(request, reverse("schools:staff-detail", args=[assignment.staff_id])))


@staff_required
@require_POST
def role_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _role_or_404(request, pk)
    try:
        services.confirm_role(assignment, by=request.actor)
    except ValidationError as exc:
        _refuse(request, exc)
    return redirect(_next(request, reverse("schools:staff-detail", args=[assignment.staff_id])))


@staff_required
@require_POST
def teaching_remove(request: HttpRequest, pk: int, staff_pk: int) -> HttpResponse:
    """Take a teacher off a teaching assignment (教科担任を外す)."""
    assignment = _teaching_or_404(request, pk)
    staff = get_object_or_404(assignment.teachers.all(), pk=staff_pk)
    try:
        teaching.unassign_teacher(assignment, staff, by=request.actor)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, "役割を外しました。")
    return redirect(_next(request, reverse("schools:staff-detail", args=[staff.pk])))


@staff_required
@require_POST
def teaching_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _teaching_or_404(request, pk)
    try:
        teaching.confirm_assignment(assignment, by=request.actor)
    except ValidationError as exc:
        _refuse(request, exc)
    return redirect(_next(request, reverse("schools:rollover", args=[assignment.school_id])))


def _teaching_or_404(request: HttpRequest, pk: int) -> TeachingAssignment:
    assignment = get_object_or_404(
        TeachingAssignment.objects.select_related(
            "school", "school_year", "classroom", "group", "subject"
        ),
        pk=pk,
    )
    request.actor.require(request.actor.can_manage_school(assignment.school_id))
    return assignment


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _role_or_404(request: HttpRequest, pk: int) -> RoleAssignment:
    """A role the actor may give or take (403 otherwise: the staff list is the board's)."""
    assignment = get_object_or_404(
        RoleAssignment.objects.select_related("staff", "school_year", "school"), pk=pk
    )
    actor = request.actor
    actor.require(actor.can_manage_role(assignment.role, assignment.school_id))
    return assignment


# --- school years (BoE) ----------------------------------------------------------------


@staff_required
def year_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    actor.require(actor.sees_whole_municipality)
    form = SchoolYearForm(request.POST or None)
    if request.method == "POST":
        actor.require(actor.can_manage_municipality)
        if form.is_valid():
            try:
                year = services.open_school_year(by=actor, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"{year}を開きました（{year.get_state_display()}）。")
                return redirect("schools:year-list")
    preparing = queries.preparing_year()
    return render(
        request,
        "schools/year_list.html",
        {
            "years": SchoolYear.objects.all(),
            "form": form,
            "preparing": preparing,
            "not_ready": year_rollover.schools_not_ready(preparing) if preparing else [],
        },
    )


@staff_required
@require_POST
def year_switch(request: HttpRequest, pk: int) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    year = get_object_or_404(SchoolYear, pk=pk)
    try:
        year_rollover.switch_school_year(year, by=request.actor)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request, f"{year}を現年度にしました。前の年度は過年度（閲覧のみ）になりました。"
        )
    return redirect("schools:year-list")


# --- schools ---------------------------------------------------------------------------


@staff_required
def school_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    actor.require(actor.has_any_role)
    year = queries.school_year_for(request.GET.get("year"))
    return render(
        request,
        "schools/school_list.html",
        {
            "rows": queries.school_summaries(actor.schools(), year),
            "year": year,
            "years": SchoolYear.objects.all(),
        },
    )


@staff_required
def board_overview(request: HttpRequest) -> HttpResponse:
    """学校の状況: one row per school with its enrolment and what each installed app adds
    (today's attendance, 確定 per term, long absences), every number a link the board can
    follow; a constant number of queries whatever the number of schools."""
    actor = request.actor
    actor.require(actor.sees_board_overview, "学校の状況を見る権限がありません。")
    year = queries.current_year()
    today = timezone.localdate()
    schools = list(actor.schools().filter(is_active=True).order_by("school_type", "mext_code"))
    rows = queries.school_summaries(schools, year)
    columns = extensions.board_columns(request, schools, year, today) if year else []
    return render(
        request,
        "schools/board_overview.html",
        {
            "year": year,
            "today": today,
            "columns": columns,
            "rows": [
                {**row, "cells": [col["cells"].get(row["school"].pk, []) for col in columns]}
                for row in rows
            ],
        },
    )


@staff_required
def school_create(request: HttpRequest) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    form = SchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "is_active"}
        try:
            school = services.create_school(by=request.actor, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{school.name}を登録しました。")
            return redirect("schools:school-detail", school.pk)
    return render(request, "schools/school_form.html", {"form": form})


@staff_required
def school_edit(request: HttpRequest, pk: int) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    school = get_object_or_404(School, pk=pk)
    initial = {
        f: getattr(school, f) for f in ("name", "kana", "school_type", "mext_code", "is_active")
    }
    form = SchoolForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_school(school, by=request.actor, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "学校の情報を更新しました。")
            return redirect("schools:school-detail", school.pk)
    return render(request, "schools/school_form.html", {"form": form, "school": school})


def _school_and_year(request: HttpRequest, pk: int) -> tuple[School, SchoolYear | None]:
    """The school (404 outside the actor's) and the ``?year=`` (current by default)."""
    return request.actor.school_or_404(pk), queries.school_year_for(request.GET.get("year"))


@staff_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's classes and terms of a year (current by default, ?year= for others)."""
    school, year = _school_and_year(request, pk)
    actor = request.actor
    classes = queries.classes_of(school, year) if year else []
    if year and not actor.reads_whole_school(school.pk):
        # 閲覧範囲 "own classes only": the classes the teacher has (a subquery, no extra query)
        classes = classes.filter(pk__in=actor.classrooms().values("pk"))
    return render(
        request,
        "schools/school_detail.html",
        {
            "school": school,
            "year": year,
            "years": SchoolYear.objects.all(),
            "classes": classes,
            "whole_school": actor.reads_whole_school(school.pk),
            "terms": queries.terms_of(school, year) if year else [],
            "can_manage": request.actor.can_manage_school(school.pk),
            "import_url": reverse("schools_io:import-roster"),
        },
    )


@staff_required
def school_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """学校名簿: every class of the year with its students (three queries)."""
    school, year = _school_and_year(request, pk)
    request.actor.require(
        request.actor.reads_whole_school(school.pk), "学校名簿を閲覧する権限がありません。"
    )
    if year is None:
        return redirect("schools:school-detail", school.pk)
    return render(
        request,
        "schools/school_roster.html",
        {
            "school": school,
            "year": year,
            "blocks": queries.school_roster(school, year),
            "export_url": reverse("schools_io:export-school", args=[school.pk]),
        },
    )


@staff_required
def terms_edit(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """学期の設定: 3学期制 / 2学期制 presets with editable dates."""
    school = request.actor.managed_school_or_404(pk)
    school_year = get_object_or_404(SchoolYear, year=year)
    preset = request.GET.get("preset")
    terms = (
        services.term_preset(preset, year)
        if preset in services.TERM_SYSTEMS
        else queries.terms_of(school, school_year)
    )
    form = TermsForm(request.POST or None, terms=terms)
    if request.method == "POST" and form.is_valid():
        drafts = form.drafts()
        if form.is_valid():
            try:
                services.set_terms(school, school_year, drafts, by=request.actor)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "学期を保存しました。")
                return redirect(
                    reverse("schools:school-detail", args=[school.pk]) + f"?year={year}"
                )
    return render(
        request,
        "schools/terms_form.html",
        {"school": school, "year": school_year, "form": form, "systems": services.TERM_SYSTEMS},
    )


@staff_required
def classroom_create(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    school = request.actor.managed_school_or_404(pk)
    school_year = get_object_or_404(SchoolYear, year=year)
    form = ClassroomForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            classroom = services.create_classroom(
                by=request.actor,
                school=school,
                school_year=school_year,
                name=data["name"],
                grade=data["grade"],
                is_special_needs=data["is_special_needs"],
                sort_order=data["sort_order"] or 0,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{classroom.label}を作成しました。")
            return redirect(reverse("schools:school-detail", args=[school.pk]) + f"?year={year}")
    return render(
        request,
        "schools/classroom_form.html",
        {"school": school, "year": school_year, "form": form},
    )


# --- classes and students ----------------------------------------------------------------


@staff_required
def class_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """学級名簿: by 出席番号, then ふりがな (constant number of queries)."""
    classroom = request.actor.classroom_or_404(pk)
    return render(
        request,
        "schools/class_roster.html",
        {
            "classroom": classroom,
            "enrolments": queries.class_roster(classroom),
            "staff": queries.classroom_staff(classroom),
            "can_manage": request.actor.can_change_class_roster(classroom),
            "export_url": reverse("schools_io:export-class", args=[classroom.pk]),
        },
    )


@staff_required
@require_POST
def renumber(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = request.actor.managed_classroom_or_404(pk)
    try:
        count = services.renumber_by_kana(classroom, by=request.actor)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, f"{count}名の出席番号を五十音順に振り直しました。")
    return redirect("schools:class-roster", classroom.pk)


@staff_required
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """入学・転入: a new student in this class."""
    classroom = request.actor.managed_classroom_or_404(pk)
    initial = {"enrolled_on": max(timezone.localdate(), classroom.school_year.start)}
    form = EnrolForm(request.POST or None, classroom=classroom, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.enrol_student(
                by=request.actor, classroom=classroom, **form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                f"{enrolment.student.name} さんを出席番号 {enrolment.roll_number} で登録しました。",
            )
            return redirect("schools:class-roster", classroom.pk)
    return render(request, "schools/enrol_form.html", {"classroom": classroom, "form": form})


@staff_required
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """児童生徒の記録: details and enrolment history across years."""
    student = request.actor.student_or_404(pk)
    history = queries.student_history(student)
    actor = request.actor
    audit.record_read(actor, "schools.student.view", student, params={"student_id": student.pk})
    year = queries.current_year()
    this_year = [e for e in history if year is not None and e.school_year_id == year.pk]
    return render(
        request,
        "schools/student_detail.html",
        {
            "student": student,
            "history": history,
            # This year's attendance and grades, from the apps that are installed.
            "panels": extensions.student_panels(
                request, student, this_year[-1] if this_year else None
            ),
            "can_edit": any(actor.can_change_enrolment(e) for e in history),
            "manageable": {
                e.pk for e in history if e.left_on is None and actor.can_change_enrolment(e)
            },
        },
    )


@staff_required
def student_search(request: HttpRequest) -> HttpResponse:
    """児童生徒の検索: name, kana or roll number, within what the actor may read."""
    actor = request.actor
    actor.require(actor.has_any_role, "児童生徒を検索できるのは教職員です。")
    query = request.GET.get("q", "")[: search.MAX_QUERY]
    hits = search.find_students(actor.students(), query, year=queries.current_year())
    return render(
        request,
        "schools/student_search.html",
        {"query": query, "hits": hits, "limit": search.LIMIT},
    )


@staff_required
def student_edit(request: HttpRequest, pk: int) -> HttpResponse:
    student = request.actor.student_or_404(pk)
    actor = request.actor
    actor.require(actor.can_edit_student(student.enrolments.values_list("school_id", flat=True)))
    initial = {f: getattr(student, f) for f in services.STUDENT_FIELDS}
    form = StudentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_student(student, by=actor, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "児童生徒の情報を更新しました。")
            return redirect("schools:student-detail", student.pk)
    return render(request, "schools/student_form.html", {"student": student, "form": form})


@staff_required
def transfer_out(request: HttpRequest, pk: int) -> HttpResponse:
    """転出: the last day of enrolment (that day still counts)."""
    enrolment = request.actor.managed_enrolment_or_404(pk)
    form = TransferOutForm(request.POST or None, initial={"left_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_out(enrolment, by=request.actor, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{enrolment.student.name} さんの転出を記録しました。")
            return redirect("schools:class-roster", enrolment.classroom_id)
    return render(request, "schools/transfer_form.html", {"enrolment": enrolment, "form": form})


@staff_required
def change_class(request: HttpRequest, pk: int) -> HttpResponse:
    """学級変更 within the year (e.g. into or out of a special-needs class)."""
    enrolment = request.actor.managed_enrolment_or_404(pk)
    form = ChangeClassForm(
        request.POST or None, enrolment=enrolment, initial={"on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = services.change_class(enrolment, by=request.actor, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, f"{enrolment.student.name} さんを{new.classroom.label}に移しました。"
            )
            return redirect("schools:student-detail", enrolment.student_id)
    return render(request, "schools/change_class_form.html", {"enrolment": enrolment, "form": form})


# --- year roll-over ---------------------------------------------------------------------------


@staff_required
def rollover(request: HttpRequest, pk: int) -> HttpResponse:
    """年度更新 of one school: prepare, review drafts, confirm (or cancel); each a POST of its own."""
    if request.method == "POST":
        # Forms posted here with ``action=`` before each action had its own address.
        view = ROLLOVER_ACTIONS.get(request.POST.get("action", ""))
        if view is None:
            return redirect("schools:rollover", pk)
        return view(request, pk)
    school = request.actor.managed_school_or_404(pk)
    current = queries.current_year()
    preparing = queries.preparing_year()
    record = queries.rollover_of(school, preparing)
    drafts = queries.school_roles(school, preparing) if preparing else []
    return render(
        request,
        "schools/rollover.html",
        {
            "school": school,
            "current": current,
            "preparing": preparing,
            "next_year": (current.year + 1) if current else None,
            "record": record,
            "classes": queries.classes_of(school, preparing) if preparing else [],
            "roles": drafts,
            "role_form": SchoolRoleForm(school=school, year=preparing) if record else None,
            "Role": Role,
            "import_url": reverse("schools_io:import-roster"),
        },
    )


def _rollover_record(request: HttpRequest, school: School) -> SchoolRollover:
    record = queries.rollover_of(school, queries.preparing_year())
    if record is None:
        raise Http404("年度更新がまだ行われていません。")
    return record


@staff_required
@require_POST
def rollover_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    return _rollover_step(
        request,
        pk,
        lambda school: year_rollover.rollover_school(school, by=request.actor),
        lambda record: (
            f"仮年度更新を行いました: 進級 {record.promoted} 名、卒業 {record.graduated} 名。"
        ),
    )


@staff_required
@require_POST
def rollover_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _rollover_step(
        request,
        pk,
        lambda school: year_rollover.cancel_rollover(
            _rollover_record(request, school), by=request.actor
        ),
        lambda _: "年度更新を取り消しました。",
    )


@staff_required
@require_POST
def rollover_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _rollover_step(
        request,
        pk,
        lambda school: year_rollover.confirm_rollover(
            _rollover_record(request, school), by=request.actor
        ),
        lambda _: "年度更新を確定しました。下書きの役割が有効になりました。",
    )


def _rollover_step(request: HttpRequest, pk: int, step, done) -> HttpResponse:
    """One roll-over action of a school the actor manages: a refusal becomes a message, the
    outcome ``done(result)`` a success message; back to the school's roll-over page."""
    school = request.actor.managed_school_or_404(pk)
    try:
        result = step(school)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, done(result))
    return redirect("schools:rollover", school.pk)


@staff_required
@require_POST
def rollover_add_role(request: HttpRequest, pk: int) -> HttpResponse:
    """A role of the preparing year (a draft until the roll-over is confirmed)."""
    school = request.actor.managed_school_or_404(pk)
    record = _rollover_record(request, school)
    form = SchoolRoleForm(request.POST, school=school, year=record.to_year)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("schools:rollover", school.pk)
    try:
        services.assign_role(
            by=request.actor,
            school=school,
            school_year=record.to_year,
            is_draft=record.state == SchoolRollover.State.PREPARED,
            **form.cleaned_data,
        )
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, "役割を追加しました。")
    return redirect("schools:rollover", school.pk)


ROLLOVER_ACTIONS = {
    "prepare": rollover_prepare,
    "cancel": rollover_cancel,
    "confirm": rollover_confirm,
    "add_role": rollover_add_role,
}
