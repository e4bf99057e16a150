"""A job the API started, as a resource: ``/api/v1/jobs/<id>/`` (tenants.jobs underneath).

A long call (a large import's preview or commit) answers ``202 Accepted`` with this body and
a ``Location``; the client polls it until ``status`` is one of the finished states, then
reads ``result``: the body the call would have answered at once, with its HTTP status in
``result_status`` (200, or 409 for a refused commit). Only the person who started a job sees
it (404 for anyone else); ``DELETE`` or ``POST .../cancel/`` cancels it (a commit cancelled
while it writes rolls back: nothing written).

The apps' API modules say how their kinds' results read (``renders``): the job keeps what the
page path keeps (a plan's snapshot), the API renders its own body from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import error_body
from api.routers import router
from schools.permissions import get_actor
from tenants import jobs

# kind -> (job) -> (HTTP status, body) of a finished job's result, or None (not the API's)
Renderer = Callable[[Any], tuple[int, dict[str, Any]] | None]
_RENDERERS: dict[str, Renderer] = {}


def renders(*kinds: str) -> Callable[[Renderer], Renderer]:
    """Register how a succeeded job of ``kinds`` reads in the API."""

    def register(fn: Renderer) -> Renderer:
        for kind in kinds:
            _RENDERERS[kind] = fn
        return fn

    return register


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="済んだ数 (行・件)")
    total = serializers.IntegerField(allow_null=True, help_text="全体の数（不明なら null）")
    message = serializers.CharField(allow_blank=True, help_text="いま何をしているか（日本語）")


@extend_schema_field(
    {
        "nullable": True,
        "description": "終わった処理の結果: 同期で呼んだときと同じ本文 "
        "(プレビュー・確定の結果・確定できなかった理由)。終わるまでは null",
        "oneOf": [
            {"$ref": "#/components/schemas/ImportPreview"},
            {"$ref": "#/components/schemas/ImportResult"},
            {"$ref": "#/components/schemas/ImportRefusal"},
        ],
    }
)
class JobResultField(serializers.JSONField):
    pass


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.CharField(help_text="処理の名前（日本語）")
    status = serializers.ChoiceField(
        choices=["queued", "running", "succeeded", "failed", "cancelled"],
        help_text="queued・running のあいだはこの URL を問い合わせ続けてください",
    )
    progress = JobProgressSerializer()
    error = serializers.CharField(allow_blank=True, help_text="failed のときの理由（日本語）")
    result_status = serializers.IntegerField(
        allow_null=True, help_text="同期で呼んだときの HTTP ステータス (200・409)"
    )
    result = JobResultField()
    url = serializers.CharField(help_text="この処理の URL（問い合わせ・取り消し）")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def job_url(job) -> str:
    return reverse("api:jobs-detail", args=[job.pk])


def job_body(job) -> dict[str, Any]:
    result_status, result = None, None
    if job.state == job.State.SUCCEEDED and job.kind in _RENDERERS:
        result_status, result = _RENDERERS[job.kind](job) or (None, None)
    return {
        "id": job.pk,
        "kind": job.kind,
        "label": jobs.label_of(job.kind),
        "status": job.state,
        "progress": {
            "done": job.progress_done,
            "total": job.progress_total,
            "message": job.progress_message,
        },
        "error": job.error,
        "result_status": result_status,
        "result": result,
        "url": job_url(job),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def accepted(request: Request, job) -> Response:
    """``202 Accepted``: the job's body, ``Location`` its URL."""
    job.refresh_from_db()  # a quick job may already have moved on
    return Response(
        JobSerializer(job_body(job)).data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": request.build_absolute_uri(job_url(job))},
    )


def _own_job(request: Request, pk: object):
    """The caller's own job of this municipality; 404 for anyone else's (no board exception:
    an import's preview carries its confirmation)."""
    actor = get_actor(request)
    job = jobs.find(int(str(pk))) if str(pk).isdigit() else None
    if (
        job is None
        or not actor.owns_job(job.requested_by_id)  # type: ignore[attr-defined]
        or job.schema_name != connection.schema_name
    ):
        raise Http404("処理が見つかりません。")
    return job


class JobViewSet(viewsets.ViewSet):
    """The caller's jobs: follow one (GET), cancel it (DELETE or POST ``cancel/``)."""

    @extend_schema(
        summary="処理の進み具合と結果",
        responses={200: JobSerializer, 404: OpenApiResponse(description="処理が見つからない")},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(JobSerializer(job_body(_own_job(request, pk))).data)

    @extend_schema(
        summary="処理を取り消す（確定の途中でも何も書き込まれない）",
        responses={
            202: JobSerializer,
            404: OpenApiResponse(description="処理が見つからない"),
            409: OpenApiResponse(description="すでに終わっている"),
        },
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        return self._cancel(request, pk)

    @extend_schema(
        summary="処理を取り消す（DELETE と同じ）",
        request=None,
        responses={
            202: JobSerializer,
            404: OpenApiResponse(description="処理が見つからない"),
            409: OpenApiResponse(description="すでに終わっている"),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._cancel(request, pk)

    @staticmethod
    def _cancel(request: Request, pk: str | None) -> Response:
        job = _own_job(request, pk)
        if not jobs.cancel(job):
            return Response(
                error_body("finished", "この処理はすでに終わっています。"),
                status=status.HTTP_409_CONFLICT,
            )
        job.refresh_from_db()
        return Response(JobSerializer(job_body(job)).data, status=status.HTTP_202_ACCEPTED)


router.register("jobs", JobViewSet, basename="jobs")
