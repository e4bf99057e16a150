from django.core.management.base import BaseCommand, CommandError

from tenants.backups import service
from tenants.models import Backup, Municipality


class Command(BaseCommand):
    help = (
        "Back up one municipality (by 団体コード or schema) or all of them (--all). "
        "--scheduled marks them as the nightly run and applies the retention rule after it "
        "(cron / systemd timer: `manage.py backup_municipality --all --scheduled`). "
        "--format copy (default: COPY per table, restored into a clone of the template at the "
        "same migration state) or pgdump (pg_dump of the schema: slow among many schemas, "
        "restorable by an Ai whose template has moved on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?")
        parser.add_argument("--all", action="store_true")
        parser.add_argument("--scheduled", action="store_true")
        parser.add_argument("--format", choices=["copy", "pgdump"], default="copy")

    def handle(self, *args, **o):
        kind = Backup.Kind.SCHEDULED if o["scheduled"] else Backup.Kind.MANUAL
        if o["all"]:
            records = service.backup_all(
                kind=kind, actor="manage.py", prune=o["scheduled"], layout=o["format"]
            )
        elif o["code"]:
            found = (
                Municipality.objects.exclude(schema_name="public").filter(code=o["code"]).first()
                or Municipality.objects.exclude(schema_name="public")
                .filter(schema_name=o["code"])
                .first()
            )
            if found is None:
                raise CommandError(f"団体コード {o['code']} の自治体はありません。")
            records = [service.backup(found, kind=kind, actor="manage.py", layout=o["format"])]
        else:
            raise CommandError("団体コードか --all を指定してください。")
        failed = 0
        for r in records:
            if r.status == Backup.Status.OK:
                self.stdout.write(f"ok     {r.schema_name}  {r.size:>12,} bytes  {r.file}")
            else:
                failed += 1
                self.stderr.write(f"FAILED {r.schema_name}  {r.error}")
        if failed:
            raise CommandError(f"{failed} 件のバックアップに失敗しました。")
