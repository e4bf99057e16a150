from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants import provisioning
from tenants.models import Municipality


class Command(BaseCommand):
    help = "Delete a municipality and DROP its schema. Asks for the schema name as confirmation."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--confirm-schema", help="the schema name, to skip the prompt")

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
            provisioning.delete(municipality, confirm_schema=confirm, actor="manage.py")
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        self.stdout.write(
            f"deleted {municipality.name} (schema {municipality.schema_name} dropped)"
        )
