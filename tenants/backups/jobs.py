"""Job kinds of the operators (run in the public schema by the job runner, tenants.jobs).

``tenants.tasks`` queues ``tenants.backup_all`` every night; an operator may queue it too.
"""

from __future__ import annotations

from typing import Any

from tenants.jobs.registry import JobError, kind
from tenants.models import Backup

BACKUP_ALL = "tenants.backup_all"
PURGE_DELETED = "tenants.purge_deleted"


@kind(BACKUP_ALL, label="全自治体のバックアップ (定期)")
def backup_all(ctx, params: dict[str, Any]) -> dict[str, Any]:
    from tenants.backups import service

    municipalities = service.municipalities()
    records = []
    for done, municipality in enumerate(municipalities):
        ctx.progress(done, len(municipalities), f"{municipality.name} をバックアップしています")
        records.append(
            service.backup(municipality, kind=Backup.Kind.SCHEDULED, actor="定期バックアップ")
        )
    removed = service.apply_retention(actor="定期バックアップ")
    failed = [r.schema_name for r in records if r.status != Backup.Status.OK]
    ctx.progress(len(municipalities), len(municipalities), "終わりました")
    if failed:
        raise JobError(f"{len(failed)} 自治体のバックアップに失敗しました: {', '.join(failed)}")
    return {"backups": len(records), "pruned": len(removed)}


@kind(PURGE_DELETED, label="猶予期間を過ぎた削除済み自治体の完全削除")
def purge_deleted(ctx, params: dict[str, Any]) -> dict[str, Any]:
    from tenants.backups import service

    return {"purged": service.purge_due(actor="定期処理")}
