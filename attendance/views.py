"""Attendance pages: daily entry, 出席簿, yearly figures, calendar, overview (thin views)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from attendance import excel, figures, queries, rules, services
from attendance import jobs as attendance_jobs
from attendance.forms import ClosureForm, OverrideForm, VacationForm
from attendance.models import AttendanceCode
from attendance.rules import FIGURE_COLUMNS
from attendance.services import MarkInput
from schools import calendar as school_calendar
from schools.imports import store
from schools.models import CalendarOverride, Classroom, Closure, School, SchoolYear, Vacation
from schools.permissions import Actor, recent_verification_required, staff_required
from schools.spreadsheets.uploads import read_page_upload
from schools.templatetags.months import month_name
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
    return school_calendar.in_year(classroom.school_year, day)


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """My classes (homeroom), or every class of the schools I run (``?school=`` narrows to one
    school); each with today's state, and only the links the actor can follow."""
    actor: Actor = request.actor
    qs = actor.classrooms().exclude(school_year__state=SchoolYear.State.ARCHIVED)
    if not actor.sees_whole_municipality:
        qs = qs.filter(pk__in=actor.homeroom_classroom_ids) | qs.filter(
            school_id__in=actor.admin_school_ids
        )
    school_param = request.GET.get("school", "")
    school = None
    if school_param.isdecimal():
        school = get_object_or_404(actor.schools(), pk=int(school_param))
        qs = qs.filter(school_id=school.pk)
    classes = list(qs.order_by("school__mext_code", "school_year", "grade", "sort_order", "name"))
    today = timezone.localdate()
    state = {
        c.classroom.pk: c for c in queries.classes_today([c.school_id for c in classes], today)
    }
    admin_schools = [s for s in actor.schools() if actor.can_manage_school(s.pk)]
    return render(
        request,
        "attendance/index.html",
        {
            "rows": [(c, actor.can_take_attendance(c), state.get(c.pk)) for c in classes],
            "school": school,
            "today": today,
            "admin_schools": admin_schools,
            "sees_reports": actor.sees_attendance_reports,
            "manages_codes": actor.can_manage_municipality,
        },
    )


@staff_required
def today(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Today's entry, or the nearest earlier school day of the class's year."""
    classroom = _classroom(request, classroom_id)
    day = _parse_date(request.GET.get("date")) or timezone.localdate()
    start, end = school_calendar.year_bounds(classroom.school_year)
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
        last = school_calendar.periods_per_day(classroom.school)
        try:
            period = int(request.GET.get("period", request.POST.get("period", 0)))
        except ValueError:
            period = 0
        period = max(0, min(period, last))
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
            classroom,
            date,
            marks,
            by=request.actor,
            base=base,
            period=period,
            valid_codes={c.code for c in entry.codes},
            class_day=(entry.is_school_day, entry.is_closed),
            enrolments=entry.enrolments,
        )
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
        if key.startswith("m") and key[1:].isdecimal() and int(key[1:]) not in marks:
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
    start, end = school_calendar.year_bounds(classroom.school_year)
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
        "year_start": start,
        "year_end": end,
        "periods": range(1, school_calendar.periods_per_day(classroom.school) + 1)
        if classroom.school.per_period_attendance
        else (),
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
    reg = queries.register(classroom, start, end, timezone.localdate())
    months = queries.school_year_months(classroom.school_year.year)
    header = [
        {"day": d, "weekday": WEEKDAYS[d.weekday()], "note": note, "cls": "" if is_day else "off"}
        for d, is_day, note in zip(reg.days, reg.school_day, reg.day_notes, strict=True)
    ]
    grid = []
    memos = []  # shown under the table and linked from their cells: a tap reaches them
    figure_of = {c.symbol: c.figure.value for c in reg.codes}
    for row in reg.rows:
        e = row.enrolment
        cells = []
        for d, is_day, cell in zip(reg.days, reg.school_day, row.cells, strict=True):
            counted = is_day and e.is_enrolled_on(d)
            cls = "" if counted else "off"
            if cell == "閉":
                cls = "closed"
            note = row.notes.get(d, "")
            memo_id = f"memo-{e.pk}-{d.day}" if note else ""
            if note:
                memos.append(
                    {
                        "id": memo_id,
                        "day": d,
                        "roll": e.roll_number,
                        "name": e.student.name,
                        "text": cell,
                        "note": note,
                    }
                )
            cells.append((cell, cls, note, figure_of.get(cell, ""), memo_id))
        figures = row.figures.as_dict()
        grid.append(
            {
                "row": row,
                "cells": cells,
                "tag": _tag(e, reg.start, reg.end),
                "figures": [figures[k] for k, _ in FIGURE_COLUMNS],
            }
        )
    totals = reg.totals.as_dict()
    return render(
        request,
        "attendance/register.html",
        {
            "classroom": classroom,
            "reg": reg,
            "legend": queries.legend_codes(reg),
            "year": year,
            "month": month,
            "months": months,
            "header": header,
            "grid": grid,
            "memos": sorted(memos, key=lambda m: (m["day"], m["roll"])),
            "day_notes": [h for h in header if h["note"]],
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
    """出席簿 of one month in Excel."""
    classroom = _classroom(request, classroom_id)
    _month_arg(classroom, year, month)
    return excel.register_export(classroom, by=request.actor, month=(year, month))


@staff_required
def year_export(request: HttpRequest, classroom_id: int):
    """出席簿 of the whole year (one sheet per month) with the yearly figures, in Excel."""
    classroom = _classroom(request, classroom_id)
    return excel.register_export(classroom, by=request.actor)


@staff_required
def year_figures(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """指導要録 「出欠の記録」 figures of a class's students for the year."""
    classroom = _classroom(request, classroom_id)
    request.actor.require(request.actor.can_view_classroom(classroom))
    today = timezone.localdate()
    months, rows = queries.class_year_figures(classroom, today)
    start, end = school_calendar.year_bounds(classroom.school_year)
    counted = rules.as_of((start, end), today)
    table = []
    for row in rows:
        values = row.year.as_dict()
        table.append(
            {
                "row": row,
                "tag": _tag(row.enrolment, start, end),
                "values": [values[k] for k, _ in FIGURE_COLUMNS],
            }
        )
    return render(
        request,
        "attendance/year.html",
        {
            "classroom": classroom,
            "months": months,
            "table": table,
            "columns": FIGURE_COLUMNS,
            "counted_until": counted[1] if counted else None,
            "year_over": counted is not None and counted[1] == end,
        },
    )


# --- calendar (school administrator): one page, one view per action -----------------------


def _admin_school(request: HttpRequest, school_id: int) -> School:
    school = get_object_or_404(request.actor.schools(), pk=school_id)
    request.actor.require(
        request.actor.can_manage_school(school.pk), "学校暦を変更する権限がありません。"
    )
    return school


def _school_year(request: HttpRequest) -> SchoolYear:
    """``?year=2026`` (the year number, as everywhere), else the current year."""
    year = request.GET.get("year") or request.POST.get("year")
    qs = SchoolYear.objects.all()
    found = qs.filter(year=year).first() if year and year.isdecimal() else None
    found = found or qs.filter(state=SchoolYear.State.CURRENT).first()
    if found is None:
        raise Http404("年度がありません。")
    return found


def _calendar_forms(school: School, school_year: SchoolYear, **bound) -> dict:
    return {
        "vacation": bound.get("vacation") or VacationForm(prefix="v"),
        "override": bound.get("override") or OverrideForm(prefix="o"),
        "closure": bound.get("closure") or ClosureForm(school, school_year, prefix="c"),
    }


def _calendar_page(request, school: School, school_year: SchoolYear, forms: dict) -> HttpResponse:
    months = queries.school_year_months(school_year.year)
    dates = school_calendar.school_dates(school, school_year)
    by_month: dict[tuple[int, int], list] = {ym: [] for ym in months}
    for d in dates:
        by_month[(d.date.year, d.date.month)].append(d)
    args = [school.pk]
    return render(
        request,
        "attendance/calendar.html",
        {
            "school": school,
            "school_year": school_year,
            "form_list": [
                (
                    "vacation",
                    "休業日 (夏季休業など)",
                    forms["vacation"],
                    reverse("attendance:calendar-vacation-add", args=args),
                ),
                (
                    "override",
                    "一日ごとの変更",
                    forms["override"],
                    reverse("attendance:calendar-override-set", args=args),
                ),
                (
                    "closure",
                    "臨時休業・学年閉鎖・学級閉鎖",
                    forms["closure"],
                    reverse("attendance:calendar-closure-add", args=args),
                ),
            ],
            "by_month": by_month,
            "total": sum(d.is_school_day for d in dates),
            "has_calendar": bool(dates),
            "vacations": school_calendar.vacations(school, school_year),
            "overrides": school_calendar.overrides(school, school_year),
            "closures": school_calendar.closures(school, school_year),
            "read_only": school_year.is_read_only,
        },
    )


@require_GET
@staff_required
def calendar(request: HttpRequest, school_id: int) -> HttpResponse:
    school = _admin_school(request, school_id)
    school_year = _school_year(request)
    return _calendar_page(request, school, school_year, _calendar_forms(school, school_year))


def _calendar_add(request, school_id: int, kind: str, make_form, service, done: str):
    """Validate one calendar form and run its service; errors show on the page."""
    school = _admin_school(request, school_id)
    school_year = _school_year(request)
    form = make_form(school, school_year)
    if form.is_valid():
        try:
            service(school, school_year, by=request.actor, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _saved(request, school, school_year, done)
    forms = _calendar_forms(school, school_year, **{kind: form})
    return _calendar_page(request, school, school_year, forms)


@require_POST
@staff_required
def calendar_vacation_add(request: HttpRequest, school_id: int) -> HttpResponse:
    return _calendar_add(
        request,
        school_id,
        "vacation",
        lambda s, y: VacationForm(request.POST, prefix="v"),
        school_calendar.add_vacation,
        "休業日を追加しました。",
    )


@require_POST
@staff_required
def calendar_override_set(request: HttpRequest, school_id: int) -> HttpResponse:
    return _calendar_add(
        request,
        school_id,
        "override",
        lambda s, y: OverrideForm(request.POST, prefix="o"),
        school_calendar.set_override,
        "授業日を変更しました。",
    )


@require_POST
@staff_required
def calendar_closure_add(request: HttpRequest, school_id: int) -> HttpResponse:
    return _calendar_add(
        request,
        school_id,
        "closure",
        lambda s, y: ClosureForm(s, y, request.POST, prefix="c"),
        school_calendar.add_closure,
        "休業・閉鎖を登録しました。",
    )


def _calendar_delete(request, school: School, school_year: SchoolYear, delete, done: str):
    """Run one delete service; a refusal (past year …) is a message, never a 500."""
    try:
        delete()
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(_calendar_url(school, school_year))
    return _saved(request, school, school_year, done)


@require_POST
@staff_required
def calendar_vacation_delete(request: HttpRequest, school_id: int, vacation_id: int):
    school = _admin_school(request, school_id)
    vacation = get_object_or_404(Vacation, pk=vacation_id, school=school)
    return _calendar_delete(
        request,
        school,
        vacation.school_year,
        lambda: school_calendar.delete_vacation(vacation, by=request.actor),
        "休業日を取り消しました。",
    )


@require_POST
@staff_required
def calendar_override_delete(request: HttpRequest, school_id: int, override_id: int):
    school = _admin_school(request, school_id)
    school_year = _school_year(request)
    override = get_object_or_404(
        CalendarOverride,
        pk=override_id,
        school=school,
        date__range=school_calendar.year_bounds(school_year),
    )
    return _calendar_delete(
        request,
        school,
        school_year,
        lambda: school_calendar.delete_override(override, school_year, by=request.actor),
        "授業日の変更を取り消しました。",
    )


@require_POST
@staff_required
def calendar_closure_delete(request: HttpRequest, school_id: int, closure_id: int):
    school = _admin_school(request, school_id)
    closure = get_object_or_404(Closure, pk=closure_id, school=school)
    return _calendar_delete(
        request,
        school,
        closure.school_year,
        lambda: school_calendar.delete_closure(closure, by=request.actor),
        "休業・閉鎖を取り消しました。",
    )


def _calendar_url(school: School, school_year: SchoolYear) -> str:
    return reverse("attendance:calendar", args=[school.pk]) + f"?year={school_year.year}"


def _saved(request, school: School, school_year: SchoolYear, text: str):
    messages.success(request, text)
    return redirect(_calendar_url(school, school_year))


# --- overview (BoE, school administrators) -----------------------------------------------


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor
    school_param = request.GET.get("school", "")
    school_ids = actor.attendance_report_schools(
        int(school_param) if school_param.isdecimal() else None
    )
    school = School.objects.get(pk=school_ids[0]) if school_param.isdecimal() else None
    school_year = _school_year(request)
    today = timezone.localdate()
    rates = figures.monthly_rates(school_year, today, school_ids)
    watch = figures.long_absence_watch(school_year, today, school_ids)
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


def _chart(rates: list[figures.MonthRate]) -> dict:
    """Bars for an inline SVG: the axis from 80 % to 100 % so differences show."""
    floor = 80.0
    bars = []
    for i, r in enumerate(rates):
        pct = (r.rate or 0) * 100
        height = max(0.0, min(100.0, (pct - floor) / (100 - floor) * 100)) * 1.6
        bars.append(
            {
                "x": 40 + i * 50,
                "h": round(height, 1),
                "y": round(180 - height, 1),
                "label": month_name(r.month, "short"),  # 「4月」 / "Apr"
                "value": r.percent,
            }
        )
    return {"bars": bars, "width": 40 + max(len(rates), 1) * 50, "floor": int(floor)}


# --- import (the exported layout, filled in offline) ---------------------------------------


def _import_target(request: HttpRequest, classroom_id: int) -> tuple[Classroom, str]:
    """The class whose register is imported (its 担任 or an administrator) and the way back."""
    actor: Actor = request.actor
    classroom = _classroom(request, classroom_id)
    actor.require(
        actor.can_take_attendance(classroom), "この学級の出欠を入力する権限がありません。"
    )
    if classroom.school_year.is_read_only:
        raise PermissionDenied("過年度の記録は変更できません。")
    month = _fallback_month(request) or _this_month(classroom)
    return classroom, reverse("attendance:register", args=[classroom.pk, *month])


REGISTER_UPLOAD = "attendance.register"


@staff_required
def register_import(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Upload → preview (nothing written). Errors name sheet, row and column."""
    classroom, back = _import_target(request, classroom_id)
    if request.method != "POST":
        return redirect(back)
    fallback = _fallback_month(request)
    uploaded = read_page_upload(request, excel.IMPORT_LIMITS)
    if uploaded is None:
        return redirect(back)
    data, filename = uploaded
    plan = excel.plan_register_import(classroom, data, filename=filename, fallback_month=fallback)
    token = (
        store.put(data, by=request.actor, kind=REGISTER_UPLOAD, filename=filename)
        if plan.ok and plan.changes
        else ""
    )
    return render(
        request,
        "attendance/import_preview.html",
        {
            "classroom": classroom,
            "plan": plan,
            "token": token,
            "back": back,
            "fingerprint": plan.fingerprint(),
            "changes": _shown_changes(plan.changes[:300]),
            "errors": plan.errors[:300],
            "month": fallback,
        },
    )


def _shown_changes(changes: list) -> list:
    """The preview shows the register's symbols (病, 遅, 停), not the stored codes."""
    symbols = {c.code: c.symbol for c in queries.codes(active_only=False)}
    return [
        dataclasses.replace(c, old=symbols.get(c.old, c.old), new=symbols.get(c.new, c.new))
        for c in changes
    ]


@require_POST
@staff_required
def register_import_confirm(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Confirm a previewed import: every change in one transaction, or nothing."""
    classroom, back = _import_target(request, classroom_id)
    token = request.POST.get("token", "")
    try:
        data = store.get(token, by=request.actor, kind=REGISTER_UPLOAD)
    except store.PendingRefused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    try:
        plan = excel.commit_register_import(
            classroom,
            data,
            by=request.actor,
            filename=request.POST.get("filename", "")[:200],
            fallback_month=_fallback_month(request),
            expected_fingerprint=request.POST.get("fingerprint", ""),
        )
    except ValidationError as exc:
        return render(
            request,
            "attendance/import_preview.html",
            {"classroom": classroom, "refused": exc.messages, "back": back},
            status=409,
        )
    store.discard(token, by=request.actor, kind=REGISTER_UPLOAD)
    messages.success(request, f"出席簿を取り込みました ({len(plan.changes)}件を変更)。")
    return redirect(back)


def _fallback_month(request) -> tuple[int, int] | None:
    try:
        year, month = int(request.POST.get("y", "")), int(request.POST.get("m", ""))
    except ValueError:
        return None
    return (year, month) if 1 <= month <= 12 else None


def _this_month(classroom: Classroom) -> tuple[int, int]:
    today = timezone.localdate()
    start, end = school_calendar.year_bounds(classroom.school_year)
    day = min(max(today, start), end)
    return day.year, day.month


@staff_required
@recent_verification_required  # a whole municipality's pupils: the password or a code again
def municipality_export(request: HttpRequest):
    """Every student's yearly figures as one workbook (BoE): started as a job (POST), whose
    page shows its progress and then the download."""
    actor: Actor = request.actor
    actor.require(actor.sees_whole_municipality, "市全体の出力は教育委員会の職員のみができます。")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    job = attendance_jobs.start_municipality_export(_school_year(request), by=actor)
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
            changed = services.update_codes(posted, by=actor)
        except ValidationError as exc:
            errors = exc.messages
            for c, p in zip(rows, posted, strict=True):
                c.symbol, c.label, c.figure, c.key, c.is_active = (
                    p.symbol,
                    p.label,
                    p.figure,
                    p.key,
                    p.is_active,
                )
        else:
            messages.success(request, f"出欠記号を保存しました ({changed}件を変更)。")
            return redirect("attendance:codes")
    return render(
        request,
        "attendance/codes.html",
        {"rows": rows, "errors": errors, "figures": list(rules.FIGURE_LABELS.items())},
        status=400 if errors else 200,
    )
