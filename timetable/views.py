"""Browser pages of the timetable: thin (parse, ask the Actor, call a service or query, render).

The whole-school grid, a class's week (and its editor, saved in one request, clashes
recomputed on the server and swapped in by htmx), a teacher's week, room timetables, bell
schedules and rooms, the daily changes of a date with substitute suggestions, and the
授業時数 tally (per school, and every school for the board). No inline scripts.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from schools import queries as school_queries
from schools import teaching
from schools.models import Classroom, School, SchoolYear, Staff, Student, Subject, TeachingGroup
from schools.permissions import as_pk, staff_required
from timetable import curriculum, excel, import_pages, imports, national, queries, rules, services
from timetable import jobs as timetable_jobs
from timetable.models import BellSchedule, DailyChange, Room, SchoolSubject

WEEKDAY_LABELS = ["月", "火", "水", "木", "金", "土"]


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _year(request: HttpRequest) -> SchoolYear:
    wanted = as_pk(request.GET.get("year") or request.POST.get("year"))
    qs = SchoolYear.objects.all()
    year = qs.filter(year=wanted).first() if wanted else None
    year = year or qs.filter(state=SchoolYear.State.CURRENT).first() or qs.first()
    if year is None:
        raise Http404("年度がありません。")
    return year


def _date(value: object, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        return default


def _school(request: HttpRequest, pk: object, *, edit: bool = False) -> School:
    return request.actor.timetable_school_or_404(pk, edit=edit)


# --- index ---------------------------------------------------------------------------------


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    actor.require(actor.has_any_role)
    schools = list(actor.schools().filter(is_active=True))
    staff = Staff.objects.filter(user_id=actor.user_id).first()
    return render(
        request,
        "timetable/index.html",
        {
            "schools": [(s, actor.can_edit_timetable(s.pk)) for s in schools],
            "staff": staff,
            "year": _year(request),
            "board": actor.sees_every_hours_tally,
            "adjusts_standards": actor.can_manage_municipality,
        },
    )


# --- the whole-school grid -------------------------------------------------------------------


@staff_required
def grid(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    year = _year(request)
    today = timezone.localdate()
    view = queries.grid(school, year, date=_date(request.GET.get("date"), today))
    return render(
        request,
        "timetable/grid.html",
        {
            "school": school,
            "year": year,
            "grid": view,
            "weekdays": [(d, WEEKDAY_LABELS[d]) for d in view.weekdays],
            "can_edit": request.actor.can_edit_timetable(school.pk),
        },
    )


@staff_required
@require_POST
def create_timetable(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    try:
        services.create_timetable(
            by=request.actor,
            school=school,
            school_year=year,
            valid_from=_date(request.POST.get("valid_from"), year.start),
            name=request.POST.get("name", "時間割"),
            copy_from=queries.current_timetable(school, year, timezone.localdate()),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "時間割を作成しました。")
    return redirect(f"{reverse('timetable:grid', args=[school.pk])}?year={year.year}")


# --- a class's week ----------------------------------------------------------------------------


@staff_required
def class_week(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = request.actor.classroom_or_404(pk)
    week = queries.class_week(classroom, _date(request.GET.get("date"), timezone.localdate()))
    return render(
        request,
        "timetable/week.html",
        {
            "week": week,
            "school": classroom.school,
            "weekdays": [(d, WEEKDAY_LABELS[d]) for d in week.weekdays],
            "show": "class",
            "export_url": reverse("timetable:class-export", args=[classroom.pk]),
            "edit_url": reverse("timetable:class-edit", args=[classroom.pk])
            if request.actor.can_edit_timetable(classroom.school_id)
            else "",
        },
    )


def _edit_context(classroom, timetable, result=None) -> dict:
    grid_view = queries.grid(classroom.school, classroom.school_year, timetable=timetable)
    row = next((r for r in grid_view.rows if r.classroom.pk == classroom.pk), None)
    cells = {}
    if row is not None:
        for slot, lessons in row.cells.items():
            own = [x for x in lessons if x.classroom_id == classroom.pk and x.period == slot[1]]
            if own:
                cells[slot] = own[0]
    slots = [
        [(wd, p, cells.get((wd, p)), f"{WEEKDAY_LABELS[wd]}曜{p}校時") for wd in grid_view.weekdays]
        for p in grid_view.periods
    ]
    mine = [
        c for c in grid_view.clashes if any(classroom.pk in x.group.classrooms for x in c.lessons)
    ]
    return {
        "classroom": classroom,
        "timetable": timetable,
        "grid": grid_view,
        "row": row,
        "slots": slots,
        "weekdays": [(d, WEEKDAY_LABELS[d]) for d in grid_view.weekdays],
        "clashes": mine,
        "result": result,
    }


@staff_required
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor of one class's week: every cell a subject, a teacher and a room."""
    classroom = request.actor.classroom_or_404(pk)
    request.actor.require(
        request.actor.can_edit_timetable(classroom.school_id), "時間割を編集する権限がありません。"
    )
    timetable = queries.current_timetable(
        classroom.school, classroom.school_year, timezone.localdate()
    )
    if timetable is None:
        messages.error(request, "先に時間割を作成してください。")
        return redirect(
            f"{reverse('timetable:grid', args=[classroom.school_id])}"
            f"?year={classroom.school_year.year}"
        )
    return render(request, "timetable/class_edit.html", _edit_context(classroom, timetable))


def _lessons_from_post(request: HttpRequest, weekdays, periods) -> list[dict]:
    lessons = []
    for wd in weekdays:
        for p in periods:
            subject = request.POST.get(f"s-{wd}-{p}", "")
            if not subject:
                continue
            teacher = request.POST.get(f"t-{wd}-{p}", "")
            teacher2 = request.POST.get(f"u-{wd}-{p}", "")
            lessons.append(
                {
                    "weekday": wd,
                    "period": p,
                    "subject": subject,
                    "teachers": [t for t in (teacher, teacher2) if t],
                    "room": request.POST.get(f"r-{wd}-{p}") or None,
                }
            )
    return lessons


@staff_required
@require_POST
def class_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a class's week in one request; clashes come back as warnings (htmx: a fragment)."""
    classroom = request.actor.classroom_or_404(pk)
    timetable = queries.current_timetable(
        classroom.school, classroom.school_year, timezone.localdate()
    )
    if timetable is None:
        raise Http404("時間割がありません。")
    periods = range(1, 13)
    result = None
    try:
        result = services.replace_class_week(
            by=request.actor,
            timetable=timetable,
            classroom=classroom,
            lessons=_lessons_from_post(request, range(6), periods),
        )
    except ValidationError as exc:
        if request.headers.get("HX-Request"):
            return render(
                request,
                "timetable/_class_status.html",
                {**_edit_context(classroom, timetable), "errors": exc.messages},
                status=422,
            )
        _errors(request, exc)
        return redirect("timetable:class-edit", classroom.pk)
    if request.headers.get("HX-Request"):
        return render(
            request, "timetable/_class_status.html", _edit_context(classroom, timetable, result)
        )
    if result.clashes:
        messages.warning(request, f"保存しました（重なり {len(result.clashes)} 件）。")
    else:
        messages.success(request, "保存しました。")
    return redirect("timetable:class-edit", classroom.pk)


# --- a teacher's week, a room's week ---------------------------------------------------------


@staff_required
def my_week(request: HttpRequest) -> HttpResponse:
    staff = Staff.objects.filter(user_id=request.actor.user_id).first()
    if staff is None:
        raise Http404("教職員として登録されていません。")
    return _teacher_page(request, staff)


@staff_required
def teacher_week(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(request.actor.staff_for(), pk=as_pk(pk) or 0)
    return _teacher_page(request, staff)


def _teacher_page(request: HttpRequest, staff: Staff) -> HttpResponse:
    year = _year(request)
    today = _date(request.GET.get("date"), timezone.localdate())
    week = queries.teacher_week(staff, year, today)
    day = [
        (
            school,
            [
                {
                    "period": x.period,
                    "subject": x.subject,
                    "where": names.group(x.group),
                    "status": rules.STATUS_LABELS.get(x.status, ""),
                    "note": x.note,
                    "away": staff.pk in x.absent,
                }
                for x in sorted(d.lessons, key=lambda x: x.period)
            ],
            [
                {
                    "period": x.period,
                    "subject": x.subject,
                    "where": names.group(x.group),
                    "note": x.note,
                }
                for x in d.cancelled
                if staff.pk in x.teachers
            ],
        )
        for school, d, names in queries.my_day(staff, today)
    ]
    return render(
        request,
        "timetable/week.html",
        {
            "week": week,
            "weekdays": [(d, WEEKDAY_LABELS[d]) for d in week.weekdays],
            "show": "teacher",
            "export_url": f"{reverse('timetable:teacher-export', args=[staff.pk])}?year={year.year}",
            "today": today,
            "my_day": day,
            "staff": staff,
            # 兼務: name the school in each cell only when there are two
            "many_schools": len(
                {x.timetable.school_id for lessons in week.cells.values() for x in lessons}
            )
            > 1,
        },
    )


@staff_required
def room_week(request: HttpRequest, pk: int) -> HttpResponse:
    room = get_object_or_404(
        Room.objects.filter(school__in=request.actor.schools()).select_related("school"),
        pk=as_pk(pk) or 0,
    )
    week = queries.room_week(room, _year(request), timezone.localdate())
    return render(
        request,
        "timetable/week.html",
        {
            "week": week,
            "school": room.school,
            "weekdays": [(d, WEEKDAY_LABELS[d]) for d in week.weekdays],
            "show": "room",
        },
    )


# --- bell schedules and rooms ------------------------------------------------------------------


@staff_required
def settings(request: HttpRequest, pk: int) -> HttpResponse:
    """校時表 and 教室 of a school (administrators edit, everyone of the school reads)."""
    school = _school(request, pk)
    year = _year(request)
    return render(
        request,
        "timetable/settings.html",
        {
            "school": school,
            "year": year,
            "schedules": queries.bell_schedules(school, year),
            "bell_days": queries.bell_days(school, year),
            "rooms": queries.rooms_of(school),
            "room_kinds": Room.Kind.choices,
            "bell_kinds": BellSchedule.Kind.choices,
            "can_edit": request.actor.can_edit_timetable(school.pk),
            "period_numbers": range(1, 7),
        },
    )


@staff_required
@require_POST
def bell_save(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    periods = []
    for n in range(0, 9):
        start, end = request.POST.get(f"start-{n}", ""), request.POST.get(f"end-{n}", "")
        if start or end:
            periods.append((n, start, end))
    schedule = None
    if request.POST.get("schedule"):
        schedule = get_object_or_404(
            BellSchedule, pk=as_pk(request.POST["schedule"]) or 0, school=school
        )
    try:
        services.save_bell_schedule(
            by=request.actor,
            school=school,
            school_year=year,
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", "normal"),
            periods=periods,
            is_default=bool(request.POST.get("is_default")),
            schedule=schedule,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "校時表を保存しました。")
    return redirect(f"{reverse('timetable:settings', args=[school.pk])}?year={year.year}")


@staff_required
@require_POST
def bell_day(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule one date uses (a planned 短縮日); empty = back to the default."""
    school = _school(request, pk, edit=True)
    year = _year(request)
    date = _date(request.POST.get("date"), timezone.localdate())
    schedule = None
    if request.POST.get("schedule"):
        schedule = get_object_or_404(
            BellSchedule, pk=as_pk(request.POST["schedule"]) or 0, school=school
        )
    try:
        services.set_bell_day(by=request.actor, school=school, date=date, schedule=schedule)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"{date:%m/%d}の校時表を設定しました。")
    return redirect(f"{reverse('timetable:settings', args=[school.pk])}?year={year.year}")


@staff_required
@require_POST
def room_save(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    room = None
    if request.POST.get("room"):
        room = get_object_or_404(Room, pk=as_pk(request.POST["room"]) or 0, school=school)
    try:
        services.save_room(
            by=request.actor,
            school=school,
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", "ordinary"),
            capacity=request.POST.get("capacity", "1"),
            room=room,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "教室を保存しました。")
    return redirect("timetable:settings", school.pk)


@staff_required
@require_POST
def room_delete(request: HttpRequest, pk: int, room_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    room = get_object_or_404(Room, pk=room_pk, school=school)
    services.delete_room(room, by=request.actor)
    messages.success(request, "教室を削除しました。")
    return redirect("timetable:settings", school.pk)


# --- daily changes ---------------------------------------------------------------------------


@staff_required
def changes(request: HttpRequest, pk: int) -> HttpResponse:
    """時間割変更 of a date: the day's lessons after the changes, and substitutes for an absence."""
    school = _school(request, pk)
    date = _date(request.GET.get("date"), timezone.localdate())
    view = queries.school_day(school, date)
    absent = None
    suggestions: list[rules.Suggestion] = []
    names = view.names
    absent_id = as_pk(request.GET.get("absent"))
    teachers = sorted(view.names.teachers.items(), key=lambda kv: kv[1])
    if absent_id:
        absent = Staff.objects.filter(pk=absent_id).first()
        if absent is not None:
            suggestions, names = queries.substitute_suggestions(school, date, absent)
    lessons_by_class: dict[int, list[tuple]] = {}
    for x in sorted(view.day.lessons, key=lambda x: x.period):
        for c in x.group.classrooms:
            lessons_by_class.setdefault(c, []).append(
                (x.period, x.subject, rules.STATUS_LABELS.get(x.status, ""))
            )

    def people(candidates) -> list[tuple]:
        return [
            (c.teacher, names.teachers.get(c.teacher, ""), "・".join(c.reasons)) for c in candidates
        ]

    offered = [
        {
            "lesson": s.lesson,
            "where": names.group(s.lesson.group),
            "remaining": s.remaining,
            "subs": people(s.substitutes),
            "sups": people(s.supervisors),
        }
        for s in suggestions
    ]
    return render(
        request,
        "timetable/changes.html",
        {
            "school": school,
            "date": date,
            "prev": date - dt.timedelta(days=1),
            "next": date + dt.timedelta(days=1),
            "view": view,
            "names": names,
            "absent": absent,
            "suggestions": offered,
            "teachers": teachers,
            "kinds": DailyChange.Kind.choices,
            "status_labels": rules.STATUS_LABELS,
            "lessons_by_class": [
                (names.classroom(c), ls) for c, ls in sorted(lessons_by_class.items())
            ],
            "can_edit": request.actor.can_edit_timetable(school.pk),
            "weekday": WEEKDAY_LABELS[date.weekday()] if date.weekday() < 6 else "日",
        },
    )


def _notice_rows(view: queries.DayView) -> tuple[list[dict], list[dict]]:
    """変更連絡: per-lesson changes in period order, and the whole-day ones (校時表, 曜日振替)."""
    lessons: list[dict] = []
    day: list[dict] = []
    for c in view.changes:
        teachers = "・".join(t.name for t in c.teachers.all())
        if c.kind == DailyChange.Kind.BELL:
            day.append(
                {
                    "kind": c.get_kind_display(),
                    "what": c.bell_schedule.name if c.bell_schedule else "通常",
                    "note": c.note,
                }
            )
            continue
        if c.kind == DailyChange.Kind.WEEKDAY:
            what = f"{c.get_weekday_display()}曜日の時間割で授業" if c.weekday is not None else ""
            day.append({"kind": c.get_kind_display(), "what": what, "note": c.note})
            continue
        lesson = c.lesson
        where = ""
        if lesson is not None:
            row = view.lessons_by_id.get(lesson.pk)  # carries its group (no extra query)
            if lesson.classroom_id:
                where = lesson.classroom.label
            elif row is not None and row.group is not None:
                where = " ".join(x for x in (row.group.name, row.section) if x)
        elif c.classroom is not None:
            where = c.classroom.label
        period = lesson.period if lesson is not None else c.period
        before = lesson.subject.name if lesson is not None else ""
        after = ""
        who = ""
        if c.kind == DailyChange.Kind.CANCEL:
            after = "なし"
        elif c.kind == DailyChange.Kind.MOVE:
            after = f"{c.period}校時へ移動"
        elif c.kind == DailyChange.Kind.SWAP:
            before = f"{c.period}校時"
            after = f"{c.other_period}校時と交換"
        elif c.kind == DailyChange.Kind.ADD:
            after = c.subject.name if c.subject else ""
            who = teachers
        elif c.kind == DailyChange.Kind.SUBSTITUTE:
            after = before
            who = f"{c.absent.name} → {teachers}" if c.absent else teachers
        elif c.kind == DailyChange.Kind.SELF_STUDY:
            after = "自習"
            who = f"{c.absent.name} → {teachers}（監督）" if c.absent else f"{teachers}（監督）"
        lessons.append(
            {
                "period": period or 0,
                "where": where,
                "kind": c.get_kind_display(),
                "before": before,
                "after": after,
                "who": who,
                "room": c.room.name if c.room else "",
                "note": c.note,
            }
        )
    lessons.sort(key=lambda r: (r["period"], r["where"]))
    return lessons, day


@staff_required
def changes_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """変更連絡: a date's changes on one A4 page for the staff room (print CSS)."""
    school = _school(request, pk)
    date = _date(request.GET.get("date"), timezone.localdate())
    view = queries.school_day(school, date)
    lessons, day = _notice_rows(view)
    return render(
        request,
        "timetable/changes_notice.html",
        {
            "school": school,
            "date": date,
            "weekday": WEEKDAY_LABELS[date.weekday()] if date.weekday() < 6 else "日",
            "lessons": lessons,
            "day": day,
            "printed": timezone.localtime(),
        },
    )


@staff_required
@require_POST
def change_add(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    date = _date(request.POST.get("date"), timezone.localdate())
    teachers = [t for t in request.POST.getlist("teachers") if t]
    try:
        services.add_daily_change(
            by=request.actor,
            school=school,
            date=date,
            kind=request.POST.get("kind", ""),
            lesson=request.POST.get("lesson"),
            classroom=request.POST.get("classroom"),
            period=request.POST.get("period"),
            other_period=request.POST.get("other_period"),
            subject=request.POST.get("subject"),
            teachers=teachers,
            absent=request.POST.get("absent"),
            room=request.POST.get("room"),
            bell_schedule=request.POST.get("bell_schedule"),
            weekday=request.POST.get("weekday"),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "時間割変更を登録しました。")
    back = f"{reverse('timetable:changes', args=[school.pk])}?date={date.isoformat()}"
    if request.POST.get("absent"):
        back += f"&absent={as_pk(request.POST.get('absent')) or ''}"
    return redirect(back)


@staff_required
@require_POST
def change_delete(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    change = get_object_or_404(DailyChange, pk=change_pk, school=school)
    services.delete_daily_change(change, by=request.actor)
    messages.success(request, "時間割変更を取り消しました。")
    return redirect(
        f"{reverse('timetable:changes', args=[school.pk])}?date={change.date.isoformat()}"
    )


# --- class hours (授業時数) ------------------------------------------------------------------


def _tally_rows(tally: rules.Tally) -> list[dict]:
    rows = []
    for c in tally.classes:
        rows.append(
            {
                "hours": c,
                "short": [s for s in c.subjects if s.shortfall],
                "over": c.projected >= national.REVIEW_THRESHOLD_HOURS,
                "planned": rules.format_hours(c.planned),
                "held": rules.format_hours(c.held),
                "projected": rules.format_hours(c.projected),
                "subjects": [
                    {
                        "s": s,
                        "planned": rules.format_hours(s.planned),
                        "held": rules.format_hours(s.held),
                        "projected": rules.format_hours(s.projected),
                        "shortfall": rules.format_hours(s.shortfall) if s.shortfall else "",
                    }
                    for s in c.subjects
                ],
            }
        )
    return rows


@staff_required
def hours(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    year = _year(request)
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    tally = queries.hours_tally(school, year, as_of=as_of)
    return render(
        request,
        "timetable/hours.html",
        {
            "school": school,
            "year": year,
            "as_of": as_of,
            "rows": _tally_rows(tally),
            "warnings": tally.warnings,
            "threshold": national.REVIEW_THRESHOLD_HOURS,
        },
    )


@staff_required
def hours_board(request: HttpRequest) -> HttpResponse:
    """The board's view: every school's tally (classes short, classes at 1,086 or more)."""
    actor = request.actor
    actor.require(actor.sees_every_hours_tally, "全校の授業時数を見る権限がありません。")
    year = _year(request)
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    tallies = queries.municipality_tally(actor.schools().filter(is_active=True), year, as_of=as_of)
    return render(
        request,
        "timetable/hours_board.html",
        {"year": year, "as_of": as_of, "tallies": tallies},
    )


@staff_required
@require_POST
def hours_board_export(request: HttpRequest) -> HttpResponse:
    """Every school's tally as a workbook: started as a job (POST), whose page shows the
    progress school by school and then the download."""
    actor = request.actor
    actor.require(actor.sees_every_hours_tally, "全校の授業時数を見る権限がありません。")
    as_of = _date(request.POST.get("as_of"), timezone.localdate())
    job = timetable_jobs.start_municipality_tally(_year(request), by=actor, as_of=as_of)
    return redirect("jobs:detail", job_id=job.pk)


# --- teaching assignments (担当) of a school: weekly periods -----------------------------------


@staff_required
def assignments(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    year = _year(request)
    return render(
        request,
        "timetable/assignments.html",
        {
            "school": school,
            "year": year,
            "assignments": teaching.assignments_of(school, year),
            "can_edit": request.actor.can_edit_timetable(school.pk) and not year.is_read_only,
            "subjects": curriculum.subjects_of(school),
            "staff": queries.school_staff(school, year),
            "classes": Classroom.objects.filter(school=school, school_year=year),
            "groups": teaching.groups_of(school, year),
        },
    )


@staff_required
@require_POST
def assignment_periods(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    assignment = get_object_or_404(
        teaching.assignments_of(school, _year(request)), pk=assignment_pk
    )
    try:
        teaching.save_assignment(
            by=request.actor,
            school=school,
            school_year=assignment.school_year,
            subject=assignment.subject,
            classroom=assignment.classroom,
            group=assignment.group,
            teachers=list(assignment.teachers.all()),
            weekly_periods=request.POST.get("weekly_periods"),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "週時数を保存しました。")
    return redirect(
        f"{reverse('timetable:assignments', args=[school.pk])}?year={assignment.school_year.year}"
    )


# --- curriculum adjustments (教育課程の調整): the board's standard hours, a school's subjects ----


def _curriculum_grades(school: School) -> list[int]:
    return list(school.grades)


@staff_required
def standards(request: HttpRequest) -> HttpResponse:
    """The board's table of standard hours per grade × subject (national value as default)."""
    actor = request.actor
    actor.require(actor.can_manage_municipality, "標準授業時数を変更する権限がありません。")
    if request.method == "POST":
        stage = request.POST.get("stage", "")
        grades = {s: g for s, _, g in curriculum.STAGES}.get(stage, 0)
        hours = {}
        for subject in curriculum.national_subjects(stage) if grades else []:
            for grade in range(1, grades + 1):
                key = f"h-{grade}-{subject.pk}"
                if key in request.POST:
                    hours[(grade, subject.pk)] = request.POST[key]
        try:
            count = curriculum.save_municipal_standards(by=actor, stage=stage, hours=hours)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"標準授業時数を保存しました（調整 {count} 件）。")
        return redirect("timetable:standards")
    adjusted = curriculum.municipal_rows()
    tables = []
    for stage, label, grades in curriculum.STAGES:
        rows = []
        for subject in curriculum.national_subjects(stage):
            cells = []
            for grade in range(1, grades + 1):
                default = national.standard_hours(stage, grade).get(subject.name)
                mine = adjusted.get((stage, grade), {})
                # Empty input = the national value; 0 = not studied in that grade.
                shown = mine[subject.name] or 0 if subject.name in mine else ""
                cells.append({"grade": grade, "default": default, "value": shown})
            rows.append({"subject": subject, "cells": cells})
        tables.append(
            {"stage": stage, "label": label, "grades": range(1, grades + 1), "rows": rows}
        )
    return render(request, "timetable/standards.html", {"tables": tables})


@staff_required
def school_subjects(request: HttpRequest, pk: int) -> HttpResponse:
    """A school's own subjects (選択・モジュール) and their hours per grade; POST adds one."""
    school = _school(request, pk, edit=request.method == "POST")
    grades = _curriculum_grades(school)
    if request.method == "POST":
        hours = {g: request.POST.get(f"h-{g}", "") for g in grades}
        try:
            curriculum.save_school_subject(
                by=request.actor,
                school=school,
                name=request.POST.get("name", ""),
                short_name=request.POST.get("short_name", ""),
                hours=hours,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "学校独自の教科を登録しました。")
        return redirect("timetable:school-subjects", school.pk)
    hours = curriculum.own_hours(school)
    rows = [
        {"own": own, "hours": [hours.get(own.subject_id, {}).get(g) for g in grades]}
        for own in curriculum.own_subjects(school)
    ]
    return render(
        request,
        "timetable/school_subjects.html",
        {
            "school": school,
            "grades": grades,
            "rows": rows,
            "can_edit": request.actor.can_edit_timetable(school.pk),
        },
    )


@staff_required
@require_POST
def school_subject_save(request: HttpRequest, pk: int, own_subject_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    own = get_object_or_404(SchoolSubject, pk=own_subject_pk, school=school)
    try:
        curriculum.save_school_subject(
            by=request.actor,
            school=school,
            name=own.subject.name,
            hours={g: request.POST.get(f"h-{g}", "") for g in _curriculum_grades(school)},
            own=own,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "時数を保存しました。")
    return redirect("timetable:school-subjects", school.pk)


@staff_required
@require_POST
def school_subject_delete(request: HttpRequest, pk: int, own_subject_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    own = get_object_or_404(SchoolSubject, pk=own_subject_pk, school=school)
    try:
        curriculum.delete_school_subject(own, by=request.actor)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "学校独自の教科を削除しました。")
    return redirect("timetable:school-subjects", school.pk)


# --- Excel: exports, and the whole-school grid's import (upload → preview → confirm) ---------


def _day(request: HttpRequest) -> dt.date:
    return _date(request.GET.get("date"), timezone.localdate())


@staff_required
def grid_export(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    year = _year(request)
    view = queries.grid(school, year, date=_day(request))
    services.record_export(
        "grid",
        view.timetable,
        by=request.actor,
        school=school,
        params={"school_year": year.year, "classes": len(view.rows)},
    )
    return excel.grid_workbook(view).response(f"全校時間割_{school.name}_{year.year}.xlsx")


@staff_required
def teachers_export(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    year = _year(request)
    view = queries.grid(school, year, date=_day(request))
    services.record_export(
        "teachers",
        view.timetable,
        by=request.actor,
        school=school,
        params={"school_year": year.year},
    )
    return excel.teachers_workbook(school, year, view).response(
        f"教員別時間割_{school.name}_{year.year}.xlsx"
    )


@staff_required
def class_export(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = request.actor.classroom_or_404(pk)
    week = queries.class_week(classroom, _day(request))
    services.record_export(
        "class_week",
        classroom,
        by=request.actor,
        school=classroom.school,
        params={"classroom": classroom.label, "school_year": classroom.school_year.year},
    )
    book = excel.week_workbook(
        week, heading=f"{classroom.label} 時間割", subheading=f"{classroom.school.name}"
    )
    return book.response(f"時間割_{classroom.label}.xlsx")


@staff_required
def teacher_export(request: HttpRequest, pk: int) -> HttpResponse:
    own = Staff.objects.filter(user_id=request.actor.user_id, pk=as_pk(pk) or 0).first()
    staff = own or get_object_or_404(request.actor.staff_for(), pk=as_pk(pk) or 0)
    year = _year(request)
    week = queries.teacher_week(staff, year, _day(request))
    services.record_export(
        "teacher_week",
        staff,
        by=request.actor,
        school=None,
        params={"staff": staff.name, "school_year": year.year},
    )
    book = excel.week_workbook(week, heading=f"{staff.name} 週の授業", subheading=str(year))
    return book.response(f"週の授業_{staff.name}.xlsx")


@staff_required
def hours_export(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    year = _year(request)
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    tally = queries.hours_tally(school, year, as_of=as_of)
    services.record_export(
        "hours",
        school,
        by=request.actor,
        school=school,
        params={"school_year": year.year, "as_of": as_of.isoformat()},
    )
    return excel.hours_workbook(school, year, tally, as_of=as_of).response(
        f"授業時数_{school.name}_{year.year}.xlsx"
    )


GRID_IMPORT = import_pages.PageImport(
    kind=imports.KIND,
    limits=imports.LIMITS,
    template="timetable/grid_import.html",
    form_url="timetable:grid-import",
    plan=imports.plan_grid_import,
    commit=imports.commit_grid_import,
    pending=lambda plan: bool(plan.changed),
    context=lambda: {"limits": imports.LIMITS.describe()},
)


@staff_required
def grid_import(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: the preview of an uploaded grid (nothing written)."""
    school = _school(request, pk, edit=True)
    return import_pages.preview(request, GRID_IMPORT, school, _year(request))


@staff_required
@require_POST
def grid_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a previewed grid: every changed class in one transaction, or nothing."""
    school = _school(request, pk, edit=True)
    year = _year(request)
    plan = import_pages.confirm(request, GRID_IMPORT, school, year)
    if isinstance(plan, HttpResponse):
        return plan
    note = f"（重なり {plan.clashes} 件）" if plan.clashes else ""
    messages.success(request, f"時間割を取り込みました（{len(plan.changed)}学級を変更）{note}。")
    return redirect(f"{reverse('timetable:grid', args=[school.pk])}?year={year.year}")


# --- teachers' unavailable periods (授業不可) ---------------------------------------------------


def _periods_of(school: School, year: SchoolYear) -> list[int]:
    bell = queries.default_bell(school, year)
    numbers = [p.number for p in bell.periods.all()] if bell is not None else []
    return numbers or list(range(1, 7))


@staff_required
def unavailability(request: HttpRequest, pk: int) -> HttpResponse:
    """授業不可の時間: per teacher a weekday × period grid of checkboxes with a reason."""
    school = _school(request, pk, edit=request.method == "POST")
    year = _year(request)
    staff = queries.timetable_staff(school, year)
    by_id = {s.pk: s for s in staff}
    chosen = by_id.get(as_pk(request.GET.get("staff") or request.POST.get("staff")) or 0)
    if request.method == "POST":
        if chosen is None:
            raise Http404("先生が見つかりません。")
        slots = []
        for value in request.POST.getlist("slot"):
            weekday, _, period = str(value).partition("-")
            slots.append((weekday, period))
        try:
            services.set_unavailability(
                by=request.actor,
                school=school,
                school_year=year,
                staff=chosen,
                slots=slots,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{chosen.name}先生の授業不可の時間を保存しました。")
        return redirect(
            f"{reverse('timetable:unavailability', args=[school.pk])}"
            f"?year={year.year}&staff={chosen.pk}"
        )
    rows = queries.unavailability_rows(school, year)
    marked: dict[int, set[tuple[int, int]]] = {}
    reasons: dict[int, str] = {}
    for r in rows:
        marked.setdefault(r.staff_id, set()).add((r.weekday, r.period))
        if r.reason:
            reasons[r.staff_id] = r.reason
    periods = _periods_of(school, year)
    weekdays = list(range(5))  # 月〜金: the grid has no Saturday lessons
    mine = marked.get(chosen.pk, set()) if chosen else set()
    grid_rows = [
        (
            p,
            [(w, f"{w}-{p}", (w, p) in mine, f"{WEEKDAY_LABELS[w]}曜{p}校時") for w in weekdays],
        )
        for p in periods
    ]
    summary = [
        (
            s,
            "、".join(f"{WEEKDAY_LABELS[w]}{p}" for w, p in sorted(marked[s.pk])),
            reasons.get(s.pk, ""),
        )
        for s in staff
        if s.pk in marked
    ]
    return render(
        request,
        "timetable/unavailability.html",
        {
            "school": school,
            "year": year,
            "staff": [(s, len(marked.get(s.pk, ()))) for s in staff],
            "chosen": chosen,
            "reason": reasons.get(chosen.pk, "") if chosen else "",
            "weekday_labels": [WEEKDAY_LABELS[w] for w in weekdays],
            "grid_rows": grid_rows,
            "summary": summary,
            "can_edit": request.actor.can_edit_timetable(school.pk) and not year.is_read_only,
        },
    )


# --- teaching groups (授業グループ) and assignments (担当) -------------------------------------


@staff_required
def groups(request: HttpRequest, pk: int) -> HttpResponse:
    """授業グループ: 合同, 分割, 選択, 交流 with their classes and students; create and edit."""
    school = _school(request, pk, edit=request.method == "POST")
    year = _year(request)
    existing = {g.pk: g for g in teaching.groups_of(school, year).prefetch_related("students")}
    wanted = as_pk(request.GET.get("group") or request.POST.get("group"))
    chosen = existing.get(wanted or 0)
    if request.method == "POST":
        if wanted and chosen is None:
            raise Http404("グループが見つかりません。")
        classes = list(
            Classroom.objects.filter(
                school=school,
                school_year=year,
                pk__in=[as_pk(v) or 0 for v in request.POST.getlist("classes")],
            )
        )
        students = list(
            Student.objects.filter(
                enrolments__classroom__school=school,
                enrolments__classroom__school_year=year,
                pk__in=[as_pk(v) or 0 for v in request.POST.getlist("students")],
            ).distinct()
        )
        try:
            group = teaching.save_group(
                by=request.actor,
                school=school,
                school_year=year,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                classes=classes,
                students=students,
                group=chosen,
            )
        except ValidationError as exc:
            _errors(request, exc)
            target = f"?year={year.year}" + (f"&group={chosen.pk}" if chosen else "")
        else:
            messages.success(request, f"グループ「{group.name}」を保存しました。")
            target = f"?year={year.year}&group={group.pk}"
        return redirect(reverse("timetable:groups", args=[school.pk]) + target)
    roster = school_queries.school_roster(school, year)
    in_group = {s.pk for s in chosen.students.all()} if chosen else set()
    class_ids = {c.pk for c in chosen.classes.all()} if chosen else set()
    return render(
        request,
        "timetable/groups.html",
        {
            "school": school,
            "year": year,
            "groups": list(existing.values()),
            "chosen": chosen,
            "kinds": TeachingGroup.Kind.choices,
            "classes": [(b.classroom, b.classroom.pk in class_ids) for b in roster],
            "roster": [
                (
                    b.classroom,
                    [(e.student, e.student.pk in in_group) for e in b.enrolments if not e.left_on],
                    any(e.student.pk in in_group for e in b.enrolments),
                )
                for b in roster
            ],
            "can_edit": request.actor.can_edit_timetable(school.pk) and not year.is_read_only,
        },
    )


@staff_required
@require_POST
def group_delete(request: HttpRequest, pk: int, group_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    group = get_object_or_404(TeachingGroup, pk=group_pk, school=school)
    year = group.school_year
    try:
        teaching.delete_group(group, by=request.actor)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "グループを削除しました。")
    return redirect(f"{reverse('timetable:groups', args=[school.pk])}?year={year.year}")


@staff_required
@require_POST
def assignment_save(request: HttpRequest, pk: int) -> HttpResponse:
    """担当の追加・変更: a class (or group) × subject, its teachers (TT: several) and 週時数."""
    school = _school(request, pk, edit=True)
    year = _year(request)
    classroom = group = None
    target = str(request.POST.get("target", ""))
    kind, _, key = target.partition("-")
    if kind == "c":
        classroom = Classroom.objects.filter(
            school=school, school_year=year, pk=as_pk(key) or 0
        ).first()
    elif kind == "g":
        group = TeachingGroup.objects.filter(
            school=school, school_year=year, pk=as_pk(key) or 0
        ).first()
    subject = Subject.objects.filter(
        school_type=school.school_type, pk=as_pk(request.POST.get("subject")) or 0
    ).first()
    staff = {s.pk: s for s in queries.school_staff(school, year)}
    chosen = [
        staff[t]
        for t in dict.fromkeys(as_pk(v) for v in request.POST.getlist("teachers"))
        if t in staff
    ]
    back = f"{reverse('timetable:assignments', args=[school.pk])}?year={year.year}"
    if subject is None or (classroom is None and group is None):
        messages.error(request, "学級（またはグループ）と教科を選んでください。")
        return redirect(back)
    try:
        teaching.save_assignment(
            by=request.actor,
            school=school,
            school_year=year,
            subject=subject,
            classroom=classroom,
            group=group,
            teachers=chosen,
            weekly_periods=request.POST.get("weekly_periods"),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        where = classroom.label if classroom else group.name
        messages.success(request, f"{where} {subject.name}の担当を保存しました。")
    return redirect(back)


@staff_required
@require_POST
def assignment_delete(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    year = _year(request)
    assignment = get_object_or_404(teaching.assignments_of(school, year), pk=assignment_pk)
    try:
        teaching.delete_assignment(assignment, by=request.actor)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "担当を削除しました。")
    return redirect(f"{reverse('timetable:assignments', args=[school.pk])}?year={year.year}")
