from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backups import service
from tenants.models import Municipality


class Command(BaseCommand):
    help = "Bring back a deleted municipality (before its purge): it serves again as it was."

    def add_arguments(self, parser):
        parser.add_argument("code")

    def handle(self, *args, **o):
        found = Municipality.objects.exclude(schema_name="public").filter(code=o["code"]).first()
        if found is None:
            raise CommandError(f"団体コード {o['code']} の自治体はありません。")
        try:
            service.bring_back(found, actor="manage.py")
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        self.stdout.write(f"brought back {found.name} ({found.schema_name})")
