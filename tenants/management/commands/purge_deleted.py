from django.core.management.base import BaseCommand

from tenants.backups import service


class Command(BaseCommand):
    help = (
        "Purge (DROP the schema of) every deleted municipality whose grace period is over "
        "(AI_DELETE_GRACE_DAYS). Their final backups stay restorable. Run it daily."
    )

    def handle(self, *args, **o):
        for schema in service.purge_due(actor="manage.py"):
            self.stdout.write(f"purged {schema}")
