"""Every spreadsheet import as an API call: upload → preview (JSON) → commit with its token.

The pages and the API share the imports' public functions (``plan_*`` and ``commit_*``)
and the pending-upload store (``schools.imports.store``), so the rules are the same: the
preview writes nothing; the commit plans the file again in one transaction and writes
everything or nothing; only the uploader can commit, within 24 hours.

The preview's ``token`` is ``<pending upload>.<fingerprint>``: the commit needs nothing
else (the import's target is part of the upload's kind), and it is refused when what the
commit would do is no longer what was previewed. The shapes here are the schema of every
import endpoint (``ImportPreview``, ``ImportResult``, ``ImportRefusal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from api.errors import BoundedJSONParser, error_body
from api.jobs import JobSerializer
from schools.imports import store
from schools.permissions import Actor
from schools.spreadsheets import CellError, Limits

ROWS_LIMIT = 1000  # rows listed in a preview (all are counted)
ERRORS_LIMIT = 1000


class CellErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="何が誤りか（日本語）")
    sheet = serializers.CharField(allow_blank=True)
    row = serializers.IntegerField(allow_null=True, help_text="Excel の行番号")
    column = serializers.CharField(allow_blank=True, help_text="列の記号 (A, B...)")
    header = serializers.CharField(allow_blank=True, help_text="列の見出し")
    text = serializers.CharField(help_text="場所を含めた全文")


class ImportPreviewSerializer(serializers.Serializer):
    kind = serializers.CharField()
    filename = serializers.CharField(allow_blank=True)
    ok = serializers.BooleanField(help_text="エラーがなく、確定できる")
    token = serializers.CharField(
        allow_blank=True, help_text="確定 (commit) に渡す値。エラーがあるか変更がなければ空"
    )
    counts = serializers.DictField(child=serializers.IntegerField())
    error_count = serializers.IntegerField()
    errors = CellErrorSerializer(many=True)
    row_count = serializers.IntegerField(help_text="変更される行の数（rows は先頭の一部）")
    rows = serializers.ListField(child=serializers.DictField(), help_text="変更の内容")


class ImportCommitSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=80, help_text="プレビューの token")


class ImportResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    committed = serializers.BooleanField()
    filename = serializers.CharField(allow_blank=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    message = serializers.CharField()


class ImportRefusalBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = CellErrorSerializer(many=True)


class ImportRefusalSerializer(serializers.Serializer):
    error = ImportRefusalBodySerializer()


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx、.ods または .csv")


PARSERS = [MultiPartParser, FormParser]
JSON = [BoundedJSONParser]


JOB_ANSWER = (
    "大きなファイル: 処理 (job) として受け付けた。Location の URL を問い合わせ、"
    "終わったら result に同期のときと同じ本文"
)


def preview_schema(upload: type[serializers.Serializer], summary: str, *, job: bool = False):
    """The OpenAPI description of an import's upload (multipart) and its preview (``job``:
    a large file answers 202 with the job that makes the preview)."""
    jobs = {202: OpenApiResponse(JobSerializer, description=JOB_ANSWER)} if job else {}
    return extend_schema(
        summary=summary,
        request={"multipart/form-data": upload},
        responses={
            200: ImportPreviewSerializer,
            **jobs,
            400: OpenApiResponse(description="ファイルがない・大きすぎる・パラメータの誤り"),
        },
    )


def commit_schema(summary: str, *, job: bool = False):
    jobs = {202: OpenApiResponse(JobSerializer, description=JOB_ANSWER)} if job else {}
    return extend_schema(
        summary=summary,
        request=ImportCommitSerializer,
        responses={
            200: ImportResultSerializer,
            **jobs,
            409: ImportRefusalSerializer,
            403: OpenApiResponse(description="別の利用者が読み込んだファイル・権限がない"),
            404: OpenApiResponse(description="token が見つからない（確定済み・不明）"),
            410: OpenApiResponse(description="確認期限（24時間）切れ"),
        },
    )


def cell_error(error: CellError) -> dict[str, Any]:
    return {
        "message": error.message,
        "sheet": error.sheet,
        "row": error.row,
        "column": error.column,
        "header": error.header,
        "text": str(error),
    }


def read_upload(request, limits: Limits) -> tuple[bytes, str]:
    """The uploaded ``file`` (bytes, name), or a 400 that says what is wrong."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": ["ファイルを選んでください（multipart の file）。"]})
    if upload.size > limits.max_bytes:
        raise ValidationError(
            {"file": [f"ファイルが大きすぎます（{upload.size:,}バイト）。{limits.describe()}。"]}
        )
    return upload.read(), upload.name or ""


@dataclass
class Preview:
    """What an import's preview says, in the shape every import endpoint answers."""

    kind: str
    filename: str
    errors: Sequence[CellError]
    counts: dict[str, int]
    rows: Sequence[dict[str, Any]]
    fingerprint: str
    committable: bool  # no errors and something to write
    target: Sequence[int] = ()  # ids the commit needs again (school, year...): in the token

    def response(self, data: bytes, *, by: Actor) -> Response:
        pending = ""
        if self.committable and not self.errors:
            pending = store.put(data, by=by, kind=self.kind, filename=self.filename)
        return Response(self.body(pending))

    def body(self, pending: str, *, row_count: int | None = None) -> dict[str, Any]:
        """The preview's JSON; ``pending`` the kept upload (a job's preview keeps it before
        it starts), ``row_count`` when ``rows`` is only the first part (a job's snapshot)."""
        token = ""
        if pending and self.committable and not self.errors:
            target = "-".join(str(v) for v in self.target)
            token = f"{pending}.{self.fingerprint}.{target}"
        return {
            "kind": api_kind(self.kind),
            "filename": self.filename,
            "ok": not self.errors,
            "token": token,
            "counts": self.counts,
            "error_count": len(self.errors),
            "errors": [cell_error(e) for e in list(self.errors)[:ERRORS_LIMIT]],
            "row_count": len(self.rows) if row_count is None else row_count,
            "rows": list(self.rows)[:ROWS_LIMIT],
        }


def api_kind(kind: str) -> str:
    """``api.roster:3:7:0`` (the pending upload's kind) as the body names it: ``roster``."""
    return kind.split(":")[0].removeprefix("api.")


_PENDING_STATUS = {
    store.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    store.NOT_OWNER: status.HTTP_403_FORBIDDEN,
    store.EXPIRED: status.HTTP_410_GONE,
}


@dataclass
class Pending:
    """The upload a commit names by its token: the bytes, its name and the previewed plan."""

    token: str
    data: bytes
    filename: str
    fingerprint: str


@dataclass
class CommitToken:
    """A preview's token read back: the pending upload, the plan's fingerprint, the target."""

    pending: str
    fingerprint: str
    target: list[str]

    def take(self, *, by: Actor, kind: str) -> Pending | Response:
        """The pending upload, or the response that refuses it (404, 403, 410)."""
        try:
            data = store.get(self.pending, by=by, kind=kind)
        except store.PendingRefused as refused:
            return pending_refused(refused.message)
        name = store.filename(self.pending, by=by, kind=kind)
        return Pending(self.pending, data, name, self.fingerprint)


def pending_refused(message: str) -> Response:
    http = _PENDING_STATUS.get(message, status.HTTP_409_CONFLICT)
    code = {404: "not_found", 403: "permission_denied", 410: "expired"}.get(http, "refused")
    return Response(error_body(code, message), status=http)


def commit_token(request, parts: int) -> CommitToken | Response:
    """The commit's ``token`` (400 without one; 404 when it is not a preview's token)."""
    body = ImportCommitSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    pending, _, rest = body.validated_data["token"].partition(".")
    fingerprint, _, target = rest.partition(".")
    values = target.split("-") if target else []
    if len(values) != parts or not all(v.isdigit() and len(v) <= 18 for v in values):
        return pending_refused(store.NOT_FOUND)
    return CommitToken(pending, fingerprint, values)


def refused(errors: Iterable[CellError | str]) -> Response:
    """409: the commit wrote nothing; every reason, the first one as the message."""
    return Response(refused_body(errors), status=status.HTTP_409_CONFLICT)


def refused_body(errors: Iterable[CellError | str]) -> dict[str, Any]:
    cells = [e if isinstance(e, CellError) else CellError(str(e)) for e in errors]
    first = str(cells[0]) if cells else "取り込めませんでした。"
    body = error_body("import_refused", first)
    body["error"]["errors"] = [cell_error(e) for e in cells[:ERRORS_LIMIT]]
    return body


def committed(
    pending: Pending, *, by: Actor, kind: str, counts: dict[str, int], message: str
) -> Response:
    store.discard(pending.token, by=by, kind=kind)
    return Response(committed_body(kind, pending.filename, counts, message))


def committed_body(kind: str, filename: str, counts: dict[str, int], message: str) -> dict:
    return {
        "kind": api_kind(kind),
        "committed": True,
        "filename": filename,
        "counts": counts,
        "message": message,
    }


def flag_of(data, name: str) -> bool:
    return str(data.get(name, "")).lower() in {"1", "true", "on", "yes"}
