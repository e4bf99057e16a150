from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from config import extensions
from schools import queries, services
from schools.forms import StaffAccountForm
from schools.permissions import staff_required


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


@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    return render(request, "schools/staff_list.html", {"staff": queries.staff_list()})


@staff_required
def staff_create(request: HttpRequest) -> HttpResponse:
    request.actor.require(request.actor.can_manage_municipality)
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.create_staff_account(request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, f"{staff.name} さんのアカウントを作成しました。")
            return redirect("schools:staff-list")
    return render(request, "schools/staff_form.html", {"form": form})
