from django.core.management.base import BaseCommand

from tenants import demo


class Command(BaseCommand):
    help = "Seed the demo: operators' site and the municipalities 富士吉田市, 遠野市, 多摩市 (idempotent)."

    def handle(self, *args, **options):
        municipalities = demo.seed(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"demo ready: {', '.join(m.name for m in municipalities)}")
        )
