"""自動作成 pages: state the week, pin lessons, generate or repair, compare, apply."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from schools import calendar
from schools.models import Classroom, Subject, TeachingGroup
from schools.permissions import as_pk, staff_required
from tenants import jobs
from timetable import fet_import, generating, import_pages, planning, queries, services
from timetable.generation import fet
from timetable.models import WEEKDAYS, Lesson, Timetable
from timetable.views import _errors, _school, _year


def _timetable(request: HttpRequest, school) -> Timetable:
    year = _year(request)
    timetable = queries.current_timetable(school, year, timezone.localdate())
    if timetable is None:
        raise Http404("この年度の時間割がまだありません。全校時間割のページで作成してください。")
    return timetable


def _generate_page(timetable: Timetable) -> str:
    """The 自動作成 page of the timetable's school and year (where its forms come back to)."""
    return f"{reverse('timetable:generate', args=[timetable.school_id])}?year={timetable.school_year.year}"


def _weekly_periods(timetable: Timetable, most: int) -> list[int]:
    """Each weekday's periods as the timetable has them today (a short day stays short)."""
    found = defaultdict(int)
    for weekday, period, length in timetable.lessons.values_list("weekday", "period", "length"):
        found[weekday] = max(found[weekday], period + length - 1)
    if not found:
        return [most] * 5
    return [found.get(d, 0) or most for d in range(max(5, max(found) + 1))]


def _cells(
    rows: list[tuple[int | None, int | None, int, int, int, int]],
    groups: dict[int, list[int]],
) -> dict[tuple[int, int, int], list[int]]:
    """(class, weekday, period) -> subjects, a group's lesson shown in each of its classes
    and a 2時間続き in both its periods."""
    cells: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for classroom_id, group_id, subject_id, weekday, period, length in rows:
        for c in [classroom_id] if classroom_id else groups.get(group_id, []):
            for k in range(length or 1):
                cells[(c, weekday, period + k)].append(subject_id)
    return cells


@staff_required
def generate(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    timetable = _timetable(request, school)
    most = calendar.periods_per_day(school)
    lessons = list(
        Lesson.objects.filter(timetable=timetable)
        .select_related("subject", "classroom", "group")
        .order_by("classroom__grade", "classroom__name", "weekday", "period")
    )
    proposals = [
        j
        for j in jobs.recent(kind=generating.GENERATE, limit=20)
        if j.params.get("school_id") == school.pk
    ]
    return render(
        request,
        "timetable/generate.html",
        {
            "school": school,
            "timetable": timetable,
            "year": timetable.school_year,
            "modes": planning.MODES.items(),
            "periods": list(zip(WEEKDAYS, _weekly_periods(timetable, most), strict=False)),
            "most": most,
            "time_limits": generating.TIME_LIMITS,
            "lessons": lessons,
            "pinned": sum(1 for x in lessons if x.pinned),
            "proposals": proposals,
        },
    )


@staff_required
@require_POST
def generate_start(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    timetable = _timetable(request, school)
    periods = [request.POST.get(f"periods_{d}", "") for d in range(6)]
    if periods[-1] == "":
        periods = periods[:5]
    try:
        job = generating.start(
            timetable,
            by=request.actor,
            mode=request.POST.get("mode", ""),
            periods=periods,
            time_limit=request.POST.get("time_limit"),
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(_generate_page(timetable))
    return redirect("timetable:proposal", pk=school.pk, job_id=job.pk)


@staff_required
@require_POST
def pins(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk, edit=True)
    timetable = _timetable(request, school)
    wanted = {as_pk(x) for x in request.POST.getlist("pinned")} - {None}
    try:
        count = generating.set_pins(timetable, wanted, by=request.actor)  # type: ignore[arg-type]
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"固定する授業を {count} コマにしました。")
    return redirect(_generate_page(timetable))


def _proposal(request: HttpRequest, pk: int, job_id: int):
    school = _school(request, pk, edit=True)
    job = jobs.find(job_id)
    proposal = generating.proposal_of(job, school.pk)
    if proposal is None:
        raise Http404("自動作成の案が見つかりません。")
    timetable = Timetable.objects.filter(pk=job.params.get("timetable_id"), school=school).first()
    if timetable is None:
        raise Http404("時間割が見つかりません。")
    return school, job, proposal, timetable


@staff_required
def proposal(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    school, job, result, timetable = _proposal(request, pk, job_id)
    context = {
        "school": school,
        "job": job,
        "label": jobs.label_of(job.kind),
        "result": result,
        "timetable": timetable,
        "year": timetable.school_year,
    }
    if result.get("status") == "solved":
        classes = list(Classroom.objects.filter(school=school, school_year=timetable.school_year))
        groups = {
            g.pk: [c.pk for c in g.classes.all()]
            for g in TeachingGroup.objects.filter(school=school).prefetch_related("classes")
        }
        subjects = {
            pk: short or name
            for pk, name, short in Subject.objects.values_list("pk", "name", "short_name")
        }
        now = _cells(
            list(
                Lesson.objects.filter(timetable=timetable).values_list(
                    "classroom_id", "group_id", "subject_id", "weekday", "period", "length"
                )
            ),
            groups,
        )
        specs = result["specs"]
        new = _cells(
            [
                (*specs[str(aid)][:3], d, p, rest[1] if len(rest) > 1 else 1)
                for aid, d, p, *rest in result["lessons"]
            ],
            groups,
        )
        days = job.params["periods"]
        slots = [(d, p) for d, n in enumerate(days) for p in range(1, n + 1)]
        context |= {
            "days": [(WEEKDAYS[d][1], n) for d, n in enumerate(days) if n],
            "slots": slots,
            "rows": [
                (
                    c,
                    [
                        (
                            "・".join(subjects.get(s, "") for s in new.get((c.pk, d, p), [])),
                            "・".join(subjects.get(s, "") for s in now.get((c.pk, d, p), [])),
                            sorted(new.get((c.pk, d, p), [])) != sorted(now.get((c.pk, d, p), [])),
                            p == 1,
                        )
                        for d, p in slots
                    ],
                )
                for c in classes
            ],
            "changed": planning.fingerprint(timetable) != job.params.get("fingerprint"),
        }
    return render(request, "timetable/proposal.html", context)


@staff_required
@require_POST
def proposal_apply(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    school, job, _, timetable = _proposal(request, pk, job_id)
    try:
        count = generating.apply(timetable, job, by=request.actor)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("timetable:proposal", pk=school.pk, job_id=job.pk)
    messages.success(request, f"自動作成の案を時間割に反映しました ({count}コマ)。")
    return redirect(
        f"{reverse('timetable:grid', args=[school.pk])}?year={timetable.school_year.year}"
    )


@staff_required
def fet_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's rules as a FET file; with ``?timetable=1`` the current week too, locked."""
    school = _school(request, pk, edit=True)
    timetable = _timetable(request, school)
    periods = _weekly_periods(timetable, calendar.periods_per_day(school))
    plan = planning.plan_for(timetable, periods=periods)
    with_week = request.GET.get("timetable") == "1"
    try:
        body = fet.write_problem(plan.problem, plan.current if with_week else None)
    except fet.FetError as exc:
        messages.error(request, str(exc))
        return redirect(_generate_page(timetable))
    services.record_export(
        "fet", timetable, by=request.actor, school=school, params={"timetable": with_week}
    )
    name = f"{school.name}_{timetable.school_year.year}{'_時間割' if with_week else ''}.fet"
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- FET in (timetable/fet_import/): upload → preview → confirm ---------------------------


FET_IMPORT = import_pages.PageImport(
    kind=fet_import.KIND,
    limits=fet_import.LIMITS,
    template="timetable/fet_import.html",
    form_url="timetable:fet-import",
    plan=fet_import.plan_fet_import,
    commit=fet_import.commit_fet_import,
    pending=lambda plan: plan.has_changes,
    context=lambda: {"limits": fet_import.LIMITS_TEXT},
    preview_context=lambda plan: {"grid": plan.grid() if plan.lessons else None},
)


@staff_required
def fet_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: the preview of an uploaded .fet file (nothing written)."""
    school = _school(request, pk, edit=True)
    return import_pages.preview(request, FET_IMPORT, school, _year(request))


@staff_required
@require_POST
def fet_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a previewed .fet file: everything in one transaction, or nothing."""
    school = _school(request, pk, edit=True)
    year = _year(request)
    plan = import_pages.confirm(request, FET_IMPORT, school, year)
    if isinstance(plan, HttpResponse):
        return plan
    counts = plan.counts()
    note = f"（重なり {plan.clashes} 件）" if plan.clashes else ""
    messages.success(
        request,
        f"FETファイルを取り込みました（担当 新規{counts['assignments_new']}件・"
        f"変更{counts['assignments_changed']}件、授業 {counts['lessons']}コマ）{note}。",
    )
    if plan.timetable is not None:
        return redirect(f"{reverse('timetable:grid', args=[school.pk])}?year={year.year}")
    return redirect(f"{reverse('timetable:assignments', args=[school.pk])}?year={year.year}")
