from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.backups import service
from tenants.backups.archive import Refused
from tenants.models import Backup


class Command(BaseCommand):
    help = (
        "Restore a backup (its id, see the operators' backup page) in place, after typing the "
        "schema name, or --as-new SUBDOMAIN beside the original. --file restores a file "
        "kept elsewhere (it is checked like any other)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup_id", type=int)
        parser.add_argument("--as-new", metavar="SUBDOMAIN")
        parser.add_argument("--confirm-schema", help="the schema name, to skip the prompt")
        parser.add_argument("--file", type=Path)

    def handle(self, *args, **o):
        backup = Backup.objects.filter(pk=o["backup_id"]).first()
        if backup is None:
            raise CommandError(f"バックアップ {o['backup_id']} はありません。")
        try:
            if o["as_new"]:
                done = service.restore_as_new(
                    backup, subdomain=o["as_new"], actor="manage.py", path=o["file"]
                )
            else:
                confirm = o["confirm_schema"]
                if confirm is None:
                    self.stdout.write(
                        f"スキーマ「{backup.schema_name}」の現在のデータを"
                        f" {backup.started_at:%Y-%m-%d %H:%M} のバックアップで置き換えます。"
                    )
                    confirm = input("確認のためスキーマ名を入力してください: ").strip()
                done = service.restore_in_place(
                    backup, confirm_schema=confirm, actor="manage.py", path=o["file"]
                )
        except Refused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {done.municipality.schema_name} in {done.seconds:.2f} s {done.steps}"
        )
