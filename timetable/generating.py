"""自動作成: generate (or repair) a school's weekly timetable as a job, then apply or discard.

The job reads the school's rules (:mod:`timetable.planning`), runs the pure solver
(:mod:`timetable.generation`) and keeps its proposal in the job's result; nothing changes until
the 教務主任 applies it, in one audited change, and only if neither the timetable nor the
assignments changed meanwhile. Discarding is not applying: the proposal stays in the job list.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections, transaction

from schools import audit, calendar
from schools.permissions import Actor, actor_for_user
from tenants import jobs
from timetable import planning, services
from timetable.generation import solver
from timetable.models import WEEKDAYS, Lesson, Room, Timetable

GENERATE = "timetable.generate"
TIME_LIMITS = (10, 30, 60, 120)
# the search ends when the preferences have not improved for this long (seconds): a school
# waits seconds for its timetable, not the whole time limit for the last points of a wish
PATIENCE = 8.0
CHANGED = (
    "この案を作った後で、時間割または担当が変更されました。今の内容でもう一度自動作成してください。"
)


def _editable(timetable: Timetable, by: Actor) -> None:
    """The timetable services' own checks: an editor of the school, a year not archived."""
    services.require_editor(by, timetable.school_id)
    services.require_writable(timetable.school_year)


def _cancel_asked(ctx) -> Callable[[], bool]:
    """Asked by the solver's watchdog about once a second: stop searching when the person
    pressed 取り消す (or the worker is shutting down); the job then ends by ``ctx.check()``."""

    def asked() -> bool:
        try:
            ctx.check()
        except Exception:  # Cancelled / Interrupted, raised again in the job's own thread
            return True
        finally:
            connections.close_all()  # this thread's own, if it had to open one
        return False

    return asked


def _workers() -> int:
    """CP-SAT's parallel search: every core of the worker machine, at most 8."""
    return int(getattr(settings, "AI_SOLVER_WORKERS", 0)) or max(1, min(8, os.cpu_count() or 1))


def _periods(value: object, most: int) -> list[int]:
    try:
        periods = [int(x) for x in value]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValidationError({"periods": "曜日ごとの校時数は数で入力してください。"}) from None
    if not 5 <= len(periods) <= 6 or any(not 0 <= p <= most for p in periods):
        raise ValidationError(
            {
                "periods": f"曜日ごとの校時数は 0〜{most} で、月〜金 (または土) の分を入力してください。"
            }
        )
    if not any(periods):
        raise ValidationError({"periods": "授業のある曜日がありません。"})
    return periods


def start(
    timetable: Timetable,
    *,
    by: Actor,
    mode: str,
    periods: object,
    time_limit: object,
):
    """Queue the generation of ``timetable`` (returns the job)."""
    _editable(timetable, by)
    if mode not in planning.MODES:
        raise ValidationError({"mode": "作り方を選んでください。"})
    try:
        seconds = int(time_limit)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = 0
    if seconds not in TIME_LIMITS:
        raise ValidationError({"time_limit": "制限時間を選んでください。"})
    most = calendar.periods_per_day(timetable.school)
    return jobs.enqueue(
        GENERATE,
        requested_by_id=by.user_id,
        requested_by_name=audit.display_name(by),
        params={
            "school_id": timetable.school_id,
            "timetable_id": timetable.pk,
            "mode": mode,
            "periods": _periods(periods, most),
            "time_limit": seconds,
            "fingerprint": planning.fingerprint(timetable),
        },
    )


@jobs.kind(GENERATE, label="時間割の自動作成")
def generate(ctx, params: dict[str, Any]) -> dict[str, Any]:
    # Asked again when it runs (a role taken away while the job waited counts); a job that
    # no person requested was started by a command or a benchmark, as the system.
    if ctx.requested_by_id is None:
        by = Actor.system(ctx.requested_by_name or "job")
    else:
        by = actor_for_user(get_user_model().objects.filter(pk=ctx.requested_by_id).first())
    timetable = (
        Timetable.objects.select_related("school", "school_year")
        .filter(pk=params.get("timetable_id"))
        .first()
    )
    if timetable is None:
        raise jobs.JobError("時間割が見つかりません (削除された可能性があります)。")
    services.require_editor(by, timetable.school_id)
    ctx.progress(0, None, "条件を読み込んでいます")
    plan = planning.plan_for(timetable, mode=params["mode"], periods=params["periods"])
    n = len(plan.specs)  # lessons (a 合同 lesson's shadows in a shared room are not)
    ctx.progress(0, None, f"{n}コマの置き場所を探しています (最大{params['time_limit']}秒)")
    if params["mode"] == "repair":
        result = solver.repair(
            plan.problem,
            plan.current,
            time_limit=float(params["time_limit"]),
            workers=_workers(),
            seed=0,
            stop=_cancel_asked(ctx),
        )
    else:
        result = solver.solve(
            plan.problem,
            time_limit=float(params["time_limit"]),
            workers=_workers(),
            seed=0,
            stop=_cancel_asked(ctx),
            patience=PATIENCE,
        )
    ctx.check()  # a cancel that stopped the search ends the job here
    # [activity, weekday, period, room, length]: a 2時間続き is one lesson of length 2
    lessons = [
        [
            aid,
            p.day,
            p.hour + 1,
            plan.rooms.get(p.room) if p.room else None,
            plan.problem.activity(aid).duration,
        ]
        for aid, p in sorted(result.placements.items())
        if aid in plan.specs
    ]
    moved = sorted(
        f"{plan.specs[aid].label}: {_slot(plan.current[aid])} → {_slot((p.day, p.hour))}"
        for aid, p in result.placements.items()
        if aid in plan.current and plan.current[aid] != (p.day, p.hour)
    )
    return {
        "status": result.status,
        "reasons": result.reasons,
        "notes": plan.notes,
        "soft_total": result.soft_total,
        "seconds": round(result.wall_seconds, 2),
        "first_seconds": (
            round(result.first_solution_seconds, 2) if result.first_solution_seconds else None
        ),
        "activities": n,
        "lessons": lessons,
        "specs": {
            str(aid): [
                s.classroom_id,
                s.group_id,
                s.subject_id,
                list(s.teacher_ids),
                s.division,
                s.section,
            ]
            for aid, s in plan.specs.items()
        },
        "pinned": sorted(plan.pinned),
        "moved": moved,
        "placed_before": len(plan.current),
        "wishes": _wishes(plan, result),
    }


def _wishes(plan: planning.Plan, result: solver.Result) -> list[list]:
    """The soft score by rule: [label, weight, in the proposal, in the current week]."""
    now = planning.broken_wishes(plan, plan.current)
    new = planning.broken_wishes(
        plan, {aid: (p.day, p.hour) for aid, p in result.placements.items()}
    )
    return [
        [label, weight, broken if result.solved else None, before]
        for (label, weight, broken), (_, _, before) in zip(new, now, strict=True)
    ]


def _slot(slot: tuple[int, int]) -> str:
    return f"{WEEKDAYS[slot[0]][1]}{slot[1] + 1}"


def proposal_of(job, school_id: int) -> dict[str, Any] | None:
    """The job's proposal when it is a generation of ``school_id``'s timetable (else None)."""
    if job is None or job.kind != GENERATE or job.params.get("school_id") != school_id:
        return None
    return job.result_data or {}


@transaction.atomic
def apply(timetable: Timetable, job, *, by: Actor) -> int:
    """Replace the timetable's lessons by the job's proposal (one audited change)."""
    _editable(timetable, by)
    proposal = proposal_of(job, timetable.school_id)
    if proposal is None or job.params.get("timetable_id") != timetable.pk:
        raise ValidationError("この時間割の自動作成の案ではありません。")
    if proposal.get("status") != "solved":
        raise ValidationError("この案には時間割がありません。")
    # Locked: two 教務主任 applying at once cannot both pass the check below.
    Timetable.objects.select_for_update().filter(pk=timetable.pk).first()
    if planning.fingerprint(timetable) != job.params.get("fingerprint"):
        raise ValidationError(CHANGED)
    specs = proposal["specs"]
    pinned = set(proposal.get("pinned", []))
    rooms = set(Room.objects.filter(school=timetable.school_id).values_list("pk", flat=True))
    removed = Lesson.objects.filter(timetable=timetable).count()
    Lesson.objects.filter(timetable=timetable).delete()
    rows, teachers = [], []
    for aid, weekday, period, room, *length in proposal["lessons"]:
        classroom_id, group_id, subject_id, teacher_ids, division, section = specs[str(aid)]
        rows.append(
            Lesson(
                timetable=timetable,
                weekday=weekday,
                period=period,
                length=length[0] if length else 1,
                classroom_id=classroom_id,
                group_id=group_id,
                subject_id=subject_id,
                division=division,
                section=section,
                room_id=room if room in rooms else None,
                pinned=aid in pinned,
            )
        )
        teachers.append(teacher_ids)
    created = services.create_lessons(rows, teachers)
    audit.record(
        by,
        "timetable.timetable.generate",
        timetable,
        school=timetable.school,
        changes={
            "job": job.pk,
            "mode": job.params.get("mode"),
            "removed": removed,
            "lessons": len(created),
            "moved": len(proposal.get("moved", [])),
        },
    )
    return len(created)


@transaction.atomic
def set_pins(timetable: Timetable, lesson_ids: set[int], *, by: Actor) -> int:
    """固定: exactly ``lesson_ids`` of the timetable are pinned (one audited change)."""
    _editable(timetable, by)
    lessons = Lesson.objects.filter(timetable=timetable)
    before = set(lessons.filter(pinned=True).values_list("pk", flat=True))
    wanted = set(lessons.filter(pk__in=lesson_ids).values_list("pk", flat=True))
    lessons.filter(pk__in=wanted - before).update(pinned=True)
    lessons.filter(pk__in=before - wanted).update(pinned=False)
    if before != wanted:
        audit.record(
            by,
            "timetable.lesson.pin",
            timetable,
            school=timetable.school,
            changes={"pinned": [len(before), len(wanted)]},
        )
    return len(wanted)
