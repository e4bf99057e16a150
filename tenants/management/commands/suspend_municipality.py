from django.core.management.base import BaseCommand, CommandError

from tenants import provisioning
from tenants.models import Municipality


class Command(BaseCommand):
    help = "Suspend (or with --resume, resume) a municipality by its code. Data is kept."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--resume", action="store_true")

    def handle(self, *args, **o):
        municipality = Municipality.objects.filter(code=o["code"]).first()
        if municipality is None:
            raise CommandError(f"団体コード {o['code']} の自治体はありません。")
        provisioning.set_active(municipality, o["resume"], actor="manage.py")
        self.stdout.write(f"{municipality.name}: {'利用中' if o['resume'] else '停止中'}")
