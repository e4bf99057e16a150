"""自動作成の決まり: the page where the 教務主任 states the rules the assignments cannot say
(2時間続き, two-period subjects apart, teachers' limits, weighted wishes). Each form posts
to its own action; the services in :mod:`timetable.rulebook` check and audit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from schools import calendar
from schools.models import School, SchoolYear
from schools.permissions import as_pk, staff_required
from timetable import import_pages, queries, rulebook, rules_excel, services
from timetable.models import WEEKDAYS, DoublePeriod, SlotPreference, TeacherLimit
from timetable.views import _errors, _school, _year

LIMIT_FIELDS = (
    ("daily", "1日の上限"),
    ("row", "連続の上限"),
    ("gaps_day", "空きコマ 1日"),
    ("gaps_week", "空きコマ 週"),
)


def _page(school: School, year: SchoolYear, anchor: str = "") -> str:
    url = f"{reverse('timetable:rules', args=[school.pk])}?year={year.year}"
    return url + (f"#{anchor}" if anchor else "")


@staff_required
def rules(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    row = rulebook.settings_of(school)
    most = calendar.periods_per_day(school)
    assignments = [a for a in queries.assignments_for(school, year) if int(a.weekly_periods) >= 2]
    doubles = dict(
        DoublePeriod.objects.filter(assignment_id__in=[a.pk for a in assignments]).values_list(
            "assignment_id", "per_week"
        )
    )
    own = {t.staff_id: t for t in TeacherLimit.objects.filter(school=school)}
    teachers = [
        (
            s,
            [
                (name, label, getattr(own.get(s.pk), f"max_{name}", None))
                for name, label in LIMIT_FIELDS
            ],
        )
        for s in queries.timetable_staff(school, year)
    ]
    subjects = sorted(
        {a.subject for a in queries.assignments_for(school, year)},
        key=lambda s: (s.sort_order, s.name),
    )
    prefs = [
        (p, rulebook.describe(p))
        for p in SlotPreference.objects.filter(school=school).prefetch_related("subjects")
    ]
    defaults = [(name, label, getattr(row, f"teacher_max_{name}")) for name, label in LIMIT_FIELDS]
    return render(
        request,
        "timetable/rules.html",
        {
            "school": school,
            "year": year,
            "row": row,
            "bell_lunch": rulebook.bell_lunch(school, year),
            "lunch_default": rulebook.LUNCH_DEFAULT,
            "periods": list(range(1, most + 1)),
            "weekdays": WEEKDAYS[:6],
            "assignments": [
                (a, doubles.get(a.pk, 0), int(a.weekly_periods) // 2) for a in assignments
            ],
            "teachers": teachers,
            "defaults": defaults,
            "subjects": subjects,
            "prefs": prefs,
            "weights": rulebook.WEIGHTS,
        },
    )


def _limits(request: HttpRequest, prefix: str) -> rulebook.Limits:
    return rulebook.limits_from(
        {name: request.POST.get(f"{prefix}{name}", "") for name, _ in LIMIT_FIELDS}
    )


@staff_required
@require_POST
def rules_settings(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    try:
        rulebook.save_settings(
            school,
            by=request.actor,
            double_not_first=request.POST.get("double_not_first") == "on",
            lunch_after=request.POST.get("lunch_after", ""),
            spread_two_period=request.POST.get("spread_two_period") == "on",
            limits=_limits(request, "teacher_"),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "学校の決まりを保存しました。")
    return redirect(_page(school, year, "school-rules"))


@staff_required
@require_POST
def rules_doubles(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    counts = {
        key.removeprefix("double_"): value
        for key, value in request.POST.items()
        if key.startswith("double_")
    }
    try:
        n = rulebook.save_doubles(school, year, counts, by=request.actor)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"2時間続きを保存しました ({n}件の担当)。")
    return redirect(_page(school, year, "doubles"))


@staff_required
@require_POST
def rules_teachers(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    known = {s.pk for s in queries.timetable_staff(school, year)}
    ids = {as_pk(x) for x in request.POST.getlist("staff")} - {None}
    if not ids <= known:
        raise Http404("先生が見つかりません。")
    try:
        limits = {staff_id: _limits(request, f"t{staff_id}_") for staff_id in ids}
        n = rulebook.save_teacher_limits(school, limits, by=request.actor)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"先生ごとの上限を保存しました ({n}人)。")
    return redirect(_page(school, year, "teachers"))


@staff_required
@require_POST
def rules_preference_add(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    try:
        rulebook.add_preference(
            school,
            by=request.actor,
            kind=request.POST.get("kind", ""),
            subjects=request.POST.getlist("subjects"),
            periods=request.POST.getlist("periods"),
            weekdays=request.POST.getlist("weekdays"),
            weight=request.POST.get("weight", ""),
            most=calendar.periods_per_day(school),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "時間帯の希望を追加しました。")
    return redirect(_page(school, year, "wishes"))


@staff_required
@require_POST
def rules_preference_delete(request: HttpRequest, pk: int, preference_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    pref = SlotPreference.objects.filter(pk=preference_pk, school=school).first()
    if pref is None:
        raise Http404("時間帯の希望が見つかりません。")
    rulebook.delete_preference(pref, by=request.actor)
    messages.success(request, "時間帯の希望を削除しました。")
    return redirect(_page(school, year, "wishes"))


# --- Excel: the whole rulebook out, and back in (upload → preview → confirm) ----------------


@staff_required
def rules_export(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    services.record_export(
        "rules", school, by=request.actor, school=school, params={"school_year": year.year}
    )
    return rules_excel.workbook(school, year).response(
        f"自動作成の決まり_{school.name}_{year.year}.xlsx"
    )


RULES_IMPORT = import_pages.PageImport(
    kind=rules_excel.KIND,
    limits=rules_excel.LIMITS,
    template="timetable/rules_import.html",
    form_url="timetable:rules-import",
    plan=rules_excel.plan_rules_import,
    commit=rules_excel.commit_rules_import,
    pending=lambda plan: plan.has_changes,
    context=lambda: {
        "limits": gettext("ファイルの大きさは%(mb)dMBまで（.xlsx または .ods）。")
        % {"mb": rules_excel.LIMITS.max_megabytes},
        "sheets": rules_excel.SHEETS,
    },
)


@staff_required
def rules_import(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: the preview of an uploaded workbook (nothing written)."""
    school = _school(request, pk, edit=True)
    return import_pages.preview(request, RULES_IMPORT, school, _year(request))


@staff_required
@require_POST
def rules_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a previewed workbook: every change in one transaction, or nothing."""
    school = _school(request, pk, edit=True)
    year = _year(request)
    plan = import_pages.confirm(request, RULES_IMPORT, school, year)
    if isinstance(plan, HttpResponse):
        return plan
    changed = plan.diff.count() if plan.diff else 0
    messages.success(
        request, gettext("自動作成の決まりを取り込みました（%(n)d件の変更）。") % {"n": changed}
    )
    return redirect(_page(school, year))
