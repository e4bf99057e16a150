"""The whole download: workbooks per area, the archive and the OneRoster files in one zip.

::

    表計算/名簿/…  表計算/出欠/…  表計算/成績/…  表計算/時間割/…   (each app's workbooks)
    archive/datapackage.json, archive/data/<table>.csv           (archive.py)
    oneroster/manifest.csv, orgs.csv, …                           (oneroster.py)
    README.txt
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from schools import audit
from schools.leaving import archive, contributions, oneroster
from schools.permissions import Actor

WORKBOOKS = "表計算/"
ARCHIVE = "archive/"
ONEROSTER = "oneroster/"
BOARD_ADMIN_ONLY = "全データの書き出しは教育委員会の管理者のみができます。"

README = """{name} の全データ ({created} 書き出し、Ai)

表計算/     分野ごとのExcelブック (名簿、出欠の記録、成績一覧表、時間割)
archive/    機械で読めるアーカイブ: 表ごとのCSV (UTF-8、見出し行あり) と
            datapackage.json (Frictionless Data Package: 各列の説明、主キー、外部キー)。
            空の自治体に取り込めます (manage.py import_archive)。
            パスワードのハッシュ、二要素認証の鍵、APIトークン、セッション、取り込み途中の
            ファイルは含みません (datapackage.json の description を参照)。
oneroster/  OneRoster 1.2 CSV (bulk) の名簿: 学習サービスへの名簿の受け渡し用
"""

Progress = Callable[[int, int | None, str], None]


def current_municipality() -> dict[str, Any]:
    """Name, code, schema and 閲覧範囲 of the current municipality (its public row, reached
    through the app registry: ``schools`` does not import ``tenants``' models)."""
    schema = connection.schema_name
    model = apps.get_model(settings.TENANT_MODEL)
    row = model.objects.filter(schema_name=schema).values("name", "code", "read_scope").first()
    return {"schema": schema, **(row or {"name": schema, "code": schema})}


@contextmanager
def snapshot() -> Iterator[None]:
    """One snapshot for the whole download (REPEATABLE READ): workbooks, tables and OneRoster
    agree even while teachers keep saving. Inside a caller's transaction: that one."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def write_bundle(
    target: IO[bytes],
    *,
    by: Actor,
    municipality: dict[str, Any],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the whole download into ``target`` and record the export; returns a summary."""
    by.require(by.can_take_all_data, BOARD_ADMIN_ONLY)
    report = progress or (lambda done, total, message: None)
    modules = contributions()
    steps = len(modules) + 2
    files = 0
    with snapshot(), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for number, module in enumerate(modules):
            if not hasattr(module, "workbooks"):
                continue

            def told(message: str, number: int = number) -> None:
                report(number, steps, message)

            for name, content in module.workbooks(by=by, progress=told):
                bundle.writestr(WORKBOOKS + name, content)
                files += 1
        report(len(modules), steps, "表ごとのCSVを書き出しています")
        counts = archive.write_archive(bundle, municipality=municipality, prefix=ARCHIVE)
        report(len(modules) + 1, steps, "OneRosterの名簿を書き出しています")
        for name, content in oneroster.files(
            code=municipality.get("code", ""), name=municipality.get("name", "")
        ).items():
            bundle.writestr(ONEROSTER + name, content)
        created = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        bundle.writestr(
            "README.txt", README.format(name=municipality.get("name", ""), created=created)
        )
    summary = {"tables": len(counts), "rows": sum(counts.values()), "workbooks": files}
    audit.record_export(
        by,
        "schools.municipality_data.export",
        None,
        params={**summary, "schema": connection.schema_name},
        target_type="schools.municipality",
    )
    report(steps, steps, "ファイルを保存しています")
    return summary
