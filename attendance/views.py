"""Attendance pages: daily entry, 出席簿, yearly figures, calendar, overview (thin views)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from attendance import excel, queries, rules, services
from attendance import jobs as attendance_jobs
from attendance.forms import ClosureForm, OverrideForm, VacationForm
from attendance.models import AttendanceCode, CalendarOverride, Closure, Vacation
from attendance.rules import FIGURE_COLUMNS
from attendance.services import MarkInput
from schools.models import Classroom, SchoolYear
from schools.permissions import Actor, staff_required
from schools.wareki import wareki_date

WEEKDAYS = "月火水木金土日"


def _classroom(request: HttpRequest, classroom_id: int) -> Classroom:
    """A class the actor may see (404 for other schools: existence must not leak)."""
    return get_object_or_404(request.actor.classrooms(), pk=classroom_id)


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _in_year(classroom: Classroom, day: dt.date) -> bool:
    start, end = rules.school_year_bounds(classroom.school_year.year)
    return start <= day <= end


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """My classes (homeroom), or every class of the schools I run."""
    actor: Actor = request.actor
    qs = actor.classrooms().exclude(school_year__state=SchoolYear.State.ARCHIVED)
    if not actor.sees_whole_municipality:
        qs = qs.filter(pk__in=actor.homeroom_classroom_ids) | qs.filter(
            school_id__in=actor.admin_school_ids
        )
    classes = list(qs.order_by("school__mext_code", "school_year", "grade", "sort_order", "name"))
    admin_schools = [s for s in actor.schools() if actor.can_manage_school(s.pk)]
    return render(
        request,
        "attendance/index.html",
        {"classes": classes, "today": timezone.localdate(), "admin_schools": admin_schools,
         "sees_reports": actor.sees_whole_municipality or bool(actor.admin_school_ids),
         "manages_codes": actor.can_manage_municipality},
    )  # fmt: skip


@staff_required
def today(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Today's entry, or the nearest earlier school day of the class's year."""
    classroom = _classroom(request, classroom_id)
    day = _parse_date(request.GET.get("date")) or timezone.localdate()
    start, end = rules.school_year_bounds(classroom.school_year.year)
    day = min(max(day, start), end)
    return redirect("attendance:day", classroom.pk, day.isoformat())


@staff_required
def day_entry(request: HttpRequest, classroom_id: int, day: str) -> HttpResponse:
    """日々の出欠入力: every student present by default; one key per student; one save."""
    actor: Actor = request.actor
    classroom = _classroom(request, classroom_id)
    actor.require(
        actor.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。"
    )
    date = _parse_date(day)
    if date is None or not _in_year(classroom, date):
        raise Http404("日付が正しくありません。")
    period = 0
    if classroom.school.per_period_attendance:
        try:
            period = max(0, min(int(request.GET.get("period", request.POST.get("period", 0))), 8))
        except ValueError:
            period = 0
    read_only = classroom.school_year.is_read_only
    if request.method == "POST":
        if read_only:
            raise PermissionDenied("過年度の記録は変更できません。")
        return _save_day(request, classroom, date, period)
    entry = queries.daily_entry(classroom, date, period)
    return render(
        request, "attendance/day.html", _day_context(entry, read_only=read_only, period=period)
    )


def _save_day(request: HttpRequest, classroom: Classroom, date: dt.date, period: int):
    """One save: the day's marks of the class. With htmx the answer is a small fragment
    (message and counts); the page the teacher is on stays as it is."""
    entry = queries.save_context(classroom, date, period)
    marks, base = _parse_marks(request, entry)
    try:
        result = services.save_day_marks(
            request.user, classroom, date, marks, base=base, period=period,
            valid_codes={c.code for c in entry.codes},
            class_day=(entry.is_school_day, entry.is_closed), enrolments=entry.enrolments,
        )  # fmt: skip
    except ValidationError as exc:
        if request.htmx:
            return render(request, "attendance/_save_result.html", {"errors": exc.messages})
        entry = queries.daily_entry(classroom, date, period)
        _apply_posted(entry, marks)
        context = _day_context(entry, errors=exc.messages, read_only=False, period=period)
        return render(request, "attendance/day.html", context, status=400)
    text = f"{date.month}月{date.day}日の出欠を保存しました。"
    text += f" ({result.changed}人を変更)" if result.changed else " (変更はありません)"
    if result.conflicts:
        text += f" {len(result.conflicts)}人の記録は、他の先生が先に変更していました。"
    if not request.htmx:
        messages.success(request, text)
        return redirect(request.get_full_path())
    _apply_posted(entry, marks)
    return render(request, "attendance/_save_result.html", {"saved": text, "counts": entry.counts})


def _parse_marks(request, entry) -> tuple[dict[int, MarkInput], dict[int, MarkInput]]:
    marks, base = {}, {}
    for row in entry.rows:
        eid = row.enrolment.pk
        marks[eid] = MarkInput(
            request.POST.get(f"m{eid}", "").strip(), request.POST.get(f"n{eid}", "").strip()
        )
        if f"b{eid}" in request.POST:
            base[eid] = MarkInput(request.POST.get(f"b{eid}", ""), request.POST.get(f"bn{eid}", ""))
    # Marks posted for students not on the page (left, other class) are refused by the service.
    for key in request.POST:
        if key.startswith("m") and key[1:].isdigit() and int(key[1:]) not in marks:
            marks[int(key[1:])] = MarkInput(request.POST[key])
    return marks, base


def _apply_posted(entry, marks) -> None:
    for row in entry.rows:
        posted = marks.get(row.enrolment.pk)
        if posted is not None:
            row.code, row.note = posted.code, posted.note


def _day_context(entry: queries.DailyEntry, **extra) -> dict:
    date = entry.day
    cal = entry.calendar
    classroom = entry.classroom
    message = ""
    if not cal.dates:
        message = "この年度の学校暦がありません。"
    elif not entry.is_school_day:
        note = cal.note(date)
        message = f"{date.month}月{date.day}日は授業日ではありません" + (
            f" ({note})。" if note else "。"
        )
    elif entry.is_closed:
        message = (
            f"{date.month}月{date.day}日は学級閉鎖です。全員が出席停止・忌引等として数えられます。"
        )
    return {
        "entry": entry,
        "classroom": classroom,
        "date": date,
        "wareki": wareki_date(date),
        "weekday": WEEKDAYS[date.weekday()],
        "prev_day": cal.previous_school_day(date),
        "next_day": cal.next_school_day(date),
        "today": timezone.localdate(),
        "counts": entry.counts,
        "message": message,
        "editable": entry.is_school_day and not entry.is_closed and not extra["read_only"],
        "year_start": rules.school_year_bounds(classroom.school_year.year)[0],
        "year_end": rules.school_year_bounds(classroom.school_year.year)[1],
        "periods": range(1, 7) if classroom.school.per_period_attendance else (),
        **extra,
    }


def _month_arg(classroom: Classroom, year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12:
        raise Http404
    start, end = queries.month_bounds(year, month)
    if not (_in_year(classroom, start) and _in_year(classroom, end)):
        raise Http404("この年度の月ではありません。")
    return start, end


@staff_required
def register(request: HttpRequest, classroom_id: int, year: int, month: int) -> HttpResponse:
    """出席簿 (monthly register) of a class."""
    classroom = _classroom(request, classroom_id)
    request.actor.require(request.actor.can_view_classroom(classroom))
    start, end = _month_arg(classroom, year, month)
    reg = queries.register(classroom, start, end)
    months = queries.school_year_months(classroom.school_year.year)
    header = [
        {"day": d, "weekday": WEEKDAYS[d.weekday()], "note": note, "cls": "" if is_day else "off"}
        for d, is_day, note in zip(reg.days, reg.school_day, reg.day_notes, strict=True)
    ]
    grid = []
    for row in reg.rows:
        e = row.enrolment
        cells = []
        for d, is_day, cell in zip(reg.days, reg.school_day, row.cells, strict=True):
            counted = is_day and e.is_enrolled_on(d)
            cls = "" if counted else "off"
            if cell == "閉":
                cls = "closed"
            cells.append((cell, cls, row.notes.get(d, "")))
        figures = row.figures.as_dict()
        grid.append({"row": row, "cells": cells, "tag": _tag(e, reg.start, reg.end),
                     "figures": [figures[k] for k, _ in FIGURE_COLUMNS]})  # fmt: skip
    totals = reg.totals.as_dict()
    return render(
        request,
        "attendance/register.html",
        {
            "classroom": classroom,
            "reg": reg,
            "year": year,
            "month": month,
            "months": months,
            "header": header,
            "grid": grid,
            "totals": [totals[k] for k, _ in FIGURE_COLUMNS],
            "columns": [(label, rules.FIGURE_SHORT[key]) for key, label in FIGURE_COLUMNS],
            "colspan": 2 + len(reg.days) + len(FIGURE_COLUMNS),
            "can_import": request.actor.can_take_attendance(classroom)
            and not classroom.school_year.is_read_only,
        },
    )


def _tag(e, start: dt.date, end: dt.date) -> str:
    """転入 / 転出 note beside a name when it happened in the range shown."""
    parts = []
    if start < e.enrolled_on <= end:
        parts.append(f"{e.enrolled_on.month}/{e.enrolled_on.day} {e.get_entry_display()}")
    if e.left_on and start <= e.left_on <= end:
        parts.append(f"{e.left_on.month}/{e.left_on.day} {e.get_exit_display() or '転出'}")
    return "・".join(parts)


@staff_required
def register_export(request: HttpRequest, classroom_id: int, year: int, month: int):
    classroom = _classroom(request, classroom_id)
    request.actor.require(request.actor.can_view_classroom(classroom))
    start, end = _month_arg(classroom, year, month)
    return excel.register_response(classroom, [(start, end)])


@staff_required
def year_export(request: HttpRequest, classroom_id: int):
    classroom = _classroom(request, classroom_id)
    request.actor.require(request.actor.can_view_classroom(classroom))
    months = [queries.month_bounds(y, m) for y, m in
              queries.school_year_months(classroom.school_year.year)]  # fmt: skip
    return excel.register_response(classroom, months)


@staff_required
def year_figures(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """指導要録 「出欠の記録」 figures of a class's students for the year."""
    classroom = _classroom(request, classroom_id)
    request.actor.require(request.actor.can_view_classroom(classroom))
    months, rows = queries.class_year_figures(classroom)
    start, end = rules.school_year_bounds(classroom.school_year.year)
    table = []
    for row in rows:
        values = row.year.as_dict()
        table.append({"row": row, "tag": _tag(row.enrolment, start, end),
                      "values": [values[k] for k, _ in FIGURE_COLUMNS]})  # fmt: skip
    return render(
        request,
        "attendance/year.html",
        {"classroom": classroom, "months": months, "table": table, "columns": FIGURE_COLUMNS},
    )


# --- calendar (school administrator) -----------------------------------------------------


def _admin_school(request: HttpRequest, school_id: int):
    school = get_object_or_404(request.actor.schools(), pk=school_id)
    request.actor.require(
        request.actor.can_manage_school(school.pk), "学校暦を変更する権限がありません。"
    )
    return school


def _year(request: HttpRequest) -> SchoolYear:
    year = request.GET.get("year") or request.POST.get("year")
    qs = SchoolYear.objects.all()
    found = qs.filter(year=year).first() if year and year.isdigit() else None
    found = found or qs.filter(state=SchoolYear.State.CURRENT).first()
    if found is None:
        raise Http404("年度がありません。")
    return found


@staff_required
def calendar(request: HttpRequest, school_id: int) -> HttpResponse:
    school = _admin_school(request, school_id)
    school_year = _year(request)
    services.ensure_calendar(school, school_year)
    forms = {
        "vacation": VacationForm(prefix="v"),
        "override": OverrideForm(prefix="o"),
        "closure": ClosureForm(school, school_year, prefix="c"),
    }
    if request.method == "POST":
        kind = request.POST.get("form")
        try:
            if kind == "vacation":
                form = forms["vacation"] = VacationForm(request.POST, prefix="v")
                if form.is_valid():
                    services.add_vacation(request.user, school, school_year, **form.cleaned_data)
                    return _saved(request, school, school_year, "休業日を追加しました。")
            elif kind == "override":
                form = forms["override"] = OverrideForm(request.POST, prefix="o")
                if form.is_valid():
                    services.set_override(request.user, school, school_year, **form.cleaned_data)
                    return _saved(request, school, school_year, "授業日を変更しました。")
            elif kind == "closure":
                form = forms["closure"] = ClosureForm(school, school_year, request.POST,
                                                      prefix="c")  # fmt: skip
                if form.is_valid():
                    services.add_closure(request.user, school, school_year, **form.cleaned_data)
                    return _saved(request, school, school_year, "休業・閉鎖を登録しました。")
            elif kind == "delete_vacation":
                vacation = get_object_or_404(Vacation, pk=request.POST.get("id"), school=school,
                                             school_year=school_year)  # fmt: skip
                services.delete_vacation(request.user, vacation)
                return _saved(request, school, school_year, "休業日を取り消しました。")
            elif kind == "delete_override":
                start, end = rules.school_year_bounds(school_year.year)
                override = get_object_or_404(CalendarOverride, pk=request.POST.get("id"),
                                             school=school, date__range=(start, end))  # fmt: skip
                services.delete_override(request.user, override, school_year)
                return _saved(request, school, school_year, "授業日の変更を取り消しました。")
            elif kind == "delete_closure":
                closure = get_object_or_404(Closure, pk=request.POST.get("id"), school=school)
                services.delete_closure(request.user, closure)
                return _saved(request, school, school_year, "休業・閉鎖を取り消しました。")
            else:
                raise Http404
        except ValidationError as exc:
            form.add_error(None, exc)
    months = queries.school_year_months(school_year.year)
    dates = queries.SchoolDate.objects.filter(school=school, school_year=school_year).order_by(
        "date"
    )
    by_month: dict[tuple[int, int], list] = {ym: [] for ym in months}
    for d in dates:
        by_month[(d.date.year, d.date.month)].append(d)
    return render(
        request,
        "attendance/calendar.html",
        {
            "school": school,
            "school_year": school_year,
            "form_list": [
                ("vacation", "休業日 (夏季休業など)", forms["vacation"]),
                ("override", "一日ごとの変更", forms["override"]),
                ("closure", "臨時休業・学年閉鎖・学級閉鎖", forms["closure"]),
            ],
            "by_month": by_month,
            "total": sum(d.is_school_day for d in dates),
            "vacations": Vacation.objects.filter(school=school, school_year=school_year),
            "overrides": CalendarOverride.objects.filter(
                school=school, date__range=rules.school_year_bounds(school_year.year)
            ),
            "closures": Closure.objects.filter(
                school=school, school_year=school_year
            ).select_related("classroom"),
            "read_only": school_year.is_read_only,
        },
    )


def _saved(request, school, school_year, text):
    messages.success(request, text)
    return redirect(reverse("attendance:calendar", args=[school.pk]) + f"?year={school_year.year}")


# --- overview (BoE, school administrators) -----------------------------------------------


def _report_scope(request: HttpRequest) -> tuple[list[int] | None, object]:
    """None = whole municipality (BoE); else the schools the actor runs."""
    actor: Actor = request.actor
    school_id = request.GET.get("school")
    if actor.sees_whole_municipality:
        if school_id and school_id.isdigit():
            school = get_object_or_404(actor.schools(), pk=school_id)
            return [school.pk], school
        return None, None
    if not actor.admin_school_ids:
        raise PermissionDenied("出欠の集計を見る権限がありません。")
    if school_id and school_id.isdigit():
        if int(school_id) not in actor.admin_school_ids:
            raise Http404
        return [int(school_id)], get_object_or_404(actor.schools(), pk=school_id)
    return sorted(actor.admin_school_ids), None


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    school_ids, school = _report_scope(request)
    school_year = _year(request)
    today = timezone.localdate()
    queries.ensure_calendars(school_year)
    rates = queries.monthly_rates(school_year, today, school_ids)
    watch = queries.long_absence_watch(school_year, today, school_ids)
    schools = list(request.actor.schools().filter(is_active=True))
    if school_ids is not None:
        schools = [s for s in schools if s.pk in school_ids]
    all_rates = rates.get(None, [])
    return render(
        request,
        "attendance/overview.html",
        {
            "school_year": school_year,
            "school": school,
            "schools": [(s, rates.get(s.pk, [])) for s in schools],
            "rates": all_rates,
            "chart": _chart(all_rates),
            "watch": watch,
            "reached": sum(1 for w in watch if w.status == "reached"),
            "projected": sum(1 for w in watch if w.status == "projected"),
            "today": today,
            "can_export_all": request.actor.sees_whole_municipality and school is None,
        },
    )


def _chart(rates: list[queries.MonthRate]) -> dict:
    """Bars for an inline SVG: the axis from 80 % to 100 % so differences show."""
    floor = 80.0
    bars = []
    for i, r in enumerate(rates):
        pct = (r.rate or 0) * 100
        height = max(0.0, min(100.0, (pct - floor) / (100 - floor) * 100)) * 1.6
        bars.append({"x": 40 + i * 50, "h": round(height, 1), "y": round(180 - height, 1),
                     "label": f"{r.month}月", "value": r.percent})  # fmt: skip
    return {"bars": bars, "width": 40 + max(len(rates), 1) * 50, "floor": int(floor)}


# --- import (the exported layout, filled in offline) ---------------------------------------


@staff_required
def register_import(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Upload → preview (nothing written) → confirm. Errors name sheet, row and column."""
    from schools import imports as pending

    actor: Actor = request.actor
    classroom = _classroom(request, classroom_id)
    actor.require(
        actor.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。"
    )
    if classroom.school_year.is_read_only:
        raise PermissionDenied("過年度の記録は変更できません。")
    fallback = _fallback_month(request)
    back = reverse(
        "attendance:register", args=[classroom.pk, *(fallback or _this_month(classroom))]
    )
    if request.method != "POST":
        return redirect(back)
    if request.POST.get("token"):  # step 3: confirm
        data = pending.load_pending(request.POST["token"])
        if data is None:
            messages.error(request, "読み込んだファイルが見つかりません。もう一度選んでください。")
            return redirect(back)
        try:
            plan = excel.commit_register_import(
                request.user, classroom, data, filename=request.POST.get("filename", "")[:200],
                fallback_month=fallback, expected_fingerprint=request.POST.get("fingerprint", ""),
            )  # fmt: skip
        except ValidationError as exc:
            return render(request, "attendance/import_preview.html",
                          {"classroom": classroom, "refused": exc.messages, "back": back},
                          status=409)  # fmt: skip
        pending.discard_pending(request.POST["token"])
        messages.success(request, f"出席簿を取り込みました ({len(plan.changes)}件を変更)。")
        return redirect(back)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "ファイルを選んでください。")
        return redirect(back)
    if upload.size > excel.IMPORT_LIMITS.max_bytes:
        messages.error(request, f"ファイルが大きすぎます。{excel.IMPORT_LIMITS.describe()}。")
        return redirect(back)
    data = upload.read()
    plan = excel.plan_register_import(classroom, data, filename=upload.name,
                                      fallback_month=fallback)  # fmt: skip
    token = pending.store_pending(data) if plan.ok and plan.changes else ""
    return render(
        request,
        "attendance/import_preview.html",
        {"classroom": classroom, "plan": plan, "token": token, "back": back,
         "fingerprint": plan.fingerprint(), "changes": plan.changes[:300],
         "errors": plan.errors[:300], "month": fallback},
    )  # fmt: skip


def _fallback_month(request) -> tuple[int, int] | None:
    try:
        year, month = int(request.POST.get("y", "")), int(request.POST.get("m", ""))
    except ValueError:
        return None
    return (year, month) if 1 <= month <= 12 else None


def _this_month(classroom: Classroom) -> tuple[int, int]:
    today = timezone.localdate()
    start, end = rules.school_year_bounds(classroom.school_year.year)
    day = min(max(today, start), end)
    return day.year, day.month


@staff_required
def municipality_export(request: HttpRequest):
    """Every student's yearly figures as one workbook (BoE): started as a job (POST), whose
    page shows its progress and then the download."""
    actor: Actor = request.actor
    actor.require(actor.sees_whole_municipality, "市全体の出力は教育委員会の職員のみができます。")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    job = attendance_jobs.start_municipality_export(_year(request), by=actor)
    return redirect("jobs:detail", job_id=job.pk)


@staff_required
def codes(request: HttpRequest) -> HttpResponse:
    """出欠記号の設定 (per municipality, BoE administrator)."""
    actor: Actor = request.actor
    actor.require(actor.can_manage_municipality, "出欠記号を設定できるのは教育委員会の管理者です。")
    rows = list(AttendanceCode.objects.order_by("sort_order", "code"))
    errors: list[str] = []
    if request.method == "POST":
        posted = [
            services.CodeInput(
                code=c.code,
                symbol=request.POST.get(f"symbol-{c.code}", ""),
                label=request.POST.get(f"label-{c.code}", ""),
                figure=request.POST.get(f"figure-{c.code}", ""),
                key=request.POST.get(f"key-{c.code}", "").strip(),
                is_active=request.POST.get(f"active-{c.code}") == "1",
            )
            for c in rows
        ]
        try:
            changed = services.update_codes(request.user, posted)
        except ValidationError as exc:
            errors = exc.messages
            for c, p in zip(rows, posted, strict=True):
                c.symbol, c.label, c.figure, c.key, c.is_active = (
                    p.symbol, p.label, p.figure, p.key, p.is_active
                )  # fmt: skip
        else:
            messages.success(request, f"出欠記号を保存しました ({changed}件を変更)。")
            return redirect("attendance:codes")
    return render(
        request,
        "attendance/codes.html",
        {"rows": rows, "errors": errors, "figures": list(rules.FIGURE_LABELS.items())},
        status=400 if errors else 200,
    )
