from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backups import service
from tenants.models import Municipality


class Command(BaseCommand):
    help = (
        "Delete a municipality recoverably: a final backup, suspended, purged after the grace "
        "period (undelete_municipality brings it back). --purge drops a deleted one now. "
        "Asks for the schema name as confirmation."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--confirm-schema", help="the schema name, to skip the prompt")
        parser.add_argument("--purge", action="store_true", help="drop a deleted one's schema now")

    def handle(self, *args, **o):
        municipality = (
            Municipality.objects.filter(code=o["code"]).exclude(schema_name="public").first()
        )
        if municipality is None:
            raise CommandError(f"団体コード {o['code']} の自治体はありません。")
        confirm = o["confirm_schema"]
        if confirm is None:
            self.stdout.write(
                f"{municipality.name} のスキーマ「{municipality.schema_name}」とすべてのデータを削除します。"
            )
            confirm = input("確認のためスキーマ名を入力してください: ").strip()
        try:
            if o["purge"]:
                service.purge(municipality, confirm_schema=confirm, actor="manage.py")
            else:
                service.retire(municipality, confirm_schema=confirm, actor="manage.py")
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        if o["purge"]:
            self.stdout.write(
                f"purged {municipality.name} (schema {municipality.schema_name} dropped)"
            )
        else:
            self.stdout.write(
                f"deleted {municipality.name}: suspended, final backup taken,"
                f" purged after {municipality.purge_after:%Y-%m-%d}"
            )
