"""The file of a page's import form, read within the import's limits (no file, too large:
the person is told on the page). The API's twin is ``api.imports.read_upload``."""

from __future__ import annotations

from django.contrib import messages

from schools.spreadsheets.reader import Limits


def read_page_upload(
    request, limits: Limits, *, missing: str = "ファイルを選んでください。"
) -> tuple[bytes, str] | None:
    """The ``file`` of a page's import form (bytes, name); or None, with a message on the
    page saying what is wrong."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, missing)
        return None
    if upload.size > limits.max_bytes:
        messages.error(request, f"ファイルが大きすぎます。{limits.describe()}。")
        return None
    return upload.read(), upload.name
